"""MRN layout and check character; the risk policy, rule by rule; the settings that feed it."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from services.customs.config import CustomsSettings
from services.customs.mrn import ALPHABET, new_mrn
from services.customs.risk import RiskPolicy, assess, random_draw
from services.kernel.messages.customs import Declaration
from tests.customs.conftest import TH_EXPORT, is_valid_mrn

NO_RANDOM = RiskPolicy(random_rate=0.0)


def _mod_37_36(body: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid system) written out from the standard, independent of stdnum."""
    p = 36
    for char in body:
        s = (p + ALPHABET.index(char)) % 36 or 36
        p = (2 * s) % 37
    return ALPHABET[(1 - p) % 36]


def test_mrn_layout_is_year_country_thirteen_characters_and_check_character() -> None:
    mrn = new_mrn(country="TH", accepted_at=datetime(2026, 11, 20, tzinfo=UTC))
    assert re.fullmatch(r"26TH[0-9A-Z]{13}[0-9A-Z]", mrn)
    assert len(mrn) == 18
    assert is_valid_mrn(mrn)


def test_mrn_check_character_is_iso_7064_mod_37_36() -> None:
    assert _mod_37_36("A12425GABC1234002") == "M"  # the worked example of ISO 7064 / python-stdnum
    for _ in range(200):
        mrn = new_mrn(country="VN", accepted_at=datetime(2027, 1, 1, tzinfo=UTC))
        assert mrn[-1] == _mod_37_36(mrn[:-1])


def test_a_mistyped_mrn_fails_its_check() -> None:
    mrn = new_mrn(country="KH", accepted_at=datetime(2026, 5, 1, tzinfo=UTC))
    changed = mrn[:10] + ALPHABET[(ALPHABET.index(mrn[10]) + 1) % 36] + mrn[11:]
    assert not is_valid_mrn(changed)
    assert not is_valid_mrn(mrn.lower())
    assert not is_valid_mrn(mrn[:-1])


def _declaration(**changes: Any) -> Declaration:
    data = json.loads(TH_EXPORT.read_text())
    items = data["GoodsShipment"]["GovernmentAgencyGoodsItem"]
    if "hs" in changes:
        items[1]["Commodity"]["Classification"]["ID"] = changes["hs"]
    if "origin" in changes:
        items[1]["Origin"]["CountryCode"] = changes["origin"]
    if "invoice" in changes:
        data["InvoiceAmount"]["value"] = changes["invoice"]
    return Declaration.model_validate(data, strict=False)


def test_nothing_risky_is_green_without_reasons() -> None:
    assert assess(_declaration(), mrn="26TH0000000000000X", policy=NO_RANDOM).lane == "green"
    assert assess(_declaration(), mrn="26TH0000000000000X", policy=NO_RANDOM).reasons == ()


@pytest.mark.parametrize(
    ("change", "policy", "lane", "reason"),
    [
        ({"hs": "930190"}, NO_RANDOM, "red", "goods item 2: HS chapter 93 is a red-lane chapter"),
        ({"hs": "970110"}, NO_RANDOM, "red", "goods item 2: HS chapter 97 is a red-lane chapter"),
        ({"hs": "240220"}, NO_RANDOM, "yellow", "goods item 2: HS chapter 24 is a yellow-lane chapter"),
        ({"hs": "220830"}, NO_RANDOM, "yellow", "goods item 2: HS chapter 22 is a yellow-lane chapter"),
        ({"origin": "KP"}, RiskPolicy(random_rate=0, red_origin_countries=frozenset({"KP"})), "red",
         "goods item 2: origin KP is a red-lane origin"),
        ({"origin": "MM"}, RiskPolicy(random_rate=0, yellow_origin_countries=frozenset({"MM"})), "yellow",
         "goods item 2: origin MM is a yellow-lane origin"),
        ({"invoice": "1000000.01"}, NO_RANDOM, "yellow",
         "invoice amount 1000000.01 USD is above the threshold of 1000000"),
    ],
    ids=["arms", "art", "tobacco", "spirits", "red-origin", "yellow-origin", "value"],
)
def test_each_rule_sets_its_lane_and_says_why(change: dict[str, str], policy: RiskPolicy, lane: str,
                                              reason: str) -> None:
    decision = assess(_declaration(**change), mrn="26TH0000000000000X", policy=policy)
    assert (decision.lane, decision.reasons) == (lane, (reason,))


