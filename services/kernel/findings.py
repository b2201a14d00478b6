"""Validation findings: what is wrong, in which layer, and exactly where.

A finding's ``location`` names the place in the form the document was sent in: a JSON
Pointer for JSON, an XPath and line for XML, a segment number and tag for EDIFACT. Rules
only know the model, so they give a JSON Pointer; the engine adds XPath and line when the
document came as XML.

What a document can provoke is bounded: at most ``MAX_FINDINGS`` findings are kept per
document, then one ``FINDINGS_TRUNCATED`` notice says how many more there were, and every
text a finding writes is cut at ``MAX_TEXT`` characters, so no input can make an answer (or
a stored warning list) grow with its own size.

A finding about one person or one item of a document (an expired passport on a manifest)
names it as its ``subject``, a JSON Pointer (``/Person/4``). Such a finding never refuses the
document: it is a warning there, reported on that person or item, and the receiver decides
it there (refer / no-board), as API practice does (ARCHITECTURE.md section 3).
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

MAX_FINDINGS = 100
"""Findings kept per document: enough to fix a document in one go, never one per byte."""
MAX_TEXT = 500
"""Characters of one message, pointer or path written out; an echoed value may be huge."""
TRUNCATED = "FINDINGS_TRUNCATED"


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class Layer(StrEnum):
    TRANSPORT = "transport"
    SYNTAX = "syntax"
    SCHEMA = "schema"
    RULES = "rules"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Location:
    pointer: str | None = None
    xpath: str | None = None
    line: int | None = None
    segment: int | None = None
    tag: str | None = None

    def __str__(self) -> str:
        if self.segment is not None:
            return f"segment {self.segment}" + (f" ({self.tag})" if self.tag else "")
        if self.xpath is not None:
            return self.xpath + (f" (line {self.line})" if self.line else "")
        if self.line is not None:
            return f"line {self.line}"
        return self.pointer or ""

    def as_dict(self) -> dict[str, Any]:
        return {k: shorten(v) if isinstance(v, str) else v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Finding:
    layer: Layer
    code: str
    message: str
    severity: Severity = Severity.ERROR
    location: Location = field(default_factory=Location)
    subject: str | None = None
    """JSON Pointer of the one person or item the finding is about, None when it is about the document."""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def at(self, location: Location) -> "Finding":
        return replace(self, location=location)

    def about(self, *parts: str | int) -> "Finding":
        """This finding, reported on the person or item at ``parts`` rather than refusing the document."""
        return replace(self, severity=Severity.WARNING, subject=pointer(*parts))

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "layer": self.layer.value,
            "code": self.code,
            "severity": self.severity.value,
            "message": shorten(self.message),
            "location": self.location.as_dict(),
        }
        if self.subject is not None:
            found["subject"] = shorten(self.subject)
        return found


@dataclass(frozen=True)
class Truncated(Finding):
    """The notice that ``omitted`` findings (``omitted_errors`` of them errors) were left out."""

    omitted: int = 0
    omitted_errors: int = 0


def truncation(omitted: int, *, layer: Layer, omitted_errors: int | None = None, limit: int = MAX_FINDINGS,
               at_least: bool = False) -> Truncated:
    """The notice for ``omitted`` findings left out (``at_least`` that many, when the search
    stopped before counting them all), all errors unless ``omitted_errors`` says."""
    errors = omitted if omitted_errors is None else omitted_errors
    how_many = f"at least {omitted:,}" if at_least else f"{omitted:,}"
    return Truncated(layer, TRUNCATED,
                     f"{how_many} more finding(s) are not listed: at most {limit} are given per document; "
                     "correct the ones listed and send the document again to see the rest",
                     Severity.ERROR if errors else Severity.WARNING, omitted=omitted, omitted_errors=errors)


def bounded(findings: Sequence[Finding], *, limit: int = MAX_FINDINGS) -> list[Finding]:
    """At most ``limit`` findings and one ``FINDINGS_TRUNCATED`` notice counting the rest.

    Errors are kept before warnings (an error is what refuses the document), each in the
    order found. Applying it again to its own result changes nothing; the notices of lists
    bounded before are merged into one."""
    notices = [f for f in findings if isinstance(f, Truncated)]
    listed = [f for f in findings if not isinstance(f, Truncated)]
    if len(listed) <= limit and len(notices) <= 1:
        return list(findings)
    errors = [i for i, f in enumerate(listed) if f.is_error]
    warnings = [i for i, f in enumerate(listed) if not f.is_error]
    kept_at = set((errors + warnings)[:limit])
    kept = [f for i, f in enumerate(listed) if i in kept_at]
    cut = [f for i, f in enumerate(listed) if i not in kept_at]
    omitted = len(cut) + sum(n.omitted for n in notices)
    if omitted == 0:
        return kept
    omitted_errors = sum(f.is_error for f in cut) + sum(n.omitted_errors for n in notices)
    layer = (cut + notices)[0].layer
    return [*kept, truncation(omitted, layer=layer, omitted_errors=omitted_errors, limit=limit)]


def count(findings: Sequence[Finding], *, errors_only: bool = False) -> int:
    """How many findings the list stands for, those a notice counts included."""
    total = 0
    for f in findings:
        if isinstance(f, Truncated):
            total += f.omitted_errors if errors_only else f.omitted
        elif f.is_error or not errors_only:
            total += 1
    return total


def pointer(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) from path parts."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)


def rule_error(code: str, message: str, *parts: str | int) -> Finding:
    """A business-rule error at the JSON Pointer made of ``parts``."""
    return Finding(Layer.RULES, code, message, Severity.ERROR, Location(pointer=pointer(*parts)))


def rule_warning(code: str, message: str, *parts: str | int) -> Finding:
    return Finding(Layer.RULES, code, message, Severity.WARNING, Location(pointer=pointer(*parts)))
