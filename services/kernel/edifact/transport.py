"""The flight or voyage of a PAXLST message: TDT+20 groups with their LOC and DTM segments.

A message may describe several legs: one TDT per leg (each with LOC+125/87 or, in older US
APIS style, LOC+92 routing points whose DTM+189/232 tells which end they are), or several
LOC+125/LOC+87 pairs under one TDT. The manifest holds one journey, and the guides report
persons to the country of arrival, so the leg taken is the last one that has an arrival:
the last LOC+87 (or arriving LOC+92) with its preceding departure.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from services.kernel.edifact.segments import IssueLog, Segment
from services.kernel.edifact.values import EXPECTED, code, fits, iso_datetime, read_dtm
from services.kernel.messages.immigration import TransportType

_FLIGHT_NUMBER = re.compile(r"([A-Z0-9]{2})[0-9]{1,5}[A-Z]?")
_UN_LOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")

Place = tuple[str, Segment]


@dataclass
class Leg:
    tdt: Segment | None
    departure: Place | None = None
    departure_at: str | None = None
    arrival: Place | None = None
    arrival_at: str | None = None
    routing: list[Place] = field(default_factory=list)


class Itinerary:
    """Collects TDT, LOC and DTM segments of the message header."""

    def __init__(self, log: IssueLog) -> None:
        self._log = log
        self._legs: list[Leg] = []
        # A LOC+92 routing point waiting for the DTM that says whether it departs or arrives.
        self._routing: Place | None = None

    def tdt(self, segment: Segment) -> None:
        if segment.value(0) == "20":
            self._legs.append(Leg(segment))
            self._routing = None

    def loc(self, segment: Segment) -> None:
        qualifier, place = segment.value(0), (code(segment.value(1)), segment)
        self._routing = None
        if qualifier not in ("125", "87", "92"):
            return
        leg = self._leg()
        if qualifier == "125":
            if leg.departure is not None:
                leg = self._next_leg(leg)
            leg.departure = place
        elif qualifier == "87":
            if leg.arrival is not None:
                leg = self._next_leg(leg)
            leg.arrival = place
        elif qualifier == "92":
            leg.routing.append(place)
            self._routing = place

    def dtm(self, segment: Segment, *, reference: dt.date) -> None:
        qualifier = segment.value(0, 0)
        if qualifier not in ("189", "232"):
            return
        leg, routing = self._leg(), self._routing
        self._routing = None
        read = read_dtm(segment, birth=False, reference=reference, log=self._log)
        when = iso_datetime(*read) if read is not None else None
        if qualifier == "189":
            leg.departure = leg.departure or routing
            leg.departure_at = leg.departure_at or when
        else:
            leg.arrival = leg.arrival or routing
            leg.arrival_at = leg.arrival_at or when

    def to_json(self, *, at: Segment | None) -> dict[str, object] | None:
        """The Transport of the reported leg, or None (with an error) when it cannot be built."""
        leg = self._reported_leg()
        if leg is None or leg.tdt is None:
            self._log.error(
                "PAXLST_MISSING_SEGMENT",
                "The message has no TDT+20 segment; expected the flight or voyage as TDT+20+TG560.",
                at=at,
            )
            return None
        tdt = leg.tdt
        departure, arrival = self._end(leg.departure, "125", tdt), self._end(leg.arrival, "87", tdt)
        mode = self._mode(tdt, departure, arrival)
        journey, carrier = code(tdt.value(1)), code(tdt.value(4))
        if journey.isdigit() and carrier:
            journey = carrier + journey
        if not carrier and mode == "4" and (match := _FLIGHT_NUMBER.fullmatch(journey)):
            carrier = "" if match.group(1).isdigit() else match.group(1)
        journey_fits = fits(TransportType, "JourneyID", journey)
        if not journey_fits:
            self._log.error(
                "PAXLST_MISSING_VALUE",
                f"{tdt} (TDT+20) gives the journey {journey!r}; expected {EXPECTED['JourneyID']}.",
                at=tdt,
            )
        if carrier and not fits(TransportType, "CarrierCode", carrier):
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{tdt} (TDT+20) gives carrier {carrier!r}; expected {EXPECTED['CarrierCode']}. Left out.",
                at=tdt,
            )
            carrier = ""
        if departure is None or arrival is None or not journey_fits:
            return None
        transport: dict[str, object] = {"ModeCode": mode}
        if carrier:
            transport["CarrierCode"] = carrier
        transport |= {"JourneyID": journey, "DepartureLocationID": departure}
        if leg.departure_at:
            transport["DepartureDateTime"] = leg.departure_at
        transport["ArrivalLocationID"] = arrival
        if leg.arrival_at:
            transport["ArrivalDateTime"] = leg.arrival_at
        return transport

    def _leg(self) -> Leg:
        if not self._legs:
            self._legs.append(Leg(None))
        return self._legs[-1]

    def _next_leg(self, leg: Leg) -> Leg:
        self._legs.append(Leg(leg.tdt))
        return self._legs[-1]

    def _reported_leg(self) -> Leg | None:
        for leg in self._legs:
            # Routing points no DTM placed: the first left departs, the last left arrives.
            free = [place for place in leg.routing if place is not leg.departure and place is not leg.arrival]
            if leg.departure is None and free:
                leg.departure = free.pop(0)
            if leg.arrival is None and free:
                leg.arrival = free[-1]
        with_arrival = [leg for leg in self._legs if leg.arrival is not None and leg.tdt is not None]
        return with_arrival[-1] if with_arrival else (self._legs[-1] if self._legs else None)

    def _end(self, place: Place | None, qualifier: str, tdt: Segment) -> str | None:
        which = "departure" if qualifier == "125" else "arrival"
        field_name = "DepartureLocationID" if qualifier == "125" else "ArrivalLocationID"
        if place is None:
            self._log.error(
                "PAXLST_MISSING_SEGMENT",
                f"The leg of {tdt} has no {which} place; expected LOC+{qualifier}+<airport or port code>.",
                at=tdt,
            )
            return None
        value, segment = place
        if not fits(TransportType, field_name, value):
            self._log.error(
                "PAXLST_MISSING_VALUE",
                f"{segment} gives the {which} place {value!r}; expected {EXPECTED[field_name]}.",
                at=segment,
            )
            return None
        return value

    def _mode(self, tdt: Segment, departure: str | None, arrival: str | None) -> str:
        declared = tdt.value(2)
        if declared in ("1", "4"):
            return declared
        if declared:
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{tdt} (TDT+20) gives transport mode {declared!r}; only 1 (sea) and 4 (air) are "
                "supported. The mode is taken from the place codes instead.",
                at=tdt,
            )
        # Air messages name IATA airports (3 letters), sea messages UN/LOCODEs (5 characters).
        ports = [place for place in (departure, arrival) if place]
        return "1" if ports and all(_UN_LOCODE.fullmatch(place) for place in ports) else "4"
