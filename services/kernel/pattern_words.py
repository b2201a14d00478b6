"""A schema pattern in plain words, for a person reading a finding.

The common patterns have a hand-written description with an example of a valid value;
other simple patterns (character classes with counts, literals, alternatives) are put in
words from their parse tree; anything else is quoted whole, counts included, so a reader
never sees a pattern with its ``{8}`` stripped.
"""

import importlib
import re
from functools import cache
from typing import Any

from services.kernel.messages.origin import ORIGIN_CRITERION_PATTERN
from services.kernel.messages.types import DATE_PATTERN, DATETIME_PATTERN, DECIMAL_PATTERN

sre: Any = importlib.import_module("re._parser")
"""The parser behind ``re`` (``sre_parse``, deprecated under that name): the tree put in words."""

_KNOWN: dict[str, str] = {
    DATE_PATTERN: "a calendar date written YYYY-MM-DD, such as 2026-12-03",
    DATETIME_PATTERN: "a date and time with its UTC offset, such as 2026-12-03T10:45:00+07:00",
    DECIMAL_PATTERN: "a decimal number of at most 15 digits before the point and 3 after, such as 12.50",
    r"^[A-Z]{2}$": "an ISO 3166-1 alpha-2 country code (2 capital letters), such as VN",
    r"^[A-Z]{2}[A-Z2-9]{3}$": "a UN/LOCODE (country code and 3 capital letters or digits 2-9), such as VNSGN",
    r"^([A-Z]{3}|[A-Z]{2}[A-Z2-9]{3})$": "a 3-letter IATA airport code such as BKK, or a UN/LOCODE such as THBKK",
    r"^[0-9]{6}([0-9]{2}|[0-9]{3}|[0-9]{4})?$": "an HS code of 6, 8, 9 or 10 digits without dots, such as 09011100",
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$":
        "a lower-case UUID, such as 34296a83-d4a8-442a-a7f8-c874e6b9197d",
    r"^[0-9a-f]{64}$": "a SHA-256 digest in 64 lower-case hexadecimal digits",
    r"^[A-Za-z0-9][A-Za-z0-9/._-]*$":
        "a reference of letters and digits, with / . _ or - allowed after the first, no spaces, such as INV-2026/0042",
    r"^[a-z]+\.[a-z][a-z-]*/[0-9]+\.[0-9]+$": "a document type and version, such as customs.declaration/1.0",
    r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$": "a compact JWS (three base64url parts joined by dots)",
    ORIGIN_CRITERION_PATTERN: "an origin criterion as box 8 prints it, such as WO, PE, CTH, SP, RVC 40%, PC 25% "
                              "or CTSH + RVC 35%",
}
"""Patterns the models share, described as their users know them."""

_BY_NAME: dict[tuple[str, str], str] = {
    (r"^[A-Z]{3}$", "currencyID"): "an ISO 4217 currency code (3 capital letters), such as USD",
    (r"^[A-Z]{3}$", "CountryCode"): "a 3-letter ICAO 9303 state code, such as VNM",
    (r"^[A-Z]{3}$", "NationalityCode"): "a 3-letter ICAO 9303 state code, such as VNM",
    (r"^[A-Z]{3}$", "ConditionCode"): "an Incoterms 2020 rule (3 capital letters), such as FOB",
    (r"^[0-9]{7}$", "IMOID"): "an IMO number of 7 digits, such as 9074729",
}
"""One pattern can mean different things: (pattern, field name ending) -> description."""

_CLASS_NAMES = [  # (characters, one of them, several of them), the widest first
    ("0123456789abcdef", "lower-case hexadecimal digit", "lower-case hexadecimal digits"),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "capital letter", "capital letters"),
    ("abcdefghijklmnopqrstuvwxyz", "lower-case letter", "lower-case letters"),
    ("0123456789", "digit", "digits"),
    ("23456789", "digit 2-9", "digits 2-9"),
]


def describe_pattern(pattern: str, field_name: str = "") -> str:
    """What a value matching ``pattern`` looks like, in words a person reads."""
    for (known, ending), words in _BY_NAME.items():
        if pattern == known and field_name.endswith(ending):
            return words
    if pattern in _KNOWN:
        return _KNOWN[pattern]
    return _derived(pattern)


@cache
def _derived(pattern: str) -> str:
    try:
        return _sequence(sre.parse(pattern))
    except (_TooComplex, re.error):
        return f"text matching the pattern {pattern}"


class _TooComplex(Exception):
    pass


def _sequence(items: Any, *, nested: bool = False) -> str:
    parts = [_item(op, arg) for op, arg in items if op is not sre.AT]
    joined: list[str] = []
    for part in parts:  # consecutive literal characters read as one quoted string
        if joined and part.startswith("'") and joined[-1].startswith("'") and joined[-1].endswith("'"):
            joined[-1] = joined[-1][:-1] + part[1:]
        else:
            joined.append(part)
    if not joined:
        raise _TooComplex
    return (" and " if nested else ", then ").join(joined)


def _item(op: Any, arg: Any) -> str:
    if op is sre.LITERAL:
        return f"'{chr(arg)}'"
    if op is sre.IN:
        return f"1 {_class(arg, plural=False)}"
    if op is sre.SUBPATTERN:
        return _sequence(arg[-1])
    if op is sre.BRANCH:
        return _alternatives([_sequence(branch, nested=True) for branch in arg[1]])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        low, high, inner = arg
        return _repeated(low, high, list(inner))
    raise _TooComplex


def _repeated(low: int, high: int, inner: list[Any]) -> str:
    if len(inner) != 1 or inner[0][0] is not sre.IN:
        if (low, high) == (0, 1):
            return f"optionally {_sequence(inner)}"
        raise _TooComplex
    one, several = _class(inner[0][1], plural=False), _class(inner[0][1], plural=True)
    if high == sre.MAXREPEAT:
        return f"any number of {several}" if low == 0 else f"one or more {several}" if low == 1 else \
            f"at least {low} {several}"
    if (low, high) == (0, 1):
        return f"optionally 1 {one}"
    if low == 0:
        return f"up to {high} {several}"
    if low == high:
        return f"1 {one}" if low == 1 else f"{low} {several}"
    return f"{low} or {high} {several}" if high == low + 1 else f"{low} to {high} {several}"


def _class(members: list[Any], *, plural: bool) -> str:
    chars: list[str] = []
    for op, arg in members:
        if op is sre.RANGE:
            chars.extend(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre.LITERAL:
            chars.append(chr(arg))
        elif op is sre.CATEGORY and arg is sre.CATEGORY_DIGIT:
            chars.extend("0123456789")
        else:
            raise _TooComplex
    names: list[str] = []
    left = "".join(chars)
    for group, one, several in _CLASS_NAMES:
        if group[-1] == "f" and any(c in left for c in "ghijklmnopqrstuvwxyz"):
            continue  # a-f among all lower-case letters are letters, not hexadecimal digits
        if all(c in left for c in group):
            names.append(several if plural else one)
            left = "".join(c for c in left if c not in group)
    names.extend(left)
    return _alternatives(names)


def _alternatives(options: list[str]) -> str:
    if len(options) == 1:
        return options[0]
    return ", ".join(options[:-1]) + " or " + options[-1]
