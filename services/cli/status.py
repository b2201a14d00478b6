"""``swx status ID``: a record with its history and messages, or a hub message with its
delivery timeline.

The id's shape says where to look: an MRN (``26TH4F0Q2ZK81D7XA5``: year, country, 13
characters, a check character) is a customs declaration; a UUID is a certificate of
origin, a passenger manifest, a vessel call or a message at the hub, so customs,
immigration, port and the hub are asked in turn until one knows it.

As whom: ``--as``; else, for an MRN, the country that accepted it; else the operator, who
sees every record (``swx up`` writes the operator's token beside the others).
"""

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from services.cli import records
from services.cli.documents import UsageProblem
from services.cli.remote import NetworkProblem, RecordedNetwork, answer_of, request
from services.cli.words import plural, when
from services.customs.mrn import PATTERN as MRN_SHAPE
from services.kernel.participants import OPERATOR, PARTICIPANTS

UUID_SHAPE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True)
class Lookup:
    component: str
    path: str
    kind: str
    """``declaration``, ``certificate``, ``manifest``, ``vessel call`` or ``message``."""


def lookups(ident: str) -> list[Lookup]:
    """Where a record or message with this id can be, in the order to ask."""
    if MRN_SHAPE.fullmatch(ident):
        return [Lookup("customs", f"/declarations/{ident}", "declaration")]
    if UUID_SHAPE.fullmatch(ident):
        return [Lookup("customs", f"/certificates-of-origin/{ident}", "certificate"),
                Lookup("immigration", f"/manifests/{ident}", "manifest"),
                Lookup("port", f"/vessel-calls/{ident}", "vessel call"),
                Lookup("hub", f"/messages/{ident}", "message")]
    raise UsageProblem(f"{ident!r} is neither an MRN (18 characters such as 26TH4F0Q2ZK81D7XA5) nor the UUID of a "
                       "record or a hub message")


def default_identity(ident: str) -> str:
    """An MRN's own country (it lodged the declaration), else the operator."""
    if MRN_SHAPE.fullmatch(ident) and ident[2:4] in PARTICIPANTS:
        return ident[2:4]
    return OPERATOR


def run_status(console: Console, *, ident: str, identity: str, network: RecordedNetwork, url: str | None,
               as_json: bool) -> int:
    token = network.token(identity)
    unreachable: list[str] = []
    asked: list[str] = []
    for lookup in lookups(ident):
        base = (url or network.url(lookup.component)).rstrip("/")
        asked.append(lookup.component)
        try:
            response = request("GET", f"{base}{lookup.path}", token=token, what=lookup.component,
                               headers={"Accept": "application/json"})
        except NetworkProblem as unanswered:
            unreachable.append(str(unanswered))
            continue
        if response.status_code == 404:
            continue
        answer = answer_of(response)
        if not response.is_success:
            records.problem(console, answer, status=response.status_code, headline=f"{lookup.component} answered")
            return 1
        decisions = None
        if lookup.kind == "manifest":
            decided = request("GET", f"{base}{lookup.path}/responses", token=token, what=lookup.component)
            decisions = answer_of(decided) if decided.is_success else None
        if as_json:
            sys.stdout.write(json.dumps(answer, indent=2, ensure_ascii=False) + "\n")
        else:
            show(console, lookup.kind, answer, decisions=decisions)
        return 0
    for reason in unreachable:
        console.print(f"[red]error:[/] {escape(reason)}", soft_wrap=True)
    if unreachable:
        return 2
    places = [("the hub" if name == "hub" else name) for name in dict.fromkeys(asked)]
    places_text = places[0] if len(places) == 1 else f"{', '.join(places[:-1])} and {places[-1]}"
    console.print(f"[red]not found:[/] no record or message {escape(ident)} that {identity} may see (asked "
                  f"{places_text})", soft_wrap=True)
    return 1


