"""Faults only real processes show: a receiver down, a hub killed mid-flight, two delivery
workers sharing PostgreSQL, flaky and slow receivers, a payload altered on the way.

The network runs as uvicorn subprocesses on loopback (``services.cli.launcher``); the
messages are customs responses TH -> VN, which the receiving NSW acknowledges and does not
answer, so every count is one message sent, one message received.
"""

import json
import logging
from collections import Counter
from typing import Any

import pytest

from services.kernel import canonical
from services.kernel.messages.exchange import ErrorSignal
from services.kernel.network import load_network, set_endpoints
from services.kernel.signing import verify

pytestmark = pytest.mark.network

log = logging.getLogger(__name__)
TAMPER_CODES = {"PAYLOAD_DIGEST_MISMATCH", "SIGNATURE_MISMATCH"}


def once_each(items: list[dict[str, Any]]) -> Counter[str]:
    return Counter(item["message_id"] for item in items)


def test_receiver_down_then_up_delivers_each_message_exactly_once(network: Any) -> None:
    net = network()
    net.start("hub", "nsw-vn")
    net.net.stop("nsw-vn")

    sent = net.send([net.envelope() for _ in range(200)])
    net.expect_accepted(sent, 200)

    # while VN fails, the hub probes it a few messages at a time (services/hub/delivery.py
    # holds a failing receiver back); the others stay queued until it answers again
    net.wait_for(lambda: net.hub_count(state="WAITING_FOR_RETRY") > 0, timeout=30,
                 what="messages to VN tried and waiting for a retry")
    tried = {m["message_id"] for m in net.hub_messages(receiver="VN") if m["attempts"] >= 1}

    net.start("nsw-vn")
    took = net.wait_for(lambda: net.hub_count(state="DELIVERED") == 200, timeout=60,
                        what="all 200 messages DELIVERED once VN is back")
    log.info("200 messages delivered %.1f s after VN came back", took)

    inbox = net.inbox("VN")
    listed = once_each(inbox)
    assert set(listed) == set(sent.accepted), net.explain(
        f"VN's inbox differs: {len(set(sent.accepted) - set(listed))} missing, "
        f"{len(set(listed) - set(sent.accepted))} unexpected")
    assert max(listed.values()) == 1, net.explain(f"listed more than once: {[m for m, n in listed.items() if n > 1]}")
    assert not [item for item in inbox if item["state"] == "REJECTED"], net.explain("VN rejected messages")
    for message_id, record in net.hub_records(sent.accepted).items():
        steps = [step["state"] for step in record["timeline"]]
        if message_id in tried:
            assert "WAITING_FOR_RETRY" in steps, net.explain(f"{message_id} never waited: {steps}")
        assert steps[-1] == "DELIVERED", net.explain(f"{message_id}: {steps}")
    net.expect_quiet_logs()


