"""What the CLI does with documents, apart from printing: read, validate, convert."""

import sys
from dataclasses import dataclass
from pathlib import Path

from services.kernel import canonical, wco_xml
from services.kernel.registry import REGISTRY, UnknownMessageType
from services.kernel.rules import RuleContext
from services.kernel.validation import Report, validate


class UsageProblem(Exception):
    """The command was given something it cannot work with (exit code 2)."""


TARGETS = ("xml", "json", "wco")
"""What ``swx convert --to`` writes: the canonical XML or JSON, or WCO DM 3.6 XML (2.0 customs types)."""


@dataclass(frozen=True)
class Checked:
    path: Path
    report: Report


def read_bytes(path: Path) -> bytes:
    """The file's bytes; ``-`` reads standard input."""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageProblem(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageProblem(f"{path}: is a directory") from None
    except OSError as error:
        raise UsageProblem(f"{path}: cannot be read ({error.strerror})") from None


def resolve_type(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return REGISTRY.get(name).key
    except UnknownMessageType as error:
        known = ", ".join(sorted({t.type_id for t in REGISTRY}))
        raise UsageProblem(f"{error}; known types: {known}") from None


def related_context(pairs: list[str]) -> RuleContext:
    """``role=FILE`` pairs, e.g. ``declaration=dec.xml``, validated and typed."""
    related = {}
    for pair in pairs:
        role, sep, file = pair.partition("=")
        if not sep or not role or not file:
            raise UsageProblem(f"--related takes ROLE=FILE, e.g. declaration=dec.xml; got {pair!r}")
        report = validate(read_bytes(Path(file)))
        if report.document is None:
            raise UsageProblem(f"{file}: the related document is not valid itself")
        related[role] = report.document
    return RuleContext(related=related)


def check(path: Path, *, type_name: str | None, context: RuleContext) -> Checked:
    data = read_bytes(path)
    media_type = "application/edifact" if path.suffix.lower() in (".edi", ".edifact", ".paxlst") else None
    return Checked(path, validate(data, media_type=media_type, expected_type=type_name, context=context))


def convert(report: Report, to: str) -> str:
    """The typed document in the other (or same) canonical form, or as WCO DM XML. Raises
    ``UsageProblem`` for WCO XML of a type that has none."""
    assert report.document is not None
    assert report.message_type is not None
    if to == "json":
        return canonical.json_text(report.document)
    if to == "wco":
        if not wco_xml.writes_wco(report.document):
            wco_types = " and ".join(kind.type_key for kind in wco_xml.KINDS)
            raise UsageProblem(f"a {report.message_type.key} document has no WCO DM form; --to wco writes "
                               f"{wco_types} only")
        return wco_xml.write_wco(report.document).decode("utf-8")
    return canonical.xml_bytes(report.document, report.message_type).decode("utf-8")
