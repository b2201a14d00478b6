"""Serve a component's ASGI app with uvicorn, bounded against slow and excess clients.

``python -m services.kernel.web.server services.hub.app:create_app --factory --host 0.0.0.0 --port 8000``
runs one component as ``uvicorn --factory ...`` would, plus what uvicorn does not do alone:

- **request-header deadline**: a request's line and headers must arrive within
  ``SWX_HTTP_HEADER_TIMEOUT`` seconds (10) of its first byte, or of the connection when it
  sends nothing. The deadline is not pushed back by each byte, so a client that drips a
  header a byte at a time (slowloris) is cut off as surely as one that stops. A partial
  request is answered ``408`` (problem+json, ``Connection: close``); a silent connection is
  just closed. uvicorn's own keep-alive timer only runs between requests and stops at the
  first byte of the next one.
- **request-body deadline**: once its headers are in, a request's whole body must arrive
  within ``SWX_HTTP_BODY_TIMEOUT`` seconds (30), however it is dripped; otherwise it is
  answered ``408`` (problem+json, ``Connection: close``), or just closed if its response
  has begun. It bounds too a client that goes on sending a body the app did not wait for.
- **keep-alive**: an idle connection between requests is closed after
  ``SWX_HTTP_KEEP_ALIVE_TIMEOUT`` seconds (5).
- **concurrency limit**: beyond ``SWX_HTTP_LIMIT_CONCURRENCY`` (512) open connections or
  requests in flight in this process, a request is answered ``503`` problem+json with
  ``Retry-After: SWX_HTTP_RETRY_AFTER`` (1) and its connection closed, as uvicorn's
  ``limit_concurrency`` would but in the network's error format. Keep it below the process's
  file-descriptor limit.
- **connection cap**: beyond ``SWX_HTTP_MAX_CONNECTIONS`` (1024, above the concurrency
  limit) open connections, a newly accepted one is closed at once, before it can send
  anything, and the first such refusal of a burst is logged (``http.connections_refused``).
- **backlog**: ``SWX_HTTP_BACKLOG`` (1024) connections may wait in the kernel to be accepted.
- **a quiet idle loop**: uvicorn's server wakes ten times a second to look for a stop signal
  and, every tenth time, to renew the ``Date`` header; this one wakes once a second, on the
  second, for the header, and at once on a stop signal, so an idle server costs next to no CPU.

The protocol is uvicorn's h11 one, always: the deadlines hook into h11's parser state, and
httptools is not a dependency of the project.
"""

import argparse
import asyncio
import json
import logging
import sys
import time
from types import FrameType
from typing import Any

import h11
import uvicorn
from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.importer import import_from_string
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

log = logging.getLogger("swx.http")
STARTUP_FAILURE = 3
"""The exit code when the app or the listening socket cannot start, as uvicorn's."""


class HttpServerSettings(BaseSettings):
    """How long and how many clients one process serves (``SWX_HTTP_*``)."""

    model_config = SettingsConfigDict(env_prefix="SWX_HTTP_")

    header_timeout: float = Field(10.0, gt=0)
    body_timeout: float = Field(30.0, gt=0)
    """Seconds for a request's whole body, from the end of its headers."""
    keep_alive_timeout: int = Field(5, gt=0)
    limit_concurrency: int = Field(512, gt=0)
    max_connections: int = Field(1024, gt=0)
    """Open connections past which a new one is closed unheard."""
    backlog: int = Field(1024, gt=0)
    retry_after: int = Field(1, ge=0)
    graceful_shutdown_timeout: int = Field(10, gt=0)
    """Seconds a stopping server waits for requests in flight before it closes them."""

    @model_validator(mode="after")
    def _cap_above_the_concurrency_limit(self) -> "HttpServerSettings":
        # at or below it, connections would be closed unheard before any could hear the 503
        if self.max_connections <= self.limit_concurrency:
            raise ValueError(f"SWX_HTTP_MAX_CONNECTIONS ({self.max_connections}) must be above "
                             f"SWX_HTTP_LIMIT_CONCURRENCY ({self.limit_concurrency})")
        return self


def _problem_bytes(status: int, title: str, detail: str) -> bytes:
    return json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()


def _request_timeout(part: str) -> bytes:
    body = _problem_bytes(408, "Request timeout", f"the request's {part} did not arrive in time")
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/problem+json\r\n"
            b"connection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


