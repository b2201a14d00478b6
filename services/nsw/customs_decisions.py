"""Customs at the importing country answers an ACDD or a certificate of origin.

An ACDD is accepted (``01``) for pre-arrival processing when it is addressed to this
country and its goods are discharged here (``acdd_faults``). The answer is a
``customs.response`` 1.0 (``answer_acdd``), or 2.0 for an ACDD 1.1, which comes from a WCO
DM 3.6 declaration, when its sender accepts 2.0 (``wco_customs_response``). A certificate of
origin is accepted when it is for import into this country and each item's origin criterion is plausible for its goods:
``WO`` (wholly obtained) cannot describe manufactured articles (garments and footwear,
HS chapters 61-64; machinery, vehicles, instruments, arms and other manufactures, 84-97),
and a regional value content below the ATIGA/AJCEP general threshold of 40 % confers no
origin. Otherwise it is rejected (``03``) with one Error per fault.

A certificate of origin 1.1 has a status. A cancelled one is answered ``10`` (invalidated):
the preference is withdrawn, or not granted if it was not yet. A replacement is judged as
any certificate, and its answer says that it supersedes the answer to the certificate it
replaces. The 1.1 criterion is read as printed ("RVC 40%", "40%", "PC 25%") through
``origin_criterion``.
"""

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.kernel.messages.customs import (
    ACDD,
    ACDDGoodsItemV1_1,
    COGoodsItemType,
    DeclarationRefType,
    Response,
    ResponseErrorType,
)
from services.kernel.messages.customs import CertificateOfOrigin as CertificateV1_0
from services.kernel.messages.origin import (
    CertificateOfOriginV1_1,
    COGoodsItemV1_1Type,
    OriginCriterion,
    origin_criterion,
)

CUSTOMS_OFFICES = {"JP": "2AW03", "KH": "KHPNH-PPAP", "LA": "LA0102TNL", "MM": "MMRGN-MIP01", "TH": "THLCH001",
                   "VN": "02CI"}
"""Each country's office for inbound pre-arrival documents; ports with their own office below."""
PORT_OFFICES = {"VNHPH": "03CE", "KHKOS": "KHKOS-SHV01", "JPYOK": "2AW03", "THLCH": "THLCH001"}
MANUFACTURED_CHAPTERS = frozenset(range(61, 65)) | frozenset(range(84, 98))
RVC_THRESHOLD = 40
CertificateOfOrigin = CertificateV1_0 | CertificateOfOriginV1_1


def response_id(country: str, now: dt.datetime, token: str) -> str:
    return f"{country}-RES-{now:%Y%m%d}-{token}"


def _office(country: str, location: str | None) -> str:
    if location and location[:2] == country and location in PORT_OFFICES:
        return PORT_OFFICES[location]
    return CUSTOMS_OFFICES[country]


def _error(code: str, description: str, pointer: str) -> ResponseErrorType:
    return ResponseErrorType(ValidationCode=code, Description=description, Pointer=pointer)


@dataclass(frozen=True)
class AcddFault:
    """Why an ACDD is rejected: the 1.0 code and pointer into the ACDD, and the 2.0 code (DMS
    allows 8 characters) with the WCO pointer into the declaration the ACDD comes from, as WCO
    class id and tag steps (``section``, ``tag``)."""

    code: str
    description: str
    pointer: str
    wco_code: str
    wco_pointer: tuple[tuple[str, str | None], ...]


def acdd_faults(acdd: ACDD, *, country: str) -> list[AcddFault]:
    faults = []
    if acdd.DestinationCountryCode != country:
        faults.append(AcddFault("ACDD_DESTINATION", f"the ACDD is for {acdd.DestinationCountryCode}, not for {country}",
                                "/DestinationCountryCode", "ACDDDEST",
                                # Declaration 42A / GoodsShipment 67A / Destination 99B, country code tag 465
                                (("42A", None), ("67A", None), ("99B", "465"))))
    if acdd.DischargeLocationID is not None and acdd.DischargeLocationID[:2] != country:
        faults.append(AcddFault("ACDD_DISCHARGE_LOCATION", f"the goods are discharged at {acdd.DischargeLocationID}, "
                                f"outside {country}", "/DischargeLocationID", "ACDDDISC",
                                # DMS has no place of unloading; the ACDD's comes from the trade terms' named
                                # place: Declaration 42A / GoodsShipment 67A / TradeTerms 22B, location tag L002
                                (("42A", None), ("67A", None), ("22B", "L002"))))
    return faults


def acdd_remarks(acdd: ACDD, faults: list[AcddFault]) -> str:
    items = len(acdd.GoodsItem)
    remarks = (f"ACDD {acdd.ID} for export declaration {acdd.ExportDeclarationID} ({items} goods item"
               f"{'s' if items != 1 else ''}, discharge at {acdd.DischargeLocationID or 'a port not named'}) "
               + ("rejected; see the errors." if faults else "accepted for pre-arrival processing."))
    return remarks + preference_remark(acdd)


