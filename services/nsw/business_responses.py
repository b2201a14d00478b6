"""Which received documents get a business response, and which are handed to an agency.

A business document (ACDD, certificate of origin, passenger manifest, vessel call) is
answered through the hub; a response document (customs response, API response, port
clearance) answers something this country sent, so it goes to the agency that sent it.
"""

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from services.kernel import canonical
from services.kernel.messages.customs import ACDD, ACDDV1_1, CertificateOfOrigin
from services.kernel.messages.immigration import PassengerManifest
from services.kernel.messages.origin import CertificateOfOriginV1_1
from services.kernel.messages.port import VesselCall, VesselCallV1_1
from services.kernel.messages.types import Document
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.validation import validate
from services.nsw.customs_decisions import answer_acdd, answer_certificate
from services.nsw.immigration_decisions import answer_manifest
from services.nsw.port_decisions import answer_vessel_call
from services.nsw.watchlist import Watchlist
from services.nsw.wco_customs_response import answer_acdd_v2

log = logging.getLogger("swx.nsw")

HANDED_OVER = {"customs.response": "customs", "immigration.api-response": "immigration", "port.clearance": "port"}
"""Response types, by the domain of the agency service that takes them."""
CUSTOMS_RESPONSE = REGISTRY.get("customs.response", "1.0")
CUSTOMS_RESPONSE_V2 = REGISTRY.get("customs.response", "2.0")
API_RESPONSE = REGISTRY.get("immigration.api-response", "1.0")
CLEARANCE = REGISTRY.get("port.clearance", "1.0")
UTC_OFFSETS = {"JP": dt.timedelta(hours=9), "MM": dt.timedelta(hours=6, minutes=30)}
"""Each country's local time, in which its agencies date their documents (UTC+7 elsewhere)."""


def local_now(country: str) -> dt.datetime:
    zone = dt.timezone(UTC_OFFSETS.get(country, dt.timedelta(hours=7)))
    return dt.datetime.now(zone).replace(microsecond=0)


def handover_domain(document_type: str) -> str | None:
    """The agency domain a received type is handed over to, None when it is not handed over."""
    return HANDED_OVER.get(document_type.split("/", 1)[0])


def business_response(document: Document, *, country: str, watchlist: Watchlist,
                      sender_accepts: Callable[[str], bool] | None = None) -> tuple[Document, MessageType] | None:
    """This country's answer to a received business document and its type, None when it needs none.

    ``sender_accepts`` tells which types (``id/version``) the sender takes: an ACDD 1.1 (from a
    WCO declaration) is answered with a ``customs.response`` 2.0 when its sender takes one,
    every other ACDD with 1.0."""
    now, token = local_now(country), uuid.uuid4().hex[:8].upper()
    if isinstance(document, ACDDV1_1) and sender_accepts is not None and sender_accepts(CUSTOMS_RESPONSE_V2.key):
        return answer_acdd_v2(document, country=country, now=now, token=token), CUSTOMS_RESPONSE_V2
    if isinstance(document, ACDD):
        return answer_acdd(document, country=country, now=now, token=token), CUSTOMS_RESPONSE
    if isinstance(document, CertificateOfOrigin | CertificateOfOriginV1_1):
        return answer_certificate(document, country=country, now=now, token=token), CUSTOMS_RESPONSE
    if isinstance(document, PassengerManifest):
        return answer_manifest(document, country=country, watchlist=watchlist, now=now, token=token), API_RESPONSE
    if isinstance(document, VesselCall | VesselCallV1_1):
        return answer_vessel_call(document, country=country, watchlist=watchlist, now=now, token=token), CLEARANCE
    return None


def checked(document: Document, message_type: MessageType) -> bool:
    """Whether the answer passes the same validation its receiver will run (a failure is a bug, logged)."""
    report = validate(canonical.xml_bytes(document, message_type), media_type="application/xml",
                      expected_type=message_type)
    if not report.valid:
        log.error("nsw.response_invalid type=%s findings=%s", message_type.key,
                  [f"{f.code}@{f.location}" for f in report.errors])
    return report.valid
