"""Business rules of the ASEAN Customs Declaration Document and the certificates of origin
(ATIGA e-Form D, AJCEP Form AJ). ``customs_rules`` re-exports the tuples.

The certificate rules here hold for both versions; the rules of the boxes only version 1.1
has (status, box 4, 9, 11, 12, 13) are in ``certificate_boxes_rules``."""

from collections.abc import Iterator, Sequence
from typing import Any

from services.kernel import refdata
from services.kernel.findings import Finding, rule_error
from services.kernel.messages.customs import ACDD as ACDDDocument
from services.kernel.messages.customs import CertificateOfOrigin as CertificateV1_0
from services.kernel.messages.customs import COGoodsItemType, Declaration
from services.kernel.messages.origin import CertificateOfOriginV1_1, COGoodsItemV1_1Type
from services.kernel.names import name_key
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import (
    CodeField,
    address_country,
    sequence_not_consecutive,
    unknown_countries,
    unknown_currencies,
    unknown_hs_codes,
    unknown_locodes,
)

FORM_NAMES = {"D": "ATIGA Form D", "AJ": "AJCEP Form AJ"}
CertificateOfOrigin = CertificateV1_0 | CertificateOfOriginV1_1
"""Either version: these rules read only what both have."""


def _items(certificate: CertificateOfOrigin) -> Sequence[COGoodsItemType | COGoodsItemV1_1Type]:
    return certificate.GoodsItem


def acdd_countries_known(acdd: ACDDDocument, context: RuleContext) -> Iterator[Finding]:
    fields: list[CodeField] = [
        (acdd.ExportCountryCode, "export country", ("ExportCountryCode",)),
        (acdd.DestinationCountryCode, "destination country", ("DestinationCountryCode",)),
        address_country(acdd.Exporter, "Exporter"),
        address_country(acdd.Consignee, "Consignee"),
        address_country(acdd.Declarant, "Declarant"),
    ]
    fields.extend(
        (
            item.OriginCountryCode,
            f"goods item {item.SequenceNumeric} origin country",
            ("GoodsItem", index, "OriginCountryCode"),
        )
        for index, item in enumerate(acdd.GoodsItem)
    )
    yield from unknown_countries(fields)