def test_the_threshold_itself_is_not_above_it() -> None:
    assert assess(_declaration(invoice="1000000.00"), mrn="M", policy=NO_RANDOM).lane == "green"
    lower = RiskPolicy(random_rate=0, value_threshold=Decimal(10_000))
    assert assess(_declaration(), mrn="M", policy=lower).lane == "yellow"


def test_red_wins_over_yellow_and_every_reason_is_kept() -> None:
    policy = RiskPolicy(random_rate=0, value_threshold=Decimal(1000))
    decision = assess(_declaration(hs="930190"), mrn="M", policy=policy)
    assert decision.lane == "red"
    assert len(decision.reasons) == 2
    assert decision.reasons[1].startswith("invoice amount")


def test_random_selection_is_reproducible_from_the_mrn() -> None:
    mrns = [f"26TH{n:013d}X" for n in range(400)]
    policy = RiskPolicy(random_rate=0.25)
    first = [assess(_declaration(), mrn=mrn, policy=policy).lane for mrn in mrns]
    again = [assess(_declaration(), mrn=mrn, policy=policy).lane for mrn in mrns]
    assert first == again
    assert first == ["yellow" if random_draw(mrn) < 0.25 else "green" for mrn in mrns]
    assert 60 < first.count("yellow") < 140  # about a quarter: the rate is applied, not ignored
    assert random_draw("26TH4F0Q2ZK81D7XA5") == random_draw("26TH4F0Q2ZK81D7XA5")
    assert random_draw("26TH4F0Q2ZK81D7XA5") != random_draw("26TH4F0Q2ZK81D7XA6")


def test_rates_zero_and_one_never_and_always_select() -> None:
    mrns = [f"26VN{n:013d}X" for n in range(50)]
    assert {assess(_declaration(), mrn=m, policy=RiskPolicy(random_rate=0)).lane for m in mrns} == {"green"}
    always = assess(_declaration(), mrn=mrns[0], policy=RiskPolicy(random_rate=1))
    assert always.lane == "yellow"
    assert "selected at random" in always.reasons[0]


def test_settings_read_comma_separated_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWX_CUSTOMS_RISK_RED_HS_CHAPTERS", "93, 36")
    monkeypatch.setenv("SWX_CUSTOMS_RISK_YELLOW_ORIGIN_COUNTRIES", "mm,la")
    monkeypatch.setenv("SWX_CUSTOMS_RISK_RED_ORIGIN_COUNTRIES", "")
    monkeypatch.setenv("SWX_CUSTOMS_RISK_VALUE_THRESHOLD", "250000")
    monkeypatch.setenv("SWX_CUSTOMS_RISK_RANDOM_RATE", "0.1")
    policy = CustomsSettings().risk_policy()
    assert policy.red_hs_chapters == frozenset({"93", "36"})
    assert policy.yellow_hs_chapters == frozenset({"22", "24"})
    assert policy.yellow_origin_countries == frozenset({"MM", "LA"})
    assert policy.red_origin_countries == frozenset()
    assert (policy.value_threshold, policy.random_rate) == (Decimal(250000), 0.1)


@pytest.mark.parametrize(
    ("name", "value"),
    [("RISK_RED_HS_CHAPTERS", "9301"), ("RISK_YELLOW_ORIGIN_COUNTRIES", "MMR"), ("RISK_RANDOM_RATE", "1.5")],
)
def test_settings_refuse_a_policy_that_cannot_be_meant(monkeypatch: pytest.MonkeyPatch, name: str,
                                                       value: str) -> None:
    monkeypatch.setenv(f"SWX_CUSTOMS_{name}", value)
    with pytest.raises(ValidationError):
        CustomsSettings()
