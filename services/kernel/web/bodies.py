"""Request bodies in, documents out: size limits, media types, content negotiation."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from services.kernel import canonical
from services.kernel.messages.types import Document
from services.kernel.registry import MessageType
from services.kernel.validation import media_format
from services.kernel.web.deps import SettingsDep
from services.kernel.web.problems import MalformedRequest, NotAcceptable, PayloadTooLarge, UnsupportedMediaType
from services.kernel.web.service import ServiceSettings

XML, JSON = "application/xml", "application/json"


async def read_body(request: Request, *, max_bytes: int, accepted: tuple[str, ...]) -> tuple[bytes, str]:
    """The body and its format, refused early when too large or of a type not accepted.

    The declared Content-Length is checked first; the stream is then read in chunks and
    abandoned as soon as it passes the limit, so an oversized body is never held whole.
    """
    content_type = request.headers.get("content-type")
    if not content_type:
        raise UnsupportedMediaType(f"give a Content-Type: one of {', '.join(_media(accepted))}")
    found = media_format(content_type)
    if found not in accepted:
        raise UnsupportedMediaType(f"{content_type.split(';')[0]} is not accepted here; "
                                   f"send one of {', '.join(_media(accepted))}")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise MalformedRequest("Content-Length is not a number")
        if int(declared) > max_bytes:
            raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLarge(f"the body is larger than the limit of {max_bytes} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise MalformedRequest("the client disconnected before its body arrived") from None
    if size == 0:
        raise MalformedRequest("the body is empty")
    return b"".join(chunks), found


@dataclass(frozen=True)
class ReceivedBody:
    data: bytes
    format: str


def body_dependency(*accepted: str) -> Callable[[Request, ServiceSettings], Awaitable[ReceivedBody]]:
    """Read the body on the event loop, so that the endpoint itself can be a plain ``def``:
    FastAPI runs those in worker threads, where database calls may block without stalling
    every other request (a blocked event loop cannot even finish the request holding a lock)."""

    async def receive(request: Request, settings: SettingsDep) -> ReceivedBody:
        data, found = await read_body(request, max_bytes=settings.max_body_bytes, accepted=accepted)
        return ReceivedBody(data, found)

    return receive


DocumentBody = Annotated[ReceivedBody, Depends(body_dependency("xml", "json"))]
"""An XML or JSON document body, size-checked while it streams in. Endpoints name it after
the caller (401 before 415) and before the session (a slow upload never holds the database)."""
EnvelopeBody = Annotated[ReceivedBody, Depends(body_dependency("json", "xml"))]
"""A signed ``exchange.envelope`` as JSON or XML, as its sender signed it."""


def _media(formats: tuple[str, ...]) -> list[str]:
    names = {"xml": f"{XML} (or a type ending in +xml)", "json": f"{JSON} (or +json)", "edifact": "application/edifact"}
    return [names[f] for f in formats]


def wants_xml(request: Request) -> bool:
    """Follow Accept: XML when asked for it (and preferred to JSON), JSON otherwise."""
    accept = request.headers.get("accept", "")
    if not accept or accept.strip() == "*/*":
        return False
    best, best_q = "json", -1.0
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        kind = {"application/xml": "xml", "text/xml": "xml", "application/json": "json",
                "application/problem+json": "json", "*/*": "json", "application/*": "json"}.get(media)
        if kind and q > best_q:
            best, best_q = kind, q
    if best_q <= 0:
        raise NotAcceptable("this resource is available as application/json or application/xml")
    return best == "xml"


def document_response(request: Request, document: Document, message_type: MessageType,
                      *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    if wants_xml(request):
        return Response(canonical.xml_bytes(document, message_type), status_code=status_code,
                        media_type=XML, headers=headers)
    return Response(canonical.json_text(document).encode("utf-8"), status_code=status_code,
                    media_type=JSON, headers=headers)
