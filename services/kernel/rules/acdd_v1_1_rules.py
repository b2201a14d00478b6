"""Business rules of ``customs.acdd`` 1.1: the ACDD 1.0 rules, and what the origins and the
preference claim that 1.1 carries per item (from a 2.0 export declaration) allow."""

from collections.abc import Iterator

from services.kernel.findings import Finding, rule_error
from services.kernel.messages.customs import ACDDV1_1
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.common import CodeField, address_country, unknown_countries
from services.kernel.rules.customs_origin_rules import ACDD

__all__ = ["ACDD_V1_1"]

PREFERENTIAL_ORIGIN = "2"


def acdd_origins_known(acdd: ACDDV1_1, context: RuleContext) -> Iterator[Finding]:
    """COUNTRY_UNKNOWN for the consignor's country and each declared origin (1.0's rules check the rest)."""
    fields: list[CodeField] = [address_country(acdd.Consignor, "Consignor")]
    for index, item in enumerate(acdd.GoodsItem):
        fields.extend((origin.CountryCode, f"goods item {item.SequenceNumeric} origin {position + 1} country",
                       ("GoodsItem", index, "Origin", position, "CountryCode"))
                      for position, origin in enumerate(item.Origin or []))
    yield from unknown_countries(fields)


def preference_only_on_preferential_origin(acdd: ACDDV1_1, context: RuleContext) -> Iterator[Finding]:
    """PREFERENCE_WITHOUT_PREFERENTIAL_ORIGIN: a certificate of origin is named on an item whose
    origins claim no preferential one (TypeCode 2): the importing customs would not know which
    country's preference the certificate is for."""
    for index, item in enumerate(acdd.GoodsItem):
        if item.PreferenceCertificateID is None:
            continue
        if not any(origin.TypeCode == PREFERENTIAL_ORIGIN for origin in item.Origin or []):
            yield rule_error("PREFERENCE_WITHOUT_PREFERENTIAL_ORIGIN",
                             f"goods item {item.SequenceNumeric} names certificate of origin "
                             f"{item.PreferenceCertificateID} but declares no preferential origin (an Origin with "
                             "TypeCode 2)", "GoodsItem", index, "PreferenceCertificateID")


ACDD_V1_1: tuple[Rule, ...] = (*ACDD, acdd_origins_known, preference_only_on_preferential_origin)
