"""The hub's dashboard: a page served without data, and the JSON it reads with the caller's token."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.messages.exchange import Envelope
from tests.hub.conftest import ReceiverStandIn

Auth = Callable[[str], dict[str, str]]


def _state(client: TestClient, auth: Auth, message_id: str) -> str:
    return str(client.get(f"/messages/{message_id}", headers=auth("OPERATOR")).json()["state"])


@pytest.fixture
def traffic(client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope],
            receivers: ReceiverStandIn, auth: Auth, eventually: Callable[..., None]) -> dict[str, str]:
    """Two messages TH->VN delivered, one TH->JP FAILED (every attempt 503), one TH->LA REJECTED."""
    sent = {}
    for name, receiver, behaviours, state in (("vn-1", "VN", [], "DELIVERED"), ("vn-2", "VN", [], "DELIVERED"),
                                              ("jp", "JP", [503] * 4, "FAILED"),
                                              ("la", "LA", ["permanent"], "REJECTED")):
        receivers.behaviours = list(behaviours)
        message = envelope(receiver=receiver)
        assert post(message).status_code == 202
        eventually(lambda m=message, s=state: _state(client, auth, m.message_id) == s, what=f"{name} {state}")
        sent[name] = message.message_id
    return sent


def test_the_page_is_served_without_data_and_loads_only_the_hubs_own_files(client: TestClient) -> None:
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'id="token-form"' in page.text
    assert '<label for="token">' in page.text
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', page.text)
    assert sources
    outside = [s for s in sources if re.match(r"(?i)^(https?:)?//", s)]
    assert outside == []
    files = [s for s in sources if s.startswith("/dashboard/static/")]
    assert len(files) == 3  # the style sheet, the shared script and the page's script
    for path in files:
        served = client.get(path)
        assert served.status_code == 200, path
        assert served.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")
        assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write", served.text)
    assert client.get("/dashboard/static/..%2Fapp.py").status_code == 404
    assert client.get("/dashboard/static/nothing.js").status_code == 404


def test_the_message_page_escapes_what_it_is_given(client: TestClient) -> None:
    page = client.get('/dashboard/messages/"><svg onload=alert(1)>', params={"sender": "TH"})
    assert page.status_code == 200
    assert "<svg onload" not in page.text
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in page.text
    assert 'data-sender="TH"' in page.text
    assert client.get("/dashboard/messages/x", params={"sender": "Thailand"}).status_code == 400


@pytest.mark.parametrize("path", ["/dashboard/api/session", "/dashboard/api/links", "/dashboard/api/messages"])
def test_the_dashboard_api_needs_a_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401
    unknown = client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401
    assert unknown.headers["content-type"] == "application/problem+json"


def test_only_the_operator_may_replay(client: TestClient, auth: Auth) -> None:
    operator = client.get("/dashboard/api/session", headers=auth("OPERATOR")).json()
    assert (operator["operator"], operator["may_replay"]) == (True, True)
    assert operator["replayable_states"] == ["FAILED"]
    thailand = client.get("/dashboard/api/session", headers=auth("TH")).json()
    assert (thailand["country"], thailand["name"], thailand["may_replay"]) == ("TH", "Thailand", False)


def test_links_count_messages_per_link_and_state_group(client: TestClient, auth: Auth,
                                                       traffic: dict[str, str]) -> None:
    answer = client.get("/dashboard/api/links", headers=auth("OPERATOR")).json()
    links = {(link["sender"], link["receiver"]): link for link in answer["links"]}
    assert set(links) == {("TH", "VN"), ("TH", "JP"), ("TH", "LA")}
    counts = {key: (link["delivered"], link["waiting"], link["failed"]) for key, link in links.items()}
    assert counts == {("TH", "VN"): (2, 0, 0), ("TH", "JP"): (0, 0, 1), ("TH", "LA"): (0, 0, 1)}
    assert links[("TH", "VN")]["states"] == {"DELIVERED": 2}
    assert links[("TH", "JP")]["states"] == {"FAILED": 1}
    assert links[("TH", "LA")]["states"] == {"REJECTED": 1}
    assert answer["totals"] == {"delivered": 2, "waiting": 0, "failed": 2}


def test_a_country_sees_only_its_own_links_and_messages(client: TestClient, auth: Auth,
                                                        traffic: dict[str, str]) -> None:
    def links(who: str) -> set[tuple[str, str]]:
        answer = client.get("/dashboard/api/links", headers=auth(who)).json()
        return {(link["sender"], link["receiver"]) for link in answer["links"]}

    def messages(who: str, **filters: str) -> set[str]:
        answer = client.get("/dashboard/api/messages", params=filters, headers=auth(who))
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == len(answer.json()["items"])
        return {m["message_id"] for m in answer.json()["items"]}

    assert links("VN") == {("TH", "VN")}
    assert links("JP") == {("TH", "JP")}
    assert links("KH") == set()
    assert links("TH") == {("TH", "VN"), ("TH", "JP"), ("TH", "LA")}
    assert messages("VN") == {traffic["vn-1"], traffic["vn-2"]}
    assert messages("VN", country="TH") == {traffic["vn-1"], traffic["vn-2"]}
    assert messages("VN", country="JP") == set()
    assert messages("TH", country="JP") == {traffic["jp"]}
    assert messages("OPERATOR", country="LA") == {traffic["la"]}
    assert messages("OPERATOR", state="FAILED") == {traffic["jp"]}
    assert messages("OPERATOR", document_type="customs.acdd/1.0") == set(traffic.values())
    assert client.get("/dashboard/api/messages", params={"state": "LOST"}, headers=auth("OPERATOR")).status_code == 400


def test_newest_messages_come_first(client: TestClient, auth: Auth, traffic: dict[str, str]) -> None:
    items = client.get("/dashboard/api/messages", params={"limit": 2}, headers=auth("OPERATOR")).json()
    assert [m["message_id"] for m in items["items"]] == [traffic["la"], traffic["jp"]]
    assert items["total"] == 4


def test_the_message_page_reads_timeline_receipt_and_payload_of_a_delivered_message(
    client: TestClient, auth: Auth, traffic: dict[str, str],
) -> None:
    message_id = traffic["vn-1"]
    page = client.get(f"/dashboard/messages/{message_id}", params={"sender": "TH"})
    assert page.status_code == 200
    assert f'data-message-id="{message_id}"' in page.text
    record = client.get(f"/messages/{message_id}", params={"sender": "TH", "payload": "true"},
                        headers=auth("VN")).json()
    assert [step["state"] for step in record["timeline"]] == ["RECEIVED", "QUEUED", "SENDING", "DELIVERED"]
    assert all(step["at"] for step in record["timeline"])
    assert record["receipt"]["receiver"] == "VN"
    assert record["receipt"]["signature"]
    assert record["receipt"]["payload_digest"] == record["payload_digest"]
    assert "<" in record["payload"]
    assert record["replies"] == []


def test_the_sign_in_page_says_where_the_tokens_are(client: TestClient) -> None:
    page = client.get("/dashboard").text
    assert "Where is my token?" in page
    assert "var/network/OPERATOR.token" in page  # swx up's default data dir
    assert "&lt;data-dir&gt;/network/TH.token" in page
    assert "DIR/OPERATOR.token" in page  # swx keys DIR


def test_a_suspended_receiver_is_named_on_the_links_and_on_each_message_waiting_for_it(
    client: TestClient, post: Callable[..., Any], envelope: Callable[..., Envelope], auth: Auth,
    eventually: Callable[..., None],
) -> None:
    delivered = envelope(receiver="VN")
    assert post(delivered).status_code == 202
    eventually(lambda: _state(client, auth, delivered.message_id) == "DELIVERED", what="delivered before")
    suspended = client.post("/participants/VN/suspend", params={"note": "endpoint maintenance"},
                            headers=auth("OPERATOR"))
    assert suspended.status_code == 200, suspended.text
    since = suspended.json()["suspended"]["since"]
    held = envelope(receiver="VN")
    assert post(held).status_code == 202
    other = envelope(receiver="JP")
    assert post(other).status_code == 202
    eventually(lambda: _state(client, auth, other.message_id) == "DELIVERED", what="JP still delivered")
    assert _state(client, auth, held.message_id) == "QUEUED"
    hold = {"since": since, "note": "endpoint maintenance"}

    for who in ("OPERATOR", "TH", "KH"):  # the directory tells every participant, so the dashboard does
        links = client.get("/dashboard/api/links", headers=auth(who)).json()
        assert links["suspended"] == [{"country": "VN", "name": "Viet Nam", **hold}]
    items = client.get("/dashboard/api/messages", headers=auth("TH")).json()["items"]
    by_id = {m["message_id"]: m["receiver_suspended"] for m in items}
    assert by_id == {held.message_id: hold, delivered.message_id: None, other.message_id: None}
    record = client.get(f"/messages/{held.message_id}", headers=auth("VN")).json()
    assert (record["state"], record["attempts"], record["receiver_suspended"]) == ("QUEUED", 0, hold)
    listed = client.get("/messages", params={"receiver": "VN"}, headers=auth("OPERATOR")).json()["items"]
    assert [m["receiver_suspended"] for m in listed] == [hold, None]

    assert client.post("/participants/VN/resume", headers=auth("OPERATOR")).status_code == 200
    eventually(lambda: _state(client, auth, held.message_id) == "DELIVERED", what="delivered after resume")
    assert client.get("/dashboard/api/links", headers=auth("OPERATOR")).json()["suspended"] == []
    assert client.get(f"/messages/{held.message_id}", headers=auth("TH")).json()["receiver_suspended"] is None
