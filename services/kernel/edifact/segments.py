"""Reading a UN/EDIFACT interchange into numbered segments, without trusting it.

pydifact tokenises. This module decides what the bytes are before that (size, encoding,
UNA service string advice, truncation) and turns pydifact's raw lists into small immutable
segments of stripped strings, numbered from 1 at UNB as interchange segment counts are.
Anything that makes the interchange unreadable is raised as ``EdifactError`` carrying the
issue to report; everything milder is collected in an ``IssueLog``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.tokenizer import Tokenizer

MAX_BYTES = 5 * 1024 * 1024
MAX_SEGMENTS = 100_000

ERROR = "error"
WARNING = "warning"

_TAG = re.compile(r"[A-Z][A-Z0-9]{2}")
_BOM = b"\xef\xbb\xbf"
_START_TAGS = (b"UNA", b"UNB", b"UNH")
_LINE_BREAKS = str.maketrans({"\r": None, "\n": None, "\t": " "})


@dataclass(frozen=True)
class SegmentIssue:
    """A problem found while reading, pointing at the segment it was found in."""

    code: str
    severity: str
    message: str
    segment_number: int | None
    segment_tag: str | None
    subject: str | None = None
    """``/Person/<index>`` when the issue is about one person's data (``Finding.subject``)."""


@dataclass(frozen=True)
class Segment:
    """One segment: its 1-based position, its tag and its elements as component tuples."""

    number: int
    tag: str
    elements: tuple[tuple[str, ...], ...]

    def value(self, element: int, component: int = 0) -> str:
        """The component's text, or "" when the segment does not carry it."""
        if element < len(self.elements) and component < len(self.elements[element]):
            return self.elements[element][component]
        return ""

    def components(self, element: int) -> tuple[str, ...]:
        return self.elements[element] if element < len(self.elements) else ()

    def __str__(self) -> str:
        return f"{self.tag} segment {self.number}"


class EdifactError(Exception):
    """The interchange cannot be read at all; ``issue`` says why and where."""

    def __init__(self, issue: SegmentIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


class IssueLog:
    """Issues in the order they were found."""

    def __init__(self) -> None:
        self.issues: list[SegmentIssue] = []
        # Segments the model has no place for, by kind: (first one, how many, what they are).
        self._ignored: dict[str, tuple[Segment, int, str]] = {}
        self._subject: str | None = None

    def about(self, subject: str) -> IssueLog:
        """A log writing into this one whose warnings and errors name ``subject`` (one person)."""
        view = IssueLog()
        view.issues, view._ignored, view._subject = self.issues, self._ignored, subject
        return view

    def ignore(self, segment: Segment, kind: str, what: str) -> None:
        """Note a segment that is read past; ``flush_ignored`` reports each kind once, so a
        list of 5,000 persons with the same unread segment gives one warning, not 5,000."""
        first, count, _ = self._ignored.get(kind, (segment, 0, what))
        self._ignored[kind] = (first, count + 1, what)

    def flush_ignored(self) -> None:
        for kind, (first, count, what) in self._ignored.items():
            more = f" and {count - 1:,} more {kind} segment{'s' if count > 2 else ''}" if count > 1 else ""
            self.warn("PAXLST_SEGMENT_IGNORED",
                      f"{first} ({kind}){more}: {what}; the manifest has no place for it, so it is not kept.",
                      at=first)
        self._ignored.clear()

    def warn(self, code: str, message: str, *, at: Segment | None = None) -> None:
        self._add(code, WARNING, message, at)

    def error(self, code: str, message: str, *, at: Segment | None = None) -> None:
        self._add(code, ERROR, message, at)

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == ERROR for issue in self.issues)

    def _add(self, code: str, severity: str, message: str, at: Segment | None) -> None:
        number, tag = (at.number, at.tag) if at is not None else (None, None)
        self.issues.append(SegmentIssue(code, severity, message, number, tag, self._subject))


def syntax_issue(message: str, *, number: int | None = None, tag: str | None = None) -> SegmentIssue:
    return SegmentIssue("EDIFACT_SYNTAX", ERROR, message, number, tag)


def looks_like_edifact(data: bytes) -> bool:
    """True when the data starts (after blanks) like an interchange, a UNA, UNB or UNH."""
    return data.removeprefix(_BOM).lstrip()[:3] in _START_TAGS


def read_interchange(data: bytes, log: IssueLog) -> list[Segment]:
    """The interchange's segments; raises ``EdifactError`` when it cannot be read."""
    if len(data) > MAX_BYTES:
        raise _too_large(f"The interchange is {len(data):,} bytes; at most {MAX_BYTES:,} bytes are accepted.")
    characters, body = _split_service_string_advice(_decode(data.removeprefix(_BOM)))
    body, trailer = _cut_after_unz(body, characters)
    body = _strip_trailing_layout(body, characters)
    segments: list[Segment] = []
    tokens = Tokenizer().get_tokens(body, characters)
    try:
        for raw in Parser(characters=characters).convert_tokens_to_raw_segments(tokens):
            if len(segments) == MAX_SEGMENTS:
                raise _too_large(
                    f"The interchange has more than {MAX_SEGMENTS:,} segments.", MAX_SEGMENTS + 1
                )
            segments.append(_segment(len(segments) + 1, raw, log))
    except EDISyntaxError as exc:
        number = len(segments) + 1
        raise EdifactError(syntax_issue(f"Segment {number}: {exc}.", number=number)) from exc
    if trailer:
        shown = " ".join(trailer.split())
        log.warn(
            "EDIFACT_TRAILING_DATA",
            f"{len(trailer):,} characters follow the UNZ interchange trailer ({shown[:40]!r}"
            f"{'...' if len(shown) > 40 else ''}): a carrier's or network's trailer, not part of the "
            "interchange. They were not read.",
            at=segments[-1] if segments else None,
        )
    return segments


