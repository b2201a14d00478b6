"""The hub's live dashboard: HTML shells, their static files and the JSON they poll.

The pages carry no message data: a browser cannot send ``Authorization`` on page load, so
the shell asks for a token once (kept in ``sessionStorage``) and its script reads the JSON
below and the hub's own ``/messages`` endpoints with it. Every caller sees what the API
lets it see: the operator everything, a country its own messages. The sign-in page says
where the tokens are: the files ``swx up`` and ``swx keys`` write.

Times are shown in UTC, with "UTC" written beside each. A participant the operator
suspended is shown on the map, in the link table and on every message that waits for it.
"""

import math
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader

from services.hub import repository
from services.hub.endpoints import WAITING, summaries
from services.hub.models import REPLAYABLE, STATES, HubState
from services.hub.schemas import DashboardLinks, DashboardMessages, DashboardSession
from services.kernel import resources
from services.kernel.keys import token_file
from services.kernel.network import business_document_types
from services.kernel.participants import OPERATOR, PARTICIPANTS
from services.kernel.web.contract import problem_responses
from services.kernel.web.deps import SessionDep
from services.kernel.web.identity import CallerDep
from services.kernel.web.problems import MalformedRequest, NotFound

STATIC = {"dashboard.css": "text/css", "common.js": "text/javascript", "overview.js": "text/javascript",
          "message.js": "text/javascript"}
GROUPS = {"delivered": (HubState.DELIVERED, HubState.ACKNOWLEDGED), "waiting": WAITING,
          "failed": (HubState.FAILED, HubState.REJECTED)}
GROUP_OF: dict[str, str] = {state: group for group, states in GROUPS.items() for state in states}
SECURITY_HEADERS = {
    # the pages load only the hub's own files and talk only to the hub
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache",
}

templates = Environment(loader=FileSystemLoader(resources.templates_dir("services.hub")), autoescape=True)
router = APIRouter(prefix="/dashboard", tags=["dashboard"])
CountryQuery = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")]


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    base = request.scope.get("root_path", "")
    html = templates.get_template(template).render(
        base=base, static=lambda name: f"{base}/dashboard/static/{name}", countries=PARTICIPANTS,
        states=STATES, operator_token=token_file(Path(), OPERATOR).name, country_token=token_file(Path(), "TH").name,
        **context)
    return HTMLResponse(html, headers=SECURITY_HEADERS)


def _nodes(*, size: int = 460, radius: int = 170) -> list[dict[str, Any]]:
    """The six countries on a circle, clockwise from the top."""
    centre, step = size / 2, 2 * math.pi / len(PARTICIPANTS)
    return [{"code": code, "name": name,
             "x": round(centre + radius * math.sin(i * step), 1), "y": round(centre - radius * math.cos(i * step), 1)}
            for i, (code, name) in enumerate(PARTICIPANTS.items())]


@router.get("", response_class=HTMLResponse, summary="The live dashboard (asks for a token, then polls the API)")
def dashboard(request: Request) -> HTMLResponse:
    """The network of links with their counts, and the message table."""
    return _page(request, "overview.html", page="overview", nodes=_nodes(), size=460,
                 document_types=business_document_types())


@router.get("/messages/{message_id}", response_class=HTMLResponse, summary="One message on the dashboard",
            responses={200: {"content": {"text/html": {}}, "description": "The page"}})
def message_page(request: Request, message_id: Annotated[str, PathParam(max_length=64)],
                 sender: CountryQuery = None) -> HTMLResponse:
    """Timeline, receipt, findings, error signal, answers and payload of one message."""
    return _page(request, "message.html", page="message", message_id=message_id, sender=sender or "")


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """The dashboard's own script and style sheet (a fixed list: no path reaches other files)."""
    if name not in STATIC:
        raise NotFound(f"no dashboard file {name}")
    return FileResponse(resources.static_dir("services.hub") / name, media_type=STATIC[name],
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@router.get("/api/session", summary="Who the token belongs to, and what the dashboard offers it",
            response_model=DashboardSession)
def session_info(caller: CallerDep) -> DashboardSession:
    """The caller's country (or operator) and whether it may replay."""
    name = "Network operator" if caller.is_operator else PARTICIPANTS.get(caller.country, caller.country)
    return DashboardSession(country=caller.country, name=name, operator=caller.is_operator,
                            may_replay=caller.is_operator, replayable_states=list(REPLAYABLE))


@router.get("/api/links", summary="Messages per link and state group (the caller's links; all for the operator)",
            response_model=DashboardLinks)
def links(caller: CallerDep, session: SessionDep) -> DashboardLinks:
    """Per (sender, receiver): delivered, waiting and failed counts, and counts per state;
    and the participants out of delivery (every caller may know: the directory says it too)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for sender, receiver, state, count in repository.count_by_link(session, caller):
        link = found.setdefault((sender, receiver), {"sender": sender, "receiver": receiver, "states": {},
                                                      **dict.fromkeys(GROUPS, 0)})
        link["states"][state] = count
        link[GROUP_OF.get(state, "waiting")] += count
    items = [found[key] for key in sorted(found)]
    totals = {group: sum(link[group] for link in items) for group in GROUPS}
    suspended = [{"country": row.country, "name": PARTICIPANTS.get(row.country, row.country),
                  "since": row.since.isoformat(), "note": row.note}
                 for row in sorted(repository.suspended(session).values(), key=lambda row: row.country)]
    return DashboardLinks.model_validate(
        {"links": items, "suspended": suspended, "totals": totals,
         "groups": {group: list(states) for group, states in GROUPS.items()}})


@router.get("/api/messages", summary="Messages, newest first, by country (either side), type and state",
            response_model=DashboardMessages, responses=problem_responses(400))
def messages(caller: CallerDep, session: SessionDep, country: CountryQuery = None,
             document_type: str | None = None, state: str | None = None,
             limit: Annotated[int, Query(ge=1, le=500)] = 50) -> DashboardMessages:
    """The caller's messages (all, for the operator) that ``country`` sent or receives."""
    if state is not None and state not in STATES:
        raise MalformedRequest(f"state {state!r} is not one of {', '.join(STATES)}")
    # for a country's caller, ``country`` picks its messages with that one other country, both directions
    where = repository.MessageFilter(country=country, document_type=document_type, state=state)
    found, total = repository.list_messages(session, caller, where, limit=limit, offset=0)
    return DashboardMessages.model_validate({"items": summaries(session, found), "total": total,
                                            "limit": limit})

