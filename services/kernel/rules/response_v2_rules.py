"""Business rules of ``customs.response`` 2.0, the WCO DM 3.6 customs response (RES).

A response is customs' own word: what a receiver cannot act on refuses it (a rejection
that says nothing of why, an error without its code, a date-time not in its format), what
is only surprising is a warning, so that the answer is still recorded. Run over 433 real
HMRC CDS notifications (DMSACC, DMSTAX, DMSREJ ...):

- every rejection gives errors, and every error its code;
- HMRC answers with function codes of its own (07 amendment accepted, 11, 16, 18 ...)
  beside the network's: RESPONSE_FUNCTION_UNKNOWN is a warning;
- 19 of 381 assessed duties are not their base × rate at first sight; 11 of them are
  reliefs (the calculated duty given as ``DeductAmount``, 0 assessed), which the arithmetic
  now takes into account; the other 8 give a rate and assess 0 or 16.40 on 10000.00 at
  0.16 %. Customs decides the amount, so DUTY_AMOUNT_MISMATCH is a warning here (an
  error in a declaration, where the declarant reckons it).
"""

from collections.abc import Iterator

from services.kernel.findings import Finding, rule_error, rule_warning
from services.kernel.messages.wco.response import CustomsResponse
from services.kernel.rules import Rule, RuleContext
from services.kernel.rules.wco_common import date_time_findings, duty_fault

__all__ = ["NETWORK_RESPONSE_FUNCTIONS", "RESPONSE_V2"]

NETWORK_RESPONSE_FUNCTIONS = {"01": "accepted", "02": "received", "03": "rejected", "05": "control",
                              "06": "documents required", "09": "cleared", "10": "invalidated",
                              "13": "tax assessment"}
"""The response function codes the network's customs answer with, and its receivers act on
(``customs.response`` 1.0 enumerates the same)."""


def rejection_carries_errors(response: CustomsResponse, context: RuleContext) -> Iterator[Finding]:
    for index, answer in enumerate(response.Response):
        if answer.FunctionCode == "03" and not answer.Error:
            yield rule_error("RESPONSE_ERRORS_REQUIRED",
                             f"response {index + 1} is a rejection (function code 03) but gives no Error saying what "
                             "is wrong", "Response", index, "FunctionCode")


def errors_carry_codes(response: CustomsResponse, context: RuleContext) -> Iterator[Finding]:
    for index, answer in enumerate(response.Response):
        for position, error in enumerate(answer.Error or []):
            if not (error.ValidationCode or "").strip():
                description = (error.Description or "").strip()
                described = f" ({description!r})" if description else ""
                yield rule_error("RESPONSE_ERROR_CODE_MISSING",
                                 f"response {index + 1} error {position + 1}{described} has no ValidationCode: a "
                                 "declarant's system acts on the code", "Response", index, "Error", position)


def function_known(response: CustomsResponse, context: RuleContext) -> Iterator[Finding]:
    for index, answer in enumerate(response.Response):
        if answer.FunctionCode not in NETWORK_RESPONSE_FUNCTIONS:
            known = ", ".join(f"{code} {name}" for code, name in NETWORK_RESPONSE_FUNCTIONS.items())
            yield rule_warning("RESPONSE_FUNCTION_UNKNOWN",
                               f"response {index + 1} function code {answer.FunctionCode!r} is none of the network's "
                               f"({known}); it is recorded by its number only", "Response", index, "FunctionCode")


def duty_amounts_match(response: CustomsResponse, context: RuleContext) -> Iterator[Finding]:
    """DUTY_AMOUNT_MISMATCH (a warning, see the module docstring) where an assessed duty is
    not its base × rate (``wco_common.duty_fault``: the formula and the tolerance)."""
    for index, answer in enumerate(response.Response):
        shipment = answer.Declaration.GoodsShipment
        for item_index, item in enumerate((shipment.GovernmentAgencyGoodsItem or []) if shipment else []):
            for position, duty in enumerate((item.Commodity.DutyTaxFee or []) if item.Commodity else []):
                payment = duty.Payment
                fault = duty_fault(base=duty.AdValoremTaxBaseAmount, quantity=duty.SpecificTaxBaseQuantity,
                                   rate=duty.TaxRateNumeric, deduct=duty.DeductAmount,
                                   assessed=payment.TaxAssessedAmount if payment is not None else None)
                if fault is not None:
                    yield rule_warning(
                        "DUTY_AMOUNT_MISMATCH",
                        f"response {index + 1} goods item {item.SequenceNumeric} duty "
                        f"{duty.TypeCode or position + 1}: {fault}",
                        "Response", index, "Declaration", "GoodsShipment", "GovernmentAgencyGoodsItem", item_index,
                        "Commodity", "DutyTaxFee", position, "Payment", "TaxAssessedAmount", "value")


def date_times_fit_format(response: CustomsResponse, context: RuleContext) -> Iterator[Finding]:
    yield from date_time_findings(response)


RESPONSE_V2: tuple[Rule, ...] = (
    rejection_carries_errors,
    errors_carry_codes,
    function_known,
    duty_amounts_match,
    date_times_fit_format,
)
