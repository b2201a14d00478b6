"""Customs read models: declarations and certificates of origin as the JSON endpoints show them.

Times are ISO 8601 strings; the stored documents themselves (``declaration``,
``certificate``) are their canonical JSON, as the generated JSON Schemas describe them.
"""

from typing import Any

from pydantic import BaseModel, Field

from services.kernel.web.contract import OutboundMessagePublic


class HistoryEntry(BaseModel):
    status: str
    at: str
    note: str | None


class CertificateLink(BaseModel):
    """A certificate of origin as its declaration lists it."""

    id: str
    reference_id: str
    form_type: str
    import_country: str
    messages: list[OutboundMessagePublic]
    outcome: dict[str, Any] | None = Field(description="the importing customs' answer, once it came")
    href: str


class DeclarationPublic(BaseModel):
    mrn: str
    lrn: str
    declarant: str
    type: str = Field(description="the declaration type code")
    country: str
    export_country: str
    destination_country: str
    status: str
    lane: str
    lane_reasons: list[str]
    lodged_at: str
    history: list[HistoryEntry]
    messages: list[OutboundMessagePublic]
    certificates_of_origin: list[CertificateLink]
    outcome: dict[str, Any] | None = Field(description="the destination customs' answer to the ACDD, once it came")
    declaration: dict[str, Any] = Field(description="the declaration as lodged, in canonical JSON, its ID (in 2.0 "
                                                    "Declaration/ID) the MRN")


class DeclarationItem(BaseModel):
    mrn: str
    lrn: str
    type: str
    status: str
    lane: str
    export_country: str
    destination_country: str
    lodged_at: str
    href: str


class DeclarationPage(BaseModel):
    items: list[DeclarationItem]
    limit: int
    offset: int


class DeclarationRef(BaseModel):
    mrn: str
    href: str


class CertificatePublic(BaseModel):
    id: str
    reference_id: str
    form_type: str
    export_country: str
    import_country: str
    declaration: DeclarationRef | None
    received_at: str
    messages: list[OutboundMessagePublic]
    outcome: dict[str, Any] | None
    certificate: dict[str, Any] = Field(description="the certificate as submitted, in canonical JSON")
