"""Reading WCO DM 3.6 XML into the canonical 2.0 tree, and its findings back into WCO terms.

``read_wco`` refuses what is not a WCO DM 3.6 DEC or RES (``WcoRefused`` carries the
findings), otherwise renames the parsed tree in place (``wco_xml`` says how) and returns a
``wco_xml.WcoReading``: the canonical tree the XSD and the model see, and what it takes to
name a finding's place as the sender wrote it. Renaming in place keeps each element's line, long
files included (libxml2 keeps lines past 65,535 only on the nodes it parsed).

Refusal codes:

=========================  =================================================================
WCO_NAMESPACE_MISSING      the root is a WCO name without any namespace (HMRC shows some so)
WCO_TYPE_UNSUPPORTED       a root, a wrapped element or a ``WCOTypeName`` other than DEC/RES
WCO_VERSION_UNSUPPORTED    a ``WCODataModelVersionCode`` other than 3.6 (absent is fine)
WCO_DECLARATION_MISSING    a wrapper holding no ``Declaration`` (nor ``Response``)
WCO_RESPONSE_MISSING       a wrapper named RES holding no ``Response``
WCO_TYPE_MISMATCH          a wrapper whose type name and content disagree, or holding both
WCO_NAMESPACE_UNEXPECTED   an element in a namespace WCO DM does not use at its place
WCO_ATTRIBUTE_UNSUPPORTED  an attribute the 2.0 model does not carry (``languageID``,
                           ``listID`` ...) or from another namespace (but ``xsi:schemaLocation``)
=========================  =================================================================

Attributes the model carries somewhere (``currencyID``, ``unitCode``, ``formatCode``) but not
on the element at hand are left to the XSD, which knows where each belongs.
"""

from collections.abc import Iterator
from functools import cache

from lxml import etree
from pydantic import BaseModel

from services.kernel import xmlmap
from services.kernel.findings import MAX_FINDINGS, Finding, Layer, Location, truncation
from services.kernel.messages.types import TextWithAttributes
from services.kernel.registry import REGISTRY, UnknownMessageType
from services.kernel.schema_text import listed
from services.kernel.wco_xml import (
    DATE_TIME_STRING,
    DEC,
    DEC_DS_NS,
    DEC_NS,
    HINT,
    MAX_LINE,
    METADATA,
    METADATA_NS,
    QUOTED_DECLARATION,
    RES,
    RES_DS_NS,
    RES_NS,
    SCHEMA_LOCATION,
    SUPPORTED_VERSION,
    WcoKind,
    WcoReading,
    local_name,
    path_of,
)


class WcoRefused(Exception):
    """The document is not a WCO DM 3.6 DEC or RES that swx reads; ``findings`` say why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


def read_wco(tree: etree._ElementTree) -> WcoReading:
    """The canonical reading of a parsed WCO document; raises ``WcoRefused``. The tree is
    taken over: its elements become the canonical tree's."""
    root = tree.getroot()
    namespace, name = _split(root.tag)
    if namespace is None:
        raise WcoRefused([_at(root, "WCO_NAMESPACE_MISSING",
                              f"{name} has no namespace: WCO DM elements are namespace-qualified ({METADATA} in "
                              f"{METADATA_NS}, Declaration in {DEC_NS}, Response in {RES_NS})")])
    if namespace == METADATA_NS and name == METADATA:
        kind, wrapped = _wrapped_kind(root), True
    elif (namespace, name) in ((DEC_NS, DEC.element), (RES_NS, RES.element)):
        kind, wrapped = (DEC if namespace == DEC_NS else RES), False
    else:
        raise WcoRefused([_at(root, "WCO_TYPE_UNSUPPORTED",
                              f"the root element {name} ({namespace}) is not a WCO DM {SUPPORTED_VERSION} DEC or RES "
                              f"message: swx reads a {METADATA} wrapper, a Declaration or a Response")])
    try:
        model = REGISTRY.get(kind.type_key).model
    except UnknownMessageType as error:
        raise WcoRefused([_at(root, "UNKNOWN_DOCUMENT_TYPE", f"a WCO DM {kind.type_name} message: {error}")]) from None
    problems, hints = _check_names(root, kind, wrapped=wrapped, attributes=carried_attributes(model))
    if problems:
        raise WcoRefused(problems)
    hint_paths = tuple(path for _, path, _ in hints)
    return WcoReading(kind, _renamed(root, kind, wrapped=wrapped, hints=hints), wrapped, hint_paths)