REQUEST_TIMEOUT = _request_timeout("headers")
BODY_TIMEOUT = _request_timeout("body")
LINGER = 2.0
"""Seconds a connection answered 408 stays half-open, reading and dropping what the client
still sends, before it is closed (sooner when the client closes)."""


class ConnectionCap:
    """The open-connection cap, shared by every connection of one server; it remembers
    whether it is refusing, so that a flood is logged once, not once a connection."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.refusing = False


class BoundedConfig(uvicorn.Config):
    """uvicorn's configuration with the deadlines and the connection cap the protocol reads."""

    def __init__(self, app: ASGIApp, *, header_timeout: float, body_timeout: float, max_connections: int,
                 **options: Any) -> None:
        super().__init__(app, **options)
        self.header_timeout, self.body_timeout = header_timeout, body_timeout
        self.connection_cap = ConnectionCap(max_connections)


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose request head or body is late,
    and one accepted past the connection cap.

    The header deadline is armed when the connection opens and when the first bytes of a
    request arrive on an idle keep-alive connection; it gives way to the body deadline once
    h11 has the whole head of the request (its state for the client leaves ``IDLE`` for
    ``SEND_BODY``), and that is cancelled once the body is in (``DONE``)."""

    def __init__(self, config: uvicorn.Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        defaults = HttpServerSettings.model_fields
        bounded = config if isinstance(config, BoundedConfig) else None
        self.header_timeout: float = bounded.header_timeout if bounded else defaults["header_timeout"].default
        self.body_timeout: float = bounded.body_timeout if bounded else defaults["body_timeout"].default
        self.connection_cap = bounded.connection_cap if bounded else ConnectionCap(defaults["max_connections"].default)
        self.header_deadline: asyncio.TimerHandle | None = None
        self.body_deadline: asyncio.TimerHandle | None = None
        self.lingering = False
        """Answered 408 and half-closed: what the client still sends is read and dropped."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        cap = self.connection_cap
        if len(self.connections) > cap.limit:
            # closed before it is read: it costs a socket for a moment, not a request slot
            if not cap.refusing:
                log.warning("http.connections_refused open=%d limit=%d", len(self.connections), cap.limit)
            cap.refusing = True
            transport.close()
            return
        if cap.refusing:
            cap.refusing = False
            log.info("http.connections_accepted open=%d limit=%d", len(self.connections), cap.limit)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return
        super().data_received(data)
        self._follow_request(data_arrived=True)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # a pipelined request already received may have started without data_received
        self._follow_request(data_arrived=False)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        self._cancel_body_deadline()
        super().connection_lost(exc)

    def _follow_request(self, *, data_arrived: bool) -> None:
        """Arm the deadline of the part of the request being received, cancel the others."""
        state = self.conn.their_state
        if self.transport.is_closing() or state not in (h11.IDLE, h11.SEND_BODY):
            self._cancel_header_deadline()
            self._cancel_body_deadline()
        elif state is h11.IDLE:
            self._cancel_body_deadline()
            if self.header_deadline is None and (data_arrived or self.conn.trailing_data[0]):
                self._arm_header_deadline()
        else:
            self._cancel_header_deadline()
            if self.body_deadline is None:
                self.body_deadline = self.loop.call_later(self.body_timeout, self._body_deadline_passed)

    def _arm_header_deadline(self) -> None:
        self.header_deadline = self.loop.call_later(self.header_timeout, self._header_deadline_passed)

    def _cancel_header_deadline(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _cancel_body_deadline(self) -> None:
        if self.body_deadline is not None:
            self.body_deadline.cancel()
            self.body_deadline = None

    def _header_deadline_passed(self) -> None:
        self.header_deadline = None
        if self.transport.is_closing():
            return
        partial, _ = self.conn.trailing_data
        log.info("http.header_timeout client=%s after=%gs received=%d", self._client(), self.header_timeout,
                 len(partial))
        if partial:  # a request begun and not finished hears why; a silent connection is just closed
            self._answer_and_close(REQUEST_TIMEOUT)
        else:
            self.transport.close()

    def _body_deadline_passed(self) -> None:
        self.body_deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        answered = cycle is not None and cycle.response_started
        log.info("http.body_timeout client=%s after=%gs path=%s answered=%s", self._client(), self.body_timeout,
                 self.scope["path"] if self.scope else "", answered)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app, still reading, hears a disconnect; nothing it sends goes out
        if not answered:
            self._answer_and_close(BODY_TIMEOUT)
        else:
            self.transport.close()

    def _answer_and_close(self, answer: bytes) -> None:
        """Send ``answer`` and close without losing it: a client still sending (a late request
        keeps dripping) would otherwise find the socket closed with its bytes unread, and the
        kernel's reset (RST) can discard the answer before the client reads it. So the write
        side is shut once the answer is out (FIN), what still arrives is dropped, and the
        connection is closed when the client closes or after ``LINGER`` seconds."""
        self.transport.write(answer)
        self.lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER, self.transport.close)

    def _client(self) -> str:
        return "{}:{}".format(*self.client) if self.client else "unknown"


