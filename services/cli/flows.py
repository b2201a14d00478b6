"""The four flows of the network (ARCHITECTURE section 2), driven over HTTP against a running network.

Each flow submits realistic documents from ``fixtures/`` (with identifiers made unique per
run, so a flow can run again on the same network), follows every hop through the hub and
the NSW endpoints, and checks what a user would check. ``swx demo`` prints the steps as
they happen; the end-to-end tests assert that every expectation held.
"""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from services.cli.words import parse_time, plural
from services.kernel import resources

FIXTURES = resources.fixtures_dir()
DECLARATION = FIXTURES / "customs.declaration/valid/th-export-natural-rubber-laem-chabang-to-saigon.xml"
CERTIFICATE = FIXTURES / "customs.certificate-of-origin/valid/atiga-form-d-1-1-th-to-vn-rubber-wo-and-rvc-40.json"
PAXLST = FIXTURES / "immigration.passenger-manifest/valid/tg560-bkk-han-passengers-one-passport-expired-paxlst-d05b.edi"
"""TG560 with a ninth passenger whose passport expired before the flight: the manifest is
accepted all the same, and VN refuses boarding to that passenger alone."""
VESSEL_CALL = FIXTURES / "port.vessel-call/valid/khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival-fal-1-1.xml"


class FlowFailed(Exception):
    """An expectation of a flow did not hold."""


@dataclass(frozen=True)
class Step:
    flow: str
    hop: str
    """Where it happened: ``TH customs``, ``hub``, ``VN NSW`` ..."""
    what: str
    elapsed: float
    ok: bool = True


class Control(Protocol):
    """What the outage drill needs from whoever runs the network."""

    def stop(self, *names: str) -> None: ...

    def start(self, *names: str) -> None: ...


