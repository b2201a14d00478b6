"""The validation engine: transport -> syntax -> schema -> rules, each layer reported.

``validate(data, ...)`` takes the bytes as received and returns a ``Report``: the message
type, the format, the typed document when it got that far, and every finding. Nothing
malformed raises out of it. A later layer runs only when the earlier ones found no error,
so that findings describe the input rather than the consequences of an earlier fault.
The findings of one document are bounded (``findings.bounded``): what describing them
costs stops growing with the input, and the answer that carries them stays small.

WCO DM 3.6 XML (a DMS ``MetaData`` wrapper, a bare ``Declaration`` or ``Response``) is XML
like any other: recognised by its namespace, read into the canonical tree of
``customs.declaration/2.0`` or ``customs.response/2.0`` (``wco_read``), then checked by the
same XSD, model and rules; its findings name the WCO element path and the line of the file
as sent.
"""

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree
from pydantic import ValidationError

from services.kernel import schema_findings, wco_xml, xmlchars, xmlmap
from services.kernel.edifact.paxlst import looks_like_edifact, parse_paxlst
from services.kernel.findings import Finding, Layer, Location, Severity, bounded
from services.kernel.messages.types import Document
from services.kernel.registry import REGISTRY, MessageType, UnknownMessageType
from services.kernel.rules import RuleContext
from services.kernel.safeparse import DEFAULT_LIMITS, Limits, UnsafeInput, parse_json, parse_xml
from services.kernel.wco_read import WcoRefused, read_wco
from services.kernel.wco_xml import WcoReading

log = logging.getLogger(__name__)

Format = Literal["xml", "json", "edifact"]

MEDIA_TYPES: dict[str, Format] = {
    "application/xml": "xml",
    "text/xml": "xml",
    "application/json": "json",
    "application/edifact": "edifact",
    "application/edi-x12": "edifact",
}
EXCHANGE_MARKERS = {"receipt_id": "exchange.receipt", "error_id": "exchange.error",
                    "payload_digest": "exchange.envelope"}
"""Exchange documents are told apart by a key only they have (in this order)."""


@dataclass
class Report:
    """What the engine found out about one document."""

    format: Format | None = None
    message_type: MessageType | None = None
    document: Document | None = None
    findings: list[Finding] = field(default_factory=list)
    xml_tree: etree._ElementTree | None = None
    """The canonical XML tree (for WCO input, the tree it was read into)."""
    wco: WcoReading | None = None
    """How a WCO DM document was read, None for any other."""

    @property
    def valid(self) -> bool:
        return self.document is not None and not any(f.is_error for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]


def media_format(media_type: str | None) -> Format | None:
    """The format a Content-Type names, ignoring parameters; None when unsupported."""
    if media_type is None:
        return None
    base = media_type.split(";", 1)[0].strip().lower()
    if base in MEDIA_TYPES:
        return MEDIA_TYPES[base]
    if base.endswith("+xml"):
        return "xml"
    if base.endswith("+json"):
        return "json"
    return None


def sniff_format(data: bytes) -> Format | None:
    start = data.lstrip()[:8]
    if start.startswith(b"\xef\xbb\xbf"):
        start = start[3:]
    if start.startswith(b"<"):
        return "xml"
    if start[:1] in (b"{", b"["):
        return "json"
    if looks_like_edifact(data):
        return "edifact"
    return None


def validate(
    data: bytes,
    *,
    media_type: str | None = None,
    expected_type: str | MessageType | None = None,
    limits: Limits = DEFAULT_LIMITS,
    context: RuleContext | None = None,
    serialized_here: bool = False,
) -> Report:
    """Run every layer over ``data`` and report. ``serialized_here``: ``data`` is this process's
    own canonical JSON of a model (a document it built, checked as its receiver will check it),
    in which no key can appear twice: that one check is left out (``safeparse.parse_json``)."""
    report = _validate(data, media_type=media_type, expected_type=expected_type, limits=limits, context=context,
                       serialized_here=serialized_here)
    report.findings = bounded(report.findings)
    return report


