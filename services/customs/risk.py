"""Risk lanes: which declarations customs releases at once and which it examines.

Every accepted declaration gets a lane from the policy below (all of it configurable, see
``CustomsSettings``); the lane and every reason behind it are stored and shown.

- **red** (physical examination) when a goods item's HS chapter is one of
  ``risk_red_hs_chapters`` (default 93 arms and ammunition, 97 works of art and antiques)
  or its origin is one of ``risk_red_origin_countries`` (default none);
- **yellow** (documentary check) when a goods item's HS chapter is one of
  ``risk_yellow_hs_chapters`` (default 22 beverages and spirits, 24 tobacco: excise goods),
  its origin is one of ``risk_yellow_origin_countries`` (default none), the invoice amount
  is above ``risk_value_threshold`` (default 1,000,000, compared as written in whatever
  currency the invoice is in: a nominal tripwire, not a valuation; a 2.0 declaration
  without an invoice amount is not compared), or the declaration is
  drawn at random, with probability ``risk_random_rate`` (default 0.05), as a compliance
  sample;
- **green** (released at once) otherwise.

A goods item's origins are all it declares (a 2.0 item may give its non-preferential and its
preferential origin); each is held against the lists. Every rule is evaluated and the most
severe lane wins, so the reasons list each rule that fired. The random draw is seeded with
the MRN: the same declaration always draws the same number, so a lane can be explained and
reproduced after the fact.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from services.customs.declaration_facts import AnyDeclaration, DeclarationFacts, facts_of

Lane = Literal["green", "yellow", "red"]
SEVERITY: dict[Lane, int] = {"green": 0, "yellow": 1, "red": 2}


@dataclass(frozen=True)
class RiskPolicy:
    random_rate: float = 0.05
    red_hs_chapters: frozenset[str] = frozenset({"93", "97"})
    yellow_hs_chapters: frozenset[str] = frozenset({"22", "24"})
    red_origin_countries: frozenset[str] = frozenset()
    yellow_origin_countries: frozenset[str] = frozenset()
    value_threshold: Decimal = Decimal(1_000_000)


@dataclass(frozen=True)
class LaneDecision:
    lane: Lane
    reasons: tuple[str, ...]


def random_draw(mrn: str) -> float:
    """The declaration's draw in [0, 1): the same for the same MRN, on every run and machine."""
    return random.Random(mrn).random()


def assess(declaration: DeclarationFacts | AnyDeclaration, *, mrn: str, policy: RiskPolicy) -> LaneDecision:
    """The lane for ``declaration`` (accepted under ``mrn``) and the reasons for it."""
    if not isinstance(declaration, DeclarationFacts):
        declaration = facts_of(declaration)
    hits = list(_goods_hits(declaration, policy))
    invoice = declaration.invoice
    if invoice is not None and invoice[0] > policy.value_threshold:
        amount, currency = invoice
        hits.append(("yellow", f"invoice amount {amount} {currency or '(no currency given)'} is above the threshold "
                               f"of {policy.value_threshold}"))
    draw = random_draw(mrn)
    if draw < policy.random_rate:
        hits.append(("yellow", f"selected at random for a compliance check (draw {draw:.4f} below the rate "
                               f"{policy.random_rate})"))
    lane: Lane = max((hit[0] for hit in hits), key=SEVERITY.__getitem__, default="green")
    return LaneDecision(lane, tuple(reason for _, reason in hits))


def _goods_hits(declaration: DeclarationFacts, policy: RiskPolicy) -> Iterator[tuple[Lane, str]]:
    for item in declaration.items:
        chapter = item.hs_code[:2] if item.hs_code is not None else None
        label = f"goods item {item.sequence}"
        if chapter in policy.red_hs_chapters:
            yield "red", f"{label}: HS chapter {chapter} is a red-lane chapter"
        elif chapter in policy.yellow_hs_chapters:
            yield "yellow", f"{label}: HS chapter {chapter} is a yellow-lane chapter"
        for origin in dict.fromkeys(o.country for o in item.origins):
            if origin in policy.red_origin_countries:
                yield "red", f"{label}: origin {origin} is a red-lane origin"
            elif origin in policy.yellow_origin_countries:
                yield "yellow", f"{label}: origin {origin} is a yellow-lane origin"
