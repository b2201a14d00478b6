"""The simple types of the DMS data sets, and the three kinds of element that carry attributes.

DMS (HMRC's customisation of WCO DM 3.6) gives every text, identifier and code a maximum
length and a pattern ``.*[^\\s].*``: at least one character that is not white space, on
one line. The pattern is written here with explicit characters, so that XSD, JSON Schema
(ECMA) and pydantic (Rust regex) agree on it: their ``\\s`` and ``.`` differ (Unicode
spaces, U+2028). Leading and trailing spaces are allowed, as DMS allows them (real files
carry ``1332/2013 `` as a document number) and are kept.

Numbers follow the DMS ``totalDigits``/``fractionDigits``: whole numbers (sequence numbers,
counts, package quantities) are integers; amounts (16,3), measures (16,6) and rates are
decimals written as JSON strings with their lexical form kept. WCO writes numbers without a
sign (``n..16,3``), so none is accepted.

Only ``currencyID``, ``unitCode`` and ``formatCode`` are carried as attributes; the other
optional DMS attributes (``listID``, ``schemeID``, ``languageID`` ...) are not.
"""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from services.kernel.messages import types as t
from services.kernel.messages.wco.codes import CurrencyCode

NON_BLANK = r"^[^\r\n]*[^ \t\r\n][^\r\n]*$"
"""DMS ``.*[^\\s].*``: one line with at least one character that is not white space."""


def _dms(max_length: int) -> StringConstraints:
    return StringConstraints(max_length=max_length, pattern=NON_BLANK)


def _dms_or_empty(max_length: int) -> StringConstraints:
    """RES data set strings: a maximum length and nothing else, so empty is allowed."""
    return StringConstraints(max_length=max_length)


Code2 = Annotated[str, _dms(2)]
Code3 = Annotated[str, _dms(3)]
Code4 = Annotated[str, _dms(4)]
Code7 = Annotated[str, _dms(7)]
Code9 = Annotated[str, _dms(9)]
Code17 = Annotated[str, _dms(17)]
Text4 = Annotated[str, _dms(4)]
Text5 = Annotated[str, _dms(5)]
Text9 = Annotated[str, _dms(9)]
Text17 = Annotated[str, _dms(17)]
Text18 = Annotated[str, _dms(18)]
Text35 = Annotated[str, _dms(35)]
Text50 = Annotated[str, _dms(50)]
Text70 = Annotated[str, _dms(70)]
Text256 = Annotated[str, _dms(256)]
Text512 = Annotated[str, _dms(512)]
"""``TextN`` for names, descriptions and identifiers, ``CodeN`` for codes: both DMS ``an..N``."""

OpenText3 = Annotated[str, _dms_or_empty(3)]
OpenText4 = Annotated[str, _dms_or_empty(4)]
OpenText8 = Annotated[str, _dms_or_empty(8)]
OpenText9 = Annotated[str, _dms_or_empty(9)]
OpenText17 = Annotated[str, _dms_or_empty(17)]
OpenText35 = Annotated[str, _dms_or_empty(35)]
OpenText50 = Annotated[str, _dms_or_empty(50)]
OpenText70 = Annotated[str, _dms_or_empty(70)]
OpenText512 = Annotated[str, _dms_or_empty(512)]
"""The RES data set's own strings, which DMS does not hold to the non-blank pattern."""

Digits2 = Annotated[str, StringConstraints(max_length=2, pattern=r"^[0-9]{0,2}$")]
Digits4 = Annotated[str, StringConstraints(max_length=4, pattern=r"^[0-9]{0,4}$")]
"""DMS ``([0-9])*`` codes (``n..2``, ``n..4``); the pattern lets them stand empty, as DMS does."""
Letters1 = Annotated[str, StringConstraints(min_length=1, max_length=1, pattern=r"^[A-Za-z]$")]
Letters3 = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")]

Sequence5 = Annotated[int, Field(ge=0, le=99999)]
"""A sequence or line number (DMS ``n..5``); DMS lets it be 0, and real files number from 0."""
Count5 = Annotated[int, Field(ge=0, le=99999)]
Count8 = Annotated[int, Field(ge=0, le=99999999)]
Whole15 = Annotated[int, Field(ge=0, le=999999999999999)]

Decimal12_5 = Annotated[Decimal, t.DecimalDigits(12, 5)]
Decimal16_3 = Annotated[Decimal, t.DecimalDigits(16, 3)]
Decimal16_6 = Annotated[Decimal, t.DecimalDigits(16, 6)]
Decimal17_3 = Annotated[Decimal, t.DecimalDigits(17, 3)]

UnitCode = Annotated[str, StringConstraints(min_length=1, max_length=5)]
"""DMS ``unitCode``: 1 to 5 characters. UN/ECE Recommendation 20 codes (KGM, LTR), and the
UK's qualified forms (``KGM#G``, ``TNE#I``), which is why no pattern is imposed."""

DATE_TIME_PATTERN = r"^20[0-9]{6}([0-9]{6}(Z|[+-][0-9]{2}))?$"
"""DMS ``DateTimeString``: ``CCYYMMDD`` (format 102) or ``CCYYMMDDhhmmss`` with ``Z`` or an
hour offset (format 304), e.g. ``20190313134800Z``, ``20230526205509+01``. DMS checks the form,
not that the format code matches it; neither does this model (a rule can)."""


class AmountType(t.TextWithAttributes):
    """A monetary amount (``n..16,3``) and, optionally as DMS has it, its ISO 4217 currency."""

    value: Decimal16_3
    currencyID: CurrencyCode | None = None


class MeasureType(t.TextWithAttributes):
    """A measure or decimal quantity (``n..16,6``) and, optionally, its unit."""

    value: Decimal16_6
    unitCode: UnitCode | None = None


class ItemCountQuantityType(t.TextWithAttributes):
    """A count of up to five digits (goods items, loading lists) and, optionally, its unit."""

    value: Count5
    unitCode: UnitCode | None = None


class PackageQuantityType(t.TextWithAttributes):
    """A number of packages (``n..8``) and, optionally, its unit."""

    value: Count8
    unitCode: UnitCode | None = None


class DimensionMeasureType(t.TextWithAttributes):
    """A package length, width or height: a whole number of up to 15 digits, optionally its unit."""

    value: Whole15
    unitCode: UnitCode | None = None


class DateTimeStringType(t.TextWithAttributes):
    """A WCO date or date-time as written, with its UN/EDIFACT 2379 format code."""

    value: str = Field(max_length=35, pattern=DATE_TIME_PATTERN)
    formatCode: Literal["102", "304"] = Field(
        description="UN/EDIFACT 2379: 102 a date CCYYMMDD; 304 a date-time CCYYMMDDhhmmss with Z or an hour offset")


class DateTimeType(t.Message):
    """A WCO date-time element: its one ``DateTimeString`` child."""

    DateTimeString: DateTimeStringType
