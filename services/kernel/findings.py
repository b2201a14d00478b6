"""Validation findings: what is wrong, in which layer, and exactly where.

A finding's ``location`` names the place in the form the document was sent in: a JSON
Pointer for JSON, an XPath and line for XML, a segment number and tag for EDIFACT. Rules
only know the model, so they give a JSON Pointer; the engine adds XPath and line when the
document came as XML.
"""

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any


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
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Finding:
    layer: Layer
    code: str
    message: str
    severity: Severity = Severity.ERROR
    location: Location = field(default_factory=Location)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def at(self, location: Location) -> "Finding":
        return replace(self, location=location)

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer.value,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location.as_dict(),
        }


def pointer(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) from path parts."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)


def rule_error(code: str, message: str, *parts: str | int) -> Finding:
    """A business-rule error at the JSON Pointer made of ``parts``."""
    return Finding(Layer.RULES, code, message, Severity.ERROR, Location(pointer=pointer(*parts)))


def rule_warning(code: str, message: str, *parts: str | int) -> Finding:
    return Finding(Layer.RULES, code, message, Severity.WARNING, Location(pointer=pointer(*parts)))
