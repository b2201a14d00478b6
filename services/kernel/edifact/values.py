"""Turning PAXLST data elements into values the manifest model accepts.

Whether a value fits is asked of the model itself (the field's own type and constraints),
so the parser can never drift from ``messages/immigration.py``: a value that would make the
document invalid is left out with a warning instead.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from pydantic import BaseModel, TypeAdapter, ValidationError

from services.kernel.edifact.segments import IssueLog, Segment
from services.kernel.messages.immigration import ReferenceType

# DTM format codes (UN/EDIFACT 2379) PAXLST senders use, with the digits each carries.
_FORMATS = {"101": "YYMMDD", "102": "CCYYMMDD", "201": "YYMMDDHHMM", "203": "CCYYMMDDHHMM"}
_FORMAT_BY_LENGTH = {len(layout): code for code, layout in _FORMATS.items()}

EXPECTED = {
    "NationalityCode": "three letters (ISO 3166-1 alpha-3, e.g. VNM)",
    "ResidenceCountryCode": "three letters (ISO 3166-1 alpha-3, e.g. THA)",
    "IssuerCountryCode": "three letters (ISO 3166-1 alpha-3, e.g. JPN)",
    "EmbarkationLocationID": "an IATA airport code (BKK) or a UN/LOCODE (THBKK)",
    "DisembarkationLocationID": "an IATA airport code (HAN) or a UN/LOCODE (VNHPH)",
    "DepartureLocationID": "an IATA airport code (BKK) or a UN/LOCODE (THBKK)",
    "ArrivalLocationID": "an IATA airport code (HAN) or a UN/LOCODE (VNHPH)",
    "TypeCode": "a document type of one or two letters (P passport, V visa, I identity card)",
    "ID": "1 to 20 letters and digits, no punctuation",
    "ReservationID": "a booking reference of letters, digits, '/', '.', '_' or '-'",
    "SeatID": "at most 8 characters (e.g. 12A)",
    "JourneyID": "1 to 17 letters and digits (e.g. TG560)",
    "CarrierCode": "an airline designator of 2 or 3 letters and digits (e.g. TG)",
    "Surname": "a surname of 1 to 256 characters",
    "GivenNames": "given names of at most 256 characters",
    "BirthPlaceName": "a place name of at most 256 characters",
    "SenderID": "a sender identification of at most 256 characters",
    "ReportingPartyName": "a name of at most 256 characters",
    "FirstArrivalLocationID": "an IATA airport code (IAD) or a UN/LOCODE (USIAD)",
    "Reference": "a reference of 1 to 70 letters, digits, '/', '.', '_' or '-' (e.g. RFF+TN:AJYTR1070219)",
    "TagID": "a bag tag number of 1 to 17 letters and digits (e.g. 0217123456 or TG123456)",
    "GrossMassMeasure": "a weight unit code (KGM or LBR) and a whole or decimal number (MEA+WT++KGM:23)",
}


@cache
def _adapter(model: type[BaseModel], field: str) -> TypeAdapter[object]:
    return TypeAdapter(model.model_fields[field].rebuild_annotation())


def fits(model: type[BaseModel], field: str, value: object) -> bool:
    """True when ``value`` is acceptable for ``model.field`` as the model defines it."""
    try:
        _adapter(model, field).validate_python(value, strict=False)
    except ValidationError:
        return False
    return True


def reference(segment: Segment, log: IssueLog) -> dict[str, object] | None:
    """An RFF segment as a ``ReferenceType``: qualifier, reference and revision (C506 1153,
    1154, 1060); None, with a warning, when it does not fit."""
    qualifier, number, revision = code(segment.value(0, 0)), code(segment.value(0, 1)), code(segment.value(0, 4))
    found: dict[str, object] = {"TypeCode": qualifier, "ID": number}
    if revision:
        found["RevisionID"] = revision
    if not (fits(ReferenceType, "TypeCode", qualifier) and fits(ReferenceType, "ID", number)
            and (not revision or fits(ReferenceType, "RevisionID", revision))):
        log.warn("PAXLST_BAD_VALUE", f"{segment} (RFF+{qualifier}) gives the reference {number!r}"
                 f"{f' revision {revision!r}' if revision else ''}; expected {EXPECTED['Reference']}. Left out.",
                 at=segment)
        return None
    return found


def code(value: str) -> str:
    """A code as the model writes codes: upper case, no blanks."""
    return "".join(value.split()).upper()


def name(parts: tuple[str, ...] | list[str]) -> str:
    """Name components joined by single spaces, empty ones dropped."""
    return " ".join(" ".join(part.split()) for part in parts if part.strip())


def iso_date(day: dt.date) -> str:
    return day.isoformat()


def local_datetime(day: dt.date, time: dt.time | None) -> dt.datetime:
    """The wall-clock time a DTM gives, without offset: PAXLST times are local at their place
    (``zones`` gives them its offset); a date without a time is taken as midnight."""
    return dt.datetime.combine(day, time or dt.time())


def iso_local(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="seconds")


def read_dtm(
    segment: Segment, *, birth: bool, reference: dt.date, log: IssueLog
) -> tuple[dt.date, dt.time | None] | None:
    """The date (and time, when the format has one) of a DTM, or None with a PAXLST_BAD_DATE."""
    qualifier, value, format_code = segment.value(0, 0), segment.value(0, 1), segment.value(0, 2)
    try:
        read = parse_date(value, format_code, birth=birth, reference=reference)
        if not birth:
            _within_travel_window(read[0], reference)
        return read
    except ValueError as exc:
        log.warn(
            "PAXLST_BAD_DATE",
            f"{segment} (DTM+{qualifier}) has {value!r}{f' in format {format_code}' if format_code else ''}: "
            f"{exc}. Expected {_expected_formats()}. The date is left out.",
            at=segment,
        )
        return None


TRAVEL_WINDOW_YEARS = 50
"""How far from the message's own date a departure, arrival or document expiry may lie: further
is a keying error (0001, 9999), and would be placed with the zone's local mean time or not at all."""