def _split(tag: object) -> tuple[str | None, str]:
    text = str(tag)
    if text.startswith("{"):
        namespace, name = text[1:].split("}", 1)
        return namespace, name
    return None, text


def _at(element: etree._Element, code: str, message: str) -> Finding:
    return Finding(Layer.SCHEMA, code, message, location=Location(xpath=path_of(element), line=element.sourceline))


def _wrapped_kind(root: etree._Element) -> WcoKind:
    """DEC or RES, as the wrapper's content and type name say; refused when they do not."""
    problems: list[Finding] = []
    type_name = ""
    bodies: dict[str, list[etree._Element]] = {DEC_NS: [], RES_NS: []}
    if stray := (root.text or "").strip():  # the wrapper's own text would stay behind when it is unwrapped
        problems.append(_at(root, "SCHEMA_INVALID", f"{METADATA} holds text ({stray[:40]!r}): only elements are "
                                                    "allowed in it"))
    for child in root.iterchildren(etree.Element):
        namespace, name = _split(child.tag)
        text = (child.text or "").strip()
        if namespace == METADATA_NS and (bodies[DEC_NS] or bodies[RES_NS]):  # unwrapped, it would move up
            problems.append(_at(child, "SCHEMA_UNEXPECTED", f"{name} is not allowed after the {_body_name(bodies)}: "
                                                            f"the {METADATA} fields come first"))
        elif namespace == METADATA_NS and name == "WCODataModelVersionCode" and text not in ("", SUPPORTED_VERSION):
            problems.append(_at(child, "WCO_VERSION_UNSUPPORTED",
                                f"WCO data model version {text!r}: swx reads WCO DM {SUPPORTED_VERSION} "
                                "(customs.declaration/2.0 and customs.response/2.0)"))
        elif namespace == METADATA_NS and name == "WCOTypeName":
            type_name = text
            if text not in ("", DEC.type_name, RES.type_name):
                problems.append(_at(child, "WCO_TYPE_UNSUPPORTED",
                                    f"WCO type {text!r}: swx reads DEC (goods declaration) and RES (response) "
                                    "messages"))
        elif namespace in bodies:
            if name in (DEC.element, RES.element) and (namespace == DEC_NS) == (name == DEC.element):
                bodies[namespace].append(child)
            else:
                problems.append(_at(child, "WCO_TYPE_UNSUPPORTED",
                                    f"{METADATA} wraps a {name} ({namespace}): swx reads a Declaration (DEC) or "
                                    "a Response (RES)"))
    if problems:
        raise WcoRefused(problems)
    declarations, responses = bodies[DEC_NS], bodies[RES_NS]
    if not declarations and not responses:
        missing = RES if type_name == RES.type_name else DEC
        raise WcoRefused([_at(root, f"WCO_{missing.element.upper()}_MISSING",
                              f"{METADATA} holds no {missing.element} ({missing.namespace}): there is no "
                              f"{'response' if missing is RES else 'declaration'} to read")])
    if declarations and responses:
        raise WcoRefused([_at(responses[0], "WCO_TYPE_MISMATCH",
                              f"{METADATA} holds both a Declaration and a Response: a message is one or the other")])
    kind = DEC if declarations else RES
    if type_name not in ("", kind.type_name):
        raise WcoRefused([_at((declarations or responses)[0], "WCO_TYPE_MISMATCH",
                              f"WCOTypeName says {type_name} but {METADATA} holds a {kind.element} "
                              f"({kind.type_name})")])
    return kind


def _body_name(bodies: dict[str, list[etree._Element]]) -> str:
    return DEC.element if bodies[DEC_NS] else RES.element


