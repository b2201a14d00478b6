"""Business rules of the exchange envelope: intact payload and known participants.

The signature is not a rule: the hub and the receivers verify it against the directory.
"""

import hashlib
from collections.abc import Iterator

from services.kernel.findings import Finding, rule_error
from services.kernel.messages.exchange import Envelope
from services.kernel.participants import PARTICIPANTS
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import unknown_countries


def envelope_countries_known(envelope: Envelope, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_countries(
        [
            (envelope.sender, "sender", ("sender",)),
            (envelope.receiver, "receiver", ("receiver",)),
        ]
    )


def payload_digest_matches(envelope: Envelope, context: RuleContext) -> Iterator[Finding]:
    digest = hashlib.sha256(envelope.payload.encode("utf-8")).hexdigest()
    if digest != envelope.payload_digest:
        yield rule_error(
            "PAYLOAD_DIGEST_MISMATCH",
            f"payload digest {envelope.payload_digest} is not the SHA-256 of the payload's UTF-8 bytes "
            f"({digest}); the payload was changed or its digest computed over other bytes",
            "payload_digest",
        )


def participants_known(envelope: Envelope, context: RuleContext) -> Iterator[Finding]:
    for role, code in (("sender", envelope.sender), ("receiver", envelope.receiver)):
        if code not in PARTICIPANTS:
            yield rule_error(
                "PARTICIPANT_UNKNOWN",
                f"{role} {code} is not a participant of the network ({' '.join(PARTICIPANTS)})",
                role,
            )


def sender_is_not_receiver(envelope: Envelope, context: RuleContext) -> Iterator[Finding]:
    if envelope.sender == envelope.receiver:
        yield rule_error("SENDER_IS_RECEIVER", f"sender and receiver are both {envelope.sender}", "receiver")


ENVELOPE: tuple[Rule, ...] = (
    envelope_countries_known,
    payload_digest_matches,
    participants_known,
    sender_is_not_receiver,
)