def show(console: Console, kind: str, answer: dict[str, Any], *, decisions: Any = None) -> None:
    if kind == "message":
        _message(console, answer)
        return
    console.print(f"[bold]{kind}[/]")
    records.facts(console, records.record_facts(kind, answer))
    if kind == "declaration":
        history = [{"state": e.get("status"), "at": e.get("at"), "note": e.get("note")}
                   for e in answer.get("history") or []]
        _section(console, "history", records.timeline_table(history) if history else None)
    _outcome(console, answer.get("outcome"))
    if answer.get("replaced_by"):
        console.print(f"replaced by certificate {answer['replaced_by'].get('id')}", highlight=False)
    if answer.get("messages"):
        console.print("[bold]messages through the hub[/]")
        records.messages(console, answer["messages"])
    certificates = answer.get("certificates_of_origin") or []
    _section(console, "certificates of origin", _certificates(certificates) if certificates else None)
    clearances = answer.get("clearances") or []
    _section(console, "clearances", _clearances(clearances) if clearances else None)
    persons = decisions.get("persons") if isinstance(decisions, dict) else None
    _section(console, "decisions per person", _decisions(persons) if persons else None)
    if answer.get("messages"):
        console.print("a message's delivery timeline: swx status MESSAGE_ID", highlight=False)


def _section(console: Console, title: str, table: Table | None) -> None:
    if table is not None:
        console.print(f"[bold]{title}[/]")
        console.print(table)


def _outcome(console: Console, outcome: Any) -> None:
    if isinstance(outcome, dict):
        remarks = f": {outcome['remarks']}" if outcome.get("remarks") else ""
        console.print(f"[bold]answer[/] {escape(str(outcome.get('function')))} "
                      f"({escape(str(outcome.get('response_id')))}){escape(remarks)}", highlight=False)


def _message(console: Console, message: dict[str, Any]) -> None:
    console.print("[bold]message at the hub[/]")
    attempts = int(message.get("attempts") or 0)
    receipt = message.get("receipt") or {}
    records.facts(console, [
        ("message", message.get("message_id")), ("type", message.get("document_type")),
        ("route", f"{message.get('sender')} -> {message.get('receiver')}"),
        ("state", f"{message.get('state')} after {plural(attempts, 'attempt')}"),
        ("last error", message.get("last_error")), ("next attempt", when(message.get("next_attempt_at"))),
        ("receipt", f"{receipt.get('receipt_id')} signed by {receipt.get('receiver')}" if receipt else None),
        ("conversation", message.get("conversation_id"))])
    _section(console, "timeline", records.timeline_table(message.get("timeline") or []))
    replies = message.get("replies") or []
    if replies:
        table = _table("message", "type", "from", "state")
        for reply in replies:
            table.add_row(*(str(reply.get(k)) for k in ("message_id", "document_type", "sender", "state")))
        _section(console, "answers", table)


def _table(*columns: str) -> Table:
    table = Table(header_style="bold", box=None, pad_edge=False, show_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _certificates(certificates: list[dict[str, Any]]) -> Table:
    table = _table("id", "reference", "form", "to", "answer")
    for certificate in certificates:
        outcome = certificate.get("outcome") or {}
        table.add_row(*(escape(str(certificate.get(k))) for k in ("id", "reference_id", "form_type", "import_country")),
                      escape(str(outcome.get("function") or "none yet")))
    return table


def _clearances(clearances: list[dict[str, Any]]) -> Table:
    table = _table("agency", "decision", "at", "remarks")
    for clearance in clearances:
        table.add_row(escape(str(clearance.get("agency"))), escape(str(clearance.get("decision"))),
                      when(clearance.get("decided_at")), escape(str(clearance.get("remarks") or "")))
    return table


def _decisions(persons: list[dict[str, Any]]) -> Table:
    table = _table("#", "person", "decision", "reason")
    for person in persons:
        name = " ".join(str(p) for p in (person.get("surname"), person.get("given_names")) if p)
        code, remarks = person.get("reason_code"), str(person.get("remarks") or "")
        reason = remarks if code and remarks.startswith(str(code)) else ": ".join(str(p) for p in (code, remarks) if p)
        table.add_row(str(person.get("sequence")), escape(name), escape(str(person.get("decision"))), escape(reason))
    return table
