"""WCO Data Model 3.6 XML (the DMS form HMRC publishes) in and out of the 2.0 customs types.

A WCO DM declaration (DEC) or response (RES) is ``customs.declaration/2.0`` or
``customs.response/2.0`` under other names: the models use the DMS tag names, order and
cardinalities, so reading WCO XML is renaming, not mapping field by field:

- the root: a DMS ``MetaData`` wrapper (metadata fields, then one ``Declaration`` or one
  or more ``Response``), or a bare ``Declaration`` / ``Response``;
- each element moves into the canonical namespace (``urn:swx:customs.declaration:2.0``);
  the wrapper's metadata fields go under a ``MetaData`` child of the canonical root
  (``GoodsDeclaration`` / ``CustomsResponse``); the line each element had in the WCO file
  stays on it, so the schema and the rules report the line the sender wrote;
- every ``xsi:schemaLocation`` becomes a ``SchemaLocationHint`` (the WCO path of the
  element that carried it, and the attribute's value) at the end, so nothing the sender
  wrote is lost; it is never followed (schemas load only from the project's files).

Then the document takes the usual path: the project's generated XSD, then the model.
Findings are given back in WCO terms (``WcoReading.wco_finding``): the element path
``/MetaData/Declaration/GoodsShipment/...`` and the line in the original file.

Reading is ``wco_read.read_wco``. What is not a WCO DM 3.6 DEC or RES is refused there before
any of this, with a finding that says which: another data model version, another WCO type
name, a wrapper with nothing in it, an element in a namespace WCO does not use there, an
attribute the model does not carry. The HMRC cancellation (``CANCEL.xsd``) is a ``Declaration`` in the DEC namespace
with function code 13 and type INV: it is a DEC and is read as one.

Writing (``write_wco``) is the reverse: the canonical XML of the model, renamed into the WCO
namespaces (``DateTimeString`` into the data-set namespace of its message), the wrapper when
the document has ``MetaData``, the schema location hints put back where their paths point,
prefixes as the published files have them (``md:`` for the metadata, DEC as the default).
This module holds what both directions share: the names, the paths, and naming a finding's
place in WCO terms.
"""

from dataclasses import dataclass, replace

from lxml import etree

from services.kernel import xmlmap
from services.kernel.findings import Finding, Location
from services.kernel.messages.types import Document
from services.kernel.schema_findings import locate_in_xml

METADATA_NS = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
DEC_NS = "urn:wco:datamodel:WCO:DEC-DMS:2"
DEC_DS_NS = "urn:wco:datamodel:WCO:Declaration_DS:DMS:2"
RES_NS = "urn:wco:datamodel:WCO:RES-DMS:2"
RES_DS_NS = "urn:wco:datamodel:WCO:Response_DS:DMS:2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{{{XSI_NS}}}schemaLocation"

WCO_DEC_MEDIA_TYPE = "application/vnd.wco.dec+xml"
WCO_RES_MEDIA_TYPE = "application/vnd.wco.res+xml"
SUPPORTED_VERSION = "3.6"

DATE_TIME_STRING = "DateTimeString"
"""The one element WCO puts in a data-set namespace rather than its message's."""
METADATA = "MetaData"
HINT = "SchemaLocationHint"
QUOTED_DECLARATION = "DECDeclaration"
"""The canonical name of the DEC ``Declaration`` a response may quote after its own (RES)
``Declaration``: two children of one name and two namespaces need two names in one namespace."""


@dataclass(frozen=True)
class WcoKind:
    """One WCO message: its type name, element, namespaces and the swx type it reads into."""

    type_name: str
    element: str
    namespace: str
    ds_namespace: str
    type_key: str
    canonical_root: str
    media_type: str

    @property
    def canonical_namespace(self) -> str:
        type_id, version = self.type_key.split("/")
        return f"urn:swx:{type_id}:{version}"  # the registry's rule (MessageType.namespace)

    def namespace_of(self, local_name: str) -> str:
        return self.ds_namespace if local_name == DATE_TIME_STRING else self.namespace


DEC = WcoKind("DEC", "Declaration", DEC_NS, DEC_DS_NS, "customs.declaration/2.0", "GoodsDeclaration",
              WCO_DEC_MEDIA_TYPE)
RES = WcoKind("RES", "Response", RES_NS, RES_DS_NS, "customs.response/2.0", "CustomsResponse", WCO_RES_MEDIA_TYPE)
KINDS = (DEC, RES)
WCO_NAMESPACES = {METADATA_NS, DEC_NS, DEC_DS_NS, RES_NS, RES_DS_NS}
UNQUALIFIED_ROOTS = {METADATA, DEC.element, RES.element}
"""Roots HMRC shows with their namespaces stripped: read as WCO, to be told what is missing."""


