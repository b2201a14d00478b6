"""Certificate of origin 1.1: the boxes of the ATIGA Form D and AJCEP Form AJ as printed.

Version 1.0 (``customs.CertificateOfOrigin``) stays as it was. 1.1 adds what the forms carry
and 1.0 could not say (ATIGA Annex 7, revised Form D and its overleaf notes; AJCEP Form AJ):
box 4, the importing customs' "preferential treatment given / not given (reason)"; box 7,
the number and kind of packages (UN/ECE Recommendation 21); box 9, "gross weight or other
quantity" with its unit, and the FOB value only where the RVC criterion is applied; box 11,
the exporter's declaration; box 12, the certification; box 13, the special-circumstance
ticks; and the certificate's status (original, replacement of another reference, cancelled).

The origin criterion (box 8) is kept as the form prints it ("RVC 40%", "40%", "CTH",
"PC 25%", "CTSH + RVC 35%"): a certificate is a signed statement, so it is stored as
certified; ``origin_criterion`` reads the printed text into a normalised form that rules
and answers use.
"""

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.customs import COTransportType, PartyType

_CRITERION_TERM = (
    r"(WO|PE|SP|CC|CTC|CTH|CTSH|PSR|ACU|DMI|RVC|RVC ?[0-9]{2} ?%?|[0-9]{2} ?%|PC ?[0-9]{2} ?%?)"
)
ORIGIN_CRITERION_PATTERN = rf"^{_CRITERION_TERM}( ?\+ ?{_CRITERION_TERM}){{0,2}}$"
"""One printed criterion, or a combination of up to three joined by ``+`` ("CTSH + RVC 35%")."""

ORIGIN_CRITERION_HELP = (
    "as printed in box 8: WO wholly obtained; PE produced exclusively from originating materials; "
    "RVC 40% (also written 40%, RVC40, or RVC alone on Form AJ) regional value content; CC, CTH, CTSH or CTC "
    "change of tariff classification; SP specific process; PSR product specific rule; ACU accumulation; "
    "DMI de minimis; PC 25% partial cumulation (Form D); combinations joined by +, e.g. CTSH + RVC 35%"
)


class PackagesType(t.Message):
    """Box 7: number and kind of packages."""

    QuantityQuantity: int = Field(ge=1, le=999999)
    TypeCode: str = Field(pattern=r"^[0-9A-Z]{2}$",
                          description="UN/ECE Recommendation 21 package type, e.g. PX pallet, DR drum, BG bag, "
                                      "CT carton, VR bulk solid")


class COGoodsItemV1_1Type(t.Message):
    """Boxes 5 to 10 of one goods item."""

    SequenceNumeric: int = Field(ge=1)
    MarksNumbersID: t.Name | None = None
    Packages: PackagesType
    Description: t.Description
    HSCode: t.HSCode
    OriginCriterion: str = Field(min_length=2, max_length=40, pattern=ORIGIN_CRITERION_PATTERN,
                                 description=ORIGIN_CRITERION_HELP)
    GrossWeightOrOtherQuantity: t.Measure = Field(
        description="box 9: gross weight (KGM, TNE) or another quantity (PCE, LTR, MTK ...) with its "
                    "UN/ECE Recommendation 20 unit")
    FOBValueAmount: t.Amount | None = Field(default=None,
                                            description="box 9: FOB value, given only where RVC is applied")
    InvoiceID: t.Identifier
    InvoiceIssueDate: t.Date


class OfficialUseType(t.Message):
    """Box 4, for the importing country's customs: preferential treatment given or not (with reasons)."""

    PreferentialTreatmentCode: Literal["given", "not-given"]
    ReasonText: t.Remarks | None = Field(default=None, description="why the treatment was not given")
    CustomsAuthorityName: t.Name | None = None
    DecisionDate: t.Date | None = None


class ExporterDeclarationType(t.Message):
    """Box 11: the exporter declares the goods produced in one country and exported to another."""

    ProductionCountryCode: t.CountryCode = Field(description="\"all the goods were produced in\"")
    ImportCountryCode: t.CountryCode = Field(description="\"for the goods exported to\"")
    PlaceName: t.Name
    DeclarationDate: t.Date
    SignatoryName: t.Name


class CertifyingAuthorityType(t.Message):
    """Box 12: the issuing authority's certification, with place, date and signatory."""

    Name: t.Name
    CountryCode: t.CountryCode
    PlaceName: t.Name
    CertificationDate: t.Date
    SignatoryName: t.Name


