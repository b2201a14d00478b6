"""Building blocks shared by every message model.

The same pydantic model is the source of the JSON Schema, the XSD and the canonical
JSON<->XML mapping, so each type here says three things at once: how Python holds the
value, how JSON writes it (``WithJsonSchema``) and how XSD writes it (``x-xsd`` hints,
stripped from the published JSON Schema).

Lexical forms are checked before pydantic converts a value, so that a string that
pydantic would leniently accept but the JSON Schema or the XSD would refuse (``1.0`` as a
decimal number, ``2024-01-02 10:00`` as a date-time) is refused everywhere alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

XSD_HINT = "x-xsd"
"""JSON Schema keyword carrying the XSD built-in type a JSON string stands for."""

XML_TEXT_HINT = "x-xml-text"
"""JSON Schema keyword naming the property that is an element's text (the rest are attributes)."""


def _lexical(pattern: str, *, what: str, convert: Callable[[str], Any]) -> BeforeValidator:
    """Check a string's lexical form, then convert it ourselves.

    Converting here (rather than leaving it to pydantic) keeps strict mode working: strict
    validation takes a ``Decimal`` or ``date`` instance from a validator, never a string.
    """
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, str):
            if not compiled.fullmatch(value):
                raise PydanticCustomError("string_pattern_mismatch", "{what} must match {pattern}",
                                          {"what": what, "pattern": pattern})
            try:
                return convert(value)
            except (ValueError, ArithmeticError):
                raise PydanticCustomError("value_type", "{value} is not a valid {what}",
                                          {"value": value, "what": what}) from None
        return value

    return BeforeValidator(check)


def _require_str(what: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, (str, Decimal)):
            return value
        raise PydanticCustomError("decimal_type", "{what} must be written as a string, e.g. \"12.50\"",
                                  {"what": what})

    return BeforeValidator(check)


DECIMAL_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,3})?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"


def _finite_non_negative(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError("decimal must be a finite, non-negative number")
    return value


NonNegativeDecimal = Annotated[
    Decimal,
    _require_str("a decimal amount"),
    _lexical(DECIMAL_PATTERN, what="a decimal amount", convert=Decimal),
    AfterValidator(_finite_non_negative),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, XSD_HINT: "decimal"}),
]
"""A non-negative decimal written as a string in JSON (as PayPal and ISO 20022 JSON do):
lossless, so ``"12.50"`` stays ``12.50`` through every conversion."""

Date = Annotated[
    dt.date,
    _lexical(DATE_PATTERN, what="a date (YYYY-MM-DD)", convert=dt.date.fromisoformat),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN, XSD_HINT: "date"}),
]

def _representable_in_utc(value: dt.datetime) -> dt.datetime:
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "{value} is outside the range of date-times",
                                  {"value": value.isoformat()}) from None
    return value


DateTime = Annotated[
    dt.datetime,
    _lexical(DATETIME_PATTERN, what="a date-time with its UTC offset", convert=dt.datetime.fromisoformat),
    AfterValidator(_representable_in_utc),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN, XSD_HINT: "dateTime"}
    ),
]
"""An ISO 8601 date-time that must carry its offset (``Z`` or ``+07:00``)."""


def _text(max_length: int, pattern: str | None = None) -> StringConstraints:
    return StringConstraints(min_length=1, max_length=max_length, pattern=pattern)


Name = Annotated[str, _text(256)]
Description = Annotated[str, _text(512)]
Remarks = Annotated[str, _text(1024)]
Identifier = Annotated[str, _text(35, r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")]
CountryCode = Annotated[str, _text(2, r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2; whether the code exists is a business rule, not a schema matter."""
CountryCode3 = Annotated[str, _text(3, r"^[A-Z]{3}$")]
"""ICAO 9303 three-letter state code (ISO 3166-1 alpha-3 plus XXA, GBN, UNO ...), as travel
documents, PAXLST NAT and FAL 5/6 write nationality and issuing state."""
CurrencyCode = Annotated[str, _text(3, r"^[A-Z]{3}$")]
LocationCode = Annotated[str, _text(5, r"^[A-Z]{2}[A-Z2-9]{3}$")]
"""UN/LOCODE: country alpha-2 then three letters or digits 2-9."""
PortOrAirportCode = Annotated[str, _text(5, r"^([A-Z]{3}|[A-Z]{2}[A-Z2-9]{3})$")]
"""A 3-letter IATA airport code (air) or a UN/LOCODE (sea and land), as PAXLST LOC writes."""
HSCode = Annotated[str, _text(10, r"^[0-9]{6}([0-9]{2}|[0-9]{3}|[0-9]{4})?$")]
"""HS 6 digits, optionally with a national extension (AHTN 8, Japan 9, others 10)."""
UnitCode = Annotated[str, _text(3, r"^[A-Z0-9]{2,3}$")]
"""UN/ECE Recommendation 20 unit of measure (KGM, TNE, PCE, LTR ...)."""


class Message(BaseModel):
    """Base of every model: closed content, strict types on JSON input."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=False)


class Document(Message):
    """Base of a message type's root: knows its type id and XML root element."""

    xml_root: ClassVar[str]


class TextWithAttributes(Message):
    """An XML element with simple content: ``value`` is its text, every other field an attribute."""

    model_config = ConfigDict(json_schema_extra={XML_TEXT_HINT: "value"})


class Amount(TextWithAttributes):
    """A monetary amount (WCO Amount type) with its ISO 4217 currency."""

    value: NonNegativeDecimal
    currencyID: CurrencyCode


class Measure(TextWithAttributes):
    """A quantity with its UN/ECE Recommendation 20 unit."""

    value: NonNegativeDecimal
    unitCode: UnitCode


@dataclass(frozen=True)
class DecimalDigits:
    """``Annotated[Decimal, DecimalDigits(16, 6)]``: a non-negative decimal of at most ``total``
    digits, ``fraction`` of them after the point (XSD ``totalDigits`` and ``fractionDigits``).

    Both limits are written as one pattern, so that the JSON Schema and the XSD (where a
    pattern facet reads the lexical form) refuse exactly what the model refuses. Like
    ``NonNegativeDecimal``, JSON writes it as a string and its lexical form is kept.
    """

    total: int
    fraction: int

    @property
    def pattern(self) -> str:
        whole = [f"[0-9]{{1,{self.total}}}"]
        decimals = [f"[0-9]{{1,{self.total - n}}}\\.[0-9]{{{n}}}" for n in range(1, self.fraction + 1)]
        return "^(" + "|".join(whole + decimals) + ")$"

    @property
    def what(self) -> str:
        if self.fraction == 0:
            return f"a whole number of up to {self.total} digits"
        return f"a decimal number of up to {self.total} digits, at most {self.fraction} after the point"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        compiled = re.compile(self.pattern)

        def check(value: Any) -> Any:
            # A string is read in its lexical form; a Decimal built in Python is held to the
            # same form, so that what is written is what would be read back (a Decimal("1E+3")
            # would be written "1E+3"); a JSON number is refused, as for NonNegativeDecimal.
            if not isinstance(value, (str, Decimal)):
                raise PydanticCustomError("decimal_type", "{what} must be written as a string, e.g. \"12.50\"",
                                          {"what": self.what})
            if not compiled.fullmatch(str(value)):
                raise PydanticCustomError("string_pattern_mismatch", "{what} must match {pattern}",
                                          {"what": self.what, "pattern": self.pattern})
            return Decimal(value)

        return core_schema.no_info_before_validator_function(
            check, core_schema.no_info_after_validator_function(_finite_non_negative, handler(source)))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "pattern": self.pattern, XSD_HINT: "decimal"}