def acdd_locations_known(acdd: ACDDDocument, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_locodes([(acdd.DischargeLocationID, "port of discharge", ("DischargeLocationID",))])


def acdd_hs_codes_known(acdd: ACDDDocument, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_hs_codes(
        (item.HSCode, f"goods item {item.SequenceNumeric} HS code", ("GoodsItem", index, "HSCode"))
        for index, item in enumerate(acdd.GoodsItem)
    )


def acdd_sequence_consecutive(acdd: ACDDDocument, context: RuleContext) -> Iterator[Finding]:
    yield from sequence_not_consecutive(acdd.GoodsItem, what="goods item", path=("GoodsItem",))


def certificate_countries_known(certificate: CertificateOfOrigin, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_countries(
        [
            (certificate.ExportCountryCode, "export country", ("ExportCountryCode",)),
            (certificate.ImportCountryCode, "import country", ("ImportCountryCode",)),
            address_country(certificate.Exporter, "Exporter"),
            address_country(certificate.Consignee, "Consignee"),
            (
                certificate.IssuingAuthority.CountryCode,
                "issuing authority country",
                ("IssuingAuthority", "CountryCode"),
            ),
        ]
    )


def certificate_currencies_known(certificate: CertificateOfOrigin, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_currencies(
        (
            item.FOBValueAmount.currencyID if item.FOBValueAmount is not None else None,
            f"goods item {item.SequenceNumeric} FOB value currency",
            ("GoodsItem", index, "FOBValueAmount", "currencyID"),
        )
        for index, item in enumerate(_items(certificate))
    )


def certificate_locations_known(certificate: CertificateOfOrigin, context: RuleContext) -> Iterator[Finding]:
    transport = certificate.Transport
    yield from unknown_locodes(
        [
            (transport.LoadingLocationID, "port of loading", ("Transport", "LoadingLocationID")),
            (transport.DischargeLocationID, "port of discharge", ("Transport", "DischargeLocationID")),
        ]
    )


def certificate_hs_codes_known(certificate: CertificateOfOrigin, context: RuleContext) -> Iterator[Finding]:
    yield from unknown_hs_codes(
        (item.HSCode, f"goods item {item.SequenceNumeric} HS code", ("GoodsItem", index, "HSCode"))
        for index, item in enumerate(_items(certificate))
    )


def certificate_sequence_consecutive(
    certificate: CertificateOfOrigin, context: RuleContext
) -> Iterator[Finding]:
    yield from sequence_not_consecutive(certificate.GoodsItem, what="goods item", path=("GoodsItem",))


def certificate_issued_in_export_country(
    certificate: CertificateOfOrigin, context: RuleContext
) -> Iterator[Finding]:
    issuer = certificate.IssuingAuthority
    if issuer.CountryCode != certificate.ExportCountryCode:
        yield rule_error(
            "CO_COUNTRY_ORIGIN",
            f"the certificate is issued by {issuer.Name} in {issuer.CountryCode}, but a certificate of "
            f"origin is issued in the exporting country {certificate.ExportCountryCode}",
            "IssuingAuthority",
            "CountryCode",
        )


def certificate_within_preference_scope(
    certificate: CertificateOfOrigin, context: RuleContext
) -> Iterator[Finding]:
    exporter, importer = certificate.ExportCountryCode, certificate.ImportCountryCode
    form = FORM_NAMES[certificate.FormTypeCode]
    asean = refdata.ASEAN_MEMBERS
    if certificate.FormTypeCode == "D":
        for code, side, field in (
            (exporter, "export", "ExportCountryCode"),
            (importer, "import", "ImportCountryCode"),
        ):
            if code not in asean:
                yield rule_error(
                    "CO_PREFERENCE_SCOPE",
                    f"{form} covers trade between ASEAN members; {side} country {code} is not one",
                    field,
                )
        return
    if exporter == "JP" and importer not in asean:
        yield rule_error(
            "CO_PREFERENCE_SCOPE",
            f"{form} from Japan must go to an ASEAN member; import country {importer} is not one",
            "ImportCountryCode",
        )
    elif importer == "JP" and exporter not in asean:
        yield rule_error(
            "CO_PREFERENCE_SCOPE",
            f"{form} to Japan must come from an ASEAN member; export country {exporter} is not one",
            "ExportCountryCode",
        )
    elif "JP" not in (exporter, importer):
        yield rule_error(
            "CO_PREFERENCE_SCOPE",
            f"{form} covers trade between Japan and an ASEAN member; found {exporter} to {importer}",
            "FormTypeCode",
        )


def _related_declaration(certificate: CertificateOfOrigin, context: RuleContext) -> Declaration | None:
    related: Any = context.related.get("declaration")
    if certificate.DeclarationID is None or not isinstance(related, Declaration):
        return None
    return related


def certificate_items_declared(certificate: CertificateOfOrigin, context: RuleContext) -> Iterator[Finding]:
    declaration = _related_declaration(certificate, context)
    if declaration is None:
        return
    declared = {
        item.Commodity.Classification.ID[:6] for item in declaration.GoodsShipment.GovernmentAgencyGoodsItem
    }
    for index, item in enumerate(_items(certificate)):
        if item.HSCode[:6] not in declared:
            yield rule_error(
                "CO_ITEM_NOT_IN_DECLARATION",
                f"goods item {item.SequenceNumeric} HS {item.HSCode[:6]} is not among the HS codes of "
                f"declaration {certificate.DeclarationID} ({', '.join(sorted(declared))})",
                "GoodsItem",
                index,
                "HSCode",
            )


def certificate_matches_declaration(
    certificate: CertificateOfOrigin, context: RuleContext
) -> Iterator[Finding]:
    declaration = _related_declaration(certificate, context)
    if declaration is None:
        return
    mrn = certificate.DeclarationID
    if declaration.ID is not None and declaration.ID != mrn:
        yield rule_error(
            "CO_DECLARATION_MISMATCH",
            f"the certificate names declaration {mrn}, the declaration given is {declaration.ID}",
            "DeclarationID",
        )
    if name_key(declaration.Exporter.Name) != name_key(certificate.Exporter.Name):
        yield rule_error(
            "CO_DECLARATION_MISMATCH",
            f"exporter {certificate.Exporter.Name!r} differs from the exporter of declaration {mrn}, "
            f"{declaration.Exporter.Name!r}",
            "Exporter",
            "Name",
        )
    shipment = declaration.GoodsShipment
    if shipment.ExportCountry.ID != certificate.ExportCountryCode:
        yield rule_error(
            "CO_DECLARATION_MISMATCH",
            f"export country {certificate.ExportCountryCode} differs from declaration {mrn}'s "
            f"export country {shipment.ExportCountry.ID}",
            "ExportCountryCode",
        )
    if shipment.Destination.CountryCode != certificate.ImportCountryCode:
        yield rule_error(
            "CO_DECLARATION_MISMATCH",
            f"import country {certificate.ImportCountryCode} differs from declaration {mrn}'s "
            f"destination country {shipment.Destination.CountryCode}",
            "ImportCountryCode",
        )


ACDD: tuple[Rule, ...] = (
    acdd_countries_known,
    acdd_locations_known,
    acdd_hs_codes_known,
    acdd_sequence_consecutive,
)
CERTIFICATE_OF_ORIGIN: tuple[Rule, ...] = (
    certificate_countries_known,
    certificate_currencies_known,
    certificate_locations_known,
    certificate_hs_codes_known,
    certificate_sequence_consecutive,
    certificate_issued_in_export_country,
    certificate_within_preference_scope,
    certificate_items_declared,
    certificate_matches_declaration,
)
