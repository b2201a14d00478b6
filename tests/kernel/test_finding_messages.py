"""Findings a person can read: what was expected, the value and the field, in plain words,
the same whichever form the document came in, and no validator's own vocabulary."""

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from rich.console import Console

from services.cli import render
from services.cli.documents import Checked, related_context
from services.kernel.pattern_words import describe_pattern
from services.kernel.registry import REGISTRY
from services.kernel.rules import RuleContext
from services.kernel.validation import validate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EDIFACT_SUFFIXES = (".edi", ".edifact", ".paxlst")

FORBIDDEN = ["local atomic type", "atomic type", "facet", "Input should be", "Value error", "{urn:", "xs:",
             "Field required", "Extra inputs", "String should match", "element of the set", "valid a "]
DOUBLED = re.compile(r"\b([A-Za-z]+(?: \d+)?)[ ,]+\1\b", re.IGNORECASE)
REGEX_LIKE = re.compile(r"\S*(?:\[[^\]\s]+\]|\\d)\S*")
VALUE_CODES = {"SCHEMA_PATTERN", "SCHEMA_ENUMERATION", "SCHEMA_TYPE", "SCHEMA_LENGTH", "SCHEMA_RANGE"}


def _schema_patterns() -> set[str]:
    """Every pattern the schemas have, as the JSON Schema writes it and as the XSD does."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.update({node["pattern"], node["pattern"].removeprefix("^").removesuffix("$")})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for message_type in REGISTRY:
        walk(message_type.model.model_json_schema())
    return found


PATTERNS = _schema_patterns()


def _invalid_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/invalid/*") if p.is_file() and p.name != "expected.json"
                  and p.suffix in (".json", ".xml", *EDIFACT_SUFFIXES))


def _related(path: Path) -> RuleContext:
    """The documents a rule compares the fixture with, as its folder's expected.json names them."""
    expected_file = path.parent / "expected.json"
    spec = json.loads(expected_file.read_text()).get(path.name, {}) if expected_file.is_file() else {}
    pairs = [f"{role}={path.parent / file}" for role, file in spec.get("related", {}).items()]
    return related_context(pairs)


def _problems(message: str) -> list[str]:
    problems = [f"contains {fragment!r}" for fragment in FORBIDDEN if fragment in message]
    problems += [f"repeats {m.group(0)!r}" for m in DOUBLED.finditer(message)]
    problems += [f"quotes {token!r}, not a pattern of the schema" for token in REGEX_LIKE.findall(message)
                 if token.rstrip(".,;)") not in PATTERNS]
    return problems


def test_the_walk_finds_invalid_fixtures_in_every_form() -> None:
    suffixes = {p.suffix for p in _invalid_fixtures()}
    assert {".json", ".xml", ".edi"} <= suffixes


