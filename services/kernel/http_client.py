"""The HTTP client the services POST to one another with: plain HTTP/1.1 keep-alive
connections, one set per receiving endpoint, under httpx's client (its requests, responses and
errors). The hub delivers with it (``/inbox``), every service's outbox sends to the hub with it
(``/messages``), and an NSW endpoint hands answers over to its agencies with it (``/answers``).

Why not httpcore's pool: on every request started or ended it walks every connection it
holds, for each request waiting in it, probing each idle one's socket, and it looks up its
async library anew each time; at the hub's 64 deliveries in flight that was a third of the
hub's CPU per routed message, and httpx with httpcore some 8-11 % of an NSW endpoint's and of
customs' in the whole network's benchmark (``benchmarks/network.py``). These POSTs need
little of what it does: one request per connection at a time, the body already in memory,
the whole answer read.

Answers are read here (status line, headers, a body by Content-Length, chunks, or up to the
end of the connection), whole and at most ``MAX_ANSWER_BYTES``, and handed to httpx as its
responses; failures are raised as httpx's errors (``ConnectError``, ``ReadTimeout``,
``RemoteProtocolError``...), which every caller takes as transient. A request's timeout bounds
all of it: connecting, sending, reading, and the one retry below.

Idle connections are kept (most recently used first) for ``KEEPALIVE_EXPIRY`` seconds, less
than the receivers' own keep-alive (uvicorn's: 5 s), and only when nothing came after the
answer: a byte more, or the end of the connection, and it is closed (a second answer glued
to the first, a ``408`` on an idle connection, would otherwise be read as the next
request's). A kept connection the receiver closed meanwhile shows at its next use as an
answer that never began: the request then goes once more, on a new connection. That is safe
for every POST sent with this client, because each receiver eliminates duplicates and had
not answered: the hub's ``/messages`` by (sender, message_id), an NSW endpoint's ``/inbox``
likewise, and an agency service's ``/answers`` likewise. A new use that cannot say the same
should not take this client.

HTTPS endpoints go through httpx's own transport, and so does any request the environment
sends through a proxy (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, unless ``NO_PROXY``
names its host), as a plain httpx client would.
"""

import asyncio
import logging
import time
import urllib.request
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import httpx

T = TypeVar("T")
_httpx_log = logging.getLogger("httpx")
Origin = tuple[str, int]

KEEPALIVE_EXPIRY = 4.0
"""Seconds an idle connection is kept: under the receivers' own keep-alive timeout."""
READ_SIZE = 65536
"""The most an answer's head may take, in bytes."""
MAX_ANSWER_BYTES = 1024 * 1024
"""The most an answer's body may take, in bytes. Receivers answer with a signed receipt or a
problem with a signed error signal: a few KiB, a few hundred at most (an error signal
describes at most ``MAX_FINDINGS`` findings of ``MAX_TEXT`` characters)."""
_HEX = frozenset(b"0123456789abcdefABCDEF")


class _NoAnswer(Exception):
    """A connection that ended before any byte of an answer: closed by the receiver while idle."""


class _Malformed(Exception):
    """An answer that is not HTTP/1.1 as this transport reads it, or is too large."""


class _CutShort(Exception):
    """The connection ended in the middle of an answer."""


