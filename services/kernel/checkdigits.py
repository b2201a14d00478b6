"""Check digits of identifiers the messages carry: IMO ship numbers, ISO 6346 container
numbers and the machine readable zone (MRZ) of ICAO 9303 travel documents.

MRZ layouts (ICAO Doc 9303 Parts 4-7), positions 0-based:

- TD3 passport, 2 x 44. Line 2: document number 0-8, check 9; birth date 13-18, check 19;
  expiry 21-26, check 27; optional data 28-41, check 42; composite 43 over 0-9, 13-19, 21-42.
- TD2 card, 2 x 36. Line 2: as TD3 up to 27; optional data 28-34; composite 35 over
  0-9, 13-19, 21-34.
- TD1 card, 3 x 30. Line 1: document number 5-13, check 14, optional data 15-29. Line 2:
  birth date 0-5, check 6; expiry 8-13, check 14; optional data 18-28; composite 29 over
  line 1 5-29 and line 2 0-6, 8-14, 18-28.
- Visas (MRV-A 2 x 44, MRV-B 2 x 36, line 1 starting with V) have no optional-data or
  composite check digit.

On TD1 and TD2 a document number longer than nine characters puts ``<`` in its check digit
position and continues, with its check digit, at the start of the optional data.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from stdnum import imo, iso6346

_IMO_NUMBER = re.compile(r"[0-9]{7}")
_CONTAINER_ID = re.compile(r"[A-Z]{3}[UJZ][0-9]{7}")
_MRZ_CHARACTERS = re.compile(r"[A-Z0-9<]+")


def imo_number_is_valid(number: str) -> bool:
    """IMO ship identification number: seven digits, the last one the check digit.

    Exactly seven digits are required; stdnum alone would also accept an ``IMO`` prefix.
    """
    return _IMO_NUMBER.fullmatch(number) is not None and imo.is_valid(number)


def container_id_is_valid(container_id: str) -> bool:
    """ISO 6346: owner code, category U/J/Z, six-digit serial number and check digit.

    stdnum also accepts lower case, spaces, digits in the owner code and category R;
    the identifier as written in a message must be the plain form.
    """
    return _CONTAINER_ID.fullmatch(container_id) is not None and iso6346.is_valid(container_id)


_MRZ_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# every byte maps to its MRZ value (digits 0-9, A-Z 10-35, '<' 0); anything else to 255
_MRZ_VALUES = bytes(
    _MRZ_ALPHABET.index(byte) if byte in _MRZ_ALPHABET else 0 if byte == ord("<") else 255 for byte in range(256)
)


def mrz_check_digit(field: str) -> int:
    """ICAO 9303 check digit: weights 7, 3, 1 repeating; A-Z count 10-35, ``<`` 0; sum mod 10."""
    values = field.encode("latin-1", "replace").translate(_MRZ_VALUES)
    if 255 in values:
        bad = next(c for c, v in zip(field, values, strict=True) if v == 255)
        raise ValueError(f"{bad!r} is not an MRZ character (A-Z, 0-9, <)")
    return (7 * sum(values[0::3]) + 3 * sum(values[1::3]) + sum(values[2::3])) % 10


class MrzFormatError(ValueError):
    """The lines are not a TD1, TD2 or TD3 machine readable zone."""


class MrzCheckFailure(NamedTuple):
    """One check digit that does not match the data it protects."""

    field: str
    """``document number``, ``birth date``, ``expiry date``, ``optional data`` or ``composite``."""
    line: int
    """0-based index of the MRZ line holding the check digit."""
    found: str
    expected: int

    @property
    def message(self) -> str:
        return f"{self.field} check digit is {self.found!r}, expected {self.expected}"


MrzFormat = Literal["TD1", "TD2", "TD3"]


@dataclass(frozen=True)
class MrzZone:
    """What the rules need from a machine readable zone: the data and the failed checks."""

    format: MrzFormat
    is_visa: bool
    document_number: str
    birth_date: str
    """YYMMDD, ``<`` where unknown."""
    expiry_date: str
    failures: tuple[MrzCheckFailure, ...]


@dataclass
class _Checks:
    failures: list[MrzCheckFailure]

    def digit(self, *, field: str, data: str, found: str, line: int, filler_allowed: bool = False) -> None:
        expected = mrz_check_digit(data)
        if filler_allowed and found == "<" and set(data) == {"<"}:
            return
        if found != str(expected):
            self.failures.append(MrzCheckFailure(field, line, found, expected))


def _split_long_number(number_field: str, check: str, optional: str) -> tuple[str, str, str]:
    """Document number, its check digit and the optional data, undoing the long-number form."""
    if check != "<" or "<" in number_field:
        return number_field, check, optional
    continuation = optional.split("<", 1)[0]
    if not continuation:
        return number_field, check, optional
    return number_field + continuation[:-1], continuation[-1], optional


def read_mrz(lines: Sequence[str]) -> MrzZone:
    """Parse and check a machine readable zone; ``MrzFormatError`` when it is none."""
    lengths = tuple(len(line) for line in lines)
    if lengths not in ((30, 30, 30), (36, 36), (44, 44)) or not all(
        _MRZ_CHARACTERS.fullmatch(line) for line in lines
    ):
        raise MrzFormatError(
            "MRZ must be 3 lines of 30 (TD1), 2 of 36 (TD2) or 2 of 44 (TD3) characters A-Z, 0-9 and <; "
            f"found {len(lines)} line(s) of {', '.join(map(str, lengths))}"
        )
    if len(lines) == 3:
        return _read_td1(lines[0], lines[1])
    return _read_two_line(lines[0], lines[1])


def _read_td1(first: str, second: str) -> MrzZone:
    checks = _Checks([])
    number, number_check, _ = _split_long_number(first[5:14], first[14], first[15:30])
    checks.digit(field="document number", data=number, found=number_check, line=0)
    checks.digit(field="birth date", data=second[0:6], found=second[6], line=1)
    checks.digit(field="expiry date", data=second[8:14], found=second[14], line=1)
    composite = first[5:30] + second[0:7] + second[8:15] + second[18:29]
    checks.digit(field="composite", data=composite, found=second[29], line=1)
    return MrzZone("TD1", False, number.rstrip("<"), second[0:6], second[8:14], tuple(checks.failures))


def _read_two_line(first: str, second: str) -> MrzZone:
    is_td3 = len(second) == 44
    is_visa = first.startswith("V")
    checks = _Checks([])
    end = 43 if is_td3 else 35
    number_field, number_check = second[0:9], second[9]
    if not is_td3:
        number_field, number_check, _ = _split_long_number(number_field, number_check, second[28:35])
    checks.digit(field="document number", data=number_field, found=number_check, line=1)
    checks.digit(field="birth date", data=second[13:19], found=second[19], line=1)
    checks.digit(field="expiry date", data=second[21:27], found=second[27], line=1)
    if not is_visa:
        if is_td3:
            checks.digit(
                field="optional data", data=second[28:42], found=second[42], line=1, filler_allowed=True
            )
        composite = second[0:10] + second[13:20] + second[21:end]
        checks.digit(field="composite", data=composite, found=second[end], line=1)
    return MrzZone(
        "TD3" if is_td3 else "TD2",
        is_visa,
        number_field.rstrip("<"),
        second[13:19],
        second[21:27],
        tuple(checks.failures),
    )
