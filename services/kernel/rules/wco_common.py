"""What the rules of the WCO DM 3.6 messages (``customs.declaration`` 2.0, ``customs.response``
2.0) share: walking the model, the date-time formats, the duty arithmetic, currencies'
minor units and the lodging country.

DMS makes almost every element optional and repeats many of them, so these rules find what
they check by walking the document (every ``DateTimeString``, every amount) rather than by
naming each place, and a rule that lacks one of its operands says nothing: a missing
element is the schema's business, or the procedure's, not an arithmetic fault.
"""

import datetime as dt
import functools
import re
import typing
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from services.kernel.findings import Finding, rule_error
from services.kernel.messages.wco.datatypes import AmountType, DateTimeStringType, MeasureType
from services.kernel.messages.wco.declaration import DeclarationType, GoodsDeclaration
from services.kernel.messages.wco.goods import GovernmentAgencyGoodsItemType
from services.kernel.participants import PARTICIPANTS
from services.kernel.rules.common import PointerPath
from services.kernel.type_codes import UnknownTypeCode, direction_of

Found = TypeVar("Found", bound=BaseModel)

LOCAL_CURRENCIES: dict[str, str] = {"JP": "JPY", "KH": "KHR", "LA": "LAK", "MM": "MMK", "TH": "THB", "VN": "VND"}
"""ISO 4217 currency of each network country (``participants.PARTICIPANTS``): the currency its
customs assesses duties in and converts every other amount into."""

MINOR_UNITS: dict[str, int] = {
    # ISO 4217 minor units other than 2 (the minor unit of every other current currency).
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
                     "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}

ROUNDED_DOWN_TO: dict[str, Decimal] = {"JPY": Decimal(100)}
"""Currencies whose customs round a tax amount down to more than the minor unit: Japan's
national taxes, customs duty and import consumption tax among them, drop fractions of
100 yen (and assess on a base rounded down to 1,000 yen, which the declared base shows)."""

DECLARATION: PointerPath = ("Declaration",)
SHIPMENT: PointerPath = (*DECLARATION, "GoodsShipment")
ITEMS: PointerPath = (*SHIPMENT, "GovernmentAgencyGoodsItem")

_DATE = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_DATE_TIME = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})(Z|[+-][0-9]{2})$")
_FORMATS = {"102": "a date CCYYMMDD", "304": "a date-time CCYYMMDDhhmmss with Z or an hour offset (+07)"}
_LATEST_OFFSET = 14
"""Hours: no zone in use is further from UTC (UTC+14, Line Islands; UTC-12)."""


def walk(node: Any, kind: type[Found], *, path: PointerPath = ()) -> Iterator[tuple[Found, PointerPath]]:
    """Every ``kind`` in ``node`` (a model or a list of them), with its JSON Pointer parts, in
    document order. Only fields whose type can hold a ``kind`` are entered (``_fields_towards``):
    a declaration of 999 items has some 100,000 nodes, most of them beside the point."""
    pending: list[tuple[Any, PointerPath]] = [(node, path)]
    while pending:
        current, where = pending.pop()
        if isinstance(current, kind):
            yield current, where
        if isinstance(current, list):
            pending.extend((current[index], (*where, index)) for index in reversed(range(len(current))))
        elif isinstance(current, BaseModel):
            for name in reversed(_fields_towards(type(current), kind)):
                value = getattr(current, name)
                if value is not None:
                    pending.append((value, (*where, name)))


