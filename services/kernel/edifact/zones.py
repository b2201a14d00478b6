"""The time zone of a PAXLST place, for the local times DTM+189/232 give there.

Air messages name IATA airports: ``airportsdata`` (the list the immigration service already
files airports by) gives each its IANA zone. Sea messages name UN/LOCODEs, which carry a
country but no zone: the port takes the zone of the country's airport with the same three
letters (THBKK and BKK, VNSGN and SGN), else the country's zone when every airport listed in
that country has the same one (Thailand, Viet Nam, Japan ...). Anything else has no known
zone, and its times are kept local, never given a guessed offset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import airportsdata

UN_LOCODE_LENGTH = 5

RETIRED_AIRPORTS: dict[str, str] = {
    # Closed airports that airportsdata no longer lists but older messages still name
    # (services/immigration/locations.py keeps their countries for the same reason).
    "PNH": "Asia/Phnom_Penh",  # Phnom Penh International, replaced by Techo (KTI) on 9 Sep 2025
    "REP": "Asia/Phnom_Penh",  # Siem Reap International, replaced by Siem Reap-Angkor (SAI) on 16 Oct 2023
}


@dataclass(frozen=True)
class _Airports:
    zone_by_code: dict[str, str]
    country_by_code: dict[str, str]
    zones_by_country: dict[str, frozenset[str]]


@cache
def _airports() -> _Airports:
    zone_by_code: dict[str, str] = {}
    country_by_code: dict[str, str] = {}
    zones: dict[str, set[str]] = {}
    for code, airport in airportsdata.load("IATA").items():
        if airport.get("tz"):
            zone_by_code[code] = airport["tz"]
            country_by_code[code] = airport["country"]
            zones.setdefault(airport["country"], set()).add(airport["tz"])
    return _Airports(zone_by_code, country_by_code, {country: frozenset(z) for country, z in zones.items()})


@cache
def zone_of(place: str) -> ZoneInfo | None:
    """The IANA zone of an IATA airport code or a UN/LOCODE; None when it is not known."""
    airports = _airports()
    if len(place) == UN_LOCODE_LENGTH:
        country, city = place[:2], place[2:]
        name = airports.zone_by_code.get(city) if airports.country_by_code.get(city) == country else None
        if name is None and len(country_zones := airports.zones_by_country.get(country, frozenset())) == 1:
            (name,) = country_zones
    else:
        name = airports.zone_by_code.get(place) or RETIRED_AIRPORTS.get(place)
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class Placed:
    """A local time given its zone's offset, and what is odd about it there."""

    moment: dt.datetime
    skipped: bool
    """The local time does not exist (the clocks jumped over it); the offset before the jump is used."""
    ambiguous: bool
    """The local time happened twice (the clocks went back); the first, summer-time one is used."""


def place_in_zone(local: dt.datetime, zone: ZoneInfo) -> Placed | None:
    """``local`` with its offset in ``zone``; None when it has none a manifest can write: near
    the ends of the calendar (UTC falls outside years 1-9999) or in the local-mean-time era,
    whose offsets have seconds (-04:56:02)."""
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    try:
        round_trip = first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
        offset = first.utcoffset()
    except OverflowError:
        return None
    if offset is None or offset.seconds % 60 or offset.microseconds:
        return None
    skipped = round_trip != local
    ambiguous = not skipped and first.utcoffset() != second.utcoffset()
    return Placed(first, skipped=skipped, ambiguous=ambiguous)


def iso_with_offset(moment: dt.datetime) -> str:
    """``2026-03-29T01:30:00+01:00``: whole minutes, the offset written out (never ``Z``)."""
    return moment.replace(second=0, microsecond=0).isoformat(timespec="seconds")


def preload() -> None:
    """Read the airport list now, so that the first PAXLST does not wait for it."""
    _airports()
