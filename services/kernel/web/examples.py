"""OpenAPI request bodies with examples drawn from the conformance fixtures."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from services.kernel.registry import REGISTRY

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


@cache
def document_body(type_id: str, *, edifact: bool = False) -> dict[str, Any]:
    """``openapi_extra`` describing a JSON, XML (and EDIFACT) body of the type, with a real sample."""
    message_type = REGISTRY.get(type_id)
    schema_ref = {"type": "object", "description": f"{message_type.key}: see {message_type.json_schema_path.name}"}
    content: dict[str, Any] = {
        "application/json": {"schema": schema_ref},
        "application/xml": {"schema": {"type": "string", "description": f"XML in {message_type.namespace}"}},
    }
    valid = FIXTURES / message_type.type_id / "valid"
    samples = sorted(valid.glob("*.json"))
    if samples:
        content["application/json"]["example"] = json.loads(samples[0].read_text(encoding="utf-8"))
        pair = samples[0].with_suffix(".xml")
        if pair.is_file():
            content["application/xml"]["example"] = pair.read_text(encoding="utf-8")
    if edifact:
        content["application/edifact"] = {"schema": {"type": "string", "description": "UN/EDIFACT PAXLST"}}
        edi = sorted(valid.glob("*.edi"))
        if edi:
            content["application/edifact"]["example"] = edi[0].read_text(encoding="utf-8")
    return {"requestBody": {"required": True, "content": content}}
