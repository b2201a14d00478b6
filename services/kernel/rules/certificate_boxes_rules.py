"""Business rules of the boxes certificate of origin 1.1 adds (ATIGA Form D, AJCEP Form AJ).

Sources: ATIGA Annex 7 (revised Form D and its overleaf notes) and Annex 8 (operational
certification procedures), AJCEP Form AJ and its overleaf notes. The form numbers the
boxes: 4 official use (importing customs), 8 origin criterion, 9 gross weight or other
quantity and FOB value where RVC is applied, 11 declaration by the exporter, 12
certification, 13 special circumstances.
"""

import datetime as dt
from collections.abc import Iterator

from services.kernel import refdata
from services.kernel.findings import Finding, rule_error
from services.kernel.messages.origin import CertificateOfOriginV1_1, origin_criterion
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import CodeField, unknown_countries
from services.kernel.rules.customs_origin_rules import CERTIFICATE_OF_ORIGIN

ISSUE_DAYS_AFTER_SHIPMENT = 3
"""ATIGA Annex 8 Rule 10(1): issued at exportation or no later than three days after shipment."""
RETROACTIVE_LIMIT = dt.timedelta(days=365)
"""Annex 8 Rule 10(2): issued retroactively, ticked as such, no later than one year after shipment."""
PARTIAL_CUMULATION_RANGE = range(20, 40)
"""ATIGA Article 30(2): partial cumulation counts content of at least 20 % and below 40 %."""


def certificate_box_countries_known(certificate: CertificateOfOriginV1_1, context: RuleContext) -> Iterator[Finding]:
    declared = certificate.ExporterDeclaration
    fields: list[CodeField] = [
        (declared.ProductionCountryCode, "box 11 production country", ("ExporterDeclaration", "ProductionCountryCode")),
        (declared.ImportCountryCode, "box 11 importing country", ("ExporterDeclaration", "ImportCountryCode")),
    ]
    if certificate.InvoicingParty is not None:
        fields.append((certificate.InvoicingParty.CountryCode, "invoicing party country",
                       ("InvoicingParty", "CountryCode")))
    if certificate.OriginalCertificate is not None:
        fields.append((certificate.OriginalCertificate.CountryCode, "original certificate country",
                       ("OriginalCertificate", "CountryCode")))
    yield from unknown_countries(fields)


def certificate_fob_value_where_rvc(certificate: CertificateOfOriginV1_1, context: RuleContext) -> Iterator[Finding]:
    """Box 9: the FOB value is given where, and only where, a value-content criterion is applied."""
    for index, item in enumerate(certificate.GoodsItem):
        criterion = origin_criterion(item.OriginCriterion)
        if criterion.applies_rvc and item.FOBValueAmount is None:
            yield rule_error(
                "CO_FOB_VALUE_RVC",
                f"goods item {item.SequenceNumeric} claims {criterion.printed!r}, a regional value content, "
                "so box 9 must give its FOB value",
                "GoodsItem", index, "OriginCriterion",
            )
        elif not criterion.applies_rvc and item.FOBValueAmount is not None:
            yield rule_error(
                "CO_FOB_VALUE_RVC",
                f"goods item {item.SequenceNumeric} claims {criterion.printed!r}; box 9 gives the FOB value only "
                "where the RVC criterion is applied, so leave it out",
                "GoodsItem", index, "FOBValueAmount",
            )


def certificate_status_names_replaced(certificate: CertificateOfOriginV1_1, context: RuleContext) -> Iterator[Finding]:
    replaced = certificate.ReplacedReferenceID
    if certificate.StatusCode == "replacement" and replaced is None:
        yield rule_error("CO_REPLACEMENT_REFERENCE", f"certificate {certificate.ReferenceID} is a replacement but "
                         "does not name the certificate it replaces (ReplacedReferenceID)", "StatusCode")
    elif replaced is not None and replaced == certificate.ReferenceID:
        yield rule_error("CO_REPLACEMENT_REFERENCE", f"certificate {certificate.ReferenceID} names itself as the "
                         "certificate it replaces; a replacement has a reference of its own", "ReplacedReferenceID")
    elif certificate.StatusCode == "original" and replaced is not None:
        yield rule_error("CO_REPLACEMENT_REFERENCE", f"an original certificate replaces nothing, but "
                         f"{certificate.ReferenceID} names {replaced}; give StatusCode replacement",
                         "ReplacedReferenceID")


