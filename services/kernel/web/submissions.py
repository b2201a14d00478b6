"""A submitted document through the engine, refused with the right status when it fails.

Syntax faults are 400 (malformed), schema and rule faults 422 (invalid), an oversized
body 413, an unsupported media type 415; every refusal carries the findings, at most
``MAX_FINDINGS`` of them and a notice counting the others.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.kernel.findings import Layer, bounded, count
from services.kernel.messages.types import Document
from services.kernel.registry import MessageType
from services.kernel.safeparse import Limits
from services.kernel.validation import MEDIA_TYPES, Report, validate
from services.kernel.web.observability import Metrics
from services.kernel.web.problems import (
    InvalidDocument,
    MalformedRequest,
    PayloadTooLarge,
    SwxError,
    UnsupportedMediaType,
)

if TYPE_CHECKING:
    from services.kernel.web.bodies import ReceivedBody

FORMAT_MEDIA_TYPES: dict[str, str] = {fmt: media for media, fmt in reversed(MEDIA_TYPES.items())}
Record = TypeVar("Record")


@dataclass(frozen=True)
class Stored(Generic[Record]):
    """A submission's record, and whether this request stored it or found it stored before
    (the same document again: a replay, answered with the record as it stands)."""

    record: Record
    created: bool


def stored_response(resource: BaseModel, *, created: bool, location: str) -> JSONResponse:
    """201 for a record this request stored, 200 for one stored before; ``Location`` names it either way."""
    return ModelJSONResponse(resource, status_code=201 if created else 200, headers={"Location": location})


class ModelJSONResponse(JSONResponse):
    """A pydantic model as JSON, written by pydantic's serializer in one pass: the same bytes
    as ``JSONResponse(model.model_dump(mode="json"))`` (compact, UTF-8 unescaped), without
    building the dictionary first and encoding it again with ``json``."""

    def render(self, content: Any) -> bytes:
        if not isinstance(content, BaseModel):
            return super().render(content)
        return content.model_dump_json().encode("utf-8")


@dataclass(frozen=True)
class Intake:
    """How a service takes documents in: the body limit of its settings, and its metrics,
    which count every document accepted or refused, by type (``IntakeDep`` gives it)."""

    max_bytes: int
    metrics: Metrics

    @property
    def limits(self) -> Limits:
        return Limits(max_bytes=self.max_bytes)

    def accept(self, received: "ReceivedBody", message_type: MessageType) -> tuple[Document, Report]:
        """The typed document and its report (for its warnings), or a problem naming every finding."""
        report = validate(received.data, media_type=FORMAT_MEDIA_TYPES[received.format], expected_type=message_type,
                          limits=self.limits)
        counted = report.message_type.key if report.message_type else message_type.key
        if report.valid and report.document is not None:
            self.metrics.validated(counted, "accepted")
            return report.document, report
        self.metrics.validated(counted, "refused")
        raise refusal(report, message_type)


def refusal(report: Report, message_type: MessageType) -> SwxError:
    """The problem for a report with errors: 413, 415, 400 (syntax) or 422 (schema, rules)."""
    findings = bounded(report.findings)
    errors = [f for f in findings if f.is_error] or findings
    first = errors[0]
    where = f" at {first.location}" if str(first.location) else ""
    detail = (f"the {message_type.type_id} document was refused with {count(findings, errors_only=True) or 1:,} "
              f"error(s); the first: {first.code}{where}: {first.message}")
    error: SwxError
    if first.code == "BODY_TOO_LARGE":
        error = PayloadTooLarge(detail)
    elif first.code == "UNSUPPORTED_MEDIA_TYPE":
        error = UnsupportedMediaType(detail)
    elif first.layer in (Layer.TRANSPORT, Layer.SYNTAX):
        error = MalformedRequest(detail)
    else:
        return InvalidDocument(detail, findings)
    error.errors = [f.as_dict() for f in findings]
    return error