def _within_travel_window(day: dt.date, reference: dt.date) -> None:
    if abs(day.year - reference.year) > TRAVEL_WINDOW_YEARS:
        raise ValueError(
            f"{day.isoformat()} is more than {TRAVEL_WINDOW_YEARS} years from the message date "
            f"{reference.isoformat()}, so it cannot be a travel or expiry date"
        )


def parse_date(
    value: str, format_code: str, *, birth: bool, reference: dt.date
) -> tuple[dt.date, dt.time | None]:
    """Read a DTM value; two-digit years of birth dates are placed so the date is not in the future."""
    if not format_code:
        format_code = _FORMAT_BY_LENGTH.get(len(value), "")
        if not format_code:
            raise ValueError("its length matches no date format and no format code is given")
    layout = _FORMATS.get(format_code)
    if layout is None:
        raise ValueError(f"format code {format_code} is not supported")
    if len(value) != len(layout) or not value.isascii() or not value.isdigit():
        raise ValueError(f"format {format_code} needs exactly {len(layout)} digits ({layout})")
    # Pad two-digit years so month, day and time sit at the same offsets in every layout.
    digits = value if layout.startswith("CC") else "00" + value
    month, day = int(digits[4:6]), int(digits[6:8])
    time = None
    if len(digits) == 12:
        try:
            time = dt.time(int(digits[8:10]), int(digits[10:12]))
        except ValueError:
            raise ValueError("the time of day does not exist") from None
    if layout.startswith("CC"):
        return _day(int(digits[:4]), month, day), time
    return _two_digit_year(int(value[:2]), month, day, birth=birth, reference=reference), time


def _two_digit_year(yy: int, month: int, day: int, *, birth: bool, reference: dt.date) -> dt.date:
    # Travel dates (departure, arrival, document expiry) are this century. A birth year
    # 00-69 is this century only when that does not put the birth after the message was
    # sent; 70-99 is always last century.
    if not birth:
        return _day(2000 + yy, month, day)
    if yy <= 69:
        try:
            candidate = dt.date(2000 + yy, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate <= reference:
            return candidate
    return _day(1900 + yy, month, day)


def _day(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{year:04d}-{month:02d}-{day:02d} is not a calendar date") from None


def _expected_formats() -> str:
    return ", ".join(f"{layout} (format {code_})" for code_, layout in _FORMATS.items())


_IDENTIFIER_JUNK = re.compile(r"[^A-Za-z0-9/._-]+")


def sanitise_identifier(value: str) -> str:
    """An identifier the model accepts: other characters become '-', at most 35 characters."""
    cleaned = _IDENTIFIER_JUNK.sub("-", value.strip())
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", cleaned)
    return cleaned[:35]
