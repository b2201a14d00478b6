"""Checks that several message types share: code lists, sequence numbers, travel dates.

The rule modules gather a type's fields as ``(value, label, path)`` triples and hand them
to these helpers, so each code list is checked the same way, with the same wording,
wherever it appears. ``label`` names the field for a reader ("Exporter address country"),
``path`` is the JSON Pointer to it as parts.
"""

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Protocol

from services.kernel import refdata
from services.kernel.findings import Finding, rule_error

PointerPath = tuple[str | int, ...]
CodeField = tuple[str | None, str, PointerPath]
"""A coded value (None when the optional field is absent), its label and its pointer parts."""

MASS_UNITS_IN_KG: dict[str, Decimal] = {"KGM": Decimal(1), "TNE": Decimal(1000), "GRM": Decimal("0.001")}
"""UN/ECE Recommendation 20 mass units the rules can convert between."""


class Sequenced(Protocol):
    @property
    def SequenceNumeric(self) -> int: ...


def unknown_countries(fields: Iterable[CodeField]) -> Iterator[Finding]:
    """COUNTRY_UNKNOWN for each alpha-2 code that ISO 3166-1 does not assign."""
    for value, label, path in fields:
        if value is not None and not refdata.is_country_alpha2(value):
            yield rule_error(
                "COUNTRY_UNKNOWN", f"{label} {value!r} is not an ISO 3166-1 alpha-2 country code", *path
            )


def unknown_travel_document_states(fields: Iterable[CodeField]) -> Iterator[Finding]:
    """COUNTRY_UNKNOWN for alpha-3 nationality and issuing-state codes (ICAO 9303 codes pass)."""
    for value, label, path in fields:
        if value is not None and not refdata.is_travel_document_state(value):
            yield rule_error(
                "COUNTRY_UNKNOWN",
                f"{label} {value!r} is neither an ISO 3166-1 alpha-3 country code nor an ICAO 9303 code",
                *path,
            )


def unknown_currencies(fields: Iterable[CodeField]) -> Iterator[Finding]:
    for value, label, path in fields:
        if value is not None and not refdata.is_currency(value):
            yield rule_error("CURRENCY_UNKNOWN", f"{label} {value!r} is not an ISO 4217 currency code", *path)


def unknown_locodes(fields: Iterable[CodeField]) -> Iterator[Finding]:
    for value, label, path in fields:
        if value is not None and not refdata.is_locode(value):
            yield rule_error("LOCODE_UNKNOWN", f"{label} {value!r} is not a known UN/LOCODE", *path)


def unknown_hs_codes(fields: Iterable[CodeField]) -> Iterator[Finding]:
    for value, label, path in fields:
        if value is not None and not refdata.is_hs_code(value):
            yield rule_error(
                "HS_CODE_UNKNOWN",
                f"{label} {value!r}: {value[:6]} is not a subheading of the HS 2022 nomenclature",
                *path,
            )


def address_country(party: object, name: str) -> CodeField:
    """The address country of a party (``None`` when the party or its address is absent)."""
    address = getattr(party, "Address", None) if party is not None else None
    return (
        address.CountryCode if address is not None else None,
        f"{name} address country",
        (name, "Address", "CountryCode"),
    )


def sequence_not_consecutive(
    items: Sequence[Sequenced], *, what: str, path: PointerPath
) -> Iterator[Finding]:
    """SEQUENCE_NUMBER_NOT_CONSECUTIVE at the first entry not numbered 1..n in order.

    Only the first break is reported: after a gap every later number is off by one too.
    """
    for index, item in enumerate(items):
        if item.SequenceNumeric != index + 1:
            yield rule_error(
                "SEQUENCE_NUMBER_NOT_CONSECUTIVE",
                f"{what} number {index + 1} in the list has sequence number {item.SequenceNumeric}, "
                f"expected {index + 1} (entries are numbered 1 to {len(items)} in order)",
                *path,
                index,
                "SequenceNumeric",
            )
            return


def document_expired(
    expiry: dt.date | None, travel_date: dt.date, *, what: str, path: PointerPath
) -> Iterator[Finding]:
    if expiry is not None and expiry < travel_date:
        yield rule_error(
            "DOCUMENT_EXPIRED",
            f"{what} expired on {expiry.isoformat()}, before the travel date {travel_date.isoformat()}",
            *path,
        )


def born_after_travel(
    birth_date: dt.date | None, travel_date: dt.date, *, what: str, path: PointerPath
) -> Iterator[Finding]:
    if birth_date is not None and birth_date > travel_date:
        yield rule_error(
            "BIRTH_DATE_AFTER_TRAVEL",
            f"{what} birth date {birth_date.isoformat()} is after the travel date {travel_date.isoformat()}",
            *path,
        )


def in_kilograms(value: Decimal, unit: str) -> Decimal | None:
    """A mass in kilograms, or None when the unit is not a mass unit the rules know."""
    factor = MASS_UNITS_IN_KG.get(unit)
    return None if factor is None else value * factor