@pytest.mark.parametrize("path", _invalid_fixtures(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_finding_of_an_invalid_fixture_reads_plainly(path: Path) -> None:
    media_type = "application/edifact" if path.suffix in EDIFACT_SUFFIXES else None
    report = validate(path.read_bytes(), media_type=media_type, context=_related(path))
    assert report.findings, "an invalid fixture gives at least one finding"
    for finding in report.findings:
        problems = _problems(finding.message)
        assert not problems, f"{finding.code} at {finding.location}: {finding.message!r}: {problems}"
        if finding.code in VALUE_CODES:
            assert " is not " in finding.message, finding.message  # says what was expected


@pytest.mark.parametrize(("message", "problem"), [
    ("Element 'X': 'two' is not a valid value of the local atomic type.", "local atomic type"),
    ("The value 'IMO1' is not accepted by the pattern '[0-9]'.", "[0-9]"),
    ("not well-formed XML: Premature end of data in tag b line 13, line 13, column 8", "line 13, line 13"),
    ("'x' is not a valid a date-time", "valid a "),
    ("Input should be 'D' or 'AJ'", "Input should be"),
])
def test_the_check_catches_each_kind_of_unreadable_message(message: str, problem: str) -> None:
    assert any(problem in p for p in _problems(message)), _problems(message)


def _twins(type_id: str) -> tuple[Path, Path]:
    """The first JSON/XML pair of a 1.x version (the messages below are those of the 1.x models)."""
    for json_path in sorted((FIXTURES / type_id / "valid").glob("*.json")):
        version = str(json.loads(json_path.read_text(encoding="utf-8")).get("document_type", "/1")).split("/")[-1]
        if version.startswith("1") and json_path.with_suffix(".xml").is_file():
            return json_path, json_path.with_suffix(".xml")
    raise AssertionError(f"no valid JSON/XML twins for {type_id}")


def _first_xml(path: Path, name: str, *, text: str | None = None) -> bytes:
    """The XML with the first element called ``name`` given ``text``, or removed."""
    tree = etree.parse(str(path))
    element = next(e for e in tree.iter() if isinstance(e.tag, str) and etree.QName(e).localname == name)
    if text is None:
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
    else:
        element.text = text
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _first_json(path: Path, name: str, *, value: Any = None) -> bytes:
    """The JSON with the first member called ``name`` (depth first, as XML orders it) set, or removed."""
    document = json.loads(path.read_text(encoding="utf-8"))

    def change(node: Any) -> bool:
        if isinstance(node, dict):
            if name in node:
                if value is None:
                    del node[name]
                else:
                    node[name] = value
                return True
            return any(change(v) for v in node.values())
        return isinstance(node, list) and any(change(v) for v in node)

    assert change(document)
    return json.dumps(document).encode("utf-8")


def _messages(data: bytes) -> list[str]:
    return [f.message for f in validate(data).errors]


@pytest.mark.parametrize(("type_id", "name", "bad", "expected"), [
    ("immigration.passenger-manifest", "BirthDate", "1991-02-30",
     "BirthDate '1991-02-30' is not a calendar date written YYYY-MM-DD, such as 2026-12-03"),
    ("port.clearance", "IssueDateTime", "2026-11-31T14:15:00+07:00",
     "IssueDateTime '2026-11-31T14:15:00+07:00' is not a date and time with its UTC offset, "
     "such as 2026-12-03T10:45:00+07:00"),
    ("customs.declaration", "CountryCode", "jp",
     "CountryCode 'jp' is not an ISO 3166-1 alpha-2 country code (2 capital letters), such as VN"),
    ("port.vessel-call", "IMOID", "IMO9835173", "IMOID 'IMO9835173' is not an IMO number of 7 digits, such as 9074729"),
    ("port.vessel-call", "CallSign", "d5hm7", "CallSign 'd5hm7' is not 3 to 9 capital letters or digits"),
    ("customs.declaration", "DeclarationOfficeID", "THLCH 001",
     "DeclarationOfficeID 'THLCH 001' is not a reference of letters and digits, with / . _ or - allowed after "
     "the first, no spaces, such as INV-2026/0042"),
    ("immigration.api-response", "DecisionCode", "deny",
     "DecisionCode 'deny' is not one of the codes board, no-board or refer"),
    ("exchange.envelope", "payload_format", "edifact", "payload_format 'edifact' is not one of the codes xml or json"),
])
def test_a_bad_value_reads_the_same_in_xml_and_json(type_id: str, name: str, bad: str, expected: str) -> None:
    json_path, xml_path = _twins(type_id)
    assert _messages(_first_json(json_path, name, value=bad)) == [expected]
    assert _messages(_first_xml(xml_path, name, text=bad)) == [expected]


def test_a_missing_element_is_named_in_both_forms() -> None:
    json_path, xml_path = _twins("port.vessel-call")
    assert _messages(_first_json(json_path, "CallSign")) == ["CallSign is required here but missing"]
    xml_messages = _messages(_first_xml(xml_path, "CallSign"))
    assert len(xml_messages) == 1
    assert xml_messages[0].startswith("CallSign is required here but missing (expected before ")


def test_an_unknown_member_names_the_fields_allowed_there() -> None:
    json_path, _ = _twins("exchange.receipt")
    document = json.loads(json_path.read_text(encoding="utf-8"))
    document["status"] = "ok"
    assert _messages(json.dumps(document).encode()) == [
        "status is not allowed here; allowed here: receipt_id, message_id, sender, receiver, received_at, "
        "payload_digest or signature"]


def test_a_quoted_number_in_json_says_to_write_it_without_quotes() -> None:
    json_path, _ = _twins("port.vessel-call")
    assert _messages(_first_json(json_path, "GrossTonnage", value="27915")) == [
        "GrossTonnage '27915' is not a whole number of at least 1; in JSON write it without quotes"]


def test_a_pattern_is_put_in_words_with_its_counts_or_quoted_whole() -> None:
    assert describe_pattern(r"^[A-Z]{4}[0-9]{8}$") == "4 capital letters, then 8 digits"
    assert describe_pattern(r"^[0-9a-f]{8}$") == "8 lower-case hexadecimal digits"
    assert describe_pattern(r"^(IM|EX)[A-Z]?$") == "'IM' or 'EX', then optionally 1 capital letter"
    assert describe_pattern(r"^(a(b|c)+)$") == "text matching the pattern ^(a(b|c)+)$"


def test_malformed_xml_gives_its_line_once() -> None:
    report = validate(b"<a>\n<b>\n")
    finding = report.findings[0]
    assert str(finding.location) == "line 3"
    assert finding.message == "not well-formed XML: Premature end of data in tag <b> opened on line 2 (column 1)"


def test_malformed_json_gives_its_line_once() -> None:
    finding = validate(b'{"a":\n 1,,}').findings[0]
    assert str(finding.location) == "line 2"
    assert finding.message == "not well-formed JSON: Expecting property name enclosed in double quotes (column 4)"


def test_the_cli_table_shows_the_same_text_and_the_place_once() -> None:
    path = FIXTURES / "port.vessel-call" / "invalid" / "call-sign-lower-case.xml"
    report = validate(path.read_bytes())
    screen = Console(file=io.StringIO(), width=300, color_system=None)
    render.report(screen, Checked(path, report))
    output = screen.file.getvalue()  # type: ignore[attr-defined]
    finding = report.errors[0]
    row = next(line for line in output.splitlines() if finding.code in line)
    assert finding.message == "CallSign 'd5hm7' is not 3 to 9 capital letters or digits"
    assert finding.message in row
    assert row.count(str(finding.location)) == 1
    assert row.count("line ") == 1
