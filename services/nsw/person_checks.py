"""What the arrival country decides for one person from the findings on that person's data.

A manifest with one person's passport expired is accepted (ARCHITECTURE.md section 3): the
rules report the fault on that person (``Finding.subject``), and the API answer decides it
there, beside the watchlist. The receiving NSW runs the manifest's rules itself, on every
person: the findings listed with a document are capped (``findings.MAX_FINDINGS``), a
decision must never be.

| finding                   | decision | why                                                             |
|---------------------------|----------|-----------------------------------------------------------------|
| `DOCUMENT_EXPIRED`        | no-board | an expired passport is refused entry: carrying the person means |
|                           |          | a removal at the carrier's cost (Chicago Convention Annex 9)    |
| `MRZ_CHECK_DIGIT`         | refer    | a keying or reading error as often as a forgery: an officer     |
| `MRZ_FORMAT`              | refer    | looks at the document at check-in                               |
| `MRZ_MISMATCH`            | refer    |                                                                 |
| `BIRTH_DATE_AFTER_TRAVEL` | refer    | an impossible birth date is a typing error until checked        |
| `COUNTRY_UNKNOWN`         | refer    | nationality or issuing state cannot be screened as written      |
| `LOCODE_UNKNOWN`          | refer    | the person's own embarkation or disembarkation is unknown       |
| `PERSON_CORE_DATA_MISSING`| refer    | no document, expiry, nationality or birth date: nothing to      |
|                           |          | screen, so an officer sees the person before boarding           |
| `RULE_FAILED` (no subject)| refer    | a rule could not run: nobody is known to pass it, so everyone   |
|                           |          | is referred rather than boarded unchecked                       |
| any other                 | refer    | a rule about one person nobody has decided on yet               |

The reason code of the answer is the finding's code; its remarks give the finding's text.
"""

from dataclasses import dataclass
from typing import Literal

from services.kernel.findings import Finding
from services.kernel.messages.immigration import PassengerManifest
from services.kernel.registry import REGISTRY
from services.kernel.rules.immigration_rules import person_index
from services.kernel.validation import rule_findings

Decision = Literal["board", "refer", "no-board"]
DECISIONS: dict[str, Decision] = {
    "DOCUMENT_EXPIRED": "no-board",
    "MRZ_CHECK_DIGIT": "refer",
    "MRZ_FORMAT": "refer",
    "MRZ_MISMATCH": "refer",
    "BIRTH_DATE_AFTER_TRAVEL": "refer",
    "COUNTRY_UNKNOWN": "refer",
    "LOCODE_UNKNOWN": "refer",
    "PERSON_CORE_DATA_MISSING": "refer",
    "RULE_FAILED": "refer",
}
RULE_FAILED = "RULE_FAILED"
UNLISTED: Decision = "refer"
SEVERITY: dict[Decision, int] = {"board": 0, "refer": 1, "no-board": 2}
"""How decisions rank when several apply to one person: the strictest is the answer."""


@dataclass(frozen=True)
class PersonOutcome:
    decision: Decision
    reason_code: str
    remarks: str


def decision_for(finding: Finding) -> Decision:
    return DECISIONS.get(finding.code, UNLISTED)


def outcomes(findings: list[Finding], persons: int = 0) -> dict[int, PersonOutcome]:
    """Each person's outcome (by index in ``Person``, ``persons`` of them) from the findings about
    them: the strictest finding gives the decision and reason code, the remarks name every finding.
    A rule that failed on the whole manifest is a finding about every person."""
    everyone = [f for f in findings if f.code == RULE_FAILED and f.subject is None]
    about: dict[int, list[Finding]] = {index: list(everyone) for index in range(persons if everyone else 0)}
    for finding in findings:
        subject = person_index(finding)
        if subject is not None:
            about.setdefault(subject, []).append(finding)
    decided: dict[int, PersonOutcome] = {}
    for index, found in about.items():
        strictest = max(found, key=lambda f: SEVERITY[decision_for(f)])  # the first of the strictest
        remarks = "; ".join(f"{f.code}: {f.message}" for f in found)
        decided[index] = PersonOutcome(decision_for(strictest), strictest.code, remarks)
    return decided


def person_outcomes(manifest: PassengerManifest) -> dict[int, PersonOutcome]:
    """The outcome of every person whose data the rules of the manifest's version find fault with."""
    return outcomes(rule_findings(manifest, REGISTRY.get(manifest.document_type)), len(manifest.Person))
