"""The service segments around a PAXLST message: UNB/UNZ interchange, UNH/UNT message.

They carry no passenger data but say who sent the list and when, and whether it arrived
whole: the UNT segment count and the references repeated in the trailers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from services.kernel.edifact.segments import IssueLog, Segment
from services.kernel.edifact.values import code, iso_local, local_datetime, parse_date


class Envelope:
    """Reads UNB, UNH, UNT and UNZ; ``stopped`` is set when the rest must not be read."""

    def __init__(self, log: IssueLog) -> None:
        self._log = log
        self.unb: Segment | None = None
        self.unh: Segment | None = None
        self.unt: Segment | None = None
        # The UNB preparation time: the sender's clock, in a zone the interchange does not name.
        self.issued: str | None = None
        # Two-digit birth years are placed relative to when the message was sent.
        self.reference = dt.datetime.now(dt.UTC).date()
        self.stopped = False

    @property
    def handlers(self) -> dict[str, Callable[[Segment], None]]:
        return {"UNB": self._unb, "UNH": self._unh, "UNT": self._unt, "UNZ": self._unz}

    @property
    def sender(self) -> str:
        return self.unb.value(1, 0) if self.unb is not None else ""

    def check_complete(self, *, last: Segment | None) -> None:
        if self.unh is None:
            self._log.error(
                "PAXLST_MISSING_SEGMENT",
                "The interchange has no UNH message header; expected UNH+ref+PAXLST:D:05B:UN:IATA.",
                at=last,
            )
        elif self.unt is None:
            self._log.error(
                "PAXLST_MISSING_SEGMENT",
                "The message has no UNT trailer, so it may be truncated; expected UNT+count+ref.",
                at=last,
            )

    def _unb(self, segment: Segment) -> None:
        self.unb = segment
        date, time = segment.value(3, 0), segment.value(3, 1)
        try:
            day, clock = parse_date(date + time, "", birth=False, reference=self.reference)
        except ValueError as exc:
            self._log.warn(
                "PAXLST_BAD_DATE",
                f"{segment} has the date/time {date}:{time}: {exc}. Expected YYMMDD:HHMM.",
                at=segment,
            )
            return
        self.issued = iso_local(local_datetime(day, clock))
        self.reference = day

    def _unh(self, segment: Segment) -> None:
        message_type = code(segment.value(1, 0))
        if self.unh is not None:
            self._stop(
                "PAXLST_MULTIPLE_MESSAGES",
                f"{segment} opens a second message in the interchange; one PAXLST message per "
                "interchange is accepted, so send each list in its own interchange.",
                segment,
            )
        elif message_type != "PAXLST":
            self._stop(
                "PAXLST_NOT_PAXLST",
                f"{segment} declares message type {message_type or '(none)'!r}; expected PAXLST "
                "(UNH+ref+PAXLST:D:05B:UN:IATA).",
                segment,
            )
        self.unh = segment

    def _unt(self, segment: Segment) -> None:
        self.unt = segment
        if self.unh is None:
            return
        actual, declared = segment.number - self.unh.number + 1, segment.value(0)
        if not (declared.isascii() and declared.isdigit()) or int(declared) != actual:
            self._log.warn(
                "PAXLST_SEGMENT_COUNT",
                f"{segment} declares {declared or 'no'} segments in the message; it has {actual} "
                "(UNH to UNT inclusive).",
                at=segment,
            )
        self._check_reference(segment, self.unh, element=0, what="message reference")

    def _unz(self, segment: Segment) -> None:
        if self.unb is not None:
            self._check_reference(segment, self.unb, element=4, what="interchange control reference")

    def _check_reference(self, trailer: Segment, header: Segment, *, element: int, what: str) -> None:
        sent, expected = trailer.value(1), header.value(element)
        if sent != expected:
            self._log.warn(
                "EDIFACT_CONTROL_REFERENCE",
                f"{trailer} repeats the {what} as {sent!r}; {header} has {expected!r}.",
                at=trailer,
            )

    def _stop(self, code_: str, message: str, segment: Segment) -> None:
        self._log.error(code_, message, at=segment)
        self.stopped = True
