"""Generate each message type's JSON Schema (2020-12) and XSD (1.0) from its pydantic model.

One model, two schemas: the JSON Schema is pydantic's own, less the XSD hints; the XSD
is written from that same JSON Schema, following the canonical mapping of
``services.kernel.xmlmap``. The files under ``schemas/`` are committed so that partners
can read them; a test regenerates them and fails on any drift.
"""

import copy
import json
from typing import Any

from lxml import etree
from pydantic.json_schema import GenerateJsonSchema

from services.kernel.messages.types import XML_TEXT_HINT, XSD_HINT
from services.kernel.xmlmap import TYPE_FIELD, type_field_is_implied

XS = "http://www.w3.org/2001/XMLSchema"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _WithoutFieldTitles(GenerateJsonSchema):
    """Pydantic titles every property ("Functioncode"); the field name says it already."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def model_schema(model: Any) -> dict[str, Any]:
    """The model's JSON Schema with the XSD hints still in it."""
    schema: dict[str, Any] = model.model_json_schema(schema_generator=_WithoutFieldTitles)
    return schema


def json_schema(model: Any, *, schema_id: str) -> dict[str, Any]:
    """The published JSON Schema: dialect, id, and no ``x-`` hints."""
    schema = _strip_hints(copy.deepcopy(model_schema(model)))
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": schema_id, **schema}


def _strip_hints(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_hints(v) for k, v in node.items() if k not in (XSD_HINT, XML_TEXT_HINT)}
    if isinstance(node, list):
        return [_strip_hints(v) for v in node]
    return node


def render_json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def xsd(model: Any, *, namespace: str, root_element: str) -> bytes:
    """The XSD of the model's canonical XML form."""
    schema = model_schema(model)
    writer = _XsdWriter(schema.get("$defs", {}))
    root_schema = {k: v for k, v in schema.items() if k != "$defs"}
    if type_field_is_implied(model):
        root_schema["properties"] = {
            k: v for k, v in root_schema["properties"].items() if k != TYPE_FIELD
        }
    xs_schema = etree.Element(
        f"{{{XS}}}schema",
        nsmap={"xs": XS, None: namespace},
        targetNamespace=namespace,
        elementFormDefault="qualified",
        attributeFormDefault="unqualified",
        version="1.0",
    )
    _document(xs_schema, root_schema.get("description"))
    etree.SubElement(xs_schema, f"{{{XS}}}element", name=root_element, type=schema["title"])
    writer.complex_type(xs_schema, schema["title"], root_schema)
    for name in sorted(writer.defs):
        writer.complex_type(xs_schema, name, writer.defs[name])
    etree.indent(xs_schema, space="  ")
    text: bytes = etree.tostring(xs_schema, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return text


def _document(parent: etree._Element, description: str | None) -> None:
    if description:
        annotation = etree.SubElement(parent, f"{{{XS}}}annotation")
        doc = etree.SubElement(annotation, f"{{{XS}}}documentation")
        doc.text = " ".join(description.split())


def _ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _unwrap_optional(node: dict[str, Any]) -> dict[str, Any]:
    options = node.get("anyOf")
    if options:
        present = [o for o in options if o.get("type") != "null"]
        if len(present) == 1:
            merged = {k: v for k, v in node.items() if k != "anyOf"}
            return {**present[0], **merged}
    return node


class _XsdWriter:
    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs

    def complex_type(self, parent: etree._Element, name: str, node: dict[str, Any]) -> None:
        complex_type = etree.SubElement(parent, f"{{{XS}}}complexType", name=name)
        _document(complex_type, node.get("description"))
        properties: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        text_field = node.get(XML_TEXT_HINT)
        if text_field:
            content = etree.SubElement(complex_type, f"{{{XS}}}simpleContent")
            extension = etree.SubElement(content, f"{{{XS}}}extension", base=f"{name}Value")
            for prop, spec in properties.items():
                if prop == text_field:
                    continue
                attribute = etree.SubElement(
                    extension, f"{{{XS}}}attribute", name=prop,
                    use="required" if prop in required else "optional",
                )
                self.simple_type(attribute, _unwrap_optional(spec))
            self.simple_type(parent, properties[text_field], name=f"{name}Value")
            return
        sequence = etree.SubElement(complex_type, f"{{{XS}}}sequence")
        for prop, raw in properties.items():
            spec = _unwrap_optional(raw)
            element = etree.SubElement(sequence, f"{{{XS}}}element", name=prop)
            is_required = prop in required
            if spec.get("type") == "array":
                element.set("minOccurs", str(spec.get("minItems", 0) if is_required else 0))
                element.set("maxOccurs", str(spec.get("maxItems", "unbounded")))
                spec = _unwrap_optional(spec["items"])
            elif not is_required:
                element.set("minOccurs", "0")
            _document(element, raw.get("description"))
            ref = _ref_name(spec)
            if ref is not None:
                element.set("type", ref)
            else:
                self.simple_type(element, spec)

    def simple_type(self, parent: etree._Element, spec: dict[str, Any], *, name: str | None = None) -> None:
        simple = etree.SubElement(parent, f"{{{XS}}}simpleType")
        if name:
            simple.set("name", name)
        restriction = etree.SubElement(simple, f"{{{XS}}}restriction", base=f"xs:{_base_type(spec)}")
        for value in spec.get("enum", [spec["const"]] if "const" in spec else []):
            etree.SubElement(restriction, f"{{{XS}}}enumeration", value=str(value))
        if "pattern" in spec:
            etree.SubElement(restriction, f"{{{XS}}}pattern", value=_xsd_pattern(spec["pattern"]))
        facets = (("minLength", "minLength"), ("maxLength", "maxLength"),
                  ("minimum", "minInclusive"), ("maximum", "maxInclusive"))
        for json_key, facet in facets:
            if json_key in spec and "enum" not in spec:
                etree.SubElement(restriction, f"{{{XS}}}{facet}", value=str(spec[json_key]))


def _base_type(spec: dict[str, Any]) -> str:
    if XSD_HINT in spec:
        return str(spec[XSD_HINT])
    return {"integer": "integer", "boolean": "boolean", "number": "decimal"}.get(spec.get("type", ""), "string")


def _xsd_pattern(pattern: str) -> str:
    """JSON Schema patterns are searched and anchored by hand; XSD patterns are always whole."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"pattern {pattern!r} must be anchored with ^...$ to mean the same in XSD")
    return pattern[1:-1]


def expected_files(message_types: Any) -> dict[Any, bytes]:
    """Every schema file the registry's types should have, path -> exact content."""
    files: dict[Any, bytes] = {}
    for message_type in message_types:
        files[message_type.json_schema_path] = render_json(
            json_schema(message_type.model, schema_id=message_type.namespace)
        ).encode("utf-8")
        files[message_type.xsd_path] = xsd(
            message_type.model, namespace=message_type.namespace, root_element=message_type.root_element
        )
    return files


def write_files(message_types: Any) -> list[Any]:
    """Regenerate the committed schema files; return the paths that changed."""
    changed = []
    for path, content in expected_files(message_types).items():
        if not path.exists() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            changed.append(path)
    return changed
