"""UN/EDIFACT PAXLST (D02B/D05B, WCO/IATA/ICAO API guidelines) -> immigration.passenger-manifest.

``parse_paxlst`` never raises: whatever the bytes are, it returns the manifest in the model's
JSON shape (or None when the message is unusable) and the issues found, each pointing at a
segment number (UNB = 1) and tag. Schema and business rules are the validation engine's.

Reading is lenient where real carrier files are untidy and strict where data could be lost:
wrong UNT and CNT counts, odd separators, line breaks, stray bytes and a trailer after UNZ
are warnings; a truncated interchange, a second message, a person without a name or a list
type the model cannot hold are errors. A value that does not fit the model is left out with
a warning, so the document handed on is always one the model accepts; a segment the model
has no place for is reported once per kind (``PAXLST_SEGMENT_IGNORED``).

The manifest written is version 1.1: every leg (``ItineraryLeg``), local times with their
place's UTC offset, references, both counts and each person's baggage.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from services.kernel.edifact.envelope import Envelope
from services.kernel.edifact.persons import PERSON_ROLES, PersonGroup
from services.kernel.edifact.segments import (
    ERROR,
    MAX_SEGMENTS,
    EdifactError,
    IssueLog,
    Segment,
    SegmentIssue,
    looks_like_edifact,
    read_interchange,
    syntax_issue,
)
from services.kernel.edifact.transport import Itinerary
from services.kernel.edifact.values import EXPECTED, code, fits, name, reference, sanitise_identifier
from services.kernel.messages.immigration import CommunicationType, PassengerManifestV1_1

__all__ = ["PaxlstResult", "SegmentIssue", "looks_like_edifact", "parse_paxlst"]

logger = logging.getLogger(__name__)

LIST_TYPES = {"745": "passenger list", "250": "crew list", "336": "master crew list"}
_PERSON_TAGS = frozenset({"ATT", "DTM", "LOC", "NAT", "RFF", "DOC", "MEA", "FTX"})
# Service segments of the functional group: they carry nothing the manifest holds.
_READ_PAST = frozenset({"UNG", "UNE"})
_COUNT_NAMES = {"42": "passenger count", "41": "crew count"}
# US APIS puts message-function codes (C, CP, CLOB ...) where the guides have a document
# number; such a code says nothing about which manifest this is, so the UNH reference wins.
_FUNCTION_CODE = re.compile(r"[A-Z]{1,4}")


@dataclass(frozen=True)
class PaxlstResult:
    document: dict[str, object] | None
    issues: list[SegmentIssue]


def parse_paxlst(data: bytes) -> PaxlstResult:
    """Read a PAXLST interchange into a ``PassengerManifest``-shaped dict and the issues found."""
    if (too_many := too_many_segments(data)) is not None:
        return PaxlstResult(None, [too_many])
    log = IssueLog()
    try:
        segments = read_interchange(data, log)
        document = _ManifestReader(log).read(segments)
    except EdifactError as exc:
        log.issues.append(exc.issue)
        document = None
    except Exception as exc:
        # Whatever a hostile or broken file provokes is a syntax finding, never a 500.
        logger.warning("edifact.paxlst_unreadable error=%s", type(exc).__name__, exc_info=True)
        log.issues.append(syntax_issue(f"The interchange could not be read ({type(exc).__name__}: {exc})."))
        document = None
    return PaxlstResult(document if not log.has_errors else None, log.issues)


def too_many_segments(data: bytes) -> SegmentIssue | None:
    """The refusal of an interchange with more than ``MAX_SEGMENTS`` segments, found by
    counting its segment terminators before anything is tokenised (which takes seconds
    for a few hundred thousand segments). Terminators the release character frees are
    counted out, but only when the quick count is over: the count may only err upward."""
    raw = data.removeprefix(b"\xef\xbb\xbf")
    try:  # read as the tokeniser will: UTF-8, else ISO 8859-1
        text = raw.decode("utf-8").lstrip()
    except UnicodeDecodeError:
        text = raw.decode("latin-1").lstrip()
    release, terminator = "?", "'"
    if text.startswith("UNA") and len(text) >= 9:
        release, terminator = text[6], text[8]  # UNA then component, element, decimal, release, reserved, terminator
    if text.count(terminator) <= MAX_SEGMENTS:
        return None
    if release.strip() and release != terminator:  # a blank release character means "none"
        text = re.sub(re.escape(release) + ".", "", text, flags=re.DOTALL)
    segments = text.count(terminator)
    if segments <= MAX_SEGMENTS:
        return None
    return SegmentIssue("EDIFACT_TOO_LARGE", ERROR,
                        f"The interchange has {segments:,} segments (segment terminators {terminator!r}); at most "
                        f"{MAX_SEGMENTS:,} are accepted in one interchange. It was refused before being read.",
                        MAX_SEGMENTS + 1, None)


class _ManifestReader:
    """Walks the segments once, handing person-group segments to the open PersonGroup."""

    def __init__(self, log: IssueLog) -> None:
        self._log = log
        self._envelope = Envelope(log)
        self._bgm: Segment | None = None
        self._reporting_party = ""
        self._itinerary = Itinerary(log)
        self._persons: list[PersonGroup] = []
        self._person: PersonGroup | None = None
        self._counts: dict[str, Segment] = {}
        self._references: list[dict[str, object]] = []
        self._contacts: list[dict[str, object]] = []
        self._after_reporting_party = False

    def read(self, segments: list[Segment]) -> dict[str, object] | None:
        envelope = self._envelope
        handlers = {
            **envelope.handlers,
            "BGM": self._bgm_segment,
            "NAD": self._nad_segment,
            "TDT": self._tdt_segment,
            "LOC": self._itinerary.loc,
            "DTM": lambda segment: self._itinerary.dtm(segment, reference=envelope.reference),
            "CNT": self._cnt_segment,
            "RFF": self._rff_segment,
            "COM": self._com_segment,
        }
        for segment in segments:
            if envelope.stopped:
                return None
            if self._person is not None and segment.tag in _PERSON_TAGS:
                self._person.add(segment)
            elif (handler := handlers.get(segment.tag)) is not None:
                handler(segment)
            elif segment.tag not in _READ_PAST:
                self._log.ignore(segment, segment.tag, "a segment PAXLST readers here do not know")
        return None if envelope.stopped else self._finish(segments[-1] if segments else None)

    def _bgm_segment(self, segment: Segment) -> None:
        self._bgm = segment
        list_type = code(segment.value(0, 0))
        if list_type not in LIST_TYPES:
            self._log.error(
                "PAXLST_UNSUPPORTED_LIST",
                f"{segment} has document name code {list_type or '(none)'!r}; a passenger manifest "
                f"is one of {', '.join(f'{k} ({v})' for k, v in LIST_TYPES.items())}. Flight status "
                "messages without persons (266) and other codes are not manifests.",
                at=segment,
            )

    def _nad_segment(self, segment: Segment) -> None:
        role = segment.value(0)
        self._person = None
        self._after_reporting_party = role == "MS"
        if role == "MS":
            self._reporting_party = name(segment.components(3))
        elif role in PERSON_ROLES:
            self._person = PersonGroup(
                segment, sequence=len(self._persons) + 1, log=self._log, reference=self._envelope.reference
            )
            self._persons.append(self._person)
        else:
            self._log.ignore(segment, f"NAD+{role}", "a party that is neither the reporting party (MS) nor a "
                             f"person ({', '.join(sorted(PERSON_ROLES))})")

    def _rff_segment(self, segment: Segment) -> None:
        self._person = None
        if (found := reference(segment, self._log)) is not None:
            self._references.append(found)

    def _com_segment(self, segment: Segment) -> None:
        if not self._after_reporting_party:
            self._log.ignore(segment, "COM", "contact numbers of no reporting party (NAD+MS)")
            return
        for element in segment.elements:
            number, kind = (element + ("", ""))[:2]
            entry: dict[str, object] = {"ID": number, "TypeCode": code(kind)}
            if number and fits(CommunicationType, "ID", number) and fits(CommunicationType, "TypeCode", code(kind)):
                self._contacts.append(entry)
            elif number or kind:
                self._log.warn("PAXLST_BAD_VALUE", f"{segment} gives the contact {number!r} of kind {kind!r}; "
                               "expected a number or address with a two-letter kind (TE, FX, EM). Left out.",
                               at=segment)

    def _tdt_segment(self, segment: Segment) -> None:
        self._person = None
        self._after_reporting_party = False
        self._itinerary.tdt(segment)

    def _cnt_segment(self, segment: Segment) -> None:
        self._person = None
        qualifier = segment.value(0, 0)
        if qualifier not in _COUNT_NAMES:
            self._log.ignore(segment, f"CNT+{qualifier}", "a control total other than the passenger (42) "
                             "or crew (41) count")
        elif qualifier in self._counts:
            self._log.warn("PAXLST_BAD_VALUE", f"{segment} gives a second CNT+{qualifier}; the first, "
                           f"{self._counts[qualifier]}, is kept.", at=segment)
        else:
            self._counts[qualifier] = segment

    def _finish(self, last: Segment | None) -> dict[str, object] | None:
        self._envelope.check_complete(last=last)
        if self._bgm is None:
            self._log.error(
                "PAXLST_MISSING_SEGMENT",
                "The message has no BGM segment; expected BGM+745 (passengers) or BGM+250 (crew).",
                at=last,
            )
        transport, legs = self._itinerary.to_json(at=self._bgm or last)
        if not self._persons:
            self._log.error(
                "PAXLST_MISSING_SEGMENT",
                "The message lists no persons; expected NAD+FL (passenger) or NAD+FM (crew) groups.",
                at=last,
            )
        persons = [person.to_json() for person in self._persons]
        total = self._total(len(persons))
        manifest_id = self._manifest_id()
        self._log.flush_ignored()
        if self._log.has_errors or self._bgm is None or transport is None or manifest_id is None:
            return None
        document: dict[str, object] = {
            "document_type": PassengerManifestV1_1.model_fields["document_type"].default,
            "ID": manifest_id,
            "ListTypeCode": code(self._bgm.value(0, 0)),
            "SenderID": self._fitting_name("SenderID", self._envelope.sender),
            "ReportingPartyName": self._fitting_name("ReportingPartyName", self._reporting_party),
            "Transport": transport,
            "TotalPersonQuantity": total,
            "Person": persons,
            "IssueLocalDateTime": self._envelope.issued,
            "Reference": self._references or None,
            "ReportingPartyContact": self._contacts or None,
            "ItineraryLeg": legs or None,
            "PassengerQuantity": self._count("42"),
            "CrewQuantity": self._count("41"),
        }
        return {key: value for key, value in document.items() if value is not None}

    def _count(self, qualifier: str) -> int | None:
        segment = self._counts.get(qualifier)
        declared = segment.value(0, 1) if segment is not None else ""
        return int(declared) if declared.isascii() and declared.isdigit() and len(declared) <= 9 else None

    def _manifest_id(self) -> str | None:
        candidates = []
        if self._bgm is not None and not _FUNCTION_CODE.fullmatch(self._bgm.value(1, 0)):
            candidates.append((self._bgm.value(1, 0), self._bgm))
        if (unh := self._envelope.unh) is not None:
            candidates.append((unh.value(0), unh))
        for value, segment in candidates:
            cleaned = sanitise_identifier(value)
            if cleaned and cleaned != value:
                self._log.warn(
                    "PAXLST_BAD_VALUE",
                    f"{segment} gives the reference {value!r}; the manifest ID is written {cleaned!r} "
                    "(letters, digits, '/', '.', '_', '-'; at most 35 characters).",
                    at=segment,
                )
            if cleaned:
                return cleaned
        self._log.error(
            "PAXLST_MISSING_VALUE",
            "Neither the BGM document number nor the UNH message reference gives a usable manifest ID.",
            at=self._envelope.unh,
        )
        return None

    def _total(self, listed: int) -> int | None:
        list_type = code(self._bgm.value(0, 0)) if self._bgm is not None else ""
        preferred = ("42", "41") if list_type == "745" else ("41", "42")
        segment = next((self._counts[q] for q in preferred if q in self._counts), None)
        if segment is None:
            return None
        qualifier, declared = segment.value(0, 0), segment.value(0, 1)
        if not (declared.isascii() and declared.isdigit()):
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{segment} (CNT+{qualifier}) gives the count {declared!r}; expected a whole number.",
                at=segment,
            )
            return None
        total = int(declared)
        if total != listed:
            note = ""
            if qualifier != preferred[0]:
                kind = LIST_TYPES.get(list_type, "list")
                note = f" CNT+{qualifier} is the {_COUNT_NAMES[qualifier]}, but BGM+{list_type} is a {kind}."
            self._log.warn(
                "PAXLST_COUNT_MISMATCH",
                f"{segment} (CNT+{qualifier}, {_COUNT_NAMES[qualifier]}) declares {total} persons, but the "
                f"message lists {listed}.{note}",
                at=segment,
            )
        return total

    def _fitting_name(self, field: str, value: str) -> str | None:
        if value and not fits(PassengerManifestV1_1, field, value):
            self._log.warn("PAXLST_BAD_VALUE", f"{field} {value!r}: expected {EXPECTED[field]}. Left out.")
            return None
        return value or None
