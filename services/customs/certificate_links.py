"""A certificate of origin held against the 2.0 (WCO DM 3.6) declaration it names.

The kernel's certificate rules (``customs_origin_rules``) check a certificate against a 1.x
declaration; a 2.0 declaration is read through its facts here, with the same codes, plus
what only 2.0 declares:

- ``CO_ITEM_NOT_IN_DECLARATION``: a certificate item whose HS subheading (6 digits) is not
  among the declaration's goods items;
- ``CO_DECLARATION_MISMATCH``: exporter name (when the declaration names one: a WCO exporter
  may be known by identifier only), export country or destination differ; or an original
  certificate under another number than the certificate of origin the declaration refers
  to (``AdditionalDocument`` of type 861/864: the certificate the preference is claimed on);
- ``CO_PREFERENCE_NOT_CERTIFIED``: a goods item that claims preferential origin (Origin
  TypeCode 2) under this certificate, whose HS subheading the certificate does not cover.
"""

from collections.abc import Iterator, Sequence

from services.customs.declaration_facts import DeclarationFacts, Item
from services.kernel.findings import Finding, rule_error
from services.kernel.messages.customs import CertificateOfOrigin as CertificateV1_0
from services.kernel.messages.customs import COGoodsItemType
from services.kernel.messages.origin import CertificateOfOriginV1_1, COGoodsItemV1_1Type
from services.kernel.names import name_key

CertificateOfOrigin = CertificateV1_0 | CertificateOfOriginV1_1


def _claims_under(facts: DeclarationFacts, item: Item, reference: str) -> bool:
    certificate = facts.certificate_of_origin(item)
    claimed = certificate is not None and certificate.id is not None and certificate.id.strip() == reference
    return claimed and item.preferential_origin is not None


def link_findings(certificate: CertificateOfOrigin, facts: DeclarationFacts) -> Iterator[Finding]:
    """What is wrong with ``certificate`` as a certificate of the declaration ``facts`` describe."""
    mrn = certificate.DeclarationID
    declared = {item.hs_code[:6] for item in facts.items if item.hs_code is not None}
    goods: Sequence[COGoodsItemType | COGoodsItemV1_1Type] = certificate.GoodsItem
    certified = {item.HSCode[:6] for item in goods}
    for index, item in enumerate(goods):
        if item.HSCode[:6] not in declared:
            yield rule_error("CO_ITEM_NOT_IN_DECLARATION",
                             f"goods item {item.SequenceNumeric} HS {item.HSCode[:6]} is not among the HS codes of "
                             f"declaration {mrn} ({', '.join(sorted(declared)) or 'none'})",
                             "GoodsItem", index, "HSCode")
    exporter = facts.exporter.name if facts.exporter is not None else None
    if exporter is not None and name_key(exporter) != name_key(certificate.Exporter.Name):
        yield rule_error("CO_DECLARATION_MISMATCH", f"exporter {certificate.Exporter.Name!r} differs from the exporter "
                                                    f"of declaration {mrn}, {exporter!r}", "Exporter", "Name")
    if facts.export_country != certificate.ExportCountryCode:
        yield rule_error("CO_DECLARATION_MISMATCH", f"export country {certificate.ExportCountryCode} differs from "
                                                    f"declaration {mrn}'s export country {facts.export_country}",
                         "ExportCountryCode")
    if facts.destination_country != certificate.ImportCountryCode:
        yield rule_error("CO_DECLARATION_MISMATCH", f"import country {certificate.ImportCountryCode} differs from "
                                                    f"declaration {mrn}'s destination country "
                                                    f"{facts.destination_country}", "ImportCountryCode")
    yield from _claim_findings(certificate, facts, certified)


def _claim_findings(certificate: CertificateOfOrigin, facts: DeclarationFacts,
                    certified: set[str]) -> Iterator[Finding]:
    reference, mrn = certificate.ReferenceID, certificate.DeclarationID
    referred = {d.id.strip() for d in (*facts.documents, *(d for i in facts.items for d in i.documents))
                if d.is_certificate_of_origin and d.id}
    original = getattr(certificate, "StatusCode", "original") == "original"
    if original and referred and reference not in referred:
        yield rule_error("CO_DECLARATION_MISMATCH",
                         f"declaration {mrn} refers to certificate of origin {', '.join(sorted(referred))}, "
                         f"not {reference}", "ReferenceID")
    for item in facts.items:
        if item.hs_code is not None and item.hs_code[:6] not in certified and _claims_under(facts, item, reference):
            yield rule_error("CO_PREFERENCE_NOT_CERTIFIED",
                             f"declaration {mrn} claims preferential origin for goods item {item.sequence} "
                             f"(HS {item.hs_code[:6]}) under certificate {reference}, which does not cover that "
                             "HS subheading", "GoodsItem")
