"""A submitted document through the engine, refused with the right status when it fails.

Syntax faults are 400 (malformed), schema and rule faults 422 (invalid), an oversized
body 413, an unsupported media type 415; every refusal carries the findings, at most
``MAX_FINDINGS`` of them and a notice counting the others.
"""

from services.kernel.findings import Layer, bounded, count
from services.kernel.messages.types import Document
from services.kernel.registry import MessageType
from services.kernel.rules import RuleContext
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

FORMAT_MEDIA_TYPES: dict[str, str] = {fmt: media for media, fmt in reversed(MEDIA_TYPES.items())}


def accept_document(body: bytes, *, fmt: str, message_type: MessageType, max_bytes: int,
                    metrics: Metrics, context: RuleContext | None = None) -> tuple[Document, Report]:
    """The typed document, or a problem naming every finding. ``context`` gives the rules
    the documents this one refers to (a certificate of origin's declaration)."""
    report = validate(body, media_type=FORMAT_MEDIA_TYPES[fmt], expected_type=message_type,
                      limits=Limits(max_bytes=max_bytes), context=context)
    counted = report.message_type.key if report.message_type else message_type.key
    if report.valid and report.document is not None:
        metrics.validated(counted, "accepted")
        return report.document, report
    metrics.validated(counted, "refused")
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
