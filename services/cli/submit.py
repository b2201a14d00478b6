"""``swx submit FILE``: lodge a document with the agency service that takes it, as a trader,
carrier or ship agent would, and say what became of it.

What and where: the engine reads the file (JSON, XML, WCO DM 3.6 XML, UN/EDIFACT PAXLST)
and tells its type; the type names the service and the endpoint (``ROUTES``), and the
format the ``Content-Type``. ``--to`` names the service when the file cannot be typed here
(it is sent all the same: the service's answer says what is wrong with it).

As whom: ``--as``, else the country the document is lodged in when the document tells it
(an export declaration in the export country, an import one in the destination; a
certificate of origin in the exporting country; a manifest in the departure country, a
vessel call in the last port's, each when that country is in the network).

The answer: the record's id (MRN, manifest id ...) and where it stands, exit 0; a refusal
as the service's problem's findings in a table, exit 1; a file, a network or a token that
is not there, a sentence and exit 2.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from services.cli import records
from services.cli.documents import UsageProblem, read_bytes
from services.cli.remote import RecordedNetwork, answer_of, request
from services.kernel import wco_xml
from services.kernel.messages.types import Document
from services.kernel.participants import PARTICIPANTS
from services.kernel.validation import Report, sniff_format, validate


@dataclass(frozen=True)
class Route:
    service: str
    path: str
    kind: str
    """What the service keeps: ``declaration``, ``certificate``, ``manifest``, ``vessel call``."""


ROUTES = {
    "customs.declaration": Route("customs", "/declarations", "declaration"),
    "customs.certificate-of-origin": Route("customs", "/certificates-of-origin", "certificate"),
    "immigration.passenger-manifest": Route("immigration", "/manifests", "manifest"),
    "port.vessel-call": Route("port", "/vessel-calls", "vessel call"),
}
"""Each type a trader, carrier or agent lodges, and where (the services' endpoints.py)."""
SERVICES = ("customs", "immigration", "port")
MAIN_ROUTE = {"customs": ROUTES["customs.declaration"], "immigration": ROUTES["immigration.passenger-manifest"],
              "port": ROUTES["port.vessel-call"]}
"""Where ``--to`` sends a file whose type cannot be told: each service's main endpoint."""
MEDIA_TYPES = {"json": "application/json", "xml": "application/xml", "edifact": "application/edifact"}
EDIFACT_SUFFIXES = (".edi", ".edifact", ".paxlst")


@dataclass(frozen=True)
class Submission:
    path: Path
    data: bytes
    content_type: str
    route: Route
    document_type: str | None
    country: str | None
    """Who lodges it, when the document tells."""
    unread: str | None = None
    """Why the document could not be read here (then it cannot tell who lodges it)."""


def prepare(path: Path, *, to: str | None) -> Submission:
    """Read, type and route the file; UsageProblem when it cannot be sent anywhere."""
    if to is not None and to not in SERVICES:
        raise UsageProblem(f"--to takes {', '.join(SERVICES[:-1])} or {SERVICES[-1]}, not {to!r}")
    data = read_bytes(path)
    edifact = path.suffix.lower() in EDIFACT_SUFFIXES
    report = validate(data, media_type="application/edifact" if edifact else None)
    fmt = "edifact" if edifact else report.format or sniff_format(data)
    if fmt is None:
        raise UsageProblem(f"{path} is neither JSON, XML nor UN/EDIFACT: nothing a service takes")
    route = _route(path, report, to)
    document_type = report.message_type.key if report.message_type else None
    content_type = wco_xml.WCO_DEC_MEDIA_TYPE if report.wco is not None else MEDIA_TYPES[fmt]
    country = None
    if report.document is not None and report.message_type is not None:
        country = lodging_country(report.message_type.type_id, report.document)
    unread = None if report.document is not None else (report.errors[0].message if report.errors else "not read")
    return Submission(path, data, content_type, route, document_type, country, unread)


def _route(path: Path, report: Report, to: str | None) -> Route:
    if report.message_type is None:
        if to is None:
            reason = report.errors[0].message if report.errors else "its type is not known"
            raise UsageProblem(f"cannot tell what {path} is ({reason}); name the service with --to "
                               f"{'|'.join(SERVICES)} to send it all the same")
        return MAIN_ROUTE[to]
    route = ROUTES.get(report.message_type.type_id)
    if route is None:
        lodged = ", ".join(ROUTES)
        raise UsageProblem(f"{path} is a {report.message_type.key}: countries send it to each other through the hub; "
                           f"it is not lodged with a service (swx submit takes {lodged})")
    if to is not None and to != route.service:
        raise UsageProblem(f"{path} is a {report.message_type.key}: it goes to {route.service}, not {to}")
    return route


def lodging_country(type_id: str, document: Document) -> str | None:
    """The network country the document is lodged in, None when it does not tell."""
    if type_id == "customs.declaration":
        from services.customs.declaration_facts import AnyDeclaration, RequiredBySwx, facts_of

        if not isinstance(document, AnyDeclaration):
            return None
        try:
            return facts_of(document).lodging_country
        except (RequiredBySwx, LookupError, ValueError):
            return None
    ends: tuple[str | None, ...] = ()
    if type_id == "customs.certificate-of-origin":
        ends = (getattr(document, "ExportCountryCode", None),)
    elif type_id == "immigration.passenger-manifest":
        from services.immigration.locations import country_of

        transport = getattr(document, "Transport", None)
        ends = tuple(country_of(code) if code else None for code in
                     (getattr(transport, "DepartureLocationID", None), getattr(transport, "ArrivalLocationID", None)))
    elif type_id == "port.vessel-call":
        ends = tuple(str(getattr(document, name, "") or "")[:2] or None
                     for name in ("LastPortOfCallID", "PortOfCallID"))
    return next((country for country in ends if country in PARTICIPANTS), None)


def run_submit(console: Console, *, submission: Submission, identity: str, network: RecordedNetwork,
               url: str | None, as_json: bool) -> int:
    route = submission.route
    base = (url or network.url(route.service)).rstrip("/")
    token = network.token(identity)
    response = request("POST", f"{base}{route.path}", token=token, what=route.service, content=submission.data,
                       headers={"Content-Type": submission.content_type, "Accept": "application/json"})
    answer = answer_of(response)
    if as_json:
        sys.stdout.write(json.dumps(answer, indent=2, ensure_ascii=False) + "\n")
        return 0 if response.is_success else 1
    if not response.is_success:
        records.problem(console, answer, status=response.status_code,
                        headline=f"{route.service} refused {submission.path.name}")
        return 1
    what = submission.document_type or route.kind
    first = "accepted" if response.status_code == 201 else "already lodged; the record as it stands"
    console.print(f"[green]{first}[/]: {escape(what)} from {escape(submission.path.name)}, lodged with "
                  f"{route.service} as {identity} ({response.status_code})", soft_wrap=True)
    if isinstance(answer, dict):
        records.facts(console, records.record_facts(route.kind, answer))
        if answer.get("messages"):
            console.print("messages through the hub:")
            records.messages(console, answer["messages"])
        warnings = [w for w in answer.get("warnings") or [] if isinstance(w, dict)]
        if warnings:
            console.print("accepted with findings:")
            console.print(records.findings_table(warnings, width=console.width))
        record_id = answer.get("mrn") or answer.get("id")
        if record_id:
            console.print(f"follow it: swx status {record_id}", highlight=False)
    return 0
