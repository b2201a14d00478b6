"""The one canonical JSON<->XML mapping, driven by the pydantic models.

Rules, the same for every message type:
- the root element is the model's ``xml_root`` in the type's namespace; every element is
  qualified, attributes are not;
- a field is a child element of the same name, in the model's field order; a list field
  is the element repeated; an absent optional field is an absent element;
- a ``TextWithAttributes`` model is an element whose text is ``value`` and whose other
  fields are attributes (``<InvoiceAmount currencyID="USD">12.50</InvoiceAmount>``);
- scalars are written as the canonical JSON form writes them (pydantic's JSON mode), so
  the two forms carry the same characters;
- the JSON form's ``document_type`` is not written in XML: the namespace says it.
"""

import threading
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Union

from lxml import etree
from pydantic import BaseModel

from services.kernel.messages.types import Document, TextWithAttributes

TYPE_FIELD = "document_type"


@dataclass(frozen=True)
class FieldPlan:
    name: str
    is_list: bool
    model: type[BaseModel] | None
    is_text: bool
    """True when the scalar is a string, whose surrounding white space is data."""


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Optional and Annotated; say whether the field is a list."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0]
        elif origin is list:
            is_list = True
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation, is_list


@cache
def field_plans(model: type[BaseModel]) -> dict[str, FieldPlan]:
    plans: dict[str, FieldPlan] = {}
    for name, info in model.model_fields.items():
        inner, is_list = _unwrap(info.annotation)
        nested = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
        is_text = inner is str or typing.get_origin(inner) is typing.Literal
        plans[name] = FieldPlan(name=name, is_list=is_list, model=nested, is_text=is_text)
    return plans


def xml_fields(model: type[BaseModel]) -> list[FieldPlan]:
    """The fields written as elements or attributes, in order."""
    skip = TYPE_FIELD if type_field_is_implied(model) else None
    return [p for p in field_plans(model).values() if p.name != skip]


def type_field_is_implied(model: type[BaseModel]) -> bool:
    field = model.model_fields.get(TYPE_FIELD)
    return field is not None and typing.get_origin(field.annotation) is typing.Literal


def _scalar_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def to_xml(document: Document, *, namespace: str) -> etree._Element:
    """Build the canonical XML element tree of a validated document."""
    data = document.model_dump(mode="json", exclude_none=True)
    root = etree.Element(f"{{{namespace}}}{document.xml_root}", nsmap={None: namespace})
    _fill(root, data, type(document), namespace)
    return root


def _fill(element: etree._Element, data: dict[str, Any], model: type[BaseModel], ns: str) -> None:
    if issubclass(model, TextWithAttributes):
        for plan in xml_fields(model):
            if plan.name in data and plan.name != "value":
                element.set(plan.name, _scalar_text(data[plan.name]))
        element.text = _scalar_text(data["value"])
        return
    for plan in xml_fields(model):
        if plan.name not in data:
            continue
        values = data[plan.name] if plan.is_list else [data[plan.name]]
        for value in values:
            child = etree.SubElement(element, f"{{{ns}}}{plan.name}")
            if plan.model is not None:
                _fill(child, value, plan.model, ns)
            else:
                child.text = _scalar_text(value)


def from_xml(root: etree._Element, model: type[BaseModel]) -> dict[str, Any]:
    """Read an XML tree (already schema-valid) into the model's JSON-shaped dict.

    Scalars stay strings; ``model.model_validate(result, strict=False)`` types them. This
    is on every XML request's path, so each child is looked up by its qualified tag as it
    stands (``{namespace}Name``) in a plan made once per model and namespace, rather than
    through QName or a slice of the tag.
    """
    tag = str(root.tag)
    namespace_length = tag.index("}") + 1 if tag.startswith("{") else 0
    plan = _reading_plan(model, tag[:namespace_length])
    assert plan is not None  # a document root is never a text element
    return _read(root, plan, namespace_length)


@dataclass(frozen=True)
class _ChildPlan:
    """How to read one child element: its field name, and for a model the plan of its own children
    (None for a ``TextWithAttributes`` element, read as its attributes and text)."""

    name: str
    is_list: bool
    is_model: bool
    is_text: bool
    children: "dict[str, _ChildPlan] | None"


_PLANS: dict[tuple[type[BaseModel], str], dict[str, _ChildPlan] | None] = {}
_PLANS_MADE = threading.Lock()


def _reading_plan(model: type[BaseModel], namespace: str) -> dict[str, _ChildPlan] | None:
    """The children of a ``model`` element in ``namespace`` by qualified tag; None for a text
    element. Made once (under a lock, and published only whole: a request thread never sees
    half a plan)."""
    key = (model, namespace)
    if key in _PLANS:
        return _PLANS[key]
    with _PLANS_MADE:
        made: dict[tuple[type[BaseModel], str], dict[str, _ChildPlan] | None] = {}
        plan = _make_plan(model, namespace, made)
        _PLANS.update(made)
    return plan


def _make_plan(model: type[BaseModel], namespace: str,
               made: dict[tuple[type[BaseModel], str], dict[str, _ChildPlan] | None]) -> dict[str, _ChildPlan] | None:
    key = (model, namespace)
    if key in _PLANS:
        return _PLANS[key]
    if key in made:
        return made[key]
    if issubclass(model, TextWithAttributes):
        made[key] = None
        return None
    plan: dict[str, _ChildPlan] = {}
    made[key] = plan  # before the fields: a model that contains itself finds it
    for name, field in field_plans(model).items():
        children = _make_plan(field.model, namespace, made) if field.model is not None else None
        plan[namespace + name] = _ChildPlan(name=name, is_list=field.is_list, is_model=field.model is not None,
                                            is_text=field.is_text, children=children)
    return plan


def _read(element: etree._Element, plan: dict[str, _ChildPlan], cut: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in element:
        found = plan.get(child.tag)  # type: ignore[arg-type]  # a comment's or PI's tag is a function
        if found is None:
            tag = child.tag
            if isinstance(tag, str):  # comments and PIs carry no data
                result[tag[cut:]] = child.text  # unknown: left for the model to refuse by name
            continue
        value: Any
        if found.is_model:
            if found.children is None:
                value = dict(child.attrib)
                value["value"] = (child.text or "").strip()
            else:
                value = _read(child, found.children, cut)
        elif found.is_text:
            value = child.text or ""
        else:
            value = (child.text or "").strip()
        if not found.is_list:
            result[found.name] = value
        elif found.name in result:
            result[found.name].append(value)
        else:
            result[found.name] = [value]
    return result
