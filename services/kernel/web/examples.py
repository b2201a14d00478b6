"""OpenAPI request bodies with examples drawn from the conformance fixtures.

A type's example is a valid fixture of the version the operation's schema describes (the
latest, unless a version is named): a folder holds samples of every served version, and an
example of 1.1 beside the schema of 2.0 would contradict it.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from services.kernel import resources
from services.kernel.registry import REGISTRY, UnknownMessageType
from services.kernel.validation import json_message_type

FIXTURES = resources.fixtures_dir()


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
    found = _first_sample_of(valid, message_type.key)
    if found is not None:
        path, sample = found
        content["application/json"]["example"] = sample
        pair = path.with_suffix(".xml")
        if pair.is_file():
            content["application/xml"]["example"] = pair.read_text(encoding="utf-8")
    if edifact:
        content["application/edifact"] = {"schema": {"type": "string", "description": "UN/EDIFACT PAXLST"}}
        edi = sorted(valid.glob("*.edi"))
        if edi:
            content["application/edifact"]["example"] = edi[0].read_text(encoding="utf-8")
    return {"requestBody": {"required": True, "content": content}}


def _first_sample_of(folder: Path, key: str) -> tuple[Path, dict[str, Any]] | None:
    """The first JSON fixture in ``folder`` of the type and version ``key`` (``id/version``, as
    the document names it), and its path; None when the folder has none of that version."""
    for path in sorted(folder.glob("*.json")):
        sample = json.loads(path.read_text(encoding="utf-8"))
        try:
            named = json_message_type(sample) if isinstance(sample, dict) else None
        except UnknownMessageType:
            continue
        if named is not None and named.key == key:
            return path, sample
    return None
