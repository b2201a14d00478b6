"""A component's server bounds slow and excess clients (``services.kernel.web.server``): a
request's headers have a deadline and so has its body, beyond the concurrency limit a request
gets a 503 problem with Retry-After, and beyond the connection cap a connection is closed
before it is heard. Real processes (the hub, as the launcher starts it), raw sockets."""

import json
import select
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from services.cli.launcher import LocalNetwork, free_base_port
from services.kernel.web.server import HttpServerSettings

pytestmark = pytest.mark.network

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
PATIENCE = 30.0
"""How long a test waits for the server to close a connection before calling it held open."""
PARTIAL_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"


def serve_hub(folder: Path, **settings: str) -> LocalNetwork:
    net = LocalNetwork.prepare(data_dir=folder, base_port=free_base_port())
    net.start("hub", env={f"SWX_HTTP_{name.upper()}": value for name, value in settings.items()})
    return net


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNetwork]:
    """The hub with 2 s header and body deadlines and a long keep-alive, so that only the
    deadlines can close a connection in these tests."""
    net = serve_hub(tmp_path_factory.mktemp("slow"), header_timeout=str(HEADER_TIMEOUT),
                    body_timeout=str(BODY_TIMEOUT), keep_alive_timeout="120", limit_concurrency="200")
    try:
        yield net
    finally:
        net.stop()


def connect(net: LocalNetwork) -> socket.socket:
    return socket.create_connection(("127.0.0.1", net.component("hub").port), timeout=PATIENCE)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection; fails if it holds it open."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"the server held the connection open for {PATIENCE:g} s") from None
        if not chunk:
            return received
        received += chunk


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers and a Content-Length body) from a connection kept open."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_slow_header_connections_are_closed_while_a_normal_request_is_answered(hub: LocalNetwork) -> None:
    slow = [connect(hub) for _ in range(64)]
    silent = connect(hub)
    try:
        for sock in slow:
            sock.sendall(PARTIAL_REQUEST)
        assert httpx.get(f"{hub.url('hub')}/healthz", timeout=PATIENCE).status_code == 200
        answers = [read_until_closed(sock) for sock in slow]
        assert read_until_closed(silent) == b""  # nothing begun, nothing to answer: just closed
    finally:
        for sock in (*slow, silent):
            sock.close()
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        assert b"content-type: application/problem+json" in head.lower()
        assert json.loads(body)["status"] == 408


def test_a_client_dripping_its_headers_is_cut_off_at_the_deadline(hub: LocalNetwork) -> None:
    """Each byte arrives well within the deadline; the headers as a whole do not."""
    with connect(hub) as sock:
        sock.sendall(PARTIAL_REQUEST)
        started = time.monotonic()
        while True:
            readable, _, _ = select.select([sock], [], [], HEADER_TIMEOUT / 4)
            if readable:
                break
            if time.monotonic() - started > PATIENCE:
                raise AssertionError(f"the server let a client drip its headers for {PATIENCE:g} s")
            sock.sendall(b"x")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(hub: LocalNetwork) -> None:
    with connect(hub) as sock:
        sock.sendall(PARTIAL_REQUEST + b"\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
        sock.sendall(PARTIAL_REQUEST)  # the connection is kept alive; the next request stalls
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


def drip_until_answered(sock: socket.socket, *, every: float) -> None:
    """Send a byte every ``every`` seconds until the server answers or closes."""
    started = time.monotonic()
    while not select.select([sock], [], [], every)[0]:
        if time.monotonic() - started > PATIENCE:
            raise AssertionError(f"the server let a client drip for {PATIENCE:g} s")
        sock.sendall(b" ")


def test_a_client_dripping_its_body_is_answered_408_while_others_are_served(hub: LocalNetwork) -> None:
    """The headers are prompt and each byte of the body arrives well within the deadline;
    the body as a whole does not. The hub waits on it (a known sender, a document route)."""
    head = (f"POST /messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {hub.token('TH')}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{").encode()
    drippers = [connect(hub) for _ in range(8)]
    try:
        for sock in drippers:
            sock.sendall(head)
        assert httpx.get(f"{hub.url('hub')}/healthz", timeout=PATIENCE).status_code == 200
        for sock in drippers:
            drip_until_answered(sock, every=BODY_TIMEOUT / 4)
        answers = [read_until_closed(sock) for sock in drippers]
    finally:
        for sock in drippers:
            sock.close()
    for answer in answers:
        head_of_answer, _, body = answer.partition(b"\r\n\r\n")
        assert head_of_answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"content-type: application/problem+json" in head_of_answer.lower()
        problem = json.loads(body)
        assert (problem["status"], problem["title"]) == (408, "Request timeout")
        assert "body" in problem["detail"]


def test_connections_past_the_cap_are_closed_at_once_and_logged_once(
        tmp_path: Path, eventually: Callable[..., None]) -> None:
    net = serve_hub(tmp_path, limit_concurrency="2", max_connections="4", header_timeout="120")
    held = [socket.create_connection(("127.0.0.1", net.component("hub").port), timeout=PATIENCE) for _ in range(4)]
    try:
        refused = [socket.create_connection(("127.0.0.1", net.component("hub").port), timeout=PATIENCE)
                   for _ in range(3)]
        closed = [read_until_closed(sock) for sock in refused]  # header deadline 120 s: only the cap closes them
        for sock in refused:
            sock.close()
        held[0].sendall(PARTIAL_REQUEST + b"\r\n")
        heard = read_response(held[0])  # past the concurrency limit: heard, and told 503
        for sock in held:
            sock.close()
        held.clear()
        eventually(lambda: httpx.get(f"{net.url('hub')}/healthz", timeout=PATIENCE).status_code == 200,
                   timeout=PATIENCE, what="the hub to answer again once the connections closed")
        log = net.log_file("hub").read_text(encoding="utf-8", errors="replace")
    finally:
        for sock in held:
            sock.close()
        net.stop()
    assert closed == [b"", b"", b""]
    assert heard.startswith(b"HTTP/1.1 503 ")
    assert log.count("http.connections_refused") == 1, log[-2000:]


def test_the_connection_cap_must_be_above_the_concurrency_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWX_HTTP_LIMIT_CONCURRENCY", "600")
    monkeypatch.setenv("SWX_HTTP_MAX_CONNECTIONS", "600")
    with pytest.raises(ValidationError, match="SWX_HTTP_MAX_CONNECTIONS"):
        HttpServerSettings()
    monkeypatch.setenv("SWX_HTTP_MAX_CONNECTIONS", "601")
    assert HttpServerSettings().max_connections == 601


def test_beyond_the_concurrency_limit_a_request_gets_a_503_problem_with_retry_after(
        tmp_path: Path, eventually: Callable[..., None]) -> None:
    net = serve_hub(tmp_path, limit_concurrency="8", header_timeout="120", retry_after="3")
    held = [socket.create_connection(("127.0.0.1", net.component("hub").port)) for _ in range(8)]
    try:
        refused = httpx.get(f"{net.url('hub')}/healthz", timeout=PATIENCE)
        for sock in held:
            sock.close()
        held.clear()
        eventually(lambda: httpx.get(f"{net.url('hub')}/healthz", timeout=PATIENCE).status_code == 200,
                   timeout=PATIENCE, what="the hub to answer again once the connections closed")
    finally:
        for sock in held:
            sock.close()
        net.stop()
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "3"
    assert refused.headers["connection"] == "close"
    assert refused.json()["status"] == 503