def test_hub_killed_mid_flight_loses_nothing_and_duplicates_nothing(network: Any) -> None:
    net = network()
    net.start("hub", "nsw-vn")
    envelopes = [net.envelope() for _ in range(500)]

    sent = net.send(envelopes, concurrency=32, after=(250, lambda: net.net.stop("hub", kill=True)))
    acknowledged = set(sent.accepted)
    log.info("%d of 500 envelopes got a 202 before the hub was killed; %d did not (%s)", len(acknowledged),
             len(sent.refused), dict(Counter(sent.refused.values())))
    assert sent.refused, net.explain("the hub was killed only after every envelope was answered")
    assert len(acknowledged) >= 250

    net.start("hub")
    net.wait_for(lambda: acknowledged <= {m["message_id"] for m in net.hub_messages(state="DELIVERED")},
                 timeout=60, what=f"the {len(acknowledged)} acknowledged messages to be DELIVERED")
    at_hub = net.hub_messages()
    # a message stored just before the kill, whose 202 was lost with the process, is delivered too
    net.wait_for(lambda: net.hub_count(state="DELIVERED") == len(at_hub), timeout=30,
                 what="every message the hub stored to be DELIVERED")
    unpromised = {m["message_id"] for m in at_hub} - acknowledged
    assert unpromised <= set(sent.refused), net.explain(f"the hub has messages nobody sent: {unpromised}")

    inbox = net.inbox("VN")
    listed = once_each(inbox)
    assert acknowledged <= set(listed), net.explain(f"lost: {sorted(acknowledged - set(listed))[:10]}")
    assert set(listed) == {m["message_id"] for m in at_hub}, net.explain("VN's inbox and the hub disagree")
    assert max(listed.values()) == 1, net.explain(f"listed twice: {[m for m, n in listed.items() if n > 1]}")
    resent = [item["message_id"] for item in inbox if item["deliveries"] > 1]
    log.info("%d stored without their 202; %d delivered again after the restart and deduplicated by VN",
             len(unpromised), len(resent))
    net.expect_quiet_logs()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_on_postgresql_never_send_a_message_twice(database_url: str, network: Any) -> None:
    # the hub only takes messages in; two worker processes deliver, sharing its database. Few
    # deliveries in flight per worker make them claim often, so their claims overlap; the lease
    # outlasts the delivery timeout, so a second SENDING could only be a double claim
    net = network(extra_env={"SWX_HUB_RUN_WORKER": "false", "SWX_HUB_CONCURRENCY": "4",
                             "SWX_HUB_DELIVERY_TIMEOUT": "10", "SWX_HUB_LEASE": "30"})
    hub_database = {"SWX_HUB_DATABASE_URL": database_url}
    net.start("hub", env=hub_database)
    net.start("nsw-vn")

    sent = net.send([net.envelope() for _ in range(300)])
    net.expect_accepted(sent, 300)
    assert net.hub_count(state="QUEUED") == 300, net.explain("the hub delivered without a worker")

    workers = ("hub-worker-1", "hub-worker-2")
    for name in workers:
        net.start_hub_worker(name, env=hub_database)
    took = net.wait_for(lambda: net.hub_count(state="DELIVERED") == 300, timeout=60,
                        what="all 300 messages DELIVERED by the two workers")

    inbox = net.inbox("VN")
    assert set(once_each(inbox)) == set(sent.accepted), net.explain("VN's inbox is not the 300 messages sent")
    twice = {item["message_id"]: item["deliveries"] for item in inbox if item["deliveries"] != 1}
    assert not twice, net.explain(f"VN received messages more than once: {twice}")
    for message_id, record in net.hub_records(sent.accepted).items():
        sending = [step for step in record["timeline"] if step["state"] == "SENDING"]
        assert len(sending) == 1, net.explain(f"{message_id} was claimed {len(sending)} times: {record['timeline']}")
    by_worker = {name: net.count_lines(net.net.log_file(name), "message.delivered") for name in workers}
    log.info("300 messages delivered in %.1f s: %s", took, by_worker)
    assert sum(by_worker.values()) == 300, net.explain(f"deliveries by worker: {by_worker}")
    assert all(by_worker.values()), net.explain(f"one worker delivered everything: {by_worker}")
    net.expect_quiet_logs()


