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

Their words come from ``schema_text``: the field, the offending value and what the schema
expects, alike for both forms. Both stop describing after ``limit`` findings and only count the rest. ``xsd_findings``
also bounds what libxml2 is asked for: lxml names the element of every XSD error by
walking its preceding siblings, so a document of thousands of faulty siblings would cost
time growing with the square of their number before the first finding could be cut.
"""

import copy
import functools
import re
from collections import Counter, deque
from typing import Any

from lxml import etree
from pydantic import BaseModel, ValidationError

from services.kernel import schema_text, xmlmap
from services.kernel.findings import (
    MAX_FINDINGS,
    Finding,
    Layer,
    Location,
    Truncated,
    count,
    pointer,
    truncation,
)

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


def _pydantic_code(error_type: str) -> str:
    return _PYDANTIC_CODES.get(error_type, "SCHEMA_TYPE")


_OWN_WORDS = {"value_error", "assertion_error", "datetime_range"}
"""Errors raised by the models' own validators, whose message is already written for people."""


def from_pydantic(error: ValidationError, *, model: type[BaseModel] | None = None, json_form: bool = False,
                  limit: int = MAX_FINDINGS) -> list[Finding]:
    """The first ``limit`` errors as findings, and a notice counting the others. Given the
    ``model``, each says in words what its field expects; ``json_form`` adds how JSON
    writes it (a number without quotes, a decimal in quotes)."""
    findings = []
    for item in error.errors(include_url=False, include_context=True)[:limit]:
        code = _pydantic_code(item["type"])
        findings.append(Finding(Layer.SCHEMA, code, _pydantic_message(item, code, model, json_form=json_form),
                                location=Location(pointer=pointer(*item["loc"]))))
    if (omitted := error.error_count() - len(findings)) > 0:
        findings.append(truncation(omitted, layer=Layer.SCHEMA, limit=limit))
    return findings


def _pydantic_message(item: Any, code: str, model: type[BaseModel] | None, *, json_form: bool) -> str:
    loc = list(item["loc"])
    found = schema_text.find_field(model, loc) if model is not None else schema_text.Field(_last_name(loc), None)
    if item["type"] in _OWN_WORDS:
        own = str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return f"{found.name}: {own}" if found.name else own
    if code == "SCHEMA_REQUIRED":
        return schema_text.missing([found.name])
    if code == "SCHEMA_UNEXPECTED":
        return schema_text.not_allowed(found.name, found.siblings)
    if found.schema is None:  # no model to describe the field: pydantic's own context
        found = schema_text.Field(found.name, _schema_from_context(item))
    aspect = {"SCHEMA_LENGTH": "length", "SCHEMA_RANGE": "range"}.get(code)
    return schema_text.not_accepted(found, item.get("input", schema_text.ABSENT), aspect=aspect, json_form=json_form)


def _last_name(loc: list[Any]) -> str:
    return next((str(p) for p in reversed(loc) if isinstance(p, str)), "")


def _schema_from_context(item: Any) -> dict[str, Any]:
    context = item.get("ctx") or {}
    if "pattern" in context:
        return {"type": "string", "pattern": str(context["pattern"])}
    if "min_length" in context or "max_length" in context:
        return {"type": "string", "minLength": context.get("min_length"), "maxLength": context.get("max_length")}
    bounds = {"ge": "minimum", "gt": "minimum", "le": "maximum", "lt": "maximum"}
    return {"type": "integer", **{bounds[k]: v for k, v in context.items() if k in bounds}}


STREAM_FROM_BYTES = 64 * 1024
"""Smaller documents are validated as a tree at once: their errors cannot cost much."""
FEW_ERRORS = MAX_FINDINGS
"""Up to this many errors are located in the document itself, however wide it is."""
SAME_NAME_RUN = 1000
"""Children of one name an element keeps in the copy a flood of errors is located in."""


def xsd_findings(schema: etree.XMLSchema, tree: etree._ElementTree, data: bytes,
                 model: type[BaseModel]) -> list[Finding]:
    """The XSD findings for ``tree`` (parsed from ``data``), [] when it is valid.

    A large document is first validated while it is parsed again, which counts its errors
    in linear time (no element paths are made while parsing). A few errors are then
    located in the tree; a flood in a copy where no element keeps more than
    ``SAME_NAME_RUN`` children of one name, with a notice counting the rest as libxml2
    counted them (a message per fault, where findings are one per element: "at least")."""
    if len(data) <= STREAM_FROM_BYTES:
        return [] if schema.validate(tree) else from_xsd(schema.error_log, model, tree)
    streamed = _streamed_error_count(schema, data)
    if streamed == 0:
        return []
    located = tree if streamed <= FEW_ERRORS else _pruned(tree)
    schema.validate(located)
    described = from_xsd(schema.error_log, model, located)
    if located is tree:  # nothing was left out: every error was counted
        return described
    findings = [f for f in described if not isinstance(f, Truncated)]
    if not findings:  # every fault lies past the runs kept: say so, without a place
        findings = [Finding(Layer.SCHEMA, "SCHEMA_INVALID", f"the document does not match its schema: {streamed:,} "
                            f"fault(s), all in repeated elements past the first {SAME_NAME_RUN:,} of their name")]
    omitted = max(count(described), streamed) - len(findings)
    return [*findings, truncation(omitted, layer=Layer.SCHEMA, at_least=True)] if omitted > 0 else findings


def _streamed_error_count(schema: etree.XMLSchema, data: bytes) -> int:
    parser = etree.XMLParser(schema=schema, resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)  # the safe parser's settings: the bytes were parsed safely before
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return max(len(parser.error_log), 1)  # the exception's log holds earlier parses' errors too
    return 0