def _too_large(message: str, number: int | None = None) -> EdifactError:
    return EdifactError(SegmentIssue("EDIFACT_TOO_LARGE", ERROR, message, number, None))


def _decode(data: bytes) -> str:
    # Carriers declare UNOA/UNOC but send UTF-8, or declare UTF-8 and send Latin-1; a
    # multi-byte UTF-8 sequence almost never occurs by accident, so UTF-8 is tried first
    # and Latin-1 (which maps every byte) is the lossless fallback. Bytes 0x80-0x9F, where
    # Windows and DOS code pages put letters, are controls in Latin-1: _segment flags them.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _split_service_string_advice(text: str) -> tuple[Characters, str]:
    text = text.lstrip()
    if not text.startswith("UNA"):
        return Characters(), text  # type: ignore[no-untyped-call]  # pydifact leaves __init__ unannotated
    advice = text[3:9]
    if len(advice) < 6:
        raise EdifactError(syntax_issue("The UNA service string advice needs 6 characters after 'UNA'."))
    characters = Characters.from_str(advice)
    separators = (
        characters.component_separator,
        characters.data_separator,
        characters.escape_character,
        characters.segment_terminator,
    )
    if len(set(separators)) < len(separators):
        raise EdifactError(
            syntax_issue(
                f"The UNA service string advice {advice!r} uses one character for two roles; "
                "component separator, element separator, release character and segment "
                "terminator must all differ."
            )
        )
    return characters, text[9:].lstrip()


def _cut_after_unz(body: str, characters: Characters) -> tuple[str, str]:
    """The interchange up to the end of its UNZ segment, and what follows it when that is more
    than line breaks. A truncated UNZ (no terminator) is left for ``_strip_trailing_layout``."""
    terminator, separator = characters.segment_terminator, characters.data_separator
    release = characters.escape_character if characters.escape_character.strip() else ""
    start = re.compile(re.escape(terminator) + r"\s*UNZ" + re.escape(separator))
    for found in start.finditer(body):
        if _released(body, found.start(), release):
            continue
        end = found.end()
        while (end := body.find(terminator, end)) != -1 and _released(body, end, release):
            end += 1
        if end == -1:
            break
        rest = body[end + 1:]
        return (body[: end + 1], rest) if rest.strip() else (body, "")
    return body, ""


def _released(text: str, index: int, release: str) -> bool:
    """True when the character at ``index`` is escaped by an odd number of release characters."""
    if not release:
        return False
    head = text[:index]
    return (len(head) - len(head.rstrip(release))) % 2 == 1


def _strip_trailing_layout(body: str, characters: Characters) -> str:
    terminator = characters.segment_terminator
    end = len(body)
    while end and body[end - 1].isspace() and body[end - 1] != terminator:
        end -= 1
    body = body[:end]
    if not body:
        raise EdifactError(syntax_issue("The interchange has no segments."))
    head = body[:-1]
    releases = len(head) - len(head.rstrip(characters.escape_character))
    if body[-1] != terminator or releases % 2:
        # pydifact silently drops a last segment that ends in a separator, so a file cut
        # off in transit would lose data without a word; refuse it here instead.
        raise EdifactError(
            syntax_issue(
                f"The interchange does not end with the segment terminator {terminator!r}; "
                "it looks truncated."
            )
        )
    return body


def _segment(number: int, raw: list[str | list[str]], log: IssueLog) -> Segment:
    tag = raw[0].strip() if raw and isinstance(raw[0], str) else ""
    if not _TAG.fullmatch(tag):
        raise EdifactError(
            syntax_issue(
                f"Segment {number} starts with {str(raw[0])[:20]!r} where a segment tag of three "
                "upper-case letters (such as NAD) was expected.",
                number=number,
            )
        )
    elements: list[tuple[str, ...]] = []
    controls: set[str] = set()
    for element in raw[1:]:
        components = [element] if isinstance(element, str) else element
        cleaned = []
        for component in components:
            text = component.translate(_LINE_BREAKS)
            # Checked before stripping: str.strip() would silently eat C1 controls like U+0085.
            found = {char for char in text if unicodedata.category(char) == "Cc"}
            if found:
                controls |= found
                text = "".join("\ufffd" if char in found else char for char in text)
            cleaned.append(text.strip())
        elements.append(tuple(cleaned))
    segment = Segment(number, tag, tuple(elements))
    if controls:
        shown = ", ".join(f"U+{ord(char):04X}" for char in sorted(controls))
        log.warn(
            "EDIFACT_CHARSET",
            f"{segment} contains the control character(s) {shown}, which are not text: most "
            "likely bytes written in another character set than the UNB declares (the file is "
            "read as UTF-8, else ISO 8859-1). They were replaced by U+FFFD.",
            at=segment,
        )
    return segment
