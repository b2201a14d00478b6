"""Immigration read models: manifests, their per-person decisions and the manifest list.

Times are ISO 8601 strings; departure and arrival times as the carrier wrote them (local).
"""

from typing import Any

from pydantic import BaseModel, Field

from services.kernel.web.contract import OutboundMessagePublic, ProblemFinding


class Journey(BaseModel):
    id: str
    date: str
    carrier: str | None
    mode: str = Field(description="air or sea")


class JourneyEnd(BaseModel):
    location: str
    country: str
    date_time: str | None


class ManifestPublic(BaseModel):
    id: str
    submitter: str
    manifest_reference: str
    journey: Journey
    departure: JourneyEnd
    arrival: JourneyEnd
    list_type: str
    list_type_name: str
    person_count: int
    received_at: str
    messages: list[OutboundMessagePublic]
    manifest: dict[str, Any] = Field(description="the manifest as submitted, in JSON")


class ManifestFinding(ProblemFinding):
    subject: str | None = Field(default=None, description="JSON Pointer of the person the finding is about "
                                "(/Person/4), null when it is about the manifest: a fault of one person's data "
                                "does not refuse the manifest, the arrival country decides that person")


class ManifestSubmitted(ManifestPublic):
    warnings: list[ManifestFinding] = Field(description="findings that did not refuse the manifest, those about "
                                            "one person's data among them")


class PersonDecision(BaseModel):
    sequence: int
    surname: str
    given_names: str | None
    document_number: str | None
    decision: str = Field(description="board, no-board, refer, or pending until the answer is back")
    reason_code: str | None
    remarks: str | None
    decided_at: str | None
    findings: list[ManifestFinding] = Field(default_factory=list, description="what the rules found wrong with "
                                            "this person's data (an expired passport, a wrong MRZ check digit)")


class ManifestDecisions(BaseModel):
    manifest_id: str
    journey_id: str
    persons: list[PersonDecision]


class ManifestItem(BaseModel):
    id: str
    manifest_reference: str
    submitter: str
    journey_id: str
    journey_date: str
    departure_location: str
    arrival_location: str
    list_type: str
    person_count: int
    received_at: str
    href: str


class ManifestPage(BaseModel):
    items: list[ManifestItem]
    limit: int
    offset: int