@dataclass
class Exchange:
    """A running network seen over HTTP: component URLs and the participants' tokens."""

    urls: dict[str, str]
    tokens: dict[str, str]
    client: httpx.Client
    report: Callable[[Step], None] = lambda step: None
    timeout: float = 60.0
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6].upper())
    started: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    """The same moment as ``started`` on the wall clock, against which the hub's times are read."""

    def step(self, flow: str, hop: str, what: str, *, ok: bool = True, at: datetime | None = None) -> None:
        """Report a step: one seen now, or (``at``) one that happened when a service says it did."""
        elapsed = (at - self.started_at).total_seconds() if at is not None else time.monotonic() - self.started
        self.report(Step(flow, hop, what, elapsed, ok))

    def call(self, method: str, component: str, path: str, *, country: str, expect: tuple[int, ...] = (200,),
             **options: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[country]}", **options.pop("headers", {})}
        response = self.client.request(method, f"{self.urls[component]}{path}", headers=headers, **options)
        if response.status_code not in expect:
            raise FlowFailed(f"{method} {component}{path} answered {response.status_code}: {response.text[:400]}")
        return response.json()

    def wait(self, what: str, probe: Callable[[], Any], *, timeout: float | None = None,
             progress: Callable[[], str] | None = None) -> Any:
        """Poll ``probe`` until it returns something true; FlowFailed after the timeout."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                detail = f" (last seen: {progress()})" if progress else ""
                raise FlowFailed(f"timed out waiting for {what}{detail}")
            time.sleep(0.1)

    def hub_message(self, message_id: str, *, country: str) -> dict[str, Any] | None:
        """The hub's record of the message; None while it is still in the agency's outbox."""
        record = self.call("GET", "hub", f"/messages/{message_id}", country=country, expect=(200, 404))
        return dict(record) if "timeline" in record else None

    def follow(self, flow: str, message_id: str, *, country: str) -> "Timeline":
        return Timeline(self, flow, message_id, country)

    def until_state(self, flow: str, message_id: str, state: str, *, country: str,
                    timeline: "Timeline | None" = None) -> dict[str, Any]:
        """Wait until the hub shows the message in ``state``; report each state it passes
        (those ``timeline`` reported already are not reported again)."""
        followed = timeline or self.follow(flow, message_id, country=country)

        def probe() -> dict[str, Any] | None:
            record = followed.poll()
            return record if record is not None and record["state"] == state else None

        return dict(self.wait(f"message {message_id} to be {state}", probe,
                              progress=lambda: followed.seen[-1] if followed.seen else "nothing"))


@dataclass
class Timeline:
    """A message followed at the hub: each state it passes is reported once, at the time the
    hub recorded it (a retry shows when it happened, not when it was read)."""

    exchange: Exchange
    flow: str
    message_id: str
    country: str
    seen: list[str] = field(default_factory=list)

    def poll(self) -> dict[str, Any] | None:
        """The hub's record now (None while the message is still in the agency's outbox),
        after reporting the states it passed since the last look."""
        record = self.exchange.hub_message(self.message_id, country=self.country)
        if record is None:
            return None
        for entry in record["timeline"][len(self.seen):]:
            self.seen.append(entry["state"])
            note = f" ({entry['note']})" if entry["note"] else ""
            self.exchange.step(self.flow, "hub", f"{record['document_type']} {record['sender']}->"
                                                 f"{record['receiver']}: {entry['state']}{note}",
                               at=parse_time(entry["at"]))
        return record


def export_with_origin(ex: Exchange) -> None:
    """Flow 1: TH exports with an ACDD and an e-Form D to VN; VN answers; TH sees the outcome."""
    flow = "1 export TH->VN"
    xml = DECLARATION.read_text(encoding="utf-8").replace("TH-SIAMRUB-2026-000417", f"TH-SIAMRUB-{ex.run}")
    declared = ex.call("POST", "customs", "/declarations", country="TH", expect=(201,), content=xml.encode(),
                       headers={"Content-Type": "application/xml"})
    mrn = declared["mrn"]
    ex.step(flow, "TH customs", f"declaration accepted: MRN {mrn}, lane {declared['lane']}")
    acdd = _only(declared["messages"], "customs.acdd/1.0")
    certificate = json.loads(CERTIFICATE.read_text(encoding="utf-8"))
    certificate.update(DeclarationID=mrn, ReferenceID=f"TH-D-{ex.run}")
    issued = ex.call("POST", "customs", "/certificates-of-origin", country="TH", expect=(201,),
                     json=certificate)
    ex.step(flow, "TH customs", f"e-Form D {certificate['ReferenceID']} accepted for MRN {mrn}")
    form_d = _only(issued["messages"], "customs.certificate-of-origin/1.1")
    for message in (acdd, form_d):
        record = ex.until_state(flow, message["message_id"], "ACKNOWLEDGED", country="TH")
        ex.step(flow, "VN NSW", f"receipt {record['receipt']['receipt_id']} signed by {record['receipt']['receiver']}")

    def answered() -> dict[str, Any] | None:
        shown: dict[str, Any] = ex.call("GET", "customs", f"/declarations/{mrn}", country="TH")
        done = shown.get("outcome") and all(c.get("outcome") for c in shown["certificates_of_origin"])
        return shown if done else None

    shown = ex.wait("VN's customs responses on the TH declaration and its e-Form D", answered)
    certificates = [("e-Form D", c["outcome"]) for c in shown["certificates_of_origin"]]
    for what, outcome in [("ACDD", shown["outcome"]), *certificates]:
        ex.step(flow, "TH customs", f"VN customs response {outcome['response_id']} to the {what}: "
                                    f"{outcome['function']}" + (f" - {outcome['remarks']}" if outcome.get("remarks")
                                                                else ""))
    states = {m["document_type"]: m["state"] for m in shown["messages"]}
    if states.get("customs.acdd/1.0") != "ACKNOWLEDGED":
        raise FlowFailed(f"the TH declaration shows its ACDD as {states.get('customs.acdd/1.0')}")


def advance_passenger_information(ex: Exchange) -> None:
    """Flow 2: a PAXLST for TG560 BKK->HAN goes to VN, which answers board/no-board per person:
    a watchlisted passenger and one whose passport has expired may not board, the rest of the
    flight may (one person's expired passport no longer refuses the whole manifest)."""
    flow = "2 API BKK->HAN"
    reference = f"TG{ex.run}"
    edifact = PAXLST.read_text(encoding="utf-8").replace("TG5601118", reference)
    submitted = ex.call("POST", "immigration", "/manifests", country="TH", expect=(201,), content=edifact.encode(),
                        headers={"Content-Type": "application/edifact"})
    ex.step(flow, "TH immigration", f"PAXLST {reference} accepted: {submitted['person_count']} persons")
    for finding in (w for w in submitted["warnings"] if w.get("subject")):
        ex.step(flow, "TH immigration", f"finding on {finding['subject']}, decided by VN for that person only: "
                                        f"{finding['code']} {finding['message']}")
    message = _only(submitted["messages"], "immigration.passenger-manifest/1.1")  # PAXLST is read into 1.1
    ex.until_state(flow, message["message_id"], "ACKNOWLEDGED", country="TH")

    def decided() -> list[dict[str, Any]] | None:
        persons: list[dict[str, Any]] = ex.call("GET", "immigration", f"/manifests/{submitted['id']}/responses",
                                                country="TH")["persons"]
        # "pending" until the arrival country's API response is handed over for that person
        return persons if persons and all(p["decision"] not in (None, "pending") for p in persons) else None

    persons = ex.wait("a decision for every person", decided)
    refused = [p for p in persons if p["decision"] == "no-board"]
    for person in refused:
        ex.step(flow, "TH immigration", f"NO-BOARD {person['surname']} {person['given_names']} "
                                        f"({person['reason_code']}): {person['remarks']}")
    for person in (p for p in persons if p["decision"] == "refer"):
        ex.step(flow, "TH immigration", f"REFER {person['surname']} {person['given_names']} "
                                        f"({person['reason_code']}): {person['remarks']}")
    boarding = sum(p["decision"] == "board" for p in persons)
    ex.step(flow, "TH immigration", f"{boarding} of {len(persons)} persons may board")
    reasons = sorted(p["reason_code"] for p in refused)
    if reasons != ["DOCUMENT_EXPIRED", "WATCHLIST_DOCUMENT_MATCH"] or not boarding:
        raise FlowFailed(f"expected the watchlisted passenger and the one with an expired passport refused boarding "
                         f"and the others boarding, got no-board for {reasons} and {boarding} boarding")


def vessel_call(ex: Exchange) -> None:
    """Flow 3: a ship agent's FAL 1+5+6 for KHPNH->VNSGN; VN's three agencies clear it."""
    flow = "3 vessel KHPNH->VNSGN"
    xml = VESSEL_CALL.read_text(encoding="utf-8").replace("VC-VNSGN-20261208-0112", f"VC-VNSGN-{ex.run}")
    submitted = ex.call("POST", "port", "/vessel-calls", country="KH", expect=(201,), content=xml.encode(),
                        headers={"Content-Type": "application/xml"})
    ex.step(flow, "KH port", f"vessel call {submitted['call_reference']} of {submitted['ship_name']} accepted "
                             f"({submitted['document_type']})")
    message = _only(submitted["messages"], "port.vessel-call/1.1")
    ex.until_state(flow, message["message_id"], "ACKNOWLEDGED", country="KH")
    clearances = ex.wait("three clearances", lambda: (lambda c: c if len(c) >= 3 else None)(
        ex.call("GET", "port", f"/vessel-calls/{submitted['id']}", country="KH")["clearances"]))
    for clearance in clearances:
        ex.step(flow, "KH port", f"{clearance['agency']}: {clearance['decision']}"
                                 + (f" - {clearance['remarks']}" if clearance.get("remarks") else ""))
    if sorted(c["agency"] for c in clearances) != ["customs", "immigration", "port-health"]:
        raise FlowFailed(f"expected customs, immigration and port-health clearances, got {clearances}")


@dataclass
class SuspendAtHub:
    """Stands in for stopping an NSW endpoint when the network is not ours to stop (``swx demo
    --url``): the operator suspends deliveries to that country at the hub, then resumes them."""

    exchange: Exchange
    stopped = "deliveries to VN suspended at the hub by the operator (VN's endpoint is not ours to stop)"
    started = "deliveries to VN resumed"
    holds_messages = True
    """Messages for VN wait at the hub unattempted (no failed attempts to show)."""

    def stop(self, *names: str) -> None:
        for name in names:
            self.exchange.call("POST", "hub", f"/participants/{_country(name)}/suspend", country="OPERATOR",
                               params={"note": "swx demo: outage drill"})

    def start(self, *names: str) -> None:
        for name in names:
            self.exchange.call("POST", "hub", f"/participants/{_country(name)}/resume", country="OPERATOR")


def _country(component: str) -> str:
    return component.removeprefix("nsw-").upper()


def outage_drill(ex: Exchange, control: Control) -> None:
    """Flow 4: VN's endpoint is down; the message waits and retries, and is delivered once when VN is back."""
    flow = "4 outage VN"
    control.stop("nsw-vn")
    ex.step(flow, "VN NSW", getattr(control, "stopped", "endpoint stopped"))
    xml = DECLARATION.read_text(encoding="utf-8").replace("TH-SIAMRUB-2026-000417", f"TH-SIAMRUB-{ex.run}-OUT")
    declared = ex.call("POST", "customs", "/declarations", country="TH", expect=(201,), content=xml.encode(),
                       headers={"Content-Type": "application/xml"})
    message_id = _only(declared["messages"], "customs.acdd/1.0")["message_id"]
    ex.step(flow, "TH customs", f"declaration {declared['mrn']} accepted; its ACDD goes to VN")

    timeline = ex.follow(flow, message_id, country="TH")

    def retrying() -> dict[str, Any] | None:
        record = timeline.poll()
        return record if record and record["attempts"] >= 2 and record["state"] == "WAITING_FOR_RETRY" else None

    def held() -> dict[str, Any] | None:
        record = timeline.poll()
        return record if record and record["state"] == "QUEUED" else None

    if getattr(control, "holds_messages", False):
        waiting = ex.wait("the ACDD to be held at the hub", held)
        ex.step(flow, "hub", f"QUEUED and held while VN is suspended ({plural(waiting['attempts'], 'attempt')} "
                             "spent)")
    else:
        waiting = ex.wait("two failed attempts", retrying)
        ex.step(flow, "hub", f"waiting to retry after {plural(waiting['attempts'], 'failed attempt')}: "
                             f"{waiting['last_error']}")
    control.start("nsw-vn")
    back_at = datetime.now(UTC)
    timeline.poll()  # the retries made while VN was starting are shown before it is back
    ex.step(flow, "VN NSW", getattr(control, "started", "endpoint back"), at=back_at)
    record = ex.until_state(flow, message_id, "ACKNOWLEDGED", country="TH", timeline=timeline)
    inbox = ex.call("GET", "nsw-vn", "/inbox", country="VN", params={"sender": "TH", "limit": 1000})["items"]
    copies = [item for item in inbox if item["message_id"] == message_id]
    if len(copies) != 1:
        raise FlowFailed(f"VN's inbox holds the message {len(copies)} times")
    ex.step(flow, "VN NSW", f"received once after {plural(record['attempts'], 'attempt')}; nothing lost or doubled")


def _only(messages: list[dict[str, Any]], document_type: str) -> dict[str, Any]:
    found = [m for m in messages if m["document_type"] == document_type]
    if len(found) != 1:
        raise FlowFailed(f"expected one {document_type} message, found {len(found)} in {messages}")
    return found[0]


FLOWS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("Export with preferential origin, TH -> VN", export_with_origin),
    ("Advance passenger information, BKK -> HAN", advance_passenger_information),
    ("Vessel call, KHPNH -> VNSGN", vessel_call),
    ("Outage drill: VN's endpoint down, then back", outage_drill),
)
