"""The canonical JSON and XML text of a typed document: what swx writes and compares."""

import hashlib
from typing import Any

from lxml import etree

from services.kernel import xmlmap
from services.kernel.messages.types import Document
from services.kernel.registry import MessageType


def json_data(document: Document) -> dict[str, Any]:
    """JSON-ready data: decimals as strings, dates in ISO 8601, absent values left out."""
    data: dict[str, Any] = document.model_dump(mode="json", exclude_none=True)
    return data


def json_text(document: Document) -> str:
    """The canonical JSON text (pydantic's serializer: the same text as ``json.dumps(json_data(...),
    indent=2, ensure_ascii=False)``, several times faster)."""
    return document.model_dump_json(indent=2, exclude_none=True) + "\n"


def xml_bytes(document: Document, message_type: MessageType) -> bytes:
    element = xmlmap.to_xml(document, namespace=message_type.namespace)
    text: bytes = etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return text


def digest(payload: str) -> str:
    """Lower-case hex SHA-256 of the payload's UTF-8 bytes, as envelopes carry it."""
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