def preference_remark(acdd: ACDD) -> str:
    """What an ACDD 1.1 says of preference: the items claimed under each certificate of origin."""
    claims: dict[str, list[int]] = {}
    for item in acdd.GoodsItem:
        if isinstance(item, ACDDGoodsItemV1_1) and item.PreferenceCertificateID is not None and \
                any(o.TypeCode == "2" for o in item.Origin or ()):
            claims.setdefault(item.PreferenceCertificateID, []).append(item.SequenceNumeric)
    return "".join(f" Preferential origin is claimed for goods item{'s' if len(numbers) > 1 else ''} "
                   f"{', '.join(map(str, numbers))} under certificate of origin {certificate}; the preference is "
                   "granted on import once that certificate is accepted." for certificate, numbers in claims.items())


def answer_acdd(acdd: ACDD, *, country: str, now: dt.datetime, token: str) -> Response:
    faults = acdd_faults(acdd, country=country)
    errors = [_error(f.code, f.description, f.pointer) for f in faults]
    return Response(
        FunctionCode="03" if errors else "01", ID=response_id(country, now, token), IssueDateTime=now,
        IssuingOfficeID=acdd_office(acdd, country=country),
        Declaration=DeclarationRefType(ID=acdd.ExportDeclarationID), Error=errors or None,
        Remarks=acdd_remarks(acdd, faults),
    )


def acdd_office(acdd: ACDD, *, country: str) -> str:
    return _office(country, acdd.DischargeLocationID)


def _criterion(certificate: CertificateOfOrigin, index: int) -> OriginCriterion:
    if isinstance(certificate, CertificateOfOriginV1_1):
        return origin_criterion(certificate.GoodsItem[index].OriginCriterion)
    printed = certificate.GoodsItem[index].OriginCriterionCode
    rvc = re.fullmatch(r"RVC([0-9]{2})", printed)
    return OriginCriterion(printed, (printed,), int(rvc.group(1)) if rvc else None, None)


def certificate_errors(certificate: CertificateOfOrigin, *, country: str) -> list[ResponseErrorType]:
    errors = []
    if certificate.ImportCountryCode != country:
        errors.append(_error("CO_IMPORT_COUNTRY", f"the certificate covers import into "
                             f"{certificate.ImportCountryCode}, not {country}", "/ImportCountryCode"))
    field = "OriginCriterion" if isinstance(certificate, CertificateOfOriginV1_1) else "OriginCriterionCode"
    items: Sequence[COGoodsItemType | COGoodsItemV1_1Type] = certificate.GoodsItem
    for index, item in enumerate(items):
        criterion, chapter = _criterion(certificate, index), int(item.HSCode[:2])
        pointer = f"/GoodsItem/{index}/{field}"
        if "WO" in criterion.terms and chapter in MANUFACTURED_CHAPTERS:
            errors.append(_error("CO_ORIGIN_CRITERION", f"goods item {item.SequenceNumeric} (HS {item.HSCode}) is "
                                 "a manufactured article and cannot be wholly obtained (WO)", pointer))
        rvc = criterion.rvc_percent
        if rvc is not None and rvc < RVC_THRESHOLD:
            errors.append(_error("CO_RVC_THRESHOLD", f"goods item {item.SequenceNumeric}: a regional value content "
                                 f"of {rvc} % is below the {RVC_THRESHOLD} % that confers origin", pointer))
    return errors


def _status(certificate: CertificateOfOrigin) -> tuple[str, str | None]:
    if isinstance(certificate, CertificateOfOriginV1_1):
        return certificate.StatusCode, certificate.ReplacedReferenceID
    return "original", None


def answer_certificate(certificate: CertificateOfOrigin, *, country: str, now: dt.datetime,
                       token: str) -> Response:
    status, replaced = _status(certificate)
    form = "ATIGA Form D" if certificate.FormTypeCode == "D" else "AJCEP Form AJ"
    subject = f"{form} {certificate.ReferenceID} from {certificate.ExportCountryCode}"
    reference = (DeclarationRefType(ID=certificate.DeclarationID) if certificate.DeclarationID
                 else DeclarationRefType(FunctionalReferenceID=certificate.ReferenceID))
    office = _office(country, certificate.Transport.DischargeLocationID)
    if status == "cancelled":
        return Response(
            FunctionCode="10", ID=response_id(country, now, token), IssueDateTime=now, IssuingOfficeID=office,
            Declaration=reference,
            Remarks=f"{subject} was cancelled by the issuing authority: preferential tariff treatment on it is "
                    "withdrawn, or not granted if not yet given; duties are due at the general rate unless a "
                    "replacement certificate is accepted.",
        )
    errors = certificate_errors(certificate, country=country)
    outcome = ("rejected: preferential tariff treatment refused; see the errors" if errors
               else "accepted: preferential tariff treatment granted on import")
    supersedes = (f" It replaces certificate {replaced}; this answer supersedes the answer to {replaced}."
                  if replaced is not None else "")
    return Response(
        FunctionCode="03" if errors else "01", ID=response_id(country, now, token), IssueDateTime=now,
        IssuingOfficeID=office, Declaration=reference, Error=errors or None,
        Remarks=f"{subject} ({len(certificate.GoodsItem)} goods items) {outcome}.{supersedes}",
    )