def certificate_retroactive_issue_consistent(
    certificate: CertificateOfOriginV1_1, context: RuleContext
) -> Iterator[Finding]:
    shipped, issued = certificate.Transport.DepartureDate, certificate.IssueDateTime.date()
    late = issued - shipped > dt.timedelta(days=ISSUE_DAYS_AFTER_SHIPMENT)
    ticked = certificate.ticked("IssuedRetroactivelyIndicator")
    if issued - shipped > RETROACTIVE_LIMIT:
        yield rule_error("CO_RETROACTIVE_ISSUE", f"issued {issued.isoformat()}, more than a year after the shipment "
                         f"of {shipped.isoformat()}: too late even retroactively", "IssueDateTime")
    elif late and not ticked:
        yield rule_error("CO_RETROACTIVE_ISSUE", f"issued {issued.isoformat()}, more than {ISSUE_DAYS_AFTER_SHIPMENT} "
                         f"days after the shipment of {shipped.isoformat()}, without the box 13 tick "
                         "'Issued Retroactively'", "IssueDateTime")
    elif ticked and not late:
        yield rule_error("CO_RETROACTIVE_ISSUE", f"box 13 'Issued Retroactively' is ticked, but the certificate was "
                         f"issued {issued.isoformat()}, within {ISSUE_DAYS_AFTER_SHIPMENT} days of the shipment of "
                         f"{shipped.isoformat()}", "SpecialCircumstances", "IssuedRetroactivelyIndicator")


def certificate_dates_in_order(certificate: CertificateOfOriginV1_1, context: RuleContext) -> Iterator[Finding]:
    """The authority certifies (box 12) on the issue date, and not before the exporter declared (box 11)."""
    declared = certificate.ExporterDeclaration.DeclarationDate
    certified, issued = certificate.IssuingAuthority.CertificationDate, certificate.IssueDateTime.date()
    if certified < declared:
        yield rule_error("CO_CERTIFICATION_DATE", f"box 12 certifies on {certified.isoformat()}, before the "
                         f"exporter's declaration of {declared.isoformat()} (box 11) it certifies",
                         "IssuingAuthority", "CertificationDate")
    elif certified != issued:
        yield rule_error("CO_CERTIFICATION_DATE", f"box 12 certifies on {certified.isoformat()}, but the certificate "
                         f"is issued {issued.isoformat()}", "IssuingAuthority", "CertificationDate")


def certificate_exporter_declaration_consistent(
    certificate: CertificateOfOriginV1_1, context: RuleContext
) -> Iterator[Finding]:
    declared = certificate.ExporterDeclaration
    if declared.ImportCountryCode != certificate.ImportCountryCode:
        yield rule_error("CO_EXPORTER_DECLARATION_MISMATCH", f"box 11 declares the goods exported to "
                         f"{declared.ImportCountryCode}, the certificate is for import into "
                         f"{certificate.ImportCountryCode}", "ExporterDeclaration", "ImportCountryCode")
    original = certificate.OriginalCertificate
    produced_in = original.CountryCode if original is not None else certificate.ExportCountryCode
    if declared.ProductionCountryCode != produced_in:
        where = (f"the country of the original certificate, {produced_in}" if original is not None
                 else f"the exporting country, {produced_in}")
        yield rule_error("CO_EXPORTER_DECLARATION_MISMATCH", f"box 11 declares the goods produced in "
                         f"{declared.ProductionCountryCode}, not in {where}",
                         "ExporterDeclaration", "ProductionCountryCode")


def certificate_feedback_gives_reason(certificate: CertificateOfOriginV1_1, context: RuleContext) -> Iterator[Finding]:
    feedback = certificate.OfficialUse
    if feedback is not None and feedback.PreferentialTreatmentCode == "not-given" and feedback.ReasonText is None:
        yield rule_error("CO_FEEDBACK_REASON", "box 4 says preferential treatment was not given but states no "
                         "reason, which the form asks for", "OfficialUse", "PreferentialTreatmentCode")


def certificate_third_country_invoicing(
    certificate: CertificateOfOriginV1_1, context: RuleContext
) -> Iterator[Finding]:
    invoicer, ticked = certificate.InvoicingParty, certificate.ticked("ThirdCountryInvoicingIndicator")
    if ticked and invoicer is None:
        yield rule_error("CO_THIRD_COUNTRY_INVOICING", "box 13 'Third Country Invoicing' is ticked but the company "
                         "that issued the invoice is not named (InvoicingParty)",
                         "SpecialCircumstances", "ThirdCountryInvoicingIndicator")
    elif invoicer is not None and not ticked:
        yield rule_error("CO_THIRD_COUNTRY_INVOICING", f"an invoicing party ({invoicer.Name}) is named but box 13 "
                         "'Third Country Invoicing' is not ticked", "InvoicingParty")
    elif invoicer is not None and invoicer.CountryCode == certificate.ExportCountryCode:
        yield rule_error("CO_THIRD_COUNTRY_INVOICING", f"the invoicing party {invoicer.Name} is in the exporting "
                         f"country {invoicer.CountryCode}: that is no third-country invoice",
                         "InvoicingParty", "CountryCode")