class ConcurrencyGate:
    """ASGI wrapper: beyond ``limit`` open connections or requests in flight in this server,
    a request gets a 503 problem with ``Retry-After`` and its connection is closed."""

    def __init__(self, app: ASGIApp, *, limit: int, retry_after: int) -> None:
        self.app, self.limit, self.retry_after = app, limit, retry_after
        self.server_state: ServerState | None = None
        """The running server's connections and tasks, set once the server exists."""
        self.body = _problem_bytes(503, "Service unavailable", "this service is at its limit of concurrent "
                                   "requests; try again after the Retry-After delay")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.server_state
        # this request's own connection and task are already counted
        if scope["type"] == "http" and state is not None and (
                len(state.connections) > self.limit or len(state.tasks) > self.limit):
            log.warning("http.overloaded connections=%d requests=%d limit=%d path=%s", len(state.connections),
                        len(state.tasks), self.limit, scope.get("path", ""))
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/problem+json"), (b"retry-after", str(self.retry_after).encode()),
                (b"connection", b"close"), (b"content-length", str(len(self.body)).encode())]})
            await send({"type": "http.response.body", "body": self.body})
            return
        await self.app(scope, receive, send)


class QuietServer(uvicorn.Server):
    """uvicorn's server with a main loop that sleeps between whole seconds rather than ticking
    every 0.1 s: a stop signal ends the sleep at once (``handle_exit``), and the ``Date``
    header, which has a resolution of one second, is renewed just after each second begins."""

    _stop_requested: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop, self._stop_requested = asyncio.get_running_loop(), asyncio.Event()
        should_exit = await self.on_tick(0)
        while not should_exit:
            until_next_second = 1.0 - time.time() % 1.0 + 0.001
            try:
                await asyncio.wait_for(self._stop_requested.wait(), timeout=until_next_second)
            except TimeoutError:
                pass
            should_exit = await self.on_tick(0)  # a multiple of 10: uvicorn renews the Date header

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._stop_requested is not None:
            # a signal handler runs between two bytecodes of the main thread: hand the wake to the loop
            self._loop.call_soon_threadsafe(self._stop_requested.set)


def build_server(app: ASGIApp, *, host: str, port: int, settings: HttpServerSettings,
                 log_level: str = "info", access_log: bool = True) -> uvicorn.Server:
    """A uvicorn server for ``app`` with the deadlines, keep-alive, concurrency limit and connection cap."""
    gate = ConcurrencyGate(app, limit=settings.limit_concurrency, retry_after=settings.retry_after)
    config = BoundedConfig(
        gate, header_timeout=settings.header_timeout, body_timeout=settings.body_timeout,
        max_connections=settings.max_connections, host=host, port=port, http=HeaderDeadlineProtocol,
        interface="asgi3", lifespan="on", timeout_keep_alive=settings.keep_alive_timeout, backlog=settings.backlog,
        timeout_graceful_shutdown=settings.graceful_shutdown_timeout, log_level=log_level, access_log=access_log)
    server = QuietServer(config)
    gate.server_state = server.server_state
    return server


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.kernel.web.server",
                                     description="Serve an ASGI app, bounded against slow and excess clients.")
    parser.add_argument("app", help="the app as module:attribute, e.g. services.hub.app:create_app")
    parser.add_argument("--factory", action="store_true", help="the attribute is a factory that makes the app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args(argv)
    try:
        settings = HttpServerSettings()
    except ValidationError as error:
        parser.error(f"the SWX_HTTP_* settings are not valid: {error}")
    loaded = import_from_string(args.app)
    app = loaded() if args.factory else loaded
    server = build_server(app, host=args.host, port=args.port, settings=settings, log_level=args.log_level,
                          access_log=args.access_log)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0 if server.started else STARTUP_FAILURE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
