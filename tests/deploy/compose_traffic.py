"""Traffic for the compose end-to-end test: the hub's and the NSW endpoints' APIs over the
ports docker-compose.yml publishes, and envelopes sent as TH's NSW would send them."""

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.cli.compose import published_endpoints
from services.kernel import canonical
from services.kernel.messages.exchange import Envelope
from services.kernel.signing import sign
from tests.deploy.compose_stack import PROJECT

HUB = "http://127.0.0.1:8100"
NSW_VN = published_endpoints()["VN"]
PAYLOAD = PROJECT / "fixtures" / "customs.response" / "valid" / "th-accepted-green-lane-natural-rubber-export.json"
"""A customs response TH -> VN: VN's endpoint stores and acknowledges it and answers nothing."""
DOCUMENT_TYPE = "customs.response/1.0"
SENDERS = 6


def get(url: str, token: str, **params: Any) -> Any:
    response = httpx.get(url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}: {response.text[:500]}"
    return response.json()


def every_page(url: str, token: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = get(url, token, **params, limit=1000, offset=len(items))
        items.extend(page["items"])
        if not page["items"] or len(items) >= page["total"]:
            return items


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(1)


class Load:
    """Envelopes TH -> VN posted to the hub without pause by a few threads, until stopped:
    which got a 202, and which did not (the restart)."""

    def __init__(self, *, key: Ed25519PrivateKey, token: str) -> None:
        self.key, self.token = key, token
        self.conversation = str(uuid.uuid4())
        self.payload = PAYLOAD.read_text(encoding="utf-8")
        self.accepted: list[str] = []
        self.refused: dict[str, str] = {}
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=SENDERS)
        self.workers: list[Future[None]] = []

    def envelope(self) -> Envelope:
        unsigned = Envelope(message_id=str(uuid.uuid4()), conversation_id=self.conversation, sender="TH",
                            receiver="VN", document_type=DOCUMENT_TYPE, created_at=datetime.now(UTC),
                            payload_format="json", payload=self.payload,
                            payload_digest=canonical.digest(self.payload))
        return sign(unsigned, private_key=self.key, key_id="TH")

    def post_until_stopped(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        with httpx.Client(timeout=30) as client:
            while not self.stopping.is_set():
                envelope = self.envelope()
                try:
                    response = client.post(f"{HUB}/messages", content=canonical.json_text(envelope).encode(),
                                           headers=headers)
                except httpx.HTTPError as error:
                    self.refused[envelope.message_id] = type(error).__name__
                    time.sleep(0.2)
                    continue
                if response.status_code == 202:
                    self.accepted.append(envelope.message_id)
                else:
                    self.refused[envelope.message_id] = f"{response.status_code} {response.text[:200]}"
                    time.sleep(0.2)

    def start(self) -> None:
        self.workers = [self.pool.submit(self.post_until_stopped) for _ in range(SENDERS)]

    def wait_accepted(self, count: int) -> None:
        wait_for(lambda: len(self.accepted) >= count or any(w.done() for w in self.workers), timeout=120,
                 what=f"{count} envelopes accepted")
        for worker in self.workers:
            if worker.done():
                worker.result()  # a sender that stopped by itself: its error

    def stop(self) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.result()
        self.pool.shutdown()


def delivered(load: Load, operator: str) -> set[str]:
    """Wait until every message of the load at the hub is DELIVERED; their ids."""
    accepted = set(load.accepted)

    def all_delivered() -> bool:
        total = get(f"{HUB}/messages", operator, conversation_id=load.conversation, limit=1)["total"]
        done = get(f"{HUB}/messages", operator, conversation_id=load.conversation, state="DELIVERED", limit=1)
        return bool(total >= len(accepted) and done["total"] == total)

    wait_for(all_delivered, timeout=180, what=f"the {len(accepted)} accepted messages to be DELIVERED")
    return {m["message_id"] for m in every_page(f"{HUB}/messages", operator, conversation_id=load.conversation)}
