"""The hub away for longer than the agencies used to wait: nothing a customs office accepted
is lost, nothing is delivered twice, and a message given up is a dead letter the operator
sees on its record and replays to delivery. Real processes (the launcher's network); the
outbox timing is shortened through the customs service's own settings (environment)."""

import json
from typing import Any

import pytest

from tests.customs.conftest import TH_EXPORT

pytestmark = pytest.mark.network

OUTBOX_FAST = {"SWX_CUSTOMS_OUTBOX_RETRY_BASE": "0.05", "SWX_CUSTOMS_OUTBOX_RETRY_CAP": "0.2",
               "SWX_CUSTOMS_OUTBOX_POLL_INTERVAL": "0.1"}
"""Retries a few times a second: the old limit of 20 attempts is passed within seconds."""
OLD_GIVE_UP = 20
ACDD = "customs.acdd/1.0"
DECLARATIONS = 4


def _lodge(net: Any, lrn: str) -> str:
    declaration = json.loads(TH_EXPORT.read_text(encoding="utf-8"))
    declaration["FunctionalReferenceID"] = lrn
    response = net.http.post(f"{net.net.url('customs')}/declarations", content=json.dumps(declaration).encode(),
                             headers={"Authorization": f"Bearer {net.net.token('TH')}",
                                      "Content-Type": "application/json"})
    assert response.status_code == 201, net.explain(f"lodging {lrn}: {response.status_code} {response.text[:300]}")
    return str(response.json()["mrn"])


def _acdd(net: Any, mrn: str) -> dict[str, Any]:
    """The declaration's outbound ACDD, as its GET shows it."""
    record = net._get(f"{net.net.url('customs')}/declarations/{mrn}", token=net.net.token("TH"))
    (message,) = [m for m in record["messages"] if m["document_type"] == ACDD]
    return dict(message)


def _received_acdds(net: Any) -> dict[str, int]:
    """message_id -> deliveries, for every ACDD VN's NSW endpoint stored."""
    return {item["message_id"]: item["deliveries"] for item in net.inbox("VN", document_type=ACDD)}


def _metric(net: Any, name: str) -> float:
    text = net.http.get(f"{net.net.url('customs')}/metrics").text
    return float(next(line for line in text.splitlines() if line.startswith(name + "{")).rsplit(" ", 1)[1])


def test_hub_away_past_the_old_give_up_delivers_every_accepted_declaration_once_and_a_dead_letter_replays(
    network: Any,
) -> None:
    net = network(extra_env=OUTBOX_FAST)
    net.start("hub", "nsw-vn", "customs")
    net.net.stop("hub")

    mrns = [_lodge(net, f"OUTAGE-{n}") for n in range(DECLARATIONS)]
    net.wait_for(lambda: all(_acdd(net, mrn)["attempts"] > OLD_GIVE_UP + 5 for mrn in mrns), timeout=60,
                 what=f"every ACDD tried more than {OLD_GIVE_UP} times while the hub is away")
    waiting = {mrn: _acdd(net, mrn) for mrn in mrns}
    assert {m["state"] for m in waiting.values()} == {"PENDING"}, net.explain(f"given up: {waiting}")

    net.start("hub")
    expected = {m["message_id"] for m in waiting.values()}
    net.wait_for(lambda: expected <= set(_received_acdds(net)), timeout=60,
                 what="every ACDD at VN once the hub is back")
    received = _received_acdds(net)
    assert set(received) == expected, net.explain(f"VN received other ACDDs: {received}")
    assert set(received.values()) == {1}, net.explain(f"delivered more than once: {received}")
    net.wait_for(lambda: all(_acdd(net, mrn)["state"] in ("SENT", "ACKNOWLEDGED") for mrn in mrns), timeout=30,
                 what="customs to see every ACDD handed to the hub")

    # the same customs office with a tiny max age: an ACDD lodged while the hub is away is given up
    net.net.stop("customs")
    net.start("customs", env={"SWX_CUSTOMS_OUTBOX_MAX_AGE": "1"})
    net.net.stop("hub")
    mrn = _lodge(net, "OUTAGE-DEAD-LETTER")
    net.wait_for(lambda: _acdd(net, mrn)["state"] == "FAILED", timeout=30, what="the dead letter")
    dead = _acdd(net, mrn)
    assert dead["failed_at"], net.explain(str(dead))
    assert dead["last_error"].startswith("gave up after "), net.explain(str(dead))
    assert _metric(net, "swx_outbox_dead_letters_waiting") == 1
    assert _metric(net, "swx_outbox_depth") == 1

    net.start("hub")
    operator = {"Authorization": f"Bearer {net.net.token('OPERATOR')}"}
    listed = net._get(f"{net.net.url('customs')}/outbox", token=net.net.token("OPERATOR"), params={"state": "FAILED"})
    assert [m["message_id"] for m in listed["items"]] == [dead["message_id"]]
    replayed = net.http.post(f"{net.net.url('customs')}/outbox/{dead['message_id']}/replay", headers=operator)
    assert replayed.status_code == 200, net.explain(f"replay: {replayed.status_code} {replayed.text[:300]}")
    net.wait_for(lambda: dead["message_id"] in _received_acdds(net), timeout=30, what="the replayed ACDD at VN")
    received = _received_acdds(net)
    assert set(received) == expected | {dead["message_id"]}, net.explain(f"VN's ACDDs after the replay: {received}")
    assert set(received.values()) == {1}, net.explain(f"delivered more than once: {received}")
    assert _acdd(net, mrn)["state"] in ("SENT", "ACKNOWLEDGED")
    assert _metric(net, "swx_outbox_dead_letters_waiting") == 0
