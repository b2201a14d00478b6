"""Immigration service tables: passenger manifests as submitted, one row per person on them.

A person's row also carries the latest board / no-board / refer decision that came back
for them in an ``immigration.api-response``; ``pending`` until one does.
"""

import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.kernel.clock import utcnow


class Decision(StrEnum):
    """A person's decision as this service keeps it: pending until the arrival country's
    ``immigration.api-response`` answers for them. Stored as the value."""

    PENDING = "pending"
    BOARD = "board"
    NO_BOARD = "no-board"
    REFER = "refer"


class ManifestRecord(SQLModel, table=True):
    __tablename__ = "manifest"
    # Carriers reuse a manifest ID (often the flight number) for every flight it names, so
    # a manifest is the same one only for the same journey on the same day.
    __table_args__ = (UniqueConstraint("submitter", "manifest_reference", "journey_id", "journey_date",
                                       name="uq_manifest_submitter_journey"),)

    id: str = Field(primary_key=True, max_length=36)
    submitter: str = Field(index=True, max_length=8, description="country the carrier acts for (OPERATOR when "
                           "the operator submitted a journey between two countries outside the network)")
    submitted_by: str = Field(max_length=8, description="country of the credential used, or OPERATOR")
    manifest_reference: str = Field(max_length=35, description="the carrier's manifest ID (BGM / UNH reference)")
    journey_id: str = Field(index=True, max_length=17, description="flight or voyage number (TDT+20)")
    journey_date: dt.date = Field(description="local date of departure, else of arrival")
    carrier_code: str | None = Field(default=None, max_length=3)
    mode_code: str = Field(max_length=1)
    departure_location: str = Field(max_length=5)
    departure_country: str = Field(max_length=2)
    departure_at: dt.datetime | None = None
    arrival_location: str = Field(max_length=5)
    arrival_country: str = Field(index=True, max_length=2)
    arrival_at: dt.datetime | None = None
    list_type: str = Field(max_length=3)
    person_count: int
    content_digest: str = Field(max_length=64, description="SHA-256 of the canonical document")
    document: str = Field(sa_column=Column(Text, nullable=False), description="canonical JSON")
    received_at: dt.datetime = Field(default_factory=utcnow, index=True)


class ManifestPersonRecord(SQLModel, table=True):
    __tablename__ = "manifest_person"
    __table_args__ = (UniqueConstraint("manifest_id", "sequence", name="uq_manifest_person_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    manifest_id: str = Field(foreign_key="manifest.id", index=True, max_length=36)
    sequence: int
    role: str = Field(max_length=3, description="FL passenger, FM crew, DDU/DDT/COT in transit")
    surname: str = Field(max_length=256)
    given_names: str | None = Field(default=None, max_length=256)
    birth_date: dt.date | None = None
    sex: str | None = Field(default=None, max_length=1)
    nationality: str | None = Field(default=None, max_length=3)
    document_type: str | None = Field(default=None, max_length=2)
    document_number: str | None = Field(default=None, max_length=20)
    document_issuer: str | None = Field(default=None, max_length=3)
    document_expiry: dt.date | None = None
    decision: str = Field(default=Decision.PENDING, max_length=8, description="pending, board, no-board or refer")
    reason_code: str | None = Field(default=None, max_length=32)
    remarks: str | None = Field(default=None, max_length=1024)
    decided_at: dt.datetime | None = None
    response_reference: str | None = Field(default=None, max_length=35, description="the API response's ID")