def is_wco_root(root: etree._Element) -> bool:
    """Whether the document is (meant as) WCO DM XML: its root is in a WCO namespace, or is a
    ``MetaData``, ``Declaration`` or ``Response`` without any namespace."""
    tag = root.tag
    if not isinstance(tag, str):
        return False
    if tag.startswith("{"):
        return tag[1:].split("}", 1)[0] in WCO_NAMESPACES
    return tag in UNQUALIFIED_ROOTS


def kind_of_type(type_key: str) -> WcoKind | None:
    """The WCO message a swx type (``customs.declaration/2.0``) is written as; None when it has none."""
    return next((k for k in KINDS if k.type_key == type_key), None)


def writes_wco(document: Document) -> bool:
    return _kind_of_document(document) is not None


def _kind_of_document(document: Document) -> WcoKind | None:
    named = getattr(document, "document_type", None)
    return kind_of_type(named) if isinstance(named, str) else None


def _required_kind(document: Document) -> WcoKind:
    kind = _kind_of_document(document)
    if kind is None:
        named = getattr(document, "document_type", type(document).__name__)
        raise ValueError(f"{named} has no WCO DM form: only customs.declaration/2.0 and customs.response/2.0 have")
    return kind


def local_name(tag: object) -> str:
    """``Declaration`` of ``{urn:wco:datamodel:WCO:DEC-DMS:2}Declaration``."""
    return str(tag).rsplit("}", 1)[-1]


MAX_LINE = 65535
"""libxml2 keeps a node's own line in 16 bits; a line from there at this value may be later."""


# --- findings in WCO terms ---------------------------------------------------------------------


@dataclass(frozen=True)
class WcoReading:
    """A WCO document read into its canonical 2.0 tree."""

    kind: WcoKind
    tree: etree._ElementTree
    """The canonical tree (``GoodsDeclaration`` / ``CustomsResponse``), lines as in the WCO file."""
    wrapped: bool
    """Whether the WCO root was the ``MetaData`` wrapper."""
    hint_paths: tuple[str, ...]
    """The WCO path of each ``SchemaLocationHint``, in order."""

    @property
    def root_path(self) -> str:
        return "/" + (METADATA if self.wrapped else self.kind.element)

    def wco_finding(self, finding: Finding) -> Finding:
        """The finding with its place named in the WCO file: path and line."""
        location = self.wco_location(finding.location)
        return finding if location is finding.location else finding.at(location)

    def wco_location(self, location: Location) -> Location:
        if location.xpath is None and location.pointer is not None:
            location = locate_in_xml(self.tree.getroot(), location)
        if location.xpath is None:
            return location
        xpath, element = self._walk(location.xpath)
        line = location.line
        if (line is None or line >= MAX_LINE) and element is not None:
            line = element.sourceline
        return replace(location, xpath=xpath, line=line)

    def _walk(self, canonical_path: str) -> tuple[str, etree._Element | None]:
        """The WCO path of a canonical one, and the element it names (None past the tree)."""
        steps = [s for s in canonical_path.split("/") if s][1:]
        element: etree._Element | None = self.tree.getroot()
        first, at = split_step(steps[0]) if steps else ("", 0)
        if first == HINT:
            return (self.hint_paths[at] if at < len(self.hint_paths) else self.root_path), element
        if first == METADATA and element is not None:
            element = element.find(f"{{{self.kind.canonical_namespace}}}{METADATA}")
            steps = steps[1:]
        path = "/" + METADATA if self.wrapped else ""
        for step in steps:
            if element is None or step.startswith("@"):
                path += "/" + step
                continue
            name, at = split_step(step)
            namespace = str(element.tag)[:str(element.tag).index("}") + 1] if str(element.tag).startswith("{") else ""
            named = list(element.iterchildren(namespace + name))  # filtered in C: a list may be long
            if at >= len(named):
                path, element = path + "/" + step, None
                continue
            child = named[at]
            wco_name = self._wco_name(child)
            same = named if wco_name == name else \
                [c for c in element.iterchildren(etree.Element) if self._wco_name(c) == wco_name]
            path += "/" + wco_name + (f"[{same.index(child) + 1}]" if len(same) > 1 else "")
            element = child
        return path or self.root_path, element

    def _wco_name(self, element: etree._Element) -> str:
        name = local_name(element.tag)
        return DEC.element if name == QUOTED_DECLARATION and self.kind is RES else name


# --- writing -------------------------------------------------------------------------------------


