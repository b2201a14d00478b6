"""The country of a journey's end: a UN/LOCODE by its first two letters, an IATA airport
code through ``airportsdata``.

``airportsdata`` follows the airports as they are today, so an airport that has closed
drops out of it while carriers' systems and older messages still name it. The few such
codes of the region that swx still meets are kept here, each with the reason.
"""

from functools import cache

import airportsdata

UN_LOCODE_LENGTH = 5

RETIRED_AIRPORTS: dict[str, str] = {
    # Phnom Penh International closed on 9 Sep 2025, when Techo International (KTI) took its
    # flights; schedules and manifests of earlier flights still say PNH.
    "PNH": "KH",
    # Siem Reap International closed on 16 Oct 2023, replaced by Siem Reap-Angkor (SAI).
    "REP": "KH",
}


@cache
def _airport_countries() -> dict[str, str]:
    return {code: airport["country"] for code, airport in airportsdata.load("IATA").items()}


def country_of(location: str) -> str | None:
    """ISO 3166 alpha-2 country of a UN/LOCODE or IATA airport code; None when unknown."""
    if len(location) == UN_LOCODE_LENGTH:
        return location[:2]
    return _airport_countries().get(location) or RETIRED_AIRPORTS.get(location)


def preload() -> None:
    """Read the airport list now, so that the first submission does not wait for it."""
    _airport_countries()
