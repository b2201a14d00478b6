"""A person's checked baggage in PAXLST: MEA+CT (pieces), MEA+WT (weight) and FTX+BAG (tags).

Carriers write ``MEA+CT++2`` and ``MEA+WT++KGM:23`` (unit then value), and each bag tag as
``FTX+BAG+++0217123456``; a tag may carry the number of consecutive tags it starts
(``FTX+BAG+++TG123456:3`` is TG123456, TG123457 and TG123458), which is written out here.
"""

from __future__ import annotations

import re

from services.kernel.edifact.segments import IssueLog, Segment
from services.kernel.edifact.values import EXPECTED, code
from services.kernel.messages import types as t
from services.kernel.messages.immigration import BAGGAGE_TAG_PATTERN

MAX_CONSECUTIVE_TAGS = 99
_TAG = re.compile(BAGGAGE_TAG_PATTERN)
_TAG_SERIAL = re.compile(r"^(.*?)([0-9]+)$")
_WEIGHT = re.compile(t.DECIMAL_PATTERN)
_UNIT = re.compile(r"^[A-Z0-9]{2,3}$")


class BaggageGroup:
    """Collects the baggage segments of one person group."""

    def __init__(self, log: IssueLog) -> None:
        self._log = log
        self._pieces: int | None = None
        self._weight: dict[str, object] | None = None
        self._tags: list[str] = []

    def mea(self, segment: Segment) -> None:
        qualifier = segment.value(0)
        values = [part for part in segment.components(2) if part]
        if qualifier == "CT":
            count = values[-1] if values else ""
            if not (count.isascii() and count.isdigit() and len(count) <= 4):
                self._bad(segment, f"gives the bag count {count!r}; expected a whole number (MEA+CT++2)")
            elif self._pieces is not None:
                self._bad(segment, "gives a second bag count; the first is kept")
            else:
                self._pieces = int(count)
        elif qualifier == "WT":
            unit, weight = (code(values[0]), values[1]) if len(values) >= 2 else ("", values[0] if values else "")
            if not (_UNIT.fullmatch(unit) and _WEIGHT.fullmatch(weight)):
                expected = EXPECTED["GrossMassMeasure"]
                self._bad(segment, f"gives the weight {weight!r} in unit {unit!r}; expected {expected}")
            elif self._weight is not None:
                self._bad(segment, "gives a second baggage weight; the first is kept")
            else:
                self._weight = {"value": weight, "unitCode": unit}
        else:
            self._log.ignore(segment, f"MEA+{qualifier}", "a measurement other than the bag count (CT) or weight (WT)")

    def ftx(self, segment: Segment) -> None:
        if segment.value(0) != "BAG":
            self._log.ignore(segment, f"FTX+{segment.value(0)}", "free text other than bag tag numbers (FTX+BAG)")
            return
        tag, consecutive = code(segment.value(3, 0)), segment.value(3, 1)
        if not _TAG.fullmatch(tag):
            self._bad(segment, f"gives the bag tag {tag!r}; expected {EXPECTED['TagID']}")
            return
        serial = _TAG_SERIAL.fullmatch(tag)
        count = 1
        if consecutive:
            if (consecutive.isascii() and consecutive.isdigit() and len(consecutive) <= 3
                    and 1 <= int(consecutive) <= MAX_CONSECUTIVE_TAGS and serial is not None):
                count = int(consecutive)
            else:
                self._bad(segment, f"gives {consecutive!r} consecutive tags from {tag}; expected a number from 1 "
                          f"to {MAX_CONSECUTIVE_TAGS} after a tag ending in digits. Only {tag} is kept")
        if count == 1 or serial is None:
            self._tags.append(tag)
            return
        prefix, digits = serial.groups()
        following = [f"{prefix}{int(digits) + step:0{len(digits)}d}" for step in range(count)]
        if not all(_TAG.fullmatch(each) for each in following):
            self._bad(segment, f"gives {count} consecutive tags from {tag}, which run past the tag's digits. "
                      f"Only {tag} is kept")
            following = [tag]
        self._tags.extend(following)

    def to_json(self) -> dict[str, object] | None:
        baggage: dict[str, object] = {}
        if self._pieces is not None:
            baggage["PieceQuantity"] = self._pieces
        if self._weight is not None:
            baggage["GrossMassMeasure"] = self._weight
        if self._tags:
            baggage["TagID"] = self._tags
        return baggage or None

    def _bad(self, segment: Segment, problem: str) -> None:
        self._log.warn("PAXLST_BAD_VALUE", f"{segment} {problem}.", at=segment)
