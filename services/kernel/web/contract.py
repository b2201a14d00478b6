"""What the OpenAPI documents promise: every status a route can answer with, each error as
the RFC 9457 problem+json the kernel's handlers really write, and the paging bounds.

A route declares the statuses only it gives: ``responses=problem_responses(403, 404)``.
``install_contract(app)`` then fixes what FastAPI writes on its own: it replaces the
``422 HTTPValidationError`` FastAPI adds to every route with parameters (the kernel answers
a bad parameter with a 400 problem, never that schema) by a 400 problem, adds the 401
problem to every route behind the bearer credential, and puts the ``Problem`` schema in
the components, so the document lists exactly what the route returns.
"""

import copy
import re
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer
from sqlmodel import Session

from services.kernel.outbox import message_summaries
from services.kernel.registry import REGISTRY
from services.kernel.web.examples import document_body
from services.kernel.web.problems import PROBLEM_JSON

MAX_OFFSET = 2**31 - 1
"""The largest ``offset`` a list takes: far past any real page, and an integer every
database takes (an offset of 2**63 overflowed SQLite and PostgreSQL into a 500)."""
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip, newest first")]


class ProblemLocation(BaseModel):
    pointer: str | None = Field(default=None, description="JSON Pointer (RFC 6901) into the document")
    xpath: str | None = None
    line: int | None = None
    segment: int | None = Field(default=None, description="EDIFACT segment number")
    tag: str | None = Field(default=None, description="EDIFACT segment tag")

    # no return annotation: pydantic then documents the fields rather than "any object"
    @model_serializer(mode="wrap")
    def _only_given(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        """As findings are written everywhere: a location names only what it has."""
        return {key: value for key, value in handler(self).items() if value is not None}


class ProblemFinding(BaseModel):
    layer: str = Field(description="transport | syntax | schema | rules")
    code: str
    severity: str = Field(description="error | warning")
    message: str
    location: ProblemLocation = Field(default_factory=ProblemLocation)
    subject: str | None = Field(default=None, description="the person or item the finding is about (a JSON "
                                "Pointer, e.g. /Person/8): decided there, not by refusing the whole document")


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of every swx service is written."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemFinding] | None = Field(default=None, description="validation findings, when there are")


class AnswerPublic(BaseModel):
    """The business answer an outbound message got back."""

    message_id: str
    document_type: str
    received_at: str = Field(description="ISO 8601")


class OutboundMessagePublic(BaseModel):
    """A message a record sent through the hub, as the record's GET shows it."""

    message_id: str
    receiver: str
    document_type: str
    state: str
    attempts: int
    last_error: str | None = Field(description="why the last attempt failed; for a dead letter, why it was given up")
    failed_at: str | None = Field(default=None, description="when it became a dead letter (FAILED or REFUSED): an "
                                  "operator replays it; submitting the record again queues a FAILED one again")
    requeued_at: str | None = Field(default=None, description="when it was queued again after it had failed")
    answer: AnswerPublic | None


def outbound_messages(session: Session, subject: str) -> list[OutboundMessagePublic]:
    """The messages the record ``subject`` names sent through the hub, as its GET shows them."""
    return [OutboundMessagePublic.model_validate(m) for m in message_summaries(session, subject)]


_DESCRIPTIONS = {
    400: "Malformed request: unreadable body or invalid parameters",
    401: "No valid credential (Authorization: Bearer <token>)",
    403: "The credential may not do this",
    404: "Not found, or not visible to this credential",
    406: "None of the media types in Accept can be given",
    408: "The body did not arrive within the server's deadline (SWX_HTTP_BODY_TIMEOUT)",
    409: "Conflict with what is stored",
    413: "Body larger than the service accepts",
    415: "Content-Type not accepted here",
    422: "Invalid document or envelope; the findings are in errors",
    429: "Too many requests for this credential; retry after Retry-After seconds",
    503: "Unavailable for a moment; retry after Retry-After seconds",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
BODY_ERRORS = (400, 408, 413, 415)
"""What reading any request body can give: empty or unreadable, too slow, too large, wrong media type."""


def problem_responses(*statuses: int, descriptions: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, all as problem+json; the
    schema is named by reference (no ``model``: FastAPI would list it as application/json)."""
    told = descriptions or {}
    return {status: {"description": told.get(status, _DESCRIPTIONS.get(status, "Error")),
                     "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}},
                     **({"headers": dict(_RETRY_AFTER)} if status in (429, 503) else {})}
            for status in statuses}


def request_body(type_id: str, *, formats: tuple[str, ...] = ("json", "xml")) -> dict[str, Any]:
    """``openapi_extra`` for a body of the type in these formats (json, xml, edifact): the
    JSON form with the type's generated JSON Schema, the others as text, each with a sample."""
    extra = copy.deepcopy(document_body(type_id, edifact="edifact" in formats))
    content: dict[str, Any] = extra["requestBody"]["content"]
    schema = {key: value for key, value in REGISTRY.get(type_id).json_schema.items()
              if key not in ("$id", "$schema")}  # an $id would move where the schema's references point
    content["application/json"]["schema"] = schema
    if "xml" not in formats:
        del content["application/xml"]
    if "json" not in formats:
        del content["application/json"]
    return extra


def install_contract(app: FastAPI) -> None:
    """Let ``app.openapi()`` write the document as described in this module's docstring."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                                   summary=app.summary, description=app.description, routes=app.routes,
                                   tags=app.openapi_tags, servers=app.servers)
            app.openapi_schema = documented(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def documented(document: dict[str, Any]) -> dict[str, Any]:
    """The document with FastAPI's validation-error entries replaced by the service's real ones."""
    for path in document.get("paths", {}).values():
        for operation in path.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            generated = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if generated.get("$ref", "").endswith("/HTTPValidationError"):
                del responses["422"]
            if operation.get("parameters") and "400" not in responses:
                responses["400"] = problem_responses(400, descriptions={400: "Invalid parameters"})[400]
            if operation.get("security") and "401" not in responses:
                responses["401"] = problem_responses(401)[401]
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                if "$defs" in media.get("schema", {}):
                    media["schema"] = _hoisted(media["schema"], schemas)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    return document


def _hoisted(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A document's JSON Schema with its ``$defs`` moved into the components: references
    inside an OpenAPI document resolve from the document's root, not from the schema's."""
    prefix = re.sub(r"[^A-Za-z0-9._-]", "_", str(schema.get("title", "Document")))
    local = {f"#/$defs/{name}": f"#/components/schemas/{prefix}.{name}" for name in schema.get("$defs", {})}

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: (local.get(value, value) if key == "$ref" else rewrite(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    body = rewrite({key: value for key, value in schema.items() if key != "$defs"})
    for name, definition in schema["$defs"].items():
        components[f"{prefix}.{name}"] = rewrite(definition)
    return body  # type: ignore[no-any-return]