class SpecialCircumstancesType(t.Message):
    """Box 13: the ticks; an absent tick is not ticked."""

    ThirdCountryInvoicingIndicator: bool | None = None
    ExhibitionIndicator: bool | None = None
    BackToBackIndicator: bool | None = None
    IssuedRetroactivelyIndicator: bool | None = None
    DeMinimisIndicator: bool | None = None
    AccumulationIndicator: bool | None = None
    PartialCumulationIndicator: bool | None = None


class InvoicingPartyType(t.Message):
    """Third-country invoicing: the company outside the exporting country that issued the invoice."""

    Name: t.Name
    CountryCode: t.CountryCode


class OriginalCertificateType(t.Message):
    """Back-to-back certificate: the original certificate issued by the first exporting country."""

    ReferenceID: t.Identifier
    IssueDate: t.Date
    CountryCode: t.CountryCode


class CertificateOfOriginV1_1(t.Document):
    """ATIGA e-Form D or AJCEP Form AJ with every box of the printed form."""

    xml_root: ClassVar[str] = "CertificateOfOrigin"

    document_type: Literal["customs.certificate-of-origin/1.1"] = "customs.certificate-of-origin/1.1"
    ReferenceID: t.Identifier
    FormTypeCode: Literal["D", "AJ"] = Field(description="D: ATIGA Form D; AJ: AJCEP Form AJ")
    StatusCode: Literal["original", "replacement", "cancelled"] = Field(
        description="original; replacement of the certificate ReplacedReferenceID; cancelled by the issuing "
                    "authority (sent again under its own reference)")
    ReplacedReferenceID: t.Identifier | None = Field(default=None,
                                                     description="the reference of the certificate replaced")
    IssueDateTime: t.DateTime
    ExportCountryCode: t.CountryCode
    ImportCountryCode: t.CountryCode
    DeclarationID: t.Identifier | None = Field(
        default=None, description="MRN of the export declaration the certificate covers"
    )
    Exporter: PartyType
    Consignee: PartyType
    Transport: COTransportType
    OfficialUse: OfficialUseType | None = None
    GoodsItem: list[COGoodsItemV1_1Type] = Field(min_length=1)
    InvoicingParty: InvoicingPartyType | None = None
    OriginalCertificate: OriginalCertificateType | None = None
    ExporterDeclaration: ExporterDeclarationType
    IssuingAuthority: CertifyingAuthorityType
    SpecialCircumstances: SpecialCircumstancesType | None = None
    Remarks: t.Remarks | None = None

    def ticked(self, box: str) -> bool:
        """Whether the box 13 tick ``box`` (a field of ``SpecialCircumstancesType``) is ticked."""
        return bool(getattr(self.SpecialCircumstances, box, None))


@dataclass(frozen=True)
class OriginCriterion:
    """A printed origin criterion read into its parts."""

    printed: str
    terms: tuple[str, ...]
    """Normalised terms in printed order: ``WO``, ``CTH``, ``RVC40``, ``RVC`` (no percentage), ``PC25`` ..."""
    rvc_percent: int | None
    partial_cumulation_percent: int | None

    @property
    def normalised(self) -> str:
        return "+".join(self.terms)

    @property
    def applies_rvc(self) -> bool:
        """Whether a value-content test is applied, which is when box 9 carries the FOB value."""
        return any(term.startswith(("RVC", "PC")) for term in self.terms)


_TERM = re.compile(r"(?:(RVC|PC) ?)?([0-9]{2})? ?(%)?")


def origin_criterion(printed: str) -> OriginCriterion:
    """The criterion as printed (``RVC 40%``, ``40%``, ``RVC40``, ``PC 25%``, ``CTSH + RVC 35%``), normalised.

    Call it on a value the schema accepted; other text is read as one unknown term.
    """
    terms: list[str] = []
    rvc = partial = None
    for part in (piece.strip() for piece in printed.split("+")):
        match = _TERM.fullmatch(part)
        if match is None or not (match.group(1) or match.group(2)):
            terms.append(part)
            continue
        kind, percent = match.group(1) or "RVC", match.group(2)
        terms.append(kind + (percent or ""))
        if percent is not None and kind == "RVC":
            rvc = int(percent)
        elif percent is not None:
            partial = int(percent)
    return OriginCriterion(printed, tuple(terms), rvc, partial)
