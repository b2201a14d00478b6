"""Conformance: every fixture through lxml and xmlschema, pydantic and jsonschema.

The two validators of each form must agree with each other and with the engine; valid
fixtures round-trip between JSON and XML; each invalid fixture yields exactly its code.
"""

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from lxml import etree
from pydantic import ValidationError

from services.kernel import canonical
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.rules import RuleContext
from services.kernel.rules.catalogue import RULE_CODES
from services.kernel.validation import Report, json_message_type, validate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SCHEMA_KINDS = {"SCHEMA_REQUIRED", "SCHEMA_TYPE", "SCHEMA_PATTERN", "SCHEMA_ENUMERATION"}


def _valid_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/valid/*") if p.suffix in (".json", ".xml", ".edi"))


def _invalid_cases() -> list[tuple[Path, dict[str, Any]]]:
    cases = []
    for expected_file in sorted(FIXTURES.glob("*/invalid/expected.json")):
        for name, spec in json.loads(expected_file.read_text(encoding="utf-8")).items():
            if not name.startswith("_"):
                cases.append((expected_file.parent / name, spec))
    return cases


def _id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}/{path.name}"


def c14n(xml: bytes) -> bytes:
    """XML canonicalisation (C14N 2.0) without insignificant white space: two XML texts of one
    document compare equal however they are indented."""
    return etree.canonicalize(xml.decode("utf-8"), strip_text=True).encode("utf-8")


def _show(report: Report) -> str:
    return "\n".join(f"{f.severity} {f.code} {f.location}{f' on {f.subject}' if f.subject else ''}: {f.message}"
                     for f in report.findings)