def certificate_back_to_back(certificate: CertificateOfOriginV1_1, context: RuleContext) -> Iterator[Finding]:
    original, ticked = certificate.OriginalCertificate, certificate.ticked("BackToBackIndicator")
    if ticked and original is None:
        yield rule_error("CO_BACK_TO_BACK", "box 13 'Back-to-Back CO' is ticked but the original certificate is not "
                         "named (OriginalCertificate)", "SpecialCircumstances", "BackToBackIndicator")
    elif original is not None and not ticked:
        yield rule_error("CO_BACK_TO_BACK", f"original certificate {original.ReferenceID} is named but box 13 "
                         "'Back-to-Back CO' is not ticked", "OriginalCertificate")
    elif original is not None and original.CountryCode == certificate.ExportCountryCode:
        yield rule_error("CO_BACK_TO_BACK", f"a back-to-back certificate is issued by an intermediate country; the "
                         f"original {original.ReferenceID} is from the same country {original.CountryCode}",
                         "OriginalCertificate", "CountryCode")
    elif original is not None and original.IssueDate > certificate.IssueDateTime.date():
        yield rule_error("CO_BACK_TO_BACK", f"the original certificate {original.ReferenceID} is dated "
                         f"{original.IssueDate.isoformat()}, after this back-to-back certificate",
                         "OriginalCertificate", "IssueDate")


def certificate_partial_cumulation(certificate: CertificateOfOriginV1_1, context: RuleContext) -> Iterator[Finding]:
    ticked = certificate.ticked("PartialCumulationIndicator")
    claimed = False
    for index, item in enumerate(certificate.GoodsItem):
        percent = origin_criterion(item.OriginCriterion).partial_cumulation_percent
        if percent is None:
            continue
        claimed = True
        pointer = ("GoodsItem", index, "OriginCriterion")
        if certificate.FormTypeCode != "D":
            yield rule_error("CO_PARTIAL_CUMULATION", f"goods item {item.SequenceNumeric} claims partial cumulation "
                             f"({item.OriginCriterion}), which only ATIGA Form D knows", *pointer)
        elif percent not in PARTIAL_CUMULATION_RANGE:
            yield rule_error("CO_PARTIAL_CUMULATION", f"goods item {item.SequenceNumeric} claims partial cumulation of "
                             f"{percent} %; it applies to a regional value content of 20 % to below 40 %", *pointer)
        elif not ticked:
            yield rule_error("CO_PARTIAL_CUMULATION", f"goods item {item.SequenceNumeric} claims partial cumulation "
                             "but box 13 'Partial Cumulation' is not ticked", *pointer)
    if ticked and not claimed:
        yield rule_error("CO_PARTIAL_CUMULATION", "box 13 'Partial Cumulation' is ticked but no goods item claims it "
                         "(origin criterion PC and its percentage, e.g. PC 25%)",
                         "SpecialCircumstances", "PartialCumulationIndicator")


def certificate_parties_in_asean(certificate: CertificateOfOriginV1_1, context: RuleContext) -> Iterator[Finding]:
    """A back-to-back Form D's original comes from an ASEAN member too (ATIGA Annex 8 Rule 12)."""
    original = certificate.OriginalCertificate
    if certificate.FormTypeCode == "D" and original is not None and original.CountryCode not in refdata.ASEAN_MEMBERS:
        yield rule_error("CO_BACK_TO_BACK", f"a back-to-back Form D rests on an original Form D issued by an ASEAN "
                         f"member; {original.CountryCode} is not one", "OriginalCertificate", "CountryCode")


CERTIFICATE_OF_ORIGIN_V1_1: tuple[Rule, ...] = (
    *CERTIFICATE_OF_ORIGIN,
    certificate_box_countries_known,
    certificate_fob_value_where_rvc,
    certificate_status_names_replaced,
    certificate_retroactive_issue_consistent,
    certificate_dates_in_order,
    certificate_exporter_declaration_consistent,
    certificate_feedback_gives_reason,
    certificate_third_country_invoicing,
    certificate_back_to_back,
    certificate_parties_in_asean,
    certificate_partial_cumulation,
)
