"""The kept-alive HTTP client against a real socket: answers read whole, connections kept and
reused, a kept connection the receiver closed replaced, and failures as httpx's errors."""

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from services.kernel import http_client
from services.kernel.http_client import MAX_ANSWER_BYTES, KeepAliveClient, new_http_client

Answer = Callable[[bytes], bytes | None]
"""What the stand-in server writes for a request (None: nothing, it keeps silent)."""


def fixed(status: int, body: bytes, *, close: bool = False, chunked: bool = False) -> bytes:
    head = f"HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\n"
    head += "connection: close\r\n" if close else ""
    if chunked:
        return (head + "transfer-encoding: chunked\r\n\r\n").encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    return (head + f"content-length: {len(body)}\r\n\r\n").encode() + body


class StandIn:
    """A tiny HTTP/1.1 server: counts connections and requests; ``close_idle`` closes every
    connection once it has answered (without saying so), as a receiver's keep-alive timeout."""

    def __init__(self, answer: Answer) -> None:
        self.answer, self.connections, self.requests, self.close_idle = answer, 0, 0, False
        self.drop_second = False
        """Close each connection at its second request, unanswered (it came as the keep-alive ran out)."""
        self.drop_after = 0.0
        """Seconds the second request waits before its connection is dropped."""
        self.closed = 0
        """Connections ended (by either side)."""
        self.unread = False
        """Answer right after the request's head, then close without reading its body."""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                served += 1
                if self.drop_second and served == 2:
                    await asyncio.sleep(self.drop_after)
                    return
                if self.unread:
                    writer.write(self.answer(b"") or b"")
                    await asyncio.sleep(0.3)  # the answer reaches the client before the reset
                    return
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                self.requests += 1
                reply = self.answer(body)
                if reply is None:
                    await asyncio.sleep(3600)
                    return
                writer.write(reply)
                await writer.drain()
                if self.close_idle or b"connection: close" in reply:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            self.closed += 1
            writer.close()


@asynccontextmanager
async def stand_in(answer: Answer) -> AsyncIterator[tuple[StandIn, str]]:
    server = StandIn(answer)
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield server, f"http://127.0.0.1:{port}/inbox"
    finally:
        listening.close()


def client() -> httpx.AsyncClient:
    return KeepAliveClient(limits=httpx.Limits(max_keepalive_connections=4))


def test_answers_are_read_whole_and_connections_reused() -> None:
    async def run() -> None:
        async with stand_in(lambda body: fixed(200, b'{"echo": ' + body + b"}")) as (server, url), client() as http:
            for n in range(5):
                response = await http.post(url, content=str(n).encode(), headers={"Content-Type": "application/json"})
                assert (response.status_code, response.json()) == (200, {"echo": n})
            assert (server.connections, server.requests) == (1, 5)
            answers = await asyncio.gather(*(http.post(url, content=b"7") for _ in range(6)))
            assert [a.json() for a in answers] == [{"echo": 7}] * 6
    asyncio.run(run())


def test_chunked_answers_and_connection_close() -> None:
    async def run() -> None:
        async with stand_in(lambda body: fixed(503, b"busy", chunked=True)) as (_, url), client() as http:
            response = await http.post(url, content=b"x")
            assert (response.status_code, response.content) == (503, b"busy")
        async with stand_in(lambda body: fixed(200, b"{}", close=True)) as (server, url), client() as http:
            for _ in range(3):
                assert (await http.post(url, content=b"x")).status_code == 200
            assert server.connections == 3
    asyncio.run(run())


def test_a_kept_connection_the_receiver_closed_is_replaced() -> None:
    async def run() -> None:
        async with stand_in(lambda body: fixed(200, b"{}")) as (server, url), client() as http:
            server.close_idle = True
            for _ in range(3):
                assert (await http.post(url, content=b"x")).status_code == 200
                await asyncio.sleep(0.05)  # the close reaches the client while the connection is kept
            assert (server.connections, server.requests) == (3, 3)
        async with stand_in(lambda body: fixed(200, b"{}")) as (server, url), client() as http:
            server.drop_second = True
            for _ in range(2):  # the second goes on the kept connection, is dropped, and goes again
                assert (await http.post(url, content=b"x")).status_code == 200
            assert (server.connections, server.requests) == (2, 2)
    asyncio.run(run())


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_failures_are_httpx_errors() -> None:
    async def run() -> None:
        port = closed_port()
        async with client() as http:
            with pytest.raises(httpx.ConnectError):
                await http.post(f"http://127.0.0.1:{port}/inbox", content=b"x")
        async with stand_in(lambda body: None) as (_, url), client() as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.post(url, content=b"x", timeout=0.2)
        cut_short = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 10\r\n\r\n{}"
        async with stand_in(lambda body: cut_short) as (_, url):
            async with client() as http:
                with pytest.raises(httpx.RemoteProtocolError):
                    await http.post(url, content=b"x")
    asyncio.run(run())


def test_a_connection_with_bytes_after_the_answer_is_not_kept() -> None:
    """Whatever comes after an answer (a second answer glued to it, a 408 on the idle
    connection) is never read as the next request's answer."""
    def glued(body: bytes) -> bytes:
        echo = fixed(200, b'{"echo": ' + body + b"}")
        return echo + fixed(200, b'{"echo": "glued"}') if body == b"1" else echo

    async def run() -> None:
        async with stand_in(glued) as (server, url), client() as http:
            for n in range(1, 4):
                assert (await http.post(url, content=str(n).encode())).json() == {"echo": n}
            assert server.connections == 2
        timed_out = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
        async with stand_in(lambda body: fixed(200, b'{"echo": ' + body + b"}") + timed_out) as (server, url), \
                client() as http:
            server.close_idle = True
            for n in range(3):
                assert (await http.post(url, content=str(n).encode())).json() == {"echo": n}
                await asyncio.sleep(0.05)
            assert server.connections == 3
    asyncio.run(run())


