"""Port read models: vessel calls with their clearances, and the call list. Times are ISO 8601."""

from typing import Any

from pydantic import BaseModel, Field

from services.kernel.web.contract import OutboundMessagePublic, ProblemFinding


class Clearance(BaseModel):
    agency: str
    decision: str
    decided_at: str
    officer: str | None
    remarks: str | None


class VesselCallPublic(BaseModel):
    id: str
    submitter: str
    call_reference: str
    port_of_call: str
    port_country: str
    imo_number: str
    ship_name: str
    document_type: str = Field(description="the version the call was submitted in, e.g. port.vessel-call/1.1")
    received_at: str
    messages: list[OutboundMessagePublic]
    clearances: list[Clearance]
    vessel_call: dict[str, Any] = Field(description="the vessel call as submitted, in JSON")


class VesselCallSubmitted(VesselCallPublic):
    warnings: list[ProblemFinding] = Field(
        description="findings that did not refuse the call, e.g. an expired document of one crew member, "
                    "on which the port of call's immigration decides for that person")


class VesselCallItem(BaseModel):
    id: str
    call_reference: str
    submitter: str
    port_of_call: str
    imo_number: str
    ship_name: str
    estimated_arrival: str | None
    estimated_departure: str | None
    href: str


class VesselCallPage(BaseModel):
    items: list[VesselCallItem]
    limit: int
    offset: int