def test_flaky_and_slow_receivers_converge(network: Any) -> None:
    net = network()
    routes = {"flaky": {"target": net.net.url("nsw-vn"), "behaviour": "flaky"},
              "slow": {"target": net.net.url("nsw-kh"), "behaviour": "slow"}}
    standin = net.start_standin(routes, hold=4.0)  # longer than the hub's 2 s delivery timeout
    set_endpoints(net.net.network_file, {"VN": f"{standin}/flaky", "KH": f"{standin}/slow"})
    net.start("hub", "nsw-vn", "nsw-kh")

    envelopes = [net.envelope(receiver=receiver) for receiver in ("VN", "KH") for _ in range(25)]
    sent = net.send(envelopes)
    net.expect_accepted(sent, 50)
    took = net.wait_for(lambda: net.hub_count(state="DELIVERED") == 50, timeout=90,
                        what="all 50 messages DELIVERED through the flaky and the slow receiver")

    calls = net.http.get(f"{standin}/calls").json()
    log.info("converged in %.1f s; stand-in calls: %s", took, calls)
    for receiver, route in (("VN", "flaky"), ("KH", "slow")):
        at_hub = net.hub_messages(receiver=receiver)
        attempts = [m["attempts"] for m in at_hub]
        assert Counter(m["state"] for m in at_hub) == {"DELIVERED": 25}, net.explain(receiver)
        assert max(attempts) > 1, net.explain(f"no message to {receiver} needed a second attempt: {calls}")
        assert sum(attempts) == calls[route]["calls"], net.explain(f"{receiver}: hub attempts {sum(attempts)} vs "
                                                                   f"calls {calls[route]}")
        inbox = net.inbox(receiver)
        listed = once_each(inbox)
        assert set(listed) == {m["message_id"] for m in at_hub}, net.explain(f"{receiver}'s inbox differs")
        assert max(listed.values()) == 1, net.explain(f"{receiver}'s inbox lists a message twice")
        assert {item["state"] for item in inbox} == {"ACCEPTED"}, net.explain(f"{receiver} refused messages")
        # every call passed on reached the receiver: a timed-out one too, so it was received twice and kept once
        assert sum(item["deliveries"] for item in inbox) == calls[route]["passed_on"], net.explain(receiver)
    kh_twice = [item for item in net.inbox("KH") if item["deliveries"] > 1]
    assert kh_twice, net.explain("no answer was held past the timeout")
    assert all(item["deliveries"] == 1 for item in net.inbox("VN")), net.explain("VN received a message twice")
    net.expect_quiet_logs()


def test_payload_altered_in_transit_is_refused_by_the_receiver(network: Any) -> None:
    net = network()
    vn = net.net.url("nsw-vn")
    standin = net.start_standin({"mitm": {"target": vn, "behaviour": "tamper"}})
    set_endpoints(net.net.network_file, {"VN": f"{standin}/mitm"})
    net.start("hub", "nsw-vn")
    directory = load_network(net.net.network_file)

    def altered(*, recompute_digest: bool) -> Any:
        envelope = net.envelope()
        payload = envelope.payload.replace('"LaneCode": "green"', '"LaneCode": "red"')
        assert payload != envelope.payload
        changes = {"payload": payload, **({"payload_digest": canonical.digest(payload)} if recompute_digest else {})}
        return envelope.model_copy(update=changes)

    for envelope, codes in ((altered(recompute_digest=False), TAMPER_CODES),
                            (altered(recompute_digest=True), {"SIGNATURE_MISMATCH"})):
        response = net.http.post(f"{vn}/inbox", content=canonical.json_text(envelope).encode(), headers={
            "Authorization": f"Bearer {directory.hub_token}", "Content-Type": "application/json"})
        assert response.status_code == 422, net.explain(f"{response.status_code}: {response.text[:500]}")
        assert response.headers["content-type"].startswith("application/problem+json")
        signal = ErrorSignal.model_validate(response.json()["error_signal"])
        verify(signal, public_key_for=directory.public_key_for)  # signed by VN
        assert (signal.code in codes, signal.message_id, signal.receiver, signal.category) == (
            True, envelope.message_id, "VN", "permanent"), signal

    envelope = net.envelope()
    sent = net.send([envelope])
    assert sent.accepted == [envelope.message_id], net.explain(f"refused: {sent.refused}")
    net.wait_for(lambda: net.hub_count(state="REJECTED") == 1, timeout=30,
                 what="the hub to end the altered message REJECTED")
    record = net.hub_records([envelope.message_id])[envelope.message_id]
    assert (record["state"], record["receipt"]) == ("REJECTED", None), net.explain(json.dumps(record)[:1000])
    signal = ErrorSignal.model_validate(record["error_signal"])
    verify(signal, public_key_for=directory.public_key_for)
    assert signal.code in TAMPER_CODES, net.explain(str(signal))
    assert signal.message_id == envelope.message_id, net.explain(str(signal))
    assert record["attempts"] == 1, net.explain("a permanent refusal was retried")
    stored = [item for item in net.inbox("VN") if item["message_id"] == envelope.message_id]
    assert [(item["state"], item["error_code"]) for item in stored] == [("REJECTED", signal.code)], stored
    net.expect_quiet_logs()