def _pruned(tree: etree._ElementTree) -> etree._ElementTree:
    """A copy in which each element keeps only its first ``SAME_NAME_RUN`` children of each
    name (line numbers kept); paths found in it name the same elements in the original."""
    wide = [e for e in tree.iter() if len(e) > SAME_NAME_RUN]
    if not wide:
        return tree
    located = copy.deepcopy(tree)
    for element in [e for e in located.iter() if len(e) > SAME_NAME_RUN]:
        seen: Counter[Any] = Counter()
        for child in list(element):
            seen[child.tag] += 1
            if seen[child.tag] > SAME_NAME_RUN:
                element.remove(child)
    return located


def unexpected_members(value: Any, model: type[BaseModel], *, limit: int = MAX_FINDINGS) -> list[Finding] | None:
    """Findings for a flood of unknown members, found by walking the parsed JSON beside the
    model, or None when there are at most ``limit`` (the model then reports them among the
    rest, in its order). A flood stops there: pydantic would build an error for each one.

    Every JSON document is walked, so the walk first only counts (no pointers, no findings):
    a document without a flood, nearly every one, costs a set comparison per object."""
    if _unknown_member_count(value, model) <= limit:
        return None
    found: list[Finding] = []
    total = 0
    pending: deque[tuple[Any, type[BaseModel], tuple[str | int, ...]]] = deque([(value, model, ())])
    while pending:
        node, current, at = pending.popleft()
        if not isinstance(node, dict):
            continue
        plans = xmlmap.field_plans(current)
        unknown = node.keys() - plans.keys()  # a set difference: no Python step per member
        total += len(unknown)
        for key in node if unknown and len(found) < limit else ():
            if key in unknown:
                found.append(Finding(Layer.SCHEMA, "SCHEMA_UNEXPECTED", schema_text.not_allowed(key, list(plans)),
                                     location=Location(pointer=pointer(*at, key))))
                if len(found) == limit:
                    break
        for name, plan in plans.items():
            member = node.get(name)
            if plan.model is not None and isinstance(member, list):
                pending += [(item, plan.model, (*at, name, i)) for i, item in enumerate(member)]
            elif plan.model is not None and member is not None:
                pending.append((member, plan.model, (*at, name)))
    if total <= limit:
        return None
    return [*found, truncation(total - limit, layer=Layer.SCHEMA, at_least=True, limit=limit)]


def _unknown_member_count(value: Any, model: type[BaseModel]) -> int:
    """How many members of ``value`` and of the objects in it its model does not have."""
    total = 0
    pending: list[tuple[Any, type[BaseModel]]] = [(value, model)]
    while pending:
        node, current = pending.pop()
        if not isinstance(node, dict):
            continue
        names, nested = _member_plan(current)
        if not names.issuperset(node):
            total += len(node.keys() - names)
        for name, inner in nested:
            member = node.get(name)
            if isinstance(member, list):
                pending += [(item, inner) for item in member]
            elif member is not None:
                pending.append((member, inner))
    return total


@functools.cache
def _member_plan(model: type[BaseModel]) -> tuple[frozenset[str], tuple[tuple[str, type[BaseModel]], ...]]:
    """A model's member names, and those of its members that are models, with their model."""
    plans = xmlmap.field_plans(model)
    return frozenset(plans), tuple((name, plan.model) for name, plan in plans.items() if plan.model is not None)


_UNEXPECTED = re.compile(r"Element '(?:\{[^}]*\})?([^']+)': This element is not expected")


def from_xsd(log: Any, model: type[BaseModel], tree: etree._ElementTree, *,
             limit: int = MAX_FINDINGS) -> list[Finding]:
    """One finding per faulty element: libxml2 reports a facet and then the type failure.
    The first ``limit`` are described, the others counted in a notice."""
    findings: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for entry in log:
        where = (entry.line, entry.path)
        if where in seen:
            continue
        seen.add(where)
        if len(findings) >= limit:
            continue
        code = _XSD_CODES.get(entry.type_name, "SCHEMA_INVALID")
        if entry.type_name == "SCHEMAV_ELEMENT_CONTENT":
            code = _content_code(entry.message, model)
        xpath = _named_path(tree, entry.path)
        overflow = _overflowed_list(entry, model, tree, xpath)
        if overflow is not None:  # one more than a bounded list holds: libxml2 lists what may follow instead
            code, message = "SCHEMA_LENGTH", schema_text.not_accepted(overflow, aspect="length")
        else:
            message = schema_text.xsd_message(entry.message, code, model, tree, entry.path, xpath)
        findings.append(Finding(Layer.SCHEMA, code, message, location=Location(xpath=xpath, line=entry.line)))
    if (omitted := len(seen) - len(findings)) > 0:
        findings.append(truncation(omitted, layer=Layer.SCHEMA, limit=limit))
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


def _overflowed_list(entry: Any, model: type[BaseModel], tree: etree._ElementTree,
                     xpath: str | None) -> schema_text.Field | None:
    """The list field an element refused as unexpected overflows (``maxOccurs``): it follows one
    of its own name, and the model has it as a list; None otherwise."""
    if entry.type_name != "SCHEMAV_ELEMENT_CONTENT":
        return None
    try:
        found = tree.xpath(entry.path) if entry.path else []
    except etree.XPathError:
        return None
    if not found or not isinstance(found[0], etree._Element):
        return None
    previous = next((s for s in found[0].itersiblings(preceding=True) if isinstance(s.tag, str)), None)
    if previous is None or previous.tag != found[0].tag:
        return None
    steps = [re.sub(r"\[\d+\]$", "", step) for step in (xpath or "").split("/")[2:] if step]
    field = schema_text.find_field(model, steps)
    return field if (field.schema or {}).get("type") == "array" else None


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
