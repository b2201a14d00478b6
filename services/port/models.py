"""Port service tables: vessel calls as submitted, and the clearances that answer them."""

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.kernel.clock import utcnow


class VesselCallRecord(SQLModel, table=True):
    __tablename__ = "vessel_call"
    __table_args__ = (UniqueConstraint("submitter", "call_reference", name="uq_vessel_call_submitter_reference"),)

    id: str = Field(primary_key=True, max_length=36)
    submitter: str = Field(index=True, max_length=2, description="country of the ship agent's credential")
    call_reference: str = Field(max_length=35, description="the agent's own ID of the call (VesselCall/ID)")
    port_of_call: str = Field(index=True, max_length=5)
    port_country: str = Field(index=True, max_length=2)
    imo_number: str = Field(index=True, max_length=7)
    ship_name: str = Field(max_length=256)
    arrival_departure: str = Field(max_length=9)
    estimated_arrival: datetime | None = Field(default=None, description="ETA; a 1.1 departure may give only its ETD")
    estimated_departure: datetime | None = None
    crew_count: int
    passenger_count: int
    content_digest: str = Field(max_length=64, description="SHA-256 of the canonical document")
    document: str = Field(sa_column=Column(Text, nullable=False), description="canonical JSON")
    received_at: datetime = Field(default_factory=utcnow)


class ClearanceRecord(SQLModel, table=True):
    __tablename__ = "clearance"

    id: int | None = Field(default=None, primary_key=True)
    vessel_call_id: str = Field(foreign_key="vessel_call.id", index=True, max_length=36)
    agency: str = Field(max_length=16)
    decision: str = Field(max_length=8)
    decided_at: datetime
    officer: str | None = Field(default=None, max_length=256)
    remarks: str | None = Field(default=None, max_length=1024)
    recorded_at: datetime = Field(default_factory=utcnow)
