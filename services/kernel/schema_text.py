"""The words of a schema finding, the same whichever form the document came in.

XSD errors (lxml) and pydantic errors name the same field; both are described from the
model's JSON Schema (patterns with their counts, code lists, bounds, descriptions), so a
bad date reads alike in XML and JSON, with the offending value and the field's name, and
no validator's own vocabulary ("local atomic type", "facet", "Input should be").
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lxml import etree
from pydantic import BaseModel

from services.kernel.messages.types import XML_TEXT_HINT
from services.kernel.pattern_words import describe_pattern

MAX_VALUE = 60
"""Characters of an offending value quoted in a message."""
MAX_CODES = 12
"""Codes of a code list (or names of allowed fields) listed before the rest are counted."""


@dataclass(frozen=True)
class Field:
    """A field found in the model's schema by its path: the name to show and its schema."""

    name: str
    schema: dict[str, Any] | None
    siblings: list[str] = field(default_factory=list)
    """The fields allowed beside it (its parent's properties)."""


@cache
def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and pick the non-null member of an optional's ``anyOf``."""
    while True:
        if "$ref" in node:
            node = {**defs[node["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in node.items() if k != "$ref"}}
        elif "anyOf" in node:
            options = [o for o in node["anyOf"] if o.get("type") != "null"]
            if len(options) != 1:
                return node
            node = {**{k: v for k, v in node.items() if k != "anyOf"}, **options[0]}
        else:
            return node


def find_field(model: type[BaseModel], path: Sequence[str | int]) -> Field:
    """The field at ``path`` (JSON member names and list indexes; parts that are neither,
    such as pydantic's union tags, are skipped)."""
    root = _model_schema(model)
    defs = root.get("$defs", {})
    node: dict[str, Any] | None = root
    names: list[str] = []
    siblings: list[str] = list(root.get("properties", {}))
    for part in path:
        if node is None:
            break
        node = _resolve(node, defs)
        if node.get("type") == "array" and "items" in node:
            node = _resolve(node["items"], defs)
        if isinstance(part, int) or part.isdigit():
            continue
        properties = node.get("properties", {})
        if part in properties:
            siblings = list(properties)
            node, parent = properties[part], node
            names.append(_shown_name(part, parent, names))
        elif properties:  # not a field of this object: an unknown member, nothing to describe
            names.append(part)
            siblings, node = list(properties), None
    if node is not None:
        node = _resolve(node, defs)
        text = node.get(XML_TEXT_HINT)
        if text and text in node.get("properties", {}):  # an element with text: its text is meant
            node = _resolve(node["properties"][text], defs)
    return Field(names[-1] if names else "", node, siblings)


def _shown_name(part: str, parent: dict[str, Any], names: list[str]) -> str:
    """An element's text is its ``value`` member in JSON: name it by the element."""
    return names[-1] if parent.get(XML_TEXT_HINT) == part and names else part


def expectation(found: Field, *, aspect: str | None = None) -> str:
    """What the field accepts, in words; ``aspect`` "length" or "range" narrows it."""
    schema = found.schema or {}
    kind = schema.get("type")
    if aspect == "length" and kind == "array":
        return _count(schema.get("minItems"), schema.get("maxItems"), "item", "a list of")
    if aspect == "length" and ("minLength" in schema or "maxLength" in schema):
        return _count(schema.get("minLength"), schema.get("maxLength"), "character", "text of")
    if "const" in schema:
        return f"'{schema['const']}'"
    if "enum" in schema:
        codes = [str(c) for c in schema["enum"]]
        meaning = f" ({schema['description']})" if _explains(schema.get("description", ""), codes) else ""
        return f"one of the codes {listed(codes)}{meaning}"
    if "pattern" in schema:
        return describe_pattern(schema["pattern"], found.name)
    if kind == "integer":
        return "a whole number" + _bounds(schema)
    if kind == "number":
        return "a number" + _bounds(schema)
    if kind == "boolean":
        return "true or false"
    if kind == "string":
        return _count(schema.get("minLength"), schema.get("maxLength"), "character", "text of")
    if kind == "array":
        return _count(schema.get("minItems"), schema.get("maxItems"), "item", "a list of")
    if kind == "object" or "properties" in schema:
        return f"a group of the fields {listed(list(schema.get('properties', {})), word='and')}"
    return "a value of the kind the schema describes"


def _explains(description: str, codes: list[str]) -> bool:
    """Whether a field's description says what its codes mean (not only where they come from)."""
    words = set(re.split(r"[\s:;,()]+", description))
    return any(code in words for code in codes)


def _bounds(schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def _count(low: int | None, high: int | None, unit: str, lead: str) -> str:
    if low and high:
        span = f"{low:,}" if low == high else f"{low:,} to {high:,}"
        return f"{lead} {span} {unit}{'s' if high > 1 else ''}"
    if high:
        return f"{lead} at most {high:,} {unit}{'s' if high > 1 else ''}"
    if low:
        return f"{lead} at least {low} {unit}{'s' if low > 1 else ''}"
    return lead.removesuffix(" of")


def listed(names: Sequence[str], *, limit: int = MAX_CODES, word: str = "or") -> str:
    """``a, b or c``; with more than ``limit``, the first ones and how many others."""
    if not names:
        return "none"
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" {word} " + names[-1]


def quoted(value: Any) -> str:
    """The offending value as a reader sees it, shortened; a long one with its length."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    shown = text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "\u2026"
    if isinstance(value, str):
        shown = f"'{shown}'"
    return shown if len(text) <= MAX_VALUE else f"{shown} ({len(text):,} characters)"


ABSENT: Any = object()
"""The value, when the validator did not say which it was."""


def not_accepted(found: Field, value: Any = ABSENT, *, aspect: str | None = None, json_form: bool = False) -> str:
    """"BirthDate '1991-02-30' is not a calendar date written YYYY-MM-DD, such as 2026-12-03"."""
    subject = f"{found.name} " if found.name else ""
    shown = f"{quoted(value)} " if value is not ABSENT else ""
    message = f"{subject}{shown}is not {expectation(found, aspect=aspect)}"
    kind = (found.schema or {}).get("type")
    if json_form and isinstance(value, str) and kind in ("integer", "number", "boolean"):
        message += "; in JSON write it without quotes"
    if json_form and isinstance(value, (int, float)) and not isinstance(value, bool) and kind == "string":
        message += "; in JSON write it as a string in quotes"
    return message


def missing(names: Sequence[str], *, before: str | None = None) -> str:
    """"Surname is required here but missing"."""
    what = listed(list(names)) if names else "a required field"
    where = f" (expected before {before})" if before else ""
    return f"{what} is required here but missing{where}"


def not_allowed(name: str, allowed: Sequence[str]) -> str:
    """"Consignor is not allowed here; allowed here: Agent, BorderTransportMeans or GoodsShipment"."""
    others = f"; allowed here: {listed(list(allowed))}" if allowed else ""
    return f"{name} is not allowed here{others}"


_NAMESPACE = re.compile(r"\{[^{}]*[:/][^{}]*\}")
"""``{urn:swx:...}`` before a name; a pattern's counts (``{8}``, ``{2,4}``) have no ':' or '/'."""
_ENTRY = re.compile(r"^Element '(?P<element>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: (?P<text>.*)$", re.S)
_VALUE = re.compile(r"^(?:\[facet '\w+'\] )?(?:The value )?'(?P<value>.*)' is not "
                    r"(?:a valid value|accepted|an element)", re.S)
_EXPECTED = re.compile(r"Expected is (?:one of )?\( (?P<names>[^)]*) \)")
_ATTRIBUTE = re.compile(r"The attribute '(?P<name>[^']+)' is (?P<what>required but missing|not allowed)")
_ASPECTS = {"SCHEMA_LENGTH": "length", "SCHEMA_RANGE": "range"}


def xsd_message(message: str, code: str, model: type[BaseModel], tree: etree._ElementTree, path: str | None,
                 xpath: str | None) -> str:
    """libxml2's message in the words ``from_pydantic`` uses for the same fault."""
    entry = _ENTRY.match(_NAMESPACE.sub("", message).strip())
    if entry is None:
        return _without_jargon(_NAMESPACE.sub("", message).strip())
    element, attribute, text = entry["element"], entry["attribute"], entry["text"].strip()
    steps = [re.sub(r"\[\d+\]$", "", step) for step in (xpath or "").split("/")[2:] if step]
    parent_steps = steps[:-1] if steps and steps[-1] == element else steps
    expected = _EXPECTED.search(text)
    names = [n.strip() for n in expected["names"].split(",")] if expected else []
    if (named := _ATTRIBUTE.search(text)) is not None:
        if named["what"] == "not allowed":
            beside = find_field(model, [*parent_steps, element, named["name"]]).siblings
            return not_allowed(named["name"], [n for n in beside if n != "value"])
        return missing([named["name"]])
    if code == "SCHEMA_REQUIRED":
        if "Missing child element" in text:
            return missing(names)
        return missing(names, before=element)
    if code == "SCHEMA_UNEXPECTED":
        if "No matching global declaration" in text:
            return f"{element} is not allowed as the root element; expected {getattr(model, 'xml_root', '')}"
        return not_allowed(element, names)
    if code in ("SCHEMA_PATTERN", "SCHEMA_ENUMERATION", "SCHEMA_TYPE", "SCHEMA_LENGTH", "SCHEMA_RANGE"):
        found = find_field(model, [*parent_steps, element, *([attribute] if attribute else [])])
        if found.schema is not None:
            value = _offending_value(text, tree, path, attribute)
            return not_accepted(found, value, aspect=_ASPECTS.get(code))
    return f"{attribute or element}: {_without_jargon(text)}"


def _offending_value(text: str, tree: etree._ElementTree, path: str | None, attribute: str | None) -> Any:
    """The value libxml2 quotes, else the element's text or attribute in the tree."""
    quoted = _VALUE.match(text)
    if quoted is not None:
        return quoted["value"]
    try:
        found = tree.xpath(path) if path else []
    except etree.XPathError:
        found = []
    if not found or not isinstance(found[0], etree._Element):
        return ABSENT
    element = found[0]
    return element.get(attribute, "") if attribute else (element.text or "").strip()


_JARGON = [
    (re.compile(r"\[facet '\w+'\] ?"), ""),
    (re.compile(r" of the (?:local )?atomic type(?: '[^']*')?"), ""),
    (re.compile(r"Character content other than whitespace is not allowed because the content type is "
                r"'element-only'\."), "text is not allowed here, only the elements it contains"),
    (re.compile(r"Character content is not allowed, because the content type is empty\."),
     "text is not allowed here: the element is empty"),
    (re.compile(r"\bxs:"), ""),
]


def _without_jargon(text: str) -> str:
    for phrase, plain in _JARGON:
        text = phrase.sub(plain, text)
    return text.strip()
