"""Exchange protocol models (ARCHITECTURE section 5): envelope, receipt and error signal.

Field names are the protocol's own (snake_case), fixed by the architecture so that
every participant signs and checks the same bytes.
"""

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from services.kernel.messages import types as t

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DIGEST_PATTERN = r"^[0-9a-f]{64}$"
DOCUMENT_TYPE_PATTERN = r"^[a-z]+\.[a-z][a-z-]*/[0-9]+\.[0-9]+$"
COMPACT_JWS_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$"

MessageID = Annotated[str, StringConstraints(pattern=UUID_PATTERN, max_length=36)]
Digest = Annotated[str, StringConstraints(pattern=DIGEST_PATTERN, max_length=64)]
Signature = Annotated[str, StringConstraints(pattern=COMPACT_JWS_PATTERN, max_length=4096)]


class Envelope(t.Document):
    """A signed message between two participants; ``payload`` is the document's text."""

    xml_root: ClassVar[str] = "Envelope"

    message_id: MessageID
    conversation_id: MessageID
    in_reply_to: MessageID | None = None
    sender: t.CountryCode
    receiver: t.CountryCode
    document_type: str = Field(
        pattern=DOCUMENT_TYPE_PATTERN, max_length=64, description="the payload's type, as id/version"
    )
    created_at: t.DateTime
    payload_format: Literal["xml", "json"]
    payload: str = Field(min_length=1, max_length=5_000_000)
    payload_digest: Digest = Field(description="lower-case hex SHA-256 of the payload's UTF-8 bytes")
    signature: Signature | None = Field(
        default=None, description="JWS (EdDSA) over the envelope without this field"
    )


class Receipt(t.Document):
    """Signed by the receiver: proof that a message arrived intact (non-repudiation of receipt)."""

    xml_root: ClassVar[str] = "Receipt"

    receipt_id: MessageID
    message_id: MessageID
    sender: t.CountryCode = Field(description="the original message's sender")
    receiver: t.CountryCode = Field(description="the participant issuing the receipt")
    received_at: t.DateTime
    payload_digest: Digest
    signature: Signature | None = None


class ErrorFinding(t.Message):
    layer: Literal["transport", "syntax", "schema", "rules"]
    code: str = Field(min_length=1, max_length=64)
    message: t.Remarks
    location: str | None = Field(default=None, max_length=1024)


class ErrorSignal(t.Document):
    """Answer to a message that will never be accepted as sent (a permanent error)."""

    xml_root: ClassVar[str] = "ErrorSignal"

    error_id: MessageID
    message_id: MessageID
    sender: t.CountryCode = Field(description="the original message's sender")
    receiver: t.CountryCode = Field(description="the participant signalling the error")
    created_at: t.DateTime
    category: Literal["permanent", "transient"]
    code: str = Field(min_length=1, max_length=64)
    description: t.Remarks
    finding: list[ErrorFinding] | None = Field(default=None, min_length=1)
    signature: Signature | None = None
