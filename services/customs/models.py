"""Customs tables: declarations with their status history, and certificates of origin."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.kernel.clock import utcnow


class DeclarationStatus(StrEnum):
    """A declaration's steps (``services.customs.service``): lodged and accepted within the
    lodging request, then released at once (green lane) or under control until an officer
    releases it. Stored as the value, in ``declaration.status`` and in its history."""

    LODGED = "lodged"
    ACCEPTED = "accepted"
    UNDER_CONTROL = "under-control"
    RELEASED = "released"


class CertificateStatus(StrEnum):
    """Where a certificate of origin stands (``services.customs.certificates``)."""

    IN_FORCE = "in-force"
    REPLACED = "replaced"
    """by the certificate ``replaced_by_id`` names"""
    CANCELLED = "cancelled"


class DeclarationRecord(SQLModel, table=True):
    __tablename__ = "declaration"
    __table_args__ = (UniqueConstraint("country", "declarant", "lrn", name="uq_declaration_country_declarant_lrn"),)

    mrn: str = Field(primary_key=True, max_length=18)
    country: str = Field(index=True, max_length=2, description="customs that accepted it (export or import country)")
    declarant: str = Field(max_length=256, description="Declarant/ID, or Declarant/Name when it has no ID")
    lrn: str = Field(index=True, max_length=35, description="FunctionalReferenceID, the trader's reference")
    type_code: str = Field(max_length=3, description="Declaration/TypeCode: IMA, EXD, COA, B11 ...")
    direction: str = Field(index=True, max_length=2, description="IM or EX (services.kernel.type_codes)")
    export_country: str = Field(index=True, max_length=2)
    destination_country: str = Field(index=True, max_length=2)
    status: str = Field(index=True, max_length=16)
    lane: str = Field(index=True, max_length=6)
    lane_reasons: list[str] = Field(sa_column=Column(JSON, nullable=False), description="why the lane was chosen")
    conversation_id: str = Field(max_length=36, description="the exchange conversation of its messages")
    document_type: str = Field(max_length=64, description="customs.declaration/1.0, /1.1 or /2.0")
    content_digest: str = Field(max_length=64, description="SHA-256 of the canonical document without its ID "
                                                           "(2.0: nor its WCO wrapping)")
    document: str = Field(sa_column=Column(Text, nullable=False),
                          description="canonical JSON, ID (2.0: Declaration/ID) = MRN")
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True),
                                           description="the latest customs response, once one came back")
    lodged_at: datetime = Field(default_factory=utcnow, index=True)


class DeclarationEvent(SQLModel, table=True):
    __tablename__ = "declaration_event"

    id: int | None = Field(default=None, primary_key=True)
    mrn: str = Field(foreign_key="declaration.mrn", index=True, max_length=18)
    status: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow)
    note: str | None = Field(default=None, max_length=1024)


class CertificateRecord(SQLModel, table=True):
    __tablename__ = "certificate_of_origin"
    __table_args__ = (UniqueConstraint("export_country", "reference_id", name="uq_certificate_country_reference"),)

    id: str = Field(primary_key=True, max_length=36)
    reference_id: str = Field(max_length=35, description="the certificate's own reference number")
    form_type: str = Field(max_length=2, description="D (ATIGA) or AJ (AJCEP)")
    export_country: str = Field(index=True, max_length=2)
    import_country: str = Field(index=True, max_length=2)
    declaration_mrn: str | None = Field(default=None, foreign_key="declaration.mrn", index=True, max_length=18)
    content_digest: str = Field(max_length=64)
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True),
                                           description="the importing customs' latest response to the certificate")
    status: str = Field(default=CertificateStatus.IN_FORCE, max_length=16,
                        sa_column_kwargs={"server_default": CertificateStatus.IN_FORCE.value},
                        description="in-force, replaced (by replaced_by_id) or cancelled")
    replaced_by_id: str | None = Field(default=None, max_length=36, description="the certificate replacing this one")
    document: str = Field(sa_column=Column(Text, nullable=False), description="canonical JSON")
    received_at: datetime = Field(default_factory=utcnow)
