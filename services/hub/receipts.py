"""What a receiver's answer to a delivery means: a signed receipt, a signed permanent error
signal, or something to retry.

Only what the receiver signed counts: a 200 whose body is not a receipt for this very
message (same id, sender and payload digest) signed by the receiver is retried, and so is
a refusal without a verifiable permanent error signal (a misconfigured proxy or credential
must not turn a message into a dead end).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from services.hub.models import HubState
from services.kernel import canonical
from services.kernel.clock import utcnow
from services.kernel.messages.exchange import ErrorSignal, Receipt
from services.kernel.network import Network
from services.kernel.retry import retry_after_seconds, retryable_status
from services.kernel.safeparse import UnsafeInput, parse_json
from services.kernel.signing import SignatureInvalid, verify

if TYPE_CHECKING:
    from services.hub.delivery import Claim

@dataclass(frozen=True)
class Answer:
    outcome: HubState
    """DELIVERED, REJECTED or WAITING_FOR_RETRY."""
    reason: str
    document: str | None = None
    """The signed receipt as the receiver wrote it, or its signed error signal (canonical JSON)."""
    retry_after: float | None = None
    """The wait the receiver asked for with ``Retry-After``, in seconds."""

    @classmethod
    def transient(cls, reason: str, *, retry_after: float | None = None) -> "Answer":
        return cls(HubState.WAITING_FOR_RETRY, reason, retry_after=retry_after)


def read_answer(response: httpx.Response, *, claim: "Claim", network: Network) -> Answer:
    status = response.status_code
    if retryable_status(status):
        return Answer.transient(f"{claim.receiver} answered {status}",
                                retry_after=retry_after_seconds(response.headers.get("retry-after"), now=utcnow()))
    body = _json(response)
    if status == 200:
        return _receipt(body, text=response.text, claim=claim, network=network)
    if 400 <= status < 500 and isinstance(body, dict) and isinstance(body.get("error_signal"), dict):
        return _error_signal(body["error_signal"], status=status, claim=claim, network=network)
    return Answer.transient(f"{claim.receiver} answered {status} without a signed receipt or error signal")


def _json(response: httpx.Response) -> Any:
    try:
        return parse_json(response.content)
    except (UnsafeInput, ValueError):
        return None


def _receipt(body: Any, *, text: str, claim: "Claim", network: Network) -> Answer:
    try:
        receipt = Receipt.model_validate(body)
        verify(receipt, public_key_for=network.public_key_for)
    except ValidationError as error:
        return Answer.transient(f"{claim.receiver} answered 200 without a valid receipt "
                                f"({error.error_count()} error(s))")
    except SignatureInvalid as invalid:
        return Answer.transient(f"the receipt from {claim.receiver} is refused: {invalid.reason}: {invalid.detail}")
    expected = (claim.message_id, claim.sender, claim.receiver, claim.payload_digest)
    found = (receipt.message_id, receipt.sender, receipt.receiver, receipt.payload_digest)
    if found != expected:
        return Answer.transient(f"the receipt from {claim.receiver} is for another message or payload")
    # kept as the receiver signed and sent it (it has just been parsed from these very bytes)
    return Answer(HubState.DELIVERED, f"receipt {receipt.receipt_id} signed by {receipt.receiver}", text)


def _error_signal(body: Any, *, status: int, claim: "Claim", network: Network) -> Answer:
    try:
        signal = ErrorSignal.model_validate(body)
        verify(signal, public_key_for=network.public_key_for)
    except (ValidationError, SignatureInvalid):
        return Answer.transient(f"{claim.receiver} answered {status} with an error signal that does not verify")
    if (signal.message_id, signal.sender, signal.receiver) != (claim.message_id, claim.sender, claim.receiver):
        return Answer.transient(f"{claim.receiver} answered {status} with an error signal for another message")
    if signal.category != "permanent":
        return Answer.transient(f"{claim.receiver}: {signal.code}: {signal.description}")
    return Answer(HubState.REJECTED, f"{claim.receiver} refused it: {signal.code}: {signal.description}",
                  canonical.json_text(signal))