@functools.cache
def _fields_towards(model: type[BaseModel], kind: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model``, in order, whose type is or can contain a ``kind``."""
    return tuple(name for name, field in model.model_fields.items()
                 if any(_reaches(inner, kind, seen=frozenset({model})) for inner in _models_in(field.annotation)))


def _reaches(model: type[BaseModel], kind: type[BaseModel], *, seen: frozenset[type[BaseModel]]) -> bool:
    if issubclass(model, kind):
        return True
    if model in seen:
        return False
    return any(_reaches(inner, kind, seen=seen | {model})
               for field in model.model_fields.values() for inner in _models_in(field.annotation))


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The model classes an annotation names (``list[X] | None`` names X)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for argument in typing.get_args(annotation):
        yield from _models_in(argument)


def goods_items(document: GoodsDeclaration) -> Sequence[GovernmentAgencyGoodsItemType]:
    """The declaration's goods items (none when it has no goods shipment, as a goods presentation)."""
    shipment = document.Declaration.GoodsShipment
    return (shipment.GovernmentAgencyGoodsItem or []) if shipment is not None else []


def minor_unit(currency: str | None) -> int:
    """Decimals of ``currency`` (ISO 4217), 2 when it is not given."""
    return MINOR_UNITS.get(currency or "", 2)


def is_amendment(declaration: DeclarationType) -> bool:
    """Function code 13 (request): an amendment (COR) or invalidation (INV) of a declaration
    lodged before. It carries only the goods items it changes, numbered as in the original, so
    the counts and the numbering of a whole declaration do not apply to it."""
    return declaration.FunctionCode == "13"


def shipment_country(shipment: Any, goods: Sequence[GovernmentAgencyGoodsItemType], element: str) -> str | None:
    """The shipment's export country (``element`` "ExportCountry") or destination ("Destination"),
    else the one every goods item gives (DMS lets the items carry them instead): how the customs
    service routes a declaration, and so how the rules tell its lodging country."""
    field = "ID" if element == "ExportCountry" else "CountryCode"
    whole = getattr(shipment, element, None) if shipment is not None else None
    if whole is not None and getattr(whole, field) is not None:
        return str(getattr(whole, field))
    per_item = {getattr(getattr(item, element), field) for item in goods if getattr(item, element) is not None}
    per_item.discard(None)
    if len(per_item) == 1 and all(getattr(item, element) is not None for item in goods):
        return str(per_item.pop())
    return None


def requested_procedures(goods: Sequence[GovernmentAgencyGoodsItemType]) -> list[str]:
    """The goods items' requested procedures (DE 1/10, ``CurrentCode``), two digits each."""
    return [code for item in goods for p in item.GovernmentProcedure or ()
            if (code := (p.CurrentCode or "").strip()) and len(code) == 2 and code.isdigit()]


def direction(declaration: DeclarationType) -> str | None:
    """``EX`` or ``IM`` as the type code says (``type_codes``, the table the customs service
    lodges by), None when it cannot tell (amendments, codes of unknown direction)."""
    goods = _items_of(declaration)
    try:
        return direction_of(
            (declaration.TypeCode or "").strip(), procedures=requested_procedures(goods),
            export_country=shipment_country(declaration.GoodsShipment, goods, "ExportCountry"),
            destination_country=shipment_country(declaration.GoodsShipment, goods, "Destination"))
    except UnknownTypeCode:
        return None


def _items_of(declaration: DeclarationType) -> Sequence[GovernmentAgencyGoodsItemType]:
    shipment = declaration.GoodsShipment
    return (shipment.GovernmentAgencyGoodsItem or []) if shipment is not None else []


def lodging_country(declaration: DeclarationType) -> str | None:
    """Whose customs the declaration is lodged with: the export country of an export, the
    destination of an import, as the customs service routes it; None when it does not say."""
    way = direction(declaration)
    if way is None:
        return None
    return shipment_country(declaration.GoodsShipment, _items_of(declaration),
                            "ExportCountry" if way == "EX" else "Destination")


def date_time_fault(stamp: DateTimeStringType) -> str | None:
    """What is wrong with a ``DateTimeString`` (None when its value is the form its
    ``formatCode`` names, and a day and time that exist)."""
    value, code = stamp.value, stamp.formatCode
    matched = (_DATE if code == "102" else _DATE_TIME).fullmatch(value)
    if matched is None:
        other = "304" if code == "102" else "102"
        if (_DATE_TIME if other == "304" else _DATE).fullmatch(value):
            return (f"{value} is {_FORMATS[other]} (formatCode {other}), but its formatCode {code} says "
                    f"{_FORMATS[code]}")
        return f"{value} is not {_FORMATS[code]} as its formatCode {code} says"
    year, month, day = (int(part) for part in matched.groups()[:3])
    try:
        dt.date(year, month, day)
    except ValueError:
        return f"{value}: {year:04d}-{month:02d}-{day:02d} is not a day of the calendar"
    if code == "304":
        hour, minute, second = (int(part) for part in matched.groups()[3:6])
        zone = matched.group(7)
        if hour > 23 or minute > 59 or second > 59:
            return f"{value}: {hour:02d}:{minute:02d}:{second:02d} is not a time of day"
        if zone != "Z" and abs(int(zone)) > _LATEST_OFFSET:
            return f"{value}: offset {zone} hours is further from UTC than any time zone (at most 14)"
    return None


def date_time_findings(document: BaseModel) -> Iterator[Finding]:
    """DATE_TIME_FORMAT for every ``DateTimeString`` of ``document`` that does not fit its ``formatCode``."""
    for stamp, path in walk(document, DateTimeStringType):
        fault = date_time_fault(stamp)
        if fault is not None:
            yield rule_error("DATE_TIME_FORMAT", f"{path[-2]}: {fault}", *path, "value")


def expected_duty(*, base: AmountType | None, quantity: MeasureType | None, rate: Decimal | None,
                  deduct: AmountType | None, assessed: AmountType | None) -> tuple[Decimal, str] | None:
    """What a duty, tax or fee comes to, and how it was reckoned; None when it cannot be told.

    Ad valorem: ``base × rate / 100``; specific: ``quantity × rate`` (the rate an amount per
    unit); either less ``deduct`` when a deduction is given (a relief: HMRC's assessments give
    the calculated duty as ``DeductAmount`` and 0 as assessed). Told only when the duty has
    one base (not both: a compound duty's split is not in the message), a rate and an
    assessed amount, and its amounts are in one currency (converting would need the rate
    customs used, which the message need not carry).
    """
    if rate is None or assessed is None or (base is None) == (quantity is None):
        return None
    currencies = {amount.currencyID for amount in (base, deduct, assessed) if amount is not None} - {None}
    if len(currencies) > 1:
        return None
    if base is not None:
        exact, how = base.value * rate / 100, f"{base.value} × {rate} %"
    else:
        assert quantity is not None
        unit = f" {quantity.unitCode}" if quantity.unitCode else ""
        exact, how = quantity.value * rate, f"{quantity.value}{unit} × {rate}"
    if deduct is not None and deduct.value:
        exact, how = exact - deduct.value, f"{how} − {deduct.value} deducted"
    return exact, how


def duty_fault(*, base: AmountType | None, quantity: MeasureType | None, rate: Decimal | None,
               deduct: AmountType | None, assessed: AmountType | None) -> str | None:
    """Why the assessed amount is not its base × rate, None when it is (see ``expected_duty``).

    Tolerance: less than one minor unit of the currency (0.01 THB, 1 VND) either way, so that
    any rounding to the minor unit passes (half up, half even, down: national rules differ)
    and nothing else does; where the currency's customs round down further
    (``ROUNDED_DOWN_TO``: JPY to 100 yen), up to that step below.
    """
    reckoned = expected_duty(base=base, quantity=quantity, rate=rate, deduct=deduct, assessed=assessed)
    if reckoned is None or assessed is None:
        return None
    exact, how = reckoned
    currency = assessed.currencyID
    unit = Decimal(1).scaleb(-minor_unit(currency))
    step = ROUNDED_DOWN_TO.get(currency or "", unit)
    if exact - step < assessed.value < exact + unit:
        return None
    rounded = max(exact, Decimal(0)).quantize(unit, rounding=ROUND_HALF_UP)
    named = f" {currency}" if currency else ""
    allowed = f"rounded down to {step}{named} at most" if step != unit else f"to within one minor unit, {unit}"
    return f"assessed {assessed.value}{named}, but {how} = {rounded}{named} ({allowed})"


def is_network_country(country: str | None) -> bool:
    return country in PARTICIPANTS
