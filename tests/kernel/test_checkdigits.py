"""Check digits against the vectors in STANDARDS.md and the ICAO Doc 9303 specimens."""

import pytest

from services.kernel.checkdigits import (
    MrzCheckFailure,
    MrzFormatError,
    container_id_is_valid,
    imo_number_is_valid,
    mrz_check_digit,
    read_mrz,
)


def _failures(lines: list[str]) -> list[MrzCheckFailure]:
    """The failed check digits of a TD1, TD2 or TD3 zone (empty when all hold)."""
    return list(read_mrz(lines).failures)


TD3_SPECIMEN = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TD2_SPECIMEN = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]
TD1_SPECIMEN = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]
MRV_A_SPECIMEN = [
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
]


def _with(line: str, position: int, character: str) -> str:
    return line[:position] + character + line[position + 1 :]


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9319466", True),
        ("8814275", True),
        ("8814274", False),
        ("931946", False),
        ("IMO 9319466", False),
    ],
)
def test_imo_number_check_digit(number: str, valid: bool) -> None:
    assert imo_number_is_valid(number) is valid


@pytest.mark.parametrize(
    ("container", "valid"),
    [
        ("CSQU3054383", True),
        ("CSQU3054384", False),
        ("csqu3054383", False),
        ("CSQX3054383", False),
        ("CSQU 305438 3", False),
    ],
)
def test_container_id_iso6346(container: str, valid: bool) -> None:
    assert container_id_is_valid(container) is valid


@pytest.mark.parametrize(
    ("field", "digit"),
    [
        ("520727", 3),  # Doc 9303 Part 3 worked example
        ("L898902C3", 6),
        ("740812", 2),
        ("120415", 9),
        ("ZE184226B<<<<<", 1),
        ("L898902C3674081221204159ZE184226B<<<<<1", 0),  # TD3 specimen composite
        ("AA1234567", 8),  # 10*7 + 10*3 + 1*1 + 2*7 + 3*3 + 4*1 + 5*7 + 6*3 + 7*1 = 188
        ("<<<<", 0),
    ],
)
def test_mrz_check_digit(field: str, digit: int) -> None:
    assert mrz_check_digit(field) == digit


def test_mrz_check_digit_refuses_other_characters() -> None:
    with pytest.raises(ValueError, match="not an MRZ character"):
        mrz_check_digit("l898902c3")


@pytest.mark.parametrize(
    ("lines", "layout"),
    [
        (TD3_SPECIMEN, "TD3"),
        (TD2_SPECIMEN, "TD2"),
        (TD1_SPECIMEN, "TD1"),
        (MRV_A_SPECIMEN, "TD3"),
    ],
)
def test_icao_specimens_pass_every_check(lines: list[str], layout: str) -> None:
    zone = read_mrz(lines)
    assert zone.format == layout
    assert zone.failures == ()
    assert zone.birth_date in ("740812", "400907")


def test_td3_specimen_fields() -> None:
    zone = read_mrz(TD3_SPECIMEN)
    assert (zone.document_number, zone.birth_date, zone.expiry_date, zone.is_visa) == (
        "L898902C3",
        "740812",
        "120415",
        False,
    )


@pytest.mark.parametrize(
    ("position", "field"),
    [
        (9, "document number"),
        (19, "birth date"),
        (27, "expiry date"),
        (42, "optional data"),
    ],
)
def test_td3_wrong_check_digit_is_named_along_with_the_composite(position: int, field: str) -> None:
    second = _with(TD3_SPECIMEN[1], position, "5")
    failures = _failures([TD3_SPECIMEN[0], second])
    # The composite covers the other check digits, so changing one breaks both.
    assert [failure.field for failure in failures] == [field, "composite"]
    assert failures[0].line == 1
    assert failures[0].found == "5"
    assert f"{field} check digit is '5'" in failures[0].message


def test_td3_wrong_composite_alone() -> None:
    failures = _failures([TD3_SPECIMEN[0], _with(TD3_SPECIMEN[1], 43, "1")])
    assert [(f.field, f.found, f.expected) for f in failures] == [("composite", "1", 0)]


def test_td3_changed_birth_date_fails_its_check() -> None:
    failures = _failures([TD3_SPECIMEN[0], _with(TD3_SPECIMEN[1], 18, "3")])
    assert [failure.field for failure in failures] == ["birth date", "composite"]


def test_td3_empty_optional_data_may_have_a_filler_check_digit() -> None:
    second = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<"
    second = second[:43] + str(mrz_check_digit(second[0:10] + second[13:20] + second[21:43]))
    assert _failures([TD3_SPECIMEN[0], second]) == []


@pytest.mark.parametrize(
    ("line", "position", "field"),
    [
        (0, 14, "document number"),
        (1, 6, "birth date"),
        (1, 14, "expiry date"),
        (1, 29, "composite"),
    ],
)
def test_td1_wrong_check_digit(line: int, position: int, field: str) -> None:
    lines = list(TD1_SPECIMEN)
    lines[line] = _with(lines[line], position, "0" if lines[line][position] != "0" else "1")
    failures = _failures(lines)
    assert failures[0].field == field
    assert failures[0].line == line


def test_td2_wrong_expiry_check_digit() -> None:
    failures = _failures([TD2_SPECIMEN[0], _with(TD2_SPECIMEN[1], 27, "0")])
    assert [failure.field for failure in failures] == ["expiry date", "composite"]


def test_td1_long_document_number_continues_in_optional_data() -> None:
    number = "D23145890123"
    optional = number[9:] + str(mrz_check_digit(number)) + "<" * 11
    first = "I<UTO" + number[:9] + "<" + optional
    second = "7408122F1204159UTO<<<<<<<<<<<"
    second += str(mrz_check_digit(first[5:30] + second[0:7] + second[8:15] + second[18:29]))
    zone = read_mrz([first, second, TD1_SPECIMEN[2]])
    assert zone.document_number == number
    assert zone.failures == ()
    broken = _with(first, 18, "0" if first[18] != "0" else "1")
    assert "document number" in [failure.field for failure in _failures([broken, second, TD1_SPECIMEN[2]])]


def test_visa_has_no_composite_check() -> None:
    # MRV-A carries optional data where a passport has its optional and composite check digits.
    assert _failures([MRV_A_SPECIMEN[0], _with(MRV_A_SPECIMEN[1], 43, "7")]) == []
    assert [f.field for f in _failures([MRV_A_SPECIMEN[0], _with(MRV_A_SPECIMEN[1], 27, "0")])] == [
        "expiry date"
    ]


@pytest.mark.parametrize(
    "lines",
    [
        [TD3_SPECIMEN[0]],
        [TD3_SPECIMEN[0], TD3_SPECIMEN[1][:40]],
        [TD3_SPECIMEN[0].lower(), TD3_SPECIMEN[1]],
        [TD1_SPECIMEN[0], TD1_SPECIMEN[1]],
        TD3_SPECIMEN + [TD3_SPECIMEN[1]],
    ],
)
def test_not_a_machine_readable_zone(lines: list[str]) -> None:
    with pytest.raises(MrzFormatError, match="TD1"):
        read_mrz(lines)
