"""Turn XSD and pydantic errors into findings with the same codes.

The same fault gets the same code whichever form carried it, so an invalid fixture
written as XML and as JSON yields one expected code:

=====================  ==========================================================
SCHEMA_REQUIRED        a required element, attribute or property is missing
SCHEMA_UNEXPECTED      an element, attribute or property the type does not have
SCHEMA_TYPE            a value of the wrong type (text for a number, bad date)
SCHEMA_PATTERN         a string that does not match its pattern
SCHEMA_ENUMERATION     a value outside its code list
SCHEMA_LENGTH          a string or list too short or too long
SCHEMA_RANGE           a number out of range
SCHEMA_INVALID         anything else the schema refuses
=====================  ==========================================================
"""

import re
from typing import Any

from lxml import etree
from pydantic import BaseModel, ValidationError

from services.kernel import xmlmap
from services.kernel.findings import Finding, Layer, Location, pointer

_PYDANTIC_CODES = {
    "missing": "SCHEMA_REQUIRED",
    "extra_forbidden": "SCHEMA_UNEXPECTED",
    "string_pattern_mismatch": "SCHEMA_PATTERN",
    "literal_error": "SCHEMA_ENUMERATION",
    "enum": "SCHEMA_ENUMERATION",
    "string_too_short": "SCHEMA_LENGTH",
    "string_too_long": "SCHEMA_LENGTH",
    "too_short": "SCHEMA_LENGTH",
    "too_long": "SCHEMA_LENGTH",
    "greater_than_equal": "SCHEMA_RANGE",
    "greater_than": "SCHEMA_RANGE",
    "less_than_equal": "SCHEMA_RANGE",
    "less_than": "SCHEMA_RANGE",
}

_XSD_CODES = {
    "SCHEMAV_CVC_PATTERN_VALID": "SCHEMA_PATTERN",
    "SCHEMAV_CVC_ENUMERATION_VALID": "SCHEMA_ENUMERATION",
    "SCHEMAV_CVC_MINLENGTH_VALID": "SCHEMA_LENGTH",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "SCHEMA_LENGTH",
    "SCHEMAV_CVC_LENGTH_VALID": "SCHEMA_LENGTH",
    "SCHEMAV_CVC_MININCLUSIVE_VALID": "SCHEMA_RANGE",
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": "SCHEMA_RANGE",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "SCHEMA_TYPE",
    "SCHEMAV_CVC_TYPE_3_1_2": "SCHEMA_TYPE",
    "SCHEMAV_CVC_COMPLEX_TYPE_4": "SCHEMA_REQUIRED",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1": "SCHEMA_UNEXPECTED",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_2": "SCHEMA_UNEXPECTED",
    "SCHEMAV_CVC_ELT_1": "SCHEMA_UNEXPECTED",
}


def _pydantic_code(error_type: str, message: str) -> str:
    if error_type in _PYDANTIC_CODES:
        return _PYDANTIC_CODES[error_type]
    return "SCHEMA_TYPE"


def from_pydantic(error: ValidationError) -> list[Finding]:
    findings = []
    for item in error.errors(include_url=False, include_input=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        where = pointer(*item["loc"])
        findings.append(Finding(Layer.SCHEMA, _pydantic_code(item["type"], message), message,
                                location=Location(pointer=where)))
    return findings


_UNEXPECTED = re.compile(r"Element '(?:\{[^}]*\})?([^']+)': This element is not expected")


def from_xsd(log: Any, model: type[BaseModel], tree: etree._ElementTree) -> list[Finding]:
    """One finding per faulty element: libxml2 reports a facet and then the type failure."""
    findings: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for entry in log:
        where = (entry.line, entry.path)
        if where in seen:
            continue
        seen.add(where)
        code = _XSD_CODES.get(entry.type_name, "SCHEMA_INVALID")
        if entry.type_name == "SCHEMAV_ELEMENT_CONTENT":
            code = _content_code(entry.message, model)
        findings.append(Finding(Layer.SCHEMA, code, _readable(entry.message),
                                location=Location(xpath=_named_path(tree, entry.path), line=entry.line)))
    return findings


def _named_path(tree: etree._ElementTree, path: str | None) -> str | None:
    """libxml2 names unprefixed elements ``*[n]``; name them as a reader would."""
    if not path:
        return path
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return path
    if not found or not isinstance(found[0], etree._Element):
        return path
    steps = []
    element: etree._Element | None = found[0]
    while element is not None:
        name = etree.QName(element).localname
        parent = element.getparent()
        same = [] if parent is None else [c for c in parent if c.tag == element.tag]
        steps.append(name + (f"[{same.index(element) + 1}]" if len(same) > 1 else ""))
        element = parent
    return "/" + "/".join(reversed(steps))


def _content_code(message: str, model: type[BaseModel]) -> str:
    """Missing child or unexpected element? An element the model knows, out of turn,
    means the one the schema expected before it is missing."""
    if "Missing child element" in message:
        return "SCHEMA_REQUIRED"
    match = _UNEXPECTED.search(message)
    if match and match.group(1) in _all_field_names(model):
        return "SCHEMA_REQUIRED"
    return "SCHEMA_UNEXPECTED"


def _all_field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        for plan in xmlmap.field_plans(current).values():
            names.add(plan.name)
            if plan.model is not None and plan.model.__name__ not in names:
                names.add(plan.model.__name__)
                pending.append(plan.model)
    return names


_NAMESPACE = re.compile(r"\{[^}]*\}")


def _readable(message: str) -> str:
    return _NAMESPACE.sub("", message).strip()


def locate_in_xml(root: etree._Element, location: Location) -> Location:
    """Add XPath and line to a rule finding's JSON Pointer, by walking the XML tree."""
    if location.pointer is None:
        return location
    parts = [p.replace("~1", "/").replace("~0", "~") for p in location.pointer.split("/")[1:]]
    xpath = "/" + etree.QName(root).localname
    element = root
    i = 0
    while i < len(parts):
        name = parts[i]
        index = 0
        if i + 1 < len(parts) and parts[i + 1].isdigit():
            index = int(parts[i + 1])
            i += 1
        children = [c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name]
        if index >= len(children):
            if name in element.attrib:
                xpath += f"/@{name}"
            break
        element = children[index]
        xpath += f"/{name}" + (f"[{index + 1}]" if len(children) > 1 else "")
        i += 1
    return Location(pointer=location.pointer, xpath=xpath, line=element.sourceline)