class _Wire(asyncio.Protocol):
    """One connection's bytes: what arrived and is not read yet, and whether it has ended.
    Unlike a StreamReader it tells how much is buffered, which decides if a connection may be
    kept."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.ended = False
        """The receiver closed its side, or the connection was lost."""
        self.transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self._paused = False
        self._wake()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def send(self, data: bytes) -> None:
        """Write ``data`` and wait until the kernel takes it; ConnectionError if the connection
        ended first."""
        if self.ended or self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the connection is closed")
        self.transport.write(data)
        while self._paused:
            await self._wait()
        if self.ended and not self.buffer:
            raise ConnectionResetError("the connection closed while the request was sent")

    async def read_until(self, separator: bytes, *, limit: int) -> bytes:
        """Up to and with ``separator``, which must come within ``limit`` bytes."""
        start = 0
        while True:
            found = self.buffer.find(separator, start)
            if 0 <= found <= limit:
                return self._take(found + len(separator))
            if len(self.buffer) > limit:
                raise _Malformed(f"a line or head longer than {limit} bytes")
            if self.ended:
                raise _CutShort
            start = max(0, len(self.buffer) - len(separator) + 1)
            await self._wait()

    async def read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if self.ended:
                raise _CutShort
            await self._wait()
        return self._take(size)

    async def read_to_end(self, *, limit: int) -> bytes:
        while not self.ended:
            if len(self.buffer) > limit:
                raise _Malformed(f"an answer longer than {limit} bytes")
            await self._wait()
        if len(self.buffer) > limit:
            raise _Malformed(f"an answer longer than {limit} bytes")
        return self._take(len(self.buffer))

    async def first_byte(self) -> bool:
        """Wait for an answer to begin; False if the connection ended before any byte."""
        while not self.buffer:
            if self.ended:
                return False
            await self._wait()
        return True

    def _take(self, size: int) -> bytes:
        taken = bytes(self.buffer[:size])
        del self.buffer[:size]
        return taken


@dataclass
class _Answer:
    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    reusable: bool
    """Whether the connection may carry another request (as the answer says)."""


class _Connection:
    def __init__(self, wire: _Wire) -> None:
        self.wire = wire
        self.idle_since = time.monotonic()

    def expired(self, now: float) -> bool:
        return now - self.idle_since >= KEEPALIVE_EXPIRY

    def usable(self) -> bool:
        """Whether it may carry a request: open, quiet (nothing came unasked, no end) and not
        idle for too long."""
        transport = self.wire.transport
        return (transport is not None and not transport.is_closing() and not self.wire.ended
                and not self.wire.buffer and not self.expired(time.monotonic()))

    def close(self) -> None:
        if self.wire.transport is not None:
            self.wire.transport.close()

    async def exchange(self, request: httpx.Request, body: bytes, deadline: float | None) -> _Answer:
        """Send the request and read the whole answer, by ``deadline`` (the loop's clock): a
        receiver that answers a byte at a time cannot hold a request (a hub delivery's lease)
        past its end."""
        head = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), request.url.raw_path)]
        head += [b"%s: %s\r\n" % (name, value) for name, value in request.headers.raw
                 if name.lower() not in (b"content-length", b"transfer-encoding")]
        head.append(b"content-length: %d\r\n" % len(body))  # the body is whole: never chunked
        try:
            await _within(self.wire.send(b"".join(head) + b"\r\n" + body), deadline, httpx.WriteTimeout, request)
        except ConnectionError as error:
            if not self.wire.buffer:
                raise _NoAnswer from error
            # the receiver answered before taking the whole request (a 413, a 503 with its
            # Retry-After): that answer is the outcome
        try:
            return await _within(self._answer(request.method), deadline, httpx.ReadTimeout, request)
        except _CutShort:
            raise httpx.RemoteProtocolError("the receiver closed the connection in the middle of its answer",
                                            request=request) from None
        except (ValueError, _Malformed) as error:
            raise httpx.RemoteProtocolError(f"the answer is not HTTP/1.1: {error}", request=request) from None

    async def _answer(self, method: str) -> _Answer:
        if not await self.wire.first_byte():
            raise _NoAnswer
        while True:
            head = await self.wire.read_until(b"\r\n\r\n", limit=READ_SIZE)
            status_line, *lines = head[:-4].split(b"\r\n")
            version, _, rest = status_line.partition(b" ")
            code, _, reason = rest.partition(b" ")
            if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
                raise _Malformed(status_line[:80].decode("latin-1"))
            status = int(code)
            if not 100 <= status < 200 or status == 101:
                break
        headers = []
        for line in lines:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise _Malformed(f"header line {line[:80].decode('latin-1')!r}")
            headers.append((name, value.strip()))
        fields = {name.lower(): value for name, value in headers}
        connection = fields.get(b"connection", b"").lower()
        reusable = (b"close" not in connection) if version == b"HTTP/1.1" else (b"keep-alive" in connection)
        if status == 101:
            return _Answer(status, reason, headers, b"", False)  # no longer HTTP: never kept
        if method == "HEAD" or status in (204, 304):
            return _Answer(status, reason, headers, b"", reusable)
        codings = [coding.strip().lower() for name, value in headers if name.lower() == b"transfer-encoding"
                   for coding in value.split(b",") if coding.strip()]
        if codings:
            if codings[-1] == b"chunked":
                return _Answer(status, reason, headers, await self._chunks(), reusable)
            body = await self.wire.read_to_end(limit=MAX_ANSWER_BYTES)  # framed only by the close
            return _Answer(status, reason, headers, body, False)
        length = _content_length(headers)
        if length is not None:
            return _Answer(status, reason, headers, await self.wire.read_exactly(length), reusable)
        return _Answer(status, reason, headers, await self.wire.read_to_end(limit=MAX_ANSWER_BYTES), False)

    async def _chunks(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = await self.wire.read_until(b"\r\n", limit=READ_SIZE)
            size = _chunk_size(line[:-2])
            total += size
            if total > MAX_ANSWER_BYTES:
                raise _Malformed(f"an answer longer than {MAX_ANSWER_BYTES} bytes")
            if size == 0:
                while await self.wire.read_until(b"\r\n", limit=READ_SIZE) != b"\r\n":  # trailers, if any
                    pass
                return b"".join(chunks)
            chunk = await self.wire.read_exactly(size + 2)
            if chunk[-2:] != b"\r\n":
                raise _Malformed("a chunk without its end of line")
            chunks.append(chunk[:-2])


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The answer's length: digits only, the same in every Content-Length given, and at most
    ``MAX_ANSWER_BYTES``; None when none is given."""
    values = {value for name, value in headers if name.lower() == b"content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise _Malformed("conflicting Content-Length headers")
    value = values.pop()
    if not value.isdigit() or not value.isascii():
        raise _Malformed(f"Content-Length {value[:40].decode('latin-1')!r}")
    length = int(value)
    if length > MAX_ANSWER_BYTES:
        raise _Malformed(f"an answer of {length} bytes, more than {MAX_ANSWER_BYTES}")
    return length


def _chunk_size(line: bytes) -> int:
    """A chunk's size from its line: hex digits, then optionally ``;`` and extensions."""
    digits = line.split(b";", 1)[0].rstrip(b" \t")
    if not digits or len(digits) > 16 or not _HEX.issuperset(digits):
        raise _Malformed(f"chunk size {line[:40].decode('latin-1')!r}")
    return int(digits, 16)


async def _within(work: Awaitable[T], deadline: float | None, timeout: type[httpx.TimeoutException],
                  request: httpx.Request) -> T:
    seconds = None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())
    try:
        return await asyncio.wait_for(work, seconds)
    except TimeoutError:
        raise timeout("the request's time ran out", request=request) from None


def _budget(timeouts: dict[str, float | None]) -> float | None:
    """The seconds a whole request may take: the longest of its connect, write and read
    timeouts (the callers give them all as one); None: no limit."""
    given = [seconds for phase in ("connect", "write", "read") if (seconds := timeouts.get(phase)) is not None]
    return max(given) if given else None


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """Keeps up to ``limits.max_keepalive_connections`` idle connections per endpoint; opens as
    many as there are requests in flight (the sender's own concurrency bounds them: a hub
    worker's, an outbox dispatcher's; a handover worker sends one at a time)."""

    def __init__(self, *, limits: httpx.Limits) -> None:
        self._idle: dict[Origin, list[_Connection]] = {}
        self._max_idle = limits.max_keepalive_connections or 0
        self._tls = httpx.AsyncHTTPTransport(limits=limits)
        self._proxies = {scheme: url for scheme, url in urllib.request.getproxies().items()
                         if scheme in ("http", "https", "all")}
        """The environment's proxies (read once, as httpx does), by scheme."""
        self._proxied: dict[str, httpx.AsyncHTTPTransport] = {}
        self._limits = limits
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxied = self._proxy_for(request.url) if self._proxies else None
        if proxied is not None:
            return await proxied.handle_async_request(request)
        if request.url.scheme != "http":
            return await self._tls.handle_async_request(request)
        origin = (request.url.host, request.url.port or 80)
        budget = _budget(request.extensions.get("timeout", {}))
        deadline = None if budget is None else asyncio.get_running_loop().time() + budget
        body = await request.aread()
        connection = self._kept(origin)
        if connection is not None:
            try:
                return await self._exchange(origin, connection, request, body, deadline)
            except _NoAnswer:
                pass  # closed by the receiver while kept: once more, on a new connection, in the time left
        connection = await self._connect(origin, request, deadline)
        try:
            return await self._exchange(origin, connection, request, body, deadline)
        except _NoAnswer:
            raise httpx.RemoteProtocolError("the receiver closed the connection without answering",
                                            request=request) from None

    def _proxy_for(self, url: httpx.URL) -> httpx.AsyncHTTPTransport | None:
        """httpx's transport through the environment's proxy for ``url``, if one applies."""
        proxy = self._proxies.get(url.scheme) or self._proxies.get("all")
        if proxy is None or urllib.request.proxy_bypass(url.host):
            return None
        transport = self._proxied.get(proxy)
        if transport is None:
            transport = httpx.AsyncHTTPTransport(limits=self._limits,
                                                 proxy=proxy if "://" in proxy else f"http://{proxy}")
            self._proxied[proxy] = transport
        return transport

    async def _exchange(self, origin: Origin, connection: _Connection, request: httpx.Request, body: bytes,
                        deadline: float | None) -> httpx.Response:
        try:
            answer = await connection.exchange(request, body, deadline)
        except (_NoAnswer, httpx.HTTPError):
            connection.close()
            raise
        except OSError as error:
            connection.close()
            raise httpx.ReadError(f"{type(error).__name__}: {error}", request=request) from None
        except BaseException:
            connection.close()
            raise
        if answer.reusable:
            self._keep(origin, connection)
        else:
            connection.close()
        return httpx.Response(answer.status, headers=answer.headers, stream=httpx.ByteStream(answer.body),
                              extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason})

    async def _connect(self, origin: Origin, request: httpx.Request, deadline: float | None) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, wire = await _within(loop.create_connection(_Wire, *origin), deadline, httpx.ConnectTimeout, request)
        except OSError as error:
            raise httpx.ConnectError(f"{type(error).__name__}: {error}", request=request) from None
        return _Connection(wire)

    def _kept(self, origin: Origin) -> _Connection | None:
        kept = self._idle.get(origin)
        if not kept:
            return None
        _drop_expired(kept)
        while kept:
            connection = kept.pop()
            if connection.usable():
                return connection
            connection.close()
        return None

    def _keep(self, origin: Origin, connection: _Connection) -> None:
        """Keep a connection for the next request, unless anything came after its answer."""
        kept = self._idle.setdefault(origin, [])
        _drop_expired(kept)
        connection.idle_since = time.monotonic()
        if self._closed or len(kept) >= self._max_idle or not connection.usable():
            connection.close()
            return
        kept.append(connection)

    async def aclose(self) -> None:
        self._closed = True
        for kept in self._idle.values():
            for connection in kept:
                connection.close()
        self._idle.clear()
        await self._tls.aclose()
        for transport in self._proxied.values():
            await transport.aclose()


def _drop_expired(kept: list[_Connection]) -> None:
    """Close the connections idle too long: the first ones (they are kept in the order they
    went idle)."""
    now = time.monotonic()
    expired = 0
    while expired < len(kept) and kept[expired].expired(now):
        kept[expired].close()
        expired += 1
    if expired:
        del kept[:expired]


class KeepAliveClient(httpx.AsyncClient):
    """httpx's client over ``KeepAliveTransport``, sending each request straight to it: no
    cookies kept from one receiver's answer to the next request, no auth flow and no
    redirects (no sender follows any, as httpx's client by default), which cost a request
    more than its own exchange. httpx's log line for each request stays, and its default
    timeout for a request that gives none."""

    def __init__(self, *, limits: httpx.Limits) -> None:
        self._kept_alive = KeepAliveTransport(limits=limits)
        super().__init__(transport=self._kept_alive)

    async def send(self, request: httpx.Request, *, stream: bool = False, **_: object) -> httpx.Response:
        response = await self._kept_alive.handle_async_request(request)
        response.request = request
        if not stream:
            await response.aread()
        _httpx_log.info('HTTP Request: %s %s "%s %d %s"', request.method, request.url, response.http_version,
                        response.status_code, response.reason_phrase)
        return response


SERVICE_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""A service's own client's: httpx's defaults, which its plain client had."""


def new_http_client(*, limits: httpx.Limits = SERVICE_LIMITS) -> httpx.AsyncClient:
    """A client sending over kept HTTP/1.1 connections, for POSTs whose receiver eliminates
    duplicates (see the module's docstring)."""
    return KeepAliveClient(limits=limits)