MAX_HINTS = 8
"""``xsi:schemaLocation`` attributes kept per document; more are refused (each costs a path)."""
Hint = tuple[etree._Element, str, str]
"""An element carrying ``xsi:schemaLocation``, its WCO path and the attribute's value."""


@cache
def carried_attributes(model: type[BaseModel]) -> frozenset[str]:
    """The attributes the model carries on some element (the fields of its text-with-attributes types)."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if issubclass(current, TextWithAttributes):
            names.update(n for n in current.model_fields if n != "value")
        pending.extend(p.model for p in xmlmap.field_plans(current).values() if p.model is not None)
    return frozenset(names)


def _check_names(root: etree._Element, kind: WcoKind, *, wrapped: bool,
                 attributes: frozenset[str]) -> tuple[list[Finding], list[Hint]]:
    """Every element in the namespace WCO DM puts it in at its place, no attribute the model does
    not carry; the first ``MAX_FINDINGS`` faults (by line) and a count. This runs on every WCO
    document: flat loops over C iterators, places named only for the faults described."""
    problems: list[Finding] = []
    faults = 0
    for element, expected in _misplaced(root, kind, wrapped=wrapped):
        faults += 1
        if len(problems) < MAX_FINDINGS:
            namespace, name = _split(element.tag)
            problems.append(_at(element, "WCO_NAMESPACE_UNEXPECTED", _namespace_words(name, namespace, expected)))
    hints: list[Hint] = []
    for value in root.xpath("//@*"):  # attributes are few: one XPath rather than a look at every element
        key, element = value.attrname, value.getparent()
        if key == SCHEMA_LOCATION and len(hints) < MAX_HINTS:
            hints.append((element, path_of(element), str(value)))
        elif key == SCHEMA_LOCATION:
            faults += 1
            if len(problems) < 2 * MAX_FINDINGS:
                problems.append(_at(element, "WCO_ATTRIBUTE_UNSUPPORTED",
                                    f"more than {MAX_HINTS} xsi:schemaLocation attributes: swx keeps that many "
                                    "(a WCO file carries one or two, on MetaData and Declaration)"))
        elif key not in attributes:  # an unqualified name the model carries somewhere, or refused here
            faults += 1
            if len(problems) < 2 * MAX_FINDINGS:
                problems.append(_attribute_fault(element, key, kind, attributes))
    problems.sort(key=lambda f: f.location.line or 0)
    del problems[MAX_FINDINGS:]
    if faults > len(problems):
        problems.append(truncation(faults - len(problems), layer=Layer.SCHEMA))
    return problems, hints


def _misplaced(root: etree._Element, kind: WcoKind, *, wrapped: bool) -> Iterator[tuple[etree._Element, str]]:
    """The elements not in the namespace WCO DM has at their place, each with that namespace."""
    if not wrapped:
        yield from _misplaced_in_body(root, kind)
        return
    for child in root.iterchildren(etree.Element):
        if str(child.tag).startswith(f"{{{METADATA_NS}}}"):
            yield from _misplaced_in(child, METADATA_NS, None)
        else:
            yield from _misplaced_in_body(child, kind)


def _misplaced_in_body(body: etree._Element, kind: WcoKind) -> Iterator[tuple[etree._Element, str]]:
    if kind is not RES or body.tag != f"{{{RES_NS}}}{RES.element}":
        yield from _misplaced_in(body, kind.namespace, kind.ds_namespace)
        return
    quoted = f"{{{DEC_NS}}}{DEC.element}"  # a response may quote the declaration it answers, in DEC
    for child in body.iterchildren(etree.Element):
        if child.tag == quoted:
            yield from _misplaced_in(child, DEC_NS, DEC_DS_NS)
        else:
            yield from _misplaced_in(child, RES_NS, RES_DS_NS)


def _misplaced_in(subtree: etree._Element, namespace: str, ds_namespace: str | None
                  ) -> Iterator[tuple[etree._Element, str]]:
    """In ``subtree``: elements outside ``namespace`` (but a ``DateTimeString`` in ``ds_namespace``),
    a ``DateTimeString`` in ``namespace`` when it belongs in ``ds_namespace``, and the canonical-only
    name ``DECDeclaration``."""
    prefix = f"{{{namespace}}}"
    in_data_set = f"{{{ds_namespace}}}{DATE_TIME_STRING}" if ds_namespace else None
    not_in_data_set = prefix + DATE_TIME_STRING if ds_namespace else None
    canonical_only = prefix + QUOTED_DECLARATION
    for element in subtree.iter(etree.Element):
        tag: str = element.tag  # type: ignore[assignment]  # an element's (iter filters), not a cast per call
        if tag.startswith(prefix):
            if tag == not_in_data_set and ds_namespace is not None:
                yield element, ds_namespace
            elif tag == canonical_only:
                yield element, DEC_NS
        elif tag != in_data_set:
            yield element, namespace


def _namespace_words(name: str, namespace: str | None, expected: str) -> str:
    if name == QUOTED_DECLARATION:
        return f"{name} is not a WCO DM element: a response quotes a declaration as a Declaration in {DEC_NS}"
    found = f"the namespace {namespace}" if namespace else "no namespace"
    return f"{name} is in {found}; WCO DM has it here in {expected}"


def _attribute_fault(element: etree._Element, key: str, kind: WcoKind, carried: frozenset[str]) -> Finding:
    namespace, name = _split(key)
    what = f"{name} ({namespace})" if namespace else name
    return _at(element, "WCO_ATTRIBUTE_UNSUPPORTED",
               f"attribute {what} on {local_name(str(element.tag))} is not carried by {kind.type_key}, which keeps "
               f"only {listed(sorted(carried), word='and')} (and xsi:schemaLocation): the document is refused rather "
               "than the attribute dropped")


def _renamed(root: etree._Element, kind: WcoKind, *, wrapped: bool, hints: list[Hint]) -> etree._ElementTree:
    """The canonical tree, made of the WCO tree's own elements (so their lines stay)."""
    namespace = kind.canonical_namespace
    canonical = etree.Element(f"{{{namespace}}}{kind.canonical_root}", nsmap={None: namespace})
    _set_line(canonical, root.sourceline)
    for element, _, _ in hints:
        del element.attrib[SCHEMA_LOCATION]
    if wrapped:
        metadata = etree.SubElement(canonical, f"{{{namespace}}}{METADATA}")
        _set_line(metadata, root.sourceline)
        for child in list(root.iterchildren(etree.Element)):
            (metadata if _split(child.tag)[0] == METADATA_NS else canonical).append(child)
    else:
        canonical.append(root)
    prefix = f"{{{namespace}}}"
    if kind is RES:  # the declaration a response quotes (checked to be a Response's child)
        for response in canonical.iter(f"{{{RES_NS}}}{RES.element}"):
            for quoted in response.iterchildren(f"{{{DEC_NS}}}{DEC.element}"):
                quoted.tag = prefix + QUOTED_DECLARATION
    for wco_namespace in (METADATA_NS, DEC_NS, DEC_DS_NS, RES_NS, RES_DS_NS):
        cut = len(wco_namespace) + 2
        for element in list(canonical.iter(f"{{{wco_namespace}}}*")):  # filtered in C: the hot loop
            element.tag = prefix + element.tag[cut:]  # type: ignore[index,operator]  # an element, not a cast per call
    # the WCO declarations (a default namespace on an inner element shadows the root's) go:
    # libxml2 names places by prefix, and the paths must read as the tree's own names
    etree.cleanup_namespaces(canonical, top_nsmap={None: namespace})
    for element, path, value in hints:
        hint = etree.SubElement(canonical, prefix + HINT)
        etree.SubElement(hint, prefix + "Path").text = path
        etree.SubElement(hint, prefix + "Value").text = value
        for made in hint.iter():
            _set_line(made, element.sourceline)
    return canonical.getroottree()


def _set_line(element: etree._Element, line: int | None) -> None:
    if line is not None and 0 < line < MAX_LINE:
        element.sourceline = line  # type: ignore[misc]  # lxml lets it be set (within 16 bits)
