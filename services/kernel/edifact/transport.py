"""The flight or voyage of a PAXLST message: TDT+20 groups with their LOC and DTM segments.

A message may describe several legs: one TDT per leg (each with LOC+125/87 or, in older US
APIS style, LOC+92 routing points whose DTM+189/232 tells which end they are), or several
LOC+125/LOC+87 pairs under one TDT. Every leg is kept (``ItineraryLeg``); the guides report
persons to the country of arrival, so the leg reported (``Transport``) is the last one that
has an arrival: the last LOC+87 (or arriving LOC+92) with its preceding departure.

DTM+189/232 are local times at the leg's place: each is given the UTC offset of that place's
zone on that date (``zones``), or kept as a local time with a warning when the zone is not
known, never with an invented offset.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from services.kernel.edifact.segments import IssueLog, Segment
from services.kernel.edifact.values import EXPECTED, code, fits, iso_local, local_datetime, read_dtm
from services.kernel.edifact.zones import iso_with_offset, place_in_zone, zone_of
from services.kernel.messages.immigration import TransportV1_1Type

_FLIGHT_NUMBER = re.compile(r"([A-Z0-9]{2})[0-9]{1,5}[A-Z]?")
_UN_LOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")

Place = tuple[str, Segment]
Time = tuple[dt.datetime, Segment]
Problem = Callable[..., None]
"""``IssueLog.error`` for the reported leg (the manifest cannot do without it), ``warn`` for the others."""
MAX_LEGS = 99


@dataclass
class Leg:
    tdt: Segment | None
    departure: Place | None = None
    departure_at: Time | None = None
    arrival: Place | None = None
    arrival_at: Time | None = None
    routing: list[Place] = field(default_factory=list)


class Itinerary:
    """Collects TDT, LOC and DTM segments of the message header."""

    def __init__(self, log: IssueLog) -> None:
        self._log = log
        self._legs: list[Leg] = []
        # A LOC+92 routing point waiting for the DTM that says whether it departs or arrives.
        self._routing: Place | None = None
        # Several legs share one TDT or one DTM may be read twice: each is reported once.
        self._warned_modes: set[int] = set()
        self._warned_carriers: set[int] = set()
        self._warned_times: set[int] = set()

    def tdt(self, segment: Segment) -> None:
        if segment.value(0) == "20":
            self._legs.append(Leg(segment))
            self._routing = None
        else:
            self._log.ignore(segment, f"TDT+{segment.value(0)}", "a transport stage other than the main carriage (20)")

    def loc(self, segment: Segment) -> None:
        qualifier, place = segment.value(0), (code(segment.value(1)), segment)
        self._routing = None
        if qualifier not in ("125", "87", "92"):
            self._log.ignore(segment, f"LOC+{qualifier}", "a place of the message header other than a leg's "
                             "departure (125), arrival (87) or routing point (92)")
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
            self._log.ignore(segment, f"DTM+{qualifier}", "a date of the message header other than a leg's "
                             "departure (189) or arrival (232)")
            return
        leg, routing = self._leg(), self._routing
        self._routing = None
        read = read_dtm(segment, birth=False, reference=reference, log=self._log)
        when = (local_datetime(*read), segment) if read is not None else None
        if qualifier == "189":
            leg.departure = leg.departure or routing
            leg.departure_at = leg.departure_at or when
        else:
            leg.arrival = leg.arrival or routing
            leg.arrival_at = leg.arrival_at or when

    def to_json(self, *, at: Segment | None) -> tuple[dict[str, object] | None, list[dict[str, object]]]:
        """The Transport of the reported leg (None, with an error, when it cannot be built) and
        every leg that can be, in message order; a leg that cannot be is left out with a warning."""
        reported = self._reported_leg()
        if reported is None or reported.tdt is None:
            self._log.error(
                "PAXLST_MISSING_SEGMENT",
                "The message has no TDT+20 segment; expected the flight or voyage as TDT+20+TG560.",
                at=at,
            )
            return None, []
        if len(self._legs) > MAX_LEGS:
            self._log.error(
                "PAXLST_TOO_MANY_LEGS",
                f"The message describes {len(self._legs):,} legs; at most {MAX_LEGS} are accepted in one manifest.",
                at=self._legs[MAX_LEGS].tdt,
            )
            return None, []
        transport: dict[str, object] | None = None
        legs: list[dict[str, object]] = []
        reported_tdt = reported.tdt
        for leg in self._legs:
            if leg is reported:
                transport = self._leg_json(leg, reported_tdt, self._log.error, "")
                built = transport
            elif leg.tdt is None:
                continue  # places before any TDT: the reported leg's checks name what is missing
            else:
                built = self._leg_json(leg, leg.tdt, self._log.warn, " This leg is left out of the itinerary.")
            if built is not None:
                legs.append(built)
        return transport, legs

    def _leg_json(self, leg: Leg, tdt: Segment, problem: Problem, consequence: str) -> dict[str, object] | None:
        departure = self._end(leg.departure, "125", tdt, problem, consequence)
        arrival = self._end(leg.arrival, "87", tdt, problem, consequence)
        mode = self._mode(tdt, departure, arrival)
        journey, carrier = code(tdt.value(1)), code(tdt.value(4))
        if journey.isdigit() and carrier:
            journey = carrier + journey
        if not carrier and mode == "4" and (match := _FLIGHT_NUMBER.fullmatch(journey)):
            carrier = "" if match.group(1).isdigit() else match.group(1)
        journey_fits = fits(TransportV1_1Type, "JourneyID", journey)
        if not journey_fits:
            problem(
                "PAXLST_MISSING_VALUE",
                f"{tdt} (TDT+20) gives the journey {journey!r}; expected {EXPECTED['JourneyID']}.{consequence}",
                at=tdt,
            )
        if carrier and not fits(TransportV1_1Type, "CarrierCode", carrier):
            if tdt.number not in self._warned_carriers:
                self._warned_carriers.add(tdt.number)
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
        transport |= self._time(leg.departure_at, departure, "Departure")
        transport["ArrivalLocationID"] = arrival
        transport |= self._time(leg.arrival_at, arrival, "Arrival")
        return transport

    def _time(self, time: Time | None, place: str, end: str) -> dict[str, object]:
        """``{end}DateTime`` with the place's offset, else ``{end}LocalDateTime`` with a warning."""
        if time is None:
            return {}
        local, segment = time
        zone = zone_of(place)
        if zone is None:
            if segment.number not in self._warned_times:
                self._warned_times.add(segment.number)
                self._log.warn(
                    "PAXLST_UNKNOWN_TIME_ZONE",
                    f"{segment} gives the {end.lower()} time {iso_local(local)} at {place}, whose time zone is "
                    f"not known here; it is kept as a local time ({end}LocalDateTime) without a UTC offset.",
                    at=segment,
                )
            return {f"{end}LocalDateTime": iso_local(local)}
        placed = place_in_zone(local, zone)
        if placed is None:
            # Outside what the zone can write as a whole-minute offset (read_dtm keeps travel
            # dates near the message date, so only a stray date reaches here): keep it local.
            self._log.warn(
                "PAXLST_BAD_DATE",
                f"{segment} gives the {end.lower()} time {iso_local(local)} at {place}, which cannot be given "
                f"an offset in {zone.key}; it is kept as a local time ({end}LocalDateTime).",
                at=segment,
            )
            return {f"{end}LocalDateTime": iso_local(local)}
        if (placed.skipped or placed.ambiguous) and segment.number not in self._warned_times:
            self._warned_times.add(segment.number)
            what = ("does not exist there (the clocks were put forward over it); the offset before the change "
                    "is used" if placed.skipped else "happened twice there (the clocks were put back); the "
                    "first (summer-time) offset is used")
            self._log.warn(
                "PAXLST_AMBIGUOUS_TIME",
                f"{segment} gives the {end.lower()} time {iso_local(local)} at {place} ({zone.key}), which {what}: "
                f"{iso_with_offset(placed.moment)}.",
                at=segment,
            )
        return {f"{end}DateTime": iso_with_offset(placed.moment)}

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

    def _end(
        self, place: Place | None, qualifier: str, tdt: Segment, problem: Problem, consequence: str
    ) -> str | None:
        which = "departure" if qualifier == "125" else "arrival"
        field_name = "DepartureLocationID" if qualifier == "125" else "ArrivalLocationID"
        if place is None:
            problem(
                "PAXLST_MISSING_SEGMENT",
                f"The leg of {tdt} has no {which} place; expected LOC+{qualifier}+<airport or port code>."
                f"{consequence}",
                at=tdt,
            )
            return None
        value, segment = place
        if not fits(TransportV1_1Type, field_name, value):
            problem(
                "PAXLST_MISSING_VALUE",
                f"{segment} gives the {which} place {value!r}; expected {EXPECTED[field_name]}.{consequence}",
                at=segment,
            )
            return None
        return value

    def _mode(self, tdt: Segment, departure: str | None, arrival: str | None) -> str:
        declared = tdt.value(2)
        if declared in ("1", "4"):
            return declared
        if declared and tdt.number not in self._warned_modes:
            self._warned_modes.add(tdt.number)
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{tdt} (TDT+20) gives transport mode {declared!r}; only 1 (sea) and 4 (air) are "
                "supported. The mode is taken from the place codes instead.",
                at=tdt,
            )
        # Air messages name IATA airports (3 letters), sea messages UN/LOCODEs (5 characters).
        ports = [place for place in (departure, arrival) if place]
        return "1" if ports and all(_UN_LOCODE.fullmatch(place) for place in ports) else "4"