def _validate(data: bytes, *, media_type: str | None, expected_type: str | MessageType | None, limits: Limits,
              context: RuleContext | None, serialized_here: bool = False) -> Report:
    report = Report()
    if len(data) > limits.max_bytes:
        return _fail(report, Finding(Layer.TRANSPORT, "BODY_TOO_LARGE",
                                     f"document is {len(data)} bytes; the limit is {limits.max_bytes}"))
    if media_type is not None:
        report.format = media_format(media_type)
        if report.format is None:
            return _fail(report, Finding(Layer.TRANSPORT, "UNSUPPORTED_MEDIA_TYPE",
                                         f"media type {media_type!r} is not XML, JSON or EDIFACT"))
    else:
        report.format = sniff_format(data)
        if report.format is None:
            return _fail(report, Finding(Layer.SYNTAX, "UNKNOWN_FORMAT",
                                         "the document is neither XML, JSON nor UN/EDIFACT"))
    try:
        wanted = REGISTRY.get(expected_type) if isinstance(expected_type, str) else expected_type
    except UnknownMessageType as error:
        return _fail(report, _type_finding(str(error)))
    try:
        if report.format == "xml":
            _validate_xml(report, data, wanted, limits)
        elif report.format == "json":
            _validate_json(report, data, wanted, limits, keys_unique=serialized_here)
        else:
            _validate_edifact(report, data, wanted)
    except UnsafeInput as refused:
        return _fail(report, refused.finding)
    if report.document is not None and report.message_type is not None and not report.errors:
        _apply_rules(report, context or RuleContext())
    if report.wco is not None:
        report.findings = [report.wco.wco_finding(f) for f in bounded(report.findings)]
    return report


def _fail(report: Report, finding: Finding) -> Report:
    report.findings.append(finding)
    return report


def _type_finding(message: str) -> Finding:
    return Finding(Layer.SCHEMA, "UNKNOWN_DOCUMENT_TYPE", message)


def _check_expected(report: Report, found: MessageType, wanted: MessageType | None) -> bool:
    if wanted is not None and found.type_id != wanted.type_id:
        report.findings.append(Finding(Layer.SCHEMA, "WRONG_DOCUMENT_TYPE",
                                       f"expected a {wanted.type_id} document, got {found.key}"))
        return False
    report.message_type = found
    return True


def _validate_xml(report: Report, data: bytes, wanted: MessageType | None, limits: Limits) -> None:
    tree = parse_xml(data, limits)
    root = tree.getroot()
    if wco_xml.is_wco_root(root):
        _validate_wco(report, tree, data, wanted)
        return
    report.xml_tree = tree
    qname = etree.QName(root)
    try:
        found = REGISTRY.by_namespace(qname.namespace or "")
    except UnknownMessageType as error:
        report.findings.append(_type_finding(f"root element {root.tag!r}: {error}"))
        return
    if not _check_expected(report, found, wanted):
        return
    _validate_canonical_xml(report, found, tree, data)


def _validate_canonical_xml(report: Report, found: MessageType, tree: etree._ElementTree, data: bytes) -> None:
    """The XSD, then the model, over a tree in the type's own namespace (parsed from ``data``)."""
    invalid = schema_findings.xsd_findings(found.xml_schema, tree, data, found.model)
    if invalid:
        report.findings.extend(invalid)
        return
    try:
        report.document = found.model.model_validate(xmlmap.from_xml(tree.getroot(), found.model), strict=False)
    except ValidationError as error:
        report.findings.extend(schema_findings.from_pydantic(error, model=found.model))


def _validate_wco(report: Report, tree: etree._ElementTree, data: bytes, wanted: MessageType | None) -> None:
    """WCO DM XML: read into the canonical tree of its 2.0 type, then as any canonical XML;
    ``_validate`` names the findings' places in the WCO file at the end."""
    try:
        reading = read_wco(tree)
    except WcoRefused as refused:
        report.findings.extend(refused.findings)
        return
    try:
        found = REGISTRY.get(reading.kind.type_key)
    except UnknownMessageType as error:
        report.findings.append(_type_finding(f"a WCO DM {reading.kind.type_name} message: {error}"))
        return
    if not _check_expected(report, found, wanted):
        return
    report.xml_tree, report.wco = reading.tree, reading
    # only a large document's bytes are read again (to count its XSD faults as it streams): then
    # they must be the canonical tree's
    canonical = data if len(data) <= schema_findings.STREAM_FROM_BYTES else etree.tostring(reading.tree)
    _validate_canonical_xml(report, found, reading.tree, canonical)