def write_wco(document: Document) -> bytes:
    """The WCO DM 3.6 XML (UTF-8, with declaration) of a 2.0 declaration or response.

    Raises ``ValueError`` for a document of another type. A response of more than one
    ``Response`` is written in the wrapper even without ``MetaData``: only the wrapper can
    hold several."""
    kind = _required_kind(document)
    canonical = xmlmap.to_xml(document, namespace=kind.canonical_namespace)
    metadata: etree._Element | None = None
    bodies: list[etree._Element] = []
    hints: list[tuple[str, str]] = []
    for child in canonical.iterchildren(etree.Element):
        name = local_name(child.tag)
        if name == METADATA:
            metadata = child
        elif name == HINT:
            hints.append((child.findtext(f"{{{kind.canonical_namespace}}}Path") or "",
                          child.findtext(f"{{{kind.canonical_namespace}}}Value") or ""))
        else:
            bodies.append(child)
    nsmap = _prefixes(kind, with_xsi=bool(hints))
    if metadata is not None or len(bodies) != 1:
        root = etree.Element(f"{{{METADATA_NS}}}{METADATA}", nsmap=nsmap)
        for field in (metadata if metadata is not None else ()):
            if isinstance(field.tag, str):
                _copy(field, root, kind=None)
        for body in bodies:
            _copy(body, root, kind=kind)
    else:
        root = _copy(bodies[0], None, kind=kind, nsmap=nsmap)
    for path, value in hints:
        target = resolve_path(root, path)
        if target is not None:  # a hint says where a schema was, it is not data: one naming nothing is dropped
            target.set(SCHEMA_LOCATION, value)
    etree.cleanup_namespaces(root)
    written: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return written


def _prefixes(kind: WcoKind, *, with_xsi: bool) -> dict[str | None, str]:
    """Prefixes as the published files use them; those left unused are removed after writing."""
    nsmap: dict[str | None, str] = {"md": METADATA_NS, None: kind.namespace, "p1": kind.ds_namespace}
    if kind is RES:  # a response may quote the declaration it answers
        nsmap |= {"dec": DEC_NS, "decds": DEC_DS_NS}
    if with_xsi:
        nsmap["xsi"] = XSI_NS
    return nsmap


def _copy(source: etree._Element, parent: etree._Element | None, *, kind: WcoKind | None,
          nsmap: dict[str | None, str] | None = None) -> etree._Element:
    """``source`` and its subtree under ``parent``, renamed into ``kind``'s namespaces (the
    metadata namespace when ``kind`` is None); the declaration a response quotes is a DEC."""
    name = local_name(source.tag)
    if kind is RES and name == QUOTED_DECLARATION and parent is not None and local_name(str(parent.tag)) == RES.element:
        kind, name = DEC, DEC.element
    tag = f"{{{METADATA_NS if kind is None else kind.namespace_of(name)}}}{name}"
    if parent is None:
        copied = etree.Element(tag, dict(source.attrib), nsmap=nsmap)
    else:
        copied = etree.SubElement(parent, tag, dict(source.attrib))
    children = list(source.iterchildren(etree.Element))
    if not children:
        copied.text = source.text
    for child in children:
        _copy(child, copied, kind=kind)
    return copied


# --- paths ---------------------------------------------------------------------------------------


def path_of(element: etree._Element) -> str:
    """``/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[2]``: local names, an index
    where the parent has several children of that name (as ``schema_findings`` names places)."""
    steps = []
    current: etree._Element | None = element
    while current is not None:
        name = local_name(str(current.tag))
        parent = current.getparent()
        if parent is None:
            steps.append(name)
            break
        tag = str(current.tag)  # siblings of the same name share the tag: counted in C, not in Python
        index = sum(1 for _ in current.itersiblings(tag, preceding=True))
        several = index > 0 or next(current.itersiblings(tag), None) is not None
        steps.append(name + (f"[{index + 1}]" if several else ""))
        current = parent
    return "/" + "/".join(reversed(steps))


def resolve_path(root: etree._Element, path: str) -> etree._Element | None:
    """The element a ``path_of`` path names under ``root`` (whose name is its first step)."""
    steps = [s for s in path.split("/") if s]
    if not steps or split_step(steps[0])[0] != local_name(root.tag):
        return None
    element = root
    for step in steps[1:]:
        name, index = split_step(step)
        if name.startswith("@"):
            return element
        same = [c for c in element.iterchildren(etree.Element) if local_name(c.tag) == name]
        if index >= len(same):
            return None
        element = same[index]
    return element


def split_step(step: str) -> tuple[str, int]:
    """``("GovernmentAgencyGoodsItem", 1)`` of ``GovernmentAgencyGoodsItem[2]`` (the index from 0)."""
    name, _, rest = step.partition("[")
    index = rest.rstrip("]")
    return name, int(index) - 1 if index.isdigit() else 0

