"""Matching board / no-board answers to the manifest and persons they decide."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.immigration import repository, service
from services.immigration.app import SCHEMA
from services.immigration.decisions import record_api_response
from services.immigration.models import ManifestRecord
from services.kernel.db import make_engine, session_scope
from services.kernel.messages.immigration import APIResponse, PassengerManifest
from services.kernel.migrate import upgrade
from services.kernel.network import PARTICIPANTS
from services.kernel.outbox import messages_for
from services.kernel.web.identity import Caller
from services.kernel.web.problems import NotFound

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
TG560 = json.loads((ROOT / "immigration.passenger-manifest" / "valid" / "tg560-bkk-han-passengers.json").read_text())
ANSWER = json.loads((ROOT / "immigration.api-response" / "valid" /
                     "vn-answers-tg560-bkk-han-watchlist-no-board-and-refer.json").read_text())


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(SCHEMA, database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _submit(engine: Engine, document: dict[str, Any] = TG560) -> ManifestRecord:
    with session_scope(engine) as session:
        submitted = service.submit_manifest(session, caller=Caller("TH"), participants=PARTICIPANTS,
                                            manifest=PassengerManifest.model_validate(document))
        return submitted.record


def _answer(**changes: Any) -> APIResponse:
    return APIResponse.model_validate(ANSWER | changes)


def _decisions(engine: Engine, manifest_id: str) -> dict[int, tuple[str, str | None]]:
    with Session(engine) as session:
        return {p.sequence: (p.decision, p.reason_code) for p in repository.persons_of(session, manifest_id)}


def test_each_decision_lands_on_its_person(engine: Engine) -> None:
    manifest = _submit(engine)
    with session_scope(engine) as session:
        recorded = record_api_response(session, response=_answer(), for_country="TH")
    assert (recorded.manifest.id, len(recorded.decided), recorded.ignored) == (manifest.id, 8, [])
    decisions = _decisions(engine, manifest.id)
    assert decisions[5] == ("no-board", "WATCHLIST_MATCH")
    assert decisions[8] == ("refer", "NAME_PARTIAL_MATCH")
    assert decisions[1] == ("board", None)


def test_decision_naming_nobody_is_logged_and_ignored(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    manifest = _submit(engine)
    decisions = json.loads(json.dumps(ANSWER["PersonDecision"]))
    decisions[4]["Surname"] = "SOMEONE ELSE"  # sequence 5 is WONGSAWAT on the manifest
    decisions.append(decisions[0] | {"SequenceNumeric": 99, "DecisionCode": "no-board", "ReasonCode": "X"})
    decisions[1]["Surname"] = " tran "  # case and spacing are not a mismatch
    with caplog.at_level(logging.WARNING, logger="swx.immigration"), session_scope(engine) as session:
        recorded = record_api_response(session, response=_answer(PersonDecision=decisions), for_country="TH")
    assert [d.SequenceNumeric for d in recorded.ignored] == [5, 99]
    assert sum("api_response.decision_unmatched" in r.getMessage() for r in caplog.records) == 2
    state = _decisions(engine, manifest.id)
    assert state[5] == ("pending", None)
    assert state[2] == ("board", None)
    assert len(state) == 8


@pytest.mark.parametrize(
    ("changes", "for_country"),
    [({}, "VN"), ({"ManifestID": "TG560-20261119-BKKHAN"}, "TH"), ({"JourneyID": "TG561"}, "TH")],
    ids=["other-submitter", "other-manifest-id", "other-journey"],
)
def test_answer_to_an_unknown_manifest_is_not_found(engine: Engine, changes: dict[str, str], for_country: str) -> None:
    manifest = _submit(engine)
    with pytest.raises(NotFound), session_scope(engine) as session:
        record_api_response(session, response=_answer(**changes), for_country=for_country)
    assert set(_decisions(engine, manifest.id).values()) == {("pending", None)}


def test_reply_to_names_the_manifest_among_reused_ids(engine: Engine) -> None:
    first = _submit(engine)
    next_day = json.loads(json.dumps(TG560))
    next_day["Transport"] |= {"DepartureDateTime": "2026-11-19T10:45:00+07:00",
                              "ArrivalDateTime": "2026-11-19T12:40:00+07:00"}
    second = _submit(engine, next_day)
    with session_scope(engine) as session:
        first_message = messages_for(session, service.subject(first.id))[0].message_id
        by_reply = record_api_response(session, response=_answer(), for_country="TH", in_reply_to=first_message)
        newest = record_api_response(session, response=_answer(), for_country="TH")
    assert (by_reply.manifest.id, newest.manifest.id) == (first.id, second.id)


def test_older_answer_does_not_overwrite_a_newer_one(engine: Engine) -> None:
    manifest = _submit(engine)
    later = [d | {"DecisionCode": "board", "ReasonCode": None, "Remarks": None} for d in ANSWER["PersonDecision"]]
    with session_scope(engine) as session:
        record_api_response(session, for_country="TH", response=_answer(
            ID="VNIMM-APIR-20261118-000418", IssueDateTime="2026-11-18T09:40:00+07:00", PersonDecision=later))
    with session_scope(engine) as session:
        stale = record_api_response(session, response=_answer(), for_country="TH")
    assert (len(stale.decided), len(stale.superseded)) == (0, 8)
    assert set(_decisions(engine, manifest.id).values()) == {("board", None)}
