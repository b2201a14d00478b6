"""A refused message's answer: a problem+json with the findings and a signed error signal.

The answer is the kernel's problem shape (``type``, ``title``, ``status``, ``detail``,
``instance``, ``errors``) with one more member, ``error_signal``: the ``exchange.error``
document, signed by this country, that the hub keeps as the receiver's word on the message.
"""

import json
import uuid
from dataclasses import dataclass, field

from services.kernel import canonical, clock
from services.kernel.findings import Finding, Layer, Location
from services.kernel.messages.exchange import Envelope, ErrorFinding, ErrorSignal
from services.kernel.signing import sign
from services.kernel.xmlchars import NOT_IN_XML
from services.nsw.station import Station

MAX_SIGNAL_FINDINGS = 100
"""An error signal names at most this many findings (the problem's ``errors`` has them all)."""


@dataclass(frozen=True)
class Refused:
    code: str
    description: str
    findings: list[Finding] = field(default_factory=list)
    status: int = 422

    @classmethod
    def one(cls, code: str, description: str, layer: Layer, pointer: str) -> "Refused":
        return cls(code, description, [Finding(layer, code, description, location=Location(pointer=pointer))])


def _text(value: str, limit: int) -> str:
    # findings may quote what the sender wrote: keep the signal writable as XML and within its limits
    return NOT_IN_XML.sub("\ufffd", value)[:limit] or "-"


def error_signal(refused: Refused, *, envelope: Envelope, station: Station) -> ErrorSignal:
    findings = [ErrorFinding(layer=f.layer.value, code=_text(f.code, 64), message=_text(f.message, 1024),
                             location=_text(str(f.location), 1024) if str(f.location) else None)
                for f in refused.findings[:MAX_SIGNAL_FINDINGS]]
    signal = ErrorSignal(error_id=str(uuid.uuid4()), message_id=envelope.message_id, sender=envelope.sender,
                         receiver=station.country, created_at=clock.utcnow(), category="permanent",
                         code=refused.code, description=_text(refused.description, 1024), finding=findings or None)
    return sign(signal, private_key=station.private_key, key_id=station.country)


def refusal_answer(refused: Refused, *, envelope: Envelope, station: Station) -> tuple[int, str]:
    """The status and the problem+json text to answer (and keep, for a resend) for a refusal."""
    body = {
        "type": "about:blank",
        "title": "Conflict" if refused.status == 409 else "Message refused",
        "status": refused.status,
        "detail": f"{refused.code}: {refused.description}",
        "instance": "/inbox",
        "errors": [f.as_dict() for f in refused.findings],
        "error_signal": canonical.json_data(error_signal(refused, envelope=envelope, station=station)),
    }
    return refused.status, json.dumps(body, ensure_ascii=False)