def test_a_switch_of_protocols_is_never_kept() -> None:
    switched = b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: other\r\n\r\n"
    async def run() -> None:
        async with stand_in(lambda body: switched) as (server, url), client() as http:
            for _ in range(2):
                assert (await http.post(url, content=b"x")).status_code == 101
            assert server.connections == 2
    asyncio.run(run())


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
    b"HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\n{}",
    b"HTTP/1.1 200 OK\r\ncontent-length: 0x2\r\n\r\n{}",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n+2\r\n{}\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n{}" % (MAX_ANSWER_BYTES + 1),
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n%x\r\n" % (MAX_ANSWER_BYTES + 1)
    + b"x" * (MAX_ANSWER_BYTES + 1) + b"\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + b"x" * (MAX_ANSWER_BYTES + 1),
], ids=["conflicting-lengths", "signed-length", "hex-length", "signed-chunk", "0x-chunk", "declared-too-large",
        "chunked-too-large", "to-close-too-large"])
def test_malformed_or_oversized_answers_are_refused(answer: bytes) -> None:
    async def run() -> None:
        async with stand_in(lambda body: answer) as (_, url), client() as http:
            with pytest.raises(httpx.RemoteProtocolError):
                await http.post(url, content=b"x")
    asyncio.run(run())


def test_duplicate_equal_lengths_and_other_codings() -> None:
    async def run() -> None:
        same = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{}"
        async with stand_in(lambda body: same) as (_, url), client() as http:
            assert (await http.post(url, content=b"x")).content == b"{}"
        # a coding other than chunked last: the body ends with the connection (Content-Length ignored)
        gzip_last = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, identity\r\ncontent-length: 1\r\n" \
                    b"connection: close\r\n\r\n{}"
        async with stand_in(lambda body: gzip_last) as (server, url), client() as http:
            assert (await http.post(url, content=b"x")).content == b"{}"
            assert (await http.post(url, content=b"x")).content == b"{}"
            assert server.connections == 2
    asyncio.run(run())


def test_one_deadline_for_the_whole_request() -> None:
    """The retry on a new connection, after a kept one dropped the request, only has the
    time left."""
    answers = iter([fixed(200, b"{}")])

    async def run() -> None:
        async with stand_in(lambda body: next(answers, None)) as (server, url), client() as http:
            server.drop_second, server.drop_after = True, 0.4
            assert (await http.post(url, content=b"x")).status_code == 200
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                await http.post(url, content=b"x", timeout=0.6)
            assert time.monotonic() - started < 0.9  # not 0.4 s and a whole 0.6 s more
            assert server.connections == 2
    asyncio.run(run())


def test_an_answer_before_the_whole_request_was_taken_is_read() -> None:
    busy = b"HTTP/1.1 503 Busy\r\nretry-after: 7\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"

    async def run() -> None:
        async with stand_in(lambda body: busy) as (server, url), client() as http:
            server.unread = True
            response = await http.post(url, content=b"x" * (32 * 1024 * 1024))
            assert (response.status_code, response.headers["retry-after"]) == (503, "7")
    asyncio.run(run())


def test_expired_idle_connections_are_closed_when_another_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_client, "KEEPALIVE_EXPIRY", 0.3)

    async def run() -> None:
        async with stand_in(lambda body: fixed(200, b"{}")) as (server, url), client() as http:
            await asyncio.gather(*(http.post(url, content=b"x") for _ in range(2)))
            assert server.connections == 2
            await asyncio.sleep(0.2)
            await http.post(url, content=b"x")  # the newer connection, kept again
            await asyncio.sleep(0.15)  # the older one has now been idle too long
            await http.post(url, content=b"x")
            await asyncio.sleep(0.05)
            assert (server.connections, server.closed) == (2, 1)
    asyncio.run(run())


def test_the_environment_s_proxies_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    async def run() -> None:
        async with stand_in(lambda body: fixed(200, b"{}")) as (proxy, proxy_url):
            monkeypatch.setenv("HTTP_PROXY", proxy_url.removesuffix("/inbox"))
            monkeypatch.setenv("NO_PROXY", "localhost")
            async with client() as http:
                assert (await http.post("http://receiver.example/inbox", content=b"x")).status_code == 200
                assert proxy.requests == 1
                with pytest.raises(httpx.ConnectError):  # not through the proxy: straight to a closed port
                    await http.post(f"http://localhost:{closed_port()}/inbox", content=b"x", timeout=2)
                assert proxy.requests == 1
    asyncio.run(run())


def test_a_services_client_keeps_httpx_defaults_for_what_a_request_does_not_say() -> None:
    """A service's own client (its outbox's, its handovers'): httpx's default timeout for a
    request that gives none, and httpx's limits, as the plain client it replaces."""
    async def run() -> None:
        async with stand_in(lambda body: fixed(201, b"{}")) as (server, url), new_http_client() as http:
            assert isinstance(http, KeepAliveClient)
            assert http.timeout == httpx.Timeout(5.0)
            response = await http.post(url, content=b"x")
            assert (response.status_code, response.request.extensions["timeout"]["read"]) == (201, 5.0)
            assert server.connections == 1
    asyncio.run(run())
