"""Errors as RFC 9457 problem details.

Hierarchy (one base, each with its HTTP status)::

    SwxError (500)
    ├── MalformedRequest (400)
    ├── Unauthenticated (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── NotAcceptable (406)
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    └── InvalidDocument (422)  -- carries the validation findings in ``errors``

``add_exception_handlers(app)`` renders every error, FastAPI's own and unexpected ones
included, as ``application/problem+json``; nothing leaks a traceback. A problem's size is
bounded whatever the input: its texts are cut at ``MAX_DETAIL`` characters and its
``errors`` at ``MAX_FINDINGS`` entries and one ``FINDINGS_TRUNCATED`` notice.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.kernel.findings import MAX_FINDINGS, TRUNCATED, Finding, bounded, shorten

PROBLEM_JSON = "application/problem+json"
MAX_DETAIL = 1000
"""Characters of a problem's title and detail: they may quote what the caller sent."""
log = logging.getLogger("swx.http")


class SwxError(Exception):
    status_code = 500
    title = "Internal error"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class MalformedRequest(SwxError):
    status_code, title = 400, "Malformed request"


class Unauthenticated(SwxError):
    status_code, title = 401, "Authentication required"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(SwxError):
    status_code, title = 403, "Forbidden"


class NotFound(SwxError):
    status_code, title = 404, "Not found"


class NotAcceptable(SwxError):
    status_code, title = 406, "Not acceptable"


class Conflict(SwxError):
    status_code, title = 409, "Conflict"


class PayloadTooLarge(SwxError):
    status_code, title = 413, "Payload too large"


class UnsupportedMediaType(SwxError):
    status_code, title = 415, "Unsupported media type"


class InvalidDocument(SwxError):
    status_code, title = 422, "Invalid document"

    def __init__(self, detail: str, findings: list[Finding]) -> None:
        super().__init__(detail, errors=[f.as_dict() for f in bounded(findings)])


def problem(status: int, title: str, detail: str, *, instance: str,
            errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": shorten(title, MAX_DETAIL), "status": status,
                            "detail": shorten(detail, MAX_DETAIL), "instance": shorten(instance, MAX_DETAIL)}
    if errors is not None:
        body["errors"] = _bounded_errors(errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _bounded_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors already bounded as findings pass as they are; a longer list built elsewhere
    (FastAPI's parameter errors) keeps its first entries and a notice counting the rest."""
    if len(errors) <= MAX_FINDINGS + 1:
        return errors
    omitted = len(errors) - MAX_FINDINGS
    notice = {"layer": errors[MAX_FINDINGS].get("layer", "transport"), "code": TRUNCATED, "severity": "error",
              "message": f"{omitted:,} more finding(s) are not listed: at most {MAX_FINDINGS} are given",
              "location": {}}
    return [*errors[:MAX_FINDINGS], notice]


def add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(SwxError)
    async def _swx(request: Request, error: SwxError) -> JSONResponse:
        return problem(error.status_code, error.title, error.detail, instance=request.url.path,
                       errors=error.errors, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"layer": "transport", "code": "REQUEST_INVALID", "severity": "error",
                   "message": shorten(str(e.get("msg"))),
                   "location": {"pointer": shorten("/" + "/".join(map(str, e.get("loc", ()))))}}
                  for e in error.errors()]
        return problem(400, "Malformed request", "the request's parameters are not valid",
                       instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), str(error.detail), instance=request.url.path,
                       headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("request.failed path=%s", request.url.path)
        return problem(500, "Internal error", "the request could not be completed; it has been logged",
                       instance=request.url.path)