def _validate_json(report: Report, data: bytes, wanted: MessageType | None, limits: Limits, *,
                   keys_unique: bool = False) -> None:
    value = parse_json(data, limits, keys_unique=keys_unique)
    if not isinstance(value, dict):
        report.findings.append(Finding(Layer.SCHEMA, "SCHEMA_TYPE",
                                       "a document must be a JSON object", location=Location(pointer="")))
        return
    found = _json_type(report, value, wanted)
    if found is None or not _check_expected(report, found, wanted):
        return
    if xmlchars.ESCAPED_NOT_IN_XML.search(data):
        refused = xmlchars.findings(value)
        if refused:
            report.findings.extend(refused)
            return
    flood = schema_findings.unexpected_members(value, found.model)
    if flood is not None:
        report.findings.extend(flood)
        return
    try:
        report.document = found.model.model_validate_json(data, strict=True)
    except ValidationError as error:
        report.findings.extend(schema_findings.from_pydantic(error, model=found.model, json_form=True))


def json_message_type(value: dict[str, Any]) -> MessageType | None:
    """The type a JSON document names: exchange documents by their own keys, others by
    ``document_type``; None when it names none. Raises ``UnknownMessageType``."""
    for marker, type_id in EXCHANGE_MARKERS.items():
        if marker in value:
            return REGISTRY.get(type_id)
    named = value.get("document_type")
    return REGISTRY.get(named) if isinstance(named, str) else None


def _json_type(report: Report, value: dict[str, Any], wanted: MessageType | None) -> MessageType | None:
    try:
        found = json_message_type(value)
    except UnknownMessageType as error:
        report.findings.append(_type_finding(str(error)))
        return None
    if found is not None:
        return found
    if wanted is not None:
        return wanted
    report.findings.append(_type_finding(
        "the JSON document has no document_type (e.g. \"customs.declaration/1.0\"); give it or name the type"))
    return None


def _validate_edifact(report: Report, data: bytes, wanted: MessageType | None) -> None:
    found = REGISTRY.get("immigration.passenger-manifest")
    if not _check_expected(report, found, wanted):
        return
    result = parse_paxlst(data)
    for issue in result.issues:
        layer = Layer.SYNTAX if issue.code == "EDIFACT_SYNTAX" else Layer.SCHEMA
        report.findings.append(Finding(layer, issue.code, issue.message, Severity(issue.severity),
                                       Location(segment=issue.segment_number, tag=issue.segment_tag),
                                       issue.subject))
    if result.document is None or report.errors:
        return
    report.findings.extend(xmlchars.findings(result.document))
    if report.errors:
        return
    try:
        report.document = found.model.model_validate(result.document, strict=False)
    except ValidationError as error:
        report.findings.extend(schema_findings.from_pydantic(error, model=found.model))


def rule_findings(document: Document, message_type: MessageType, context: RuleContext | None = None) -> list[Finding]:
    """Every finding of the type's rules on a schema-valid document, unbounded and located by
    JSON Pointer only: what a receiver decides each person or item on (``Finding.subject``)."""
    findings: list[Finding] = []
    for rule in message_type.rules:
        try:
            findings.extend(rule(document, context or RuleContext()))
        except Exception:  # a fault in one rule must not lose the document or crash the caller
            log.exception("rule.failed rule=%s type=%s", rule.__name__, message_type.key)
            findings.append(Finding(Layer.RULES, "RULE_FAILED",
                                    f"rule {rule.__name__} could not be evaluated; the document needs review"))
    return findings


def _apply_rules(report: Report, context: RuleContext) -> None:
    assert report.message_type is not None
    assert report.document is not None
    findings = bounded(rule_findings(report.document, report.message_type, context))
    # bounded before locating: each XML location walks the finding's siblings
    if report.xml_tree is not None:
        root = report.xml_tree.getroot()
        findings = [f.at(schema_findings.locate_in_xml(root, f.location)) for f in findings]
    report.findings.extend(findings)
