"""How ``swx submit`` and ``swx status`` show what the services answer: a record (declaration,
certificate of origin, manifest, vessel call) with its history and messages, a hub message
with its delivery timeline, and an RFC 9457 problem as a table of its findings.

The services' JSON is read loosely (``.get``): a field a newer service adds or an older one
lacks changes what is shown, never whether it can be shown.
"""

import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from services.cli.words import plural, when
from services.kernel.findings import Location


def where(location: Any) -> str:
    """A finding's place: XPath and line, segment, or JSON Pointer."""
    if not isinstance(location, dict):
        return ""
    try:
        return str(Location(**location))
    except TypeError:  # a key this version does not know
        return ", ".join(f"{key} {value}" for key, value in location.items())


def findings_table(findings: list[dict[str, Any]], *, width: int) -> Table:
    """Code, where and message of each finding, for a console ``width`` wide: a long path is
    broken at its slashes, never inside a name."""
    code_width = max((len(str(f.get("code", ""))) for f in findings), default=4)
    where_width = max(16, (width - code_width - 4) * 2 // 5)
    table = Table(header_style="bold", box=None, pad_edge=False, show_edge=False)
    table.add_column("code", no_wrap=True)
    table.add_column("where", overflow="fold")
    table.add_column("message", overflow="fold", ratio=1)
    for finding in findings:
        colour = "yellow" if finding.get("severity") == "warning" else "red"
        place = where(finding.get("location"))
        subject = finding.get("subject")
        if subject and subject not in place:
            place = f"{place} ({subject})" if place else subject
        table.add_row(f"[{colour}]{escape(str(finding.get('code', '?')))}[/]", escape(break_path(place, where_width)),
                      escape(str(finding.get("message", ""))))
    return table


def break_path(path: str, width: int) -> str:
    """``path`` in lines of at most ``width`` characters, broken after a slash (or a space)."""
    lines = [""]
    for piece in re.findall(r"[^/ ]*[/ ]?", path):
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.rstrip() for line in lines if line)


def problem(console: Console, answer: Any, *, status: int, headline: str) -> None:
    """A refusal: ``headline``, the status and the problem's title, then its findings as a
    table (code, where, message), or its detail when it has none."""
    if not isinstance(answer, dict):
        console.print(f"[red]{escape(headline)}: {status}[/] {escape(str(answer)[:500])}", soft_wrap=True)
        return
    console.print(f"[red]{escape(headline)}: {status} {escape(str(answer.get('title') or ''))}[/]", soft_wrap=True)
    errors = [e for e in answer.get("errors") or [] if isinstance(e, dict)]
    if errors:
        console.print(findings_table(errors, width=console.width))
    elif answer.get("detail"):
        console.print(Padding(Text(str(answer["detail"])), (0, 0, 0, 2), expand=False))


def facts(console: Console, rows: list[tuple[str, Any]]) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(overflow="fold")
    for label, value in rows:
        if value not in (None, ""):
            table.add_row(label, escape(str(value)))
    console.print(table)


def record_facts(kind: str, record: dict[str, Any]) -> list[tuple[str, Any]]:
    """The lines that say which record it is and where it stands."""
    if kind == "declaration":
        lane = f", lane {record['lane']}" if record.get("lane") else ""
        return [("MRN", record.get("mrn")), ("LRN", record.get("lrn")),
                ("route", f"{record.get('export_country')} -> {record.get('destination_country')}"),
                ("status", f"{record.get('status')}{lane}"), ("lodged", when(record.get("lodged_at")))]
    if kind == "certificate":
        declaration = record.get("declaration") or {}
        return [("id", record.get("id")), ("reference", record.get("reference_id")),
                ("form", record.get("form_type")),
                ("route", f"{record.get('export_country')} -> {record.get('import_country')}"),
                ("status", record.get("status")), ("declaration", declaration.get("mrn")),
                ("received", when(record.get("received_at")))]
    if kind == "manifest":
        journey, departure, arrival = (record.get(k) or {} for k in ("journey", "departure", "arrival"))
        return [("id", record.get("id")), ("reference", record.get("manifest_reference")),
                ("journey", f"{journey.get('id')} on {journey.get('date')}, {departure.get('location')} -> "
                            f"{arrival.get('location')}"),
                ("list", record.get("list_type_name") or record.get("list_type")),
                ("persons", record.get("person_count")), ("received", when(record.get("received_at")))]
    return [("id", record.get("id")), ("call", record.get("call_reference")),
            ("ship", f"{record.get('ship_name')} (IMO {record.get('imo_number')})"),
            ("port of call", record.get("port_of_call")), ("version", record.get("document_type")),
            ("received", when(record.get("received_at")))]


def messages(console: Console, sent: list[dict[str, Any]]) -> None:
    """The messages a record sent through the hub: what, to whom, where it stands, and the
    id to follow it by (on a line of its own, so that a narrow terminal never cuts it)."""
    for message in sent:
        attempts = int(message.get("attempts") or 0)
        state = str(message.get("state"))
        if attempts > 1 or state in ("WAITING_FOR_RETRY", "FAILED"):
            state += f" after {plural(attempts, 'attempt')}"
        answer = message.get("answer") or {}
        if answer:
            state += f", answered by {answer.get('document_type')} at {when(answer.get('received_at'))}"
        elif message.get("last_error"):
            state += f": {message['last_error']}"
        line = Text(f"{message.get('document_type')} to {message.get('receiver')}: {state}")
        console.print(Padding(line, (0, 0, 0, 2), expand=False))
        console.print(f"    message {escape(str(message.get('message_id')))}", highlight=False)


def timeline_table(timeline: list[dict[str, Any]]) -> Table:
    table = Table(header_style="bold", box=None, pad_edge=False, show_edge=False)
    table.add_column("at", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("note", overflow="fold")
    for entry in timeline:
        table.add_row(when(entry.get("at")), str(entry.get("state")), escape(str(entry.get("note") or "")))
    return table