def _xsd_verdicts(message_type: MessageType, xml: bytes) -> tuple[bool, bool, str]:
    """(lxml says valid, xmlschema says valid, their logs)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.fromstring(xml, parser).getroottree()
    lxml_schema = message_type.xml_schema
    lxml_ok = lxml_schema.validate(tree)
    errors = list(_xmlschema(message_type).iter_errors(xml.decode("utf-8")))
    log = str(lxml_schema.error_log) + "\n" + "\n".join(str(e.reason) for e in errors)
    return lxml_ok, not errors, log


_XMLSCHEMAS: dict[str, xmlschema.XMLSchema] = {}


def _xmlschema(message_type: MessageType) -> xmlschema.XMLSchema:
    if message_type.key not in _XMLSCHEMAS:
        _XMLSCHEMAS[message_type.key] = xmlschema.XMLSchema(str(message_type.xsd_path))
    return _XMLSCHEMAS[message_type.key]


def _json_verdicts(message_type: MessageType, data: bytes) -> tuple[bool, bool, str]:
    """(pydantic says valid, jsonschema says valid, their logs)."""
    validator = jsonschema.Draft202012Validator(
        message_type.json_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = list(validator.iter_errors(json.loads(data)))
    try:
        message_type.model.model_validate_json(data, strict=True)
        pydantic_ok, pydantic_log = True, ""
    except ValidationError as error:
        pydantic_ok, pydantic_log = False, str(error)
    log = pydantic_log + "\n" + "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return pydantic_ok, not errors, log


def _context(case_folder: Path, spec: dict[str, Any]) -> RuleContext:
    related = {}
    for role, relative in spec.get("related", {}).items():
        report = validate((case_folder / relative).read_bytes())
        assert report.document is not None, f"related {relative} is not valid: {_show(report)}"
        related[role] = report.document
    return RuleContext(related=related)


@pytest.mark.parametrize("path", _valid_files(), ids=_id)
def test_valid_fixture_is_valid_everywhere_and_round_trips(path: Path) -> None:
    media_type = "application/edifact" if path.suffix == ".edi" else None
    report = validate(path.read_bytes(), media_type=media_type)
    assert report.valid, _show(report)
    assert report.message_type is not None
    assert report.document is not None
    assert report.message_type.type_id == path.parent.parent.name
    message_type, document = report.message_type, report.document

    xml = canonical.xml_bytes(document, message_type)
    json_bytes = canonical.json_text(document).encode("utf-8")
    assert _xsd_verdicts(message_type, xml)[:2] == (True, True), _xsd_verdicts(message_type, xml)[2]
    assert _json_verdicts(message_type, json_bytes)[:2] == (True, True), _json_verdicts(message_type, json_bytes)[2]

    from_xml = validate(xml).document
    from_json = validate(json_bytes).document
    assert from_xml == document
    assert from_json == document
    assert canonical.json_data(from_xml) == canonical.json_data(document)
    if path.suffix == ".xml":
        assert c14n(canonical.xml_bytes(from_json, message_type)) == c14n(path.read_bytes())
    if path.suffix == ".json":
        assert canonical.json_data(from_xml) == canonical.json_data(
            message_type.model.model_validate_json(path.read_bytes(), strict=True)
        )
        pair = path.with_suffix(".xml")
        assert pair.is_file(), f"{path.name} has no XML pair"
        assert c14n(pair.read_bytes()) == c14n(xml), "XML pair is not the JSON's canonical form"


@pytest.mark.parametrize(("path", "spec"), _invalid_cases(), ids=lambda v: _id(v) if isinstance(v, Path) else "")
def test_invalid_fixture_yields_exactly_its_code(path: Path, spec: dict[str, Any]) -> None:
    media_type = "application/edifact" if path.suffix == ".edi" else None
    report = validate(path.read_bytes(), media_type=media_type, context=_context(path.parent, spec))
    if spec.get("severity") == "warning":
        assert not report.errors, _show(report)
        # a finding about one person or item names it (expected.json "subject"), one about the document does not
        assert {f.subject for f in report.findings if f.code == spec["code"]} == {spec.get("subject")}, _show(report)
    else:
        assert {f.code for f in report.errors} == {spec["code"]}, _show(report)
    for finding in report.findings:
        assert finding.location.as_dict(), f"{finding.code} has no location"


@pytest.mark.parametrize(
    ("path", "spec"),
    [case for case in _invalid_cases() if case[0].suffix != ".edi"],  # EDIFACT has no second validator
    ids=lambda v: _id(v) if isinstance(v, Path) else "",
)
def test_both_validators_of_a_form_agree_on_invalid_fixture(path: Path, spec: dict[str, Any]) -> None:
    message_type = REGISTRY.get(path.parent.parent.name)
    data = path.read_bytes()
    if path.suffix == ".xml":
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        message_type = REGISTRY.by_namespace(etree.QName(root).namespace or "")
        first, second, log = _xsd_verdicts(message_type, data)
    else:
        message_type = json_message_type(json.loads(data)) or message_type
        first, second, log = _json_verdicts(message_type, data)
    schema_fault = spec["code"].startswith("SCHEMA_")
    assert (first, second) == (not schema_fault, not schema_fault), log


@pytest.mark.parametrize("type_id", sorted({t.type_id for t in REGISTRY}))
def test_each_type_has_three_valid_pairs_and_every_schema_fault_kind(type_id: str) -> None:
    valid = FIXTURES / type_id / "valid"
    pairs = [p for p in valid.glob("*.json") if p.with_suffix(".xml").is_file()]
    assert len(pairs) >= 3, f"{type_id} has {len(pairs)} JSON/XML pairs"
    codes_by_form: dict[str, set[str]] = {".json": set(), ".xml": set()}
    for path, spec in _invalid_cases():
        if path.parent.parent.name == type_id and path.suffix in codes_by_form:
            codes_by_form[path.suffix].add(spec["code"])
    for form, codes in codes_by_form.items():
        missing = SCHEMA_KINDS - codes
        note = json.loads((FIXTURES / type_id / "invalid" / "expected.json").read_text()).get("_note", "")
        if "SCHEMA_ENUMERATION" in missing and "enumeration" in note.lower():
            missing.discard("SCHEMA_ENUMERATION")
        assert not missing, f"{type_id} has no {form} fixture for {sorted(missing)}"


def test_every_business_rule_has_an_invalid_fixture() -> None:
    covered = {spec["code"] for _, spec in _invalid_cases()}
    assert set(RULE_CODES) - covered == set()
