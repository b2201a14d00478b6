"""How a record keeps the customs response that answered it, whatever the response's version.

A ``customs.response`` 1.0 is one answer; a 2.0 one (WCO DM 3.6 RES) holds one or more
``Response`` elements, each an answer, recorded in order. Every answer becomes the same
outcome entry (``outcome_entry``), so that a reader of ``outcome`` need not know the
version; a 2.0 answer fills what only it has:

- ``response_id``: 1.0 ``ID``; 2.0 ``Response/FunctionalReferenceID``.
- ``issuing_office``: 1.0 ``IssuingOfficeID``; 2.0 the first ``ContactOffice/ID`` (RES has
  no issuing office; the office to contact about the answer is the one that gave it).
- ``lane``: 1.0 ``LaneCode``; 2.0 a ``Status`` whose ``NameCode`` is one of ``LANE_CODES``
  (the status of the declaration, as RES carries statuses; the NSW writes the same codes).
- ``errors``: code and description; a 2.0 error's WCO pointers both as ``pointers``
  (``section`` = DocumentSectionCode, the WCO class id; ``sequence``; ``tag`` = TagID) and as
  one ``pointer`` text, the steps joined by ``/``: ``42A/67A/68A[2]/92A@063``.
- ``duties``: type, amount and currency; a 2.0 duty also its goods item, its base
  (``AdValoremTaxBaseAmount`` or ``SpecificTaxBaseQuantity``), rate, regime and the amount
  payable; ``currency_exchange`` lists the rates of the declaration the answer carries.
- ``remarks``: 1.0 ``Remarks``; 2.0 the ``AdditionalInformation`` statements, one a line.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from services.kernel.clock import utcnow
from services.kernel.messages.customs import Response
from services.kernel.messages.wco.datatypes import AmountType, DateTimeType
from services.kernel.messages.wco.response import CustomsResponse, ResponsePointerType, ResponseType

AnyResponse = Response | CustomsResponse
Answer = Response | ResponseType
RESPONSE_FUNCTIONS = {"01": "accepted", "02": "received", "03": "rejected", "05": "control",
                      "06": "documents-required", "09": "cleared", "10": "invalidated", "13": "tax-assessment"}
LANE_CODES = {"GRN": "green", "YEL": "yellow", "RED": "red"}
"""``Status/NameCode`` of a 2.0 response carrying the risk lane: green (released without
examination), yellow (documentary check), red (physical examination)."""


@dataclass(frozen=True)
class ResponseRefs:
    """What an answer says about itself and the declaration it answers."""

    response_id: str | None
    mrn: str | None
    lrn: str | None


def answers_of(response: AnyResponse) -> list[Answer]:
    """Each answer a response document holds, in order."""
    return list(response.Response) if isinstance(response, CustomsResponse) else [response]


def response_refs(answer: Answer) -> ResponseRefs:
    if isinstance(answer, Response):
        return ResponseRefs(answer.ID, answer.Declaration.ID, answer.Declaration.FunctionalReferenceID)
    declaration = answer.Declaration
    return ResponseRefs(_text(answer.FunctionalReferenceID), _text(declaration.ID),
                        _text(declaration.FunctionalReferenceID))


def function_of(code: str) -> str:
    """The name of a response function code; a code known to neither version by its number."""
    return RESPONSE_FUNCTIONS.get(code, f"function-{code}")


def outcome_entry(answer: Answer) -> dict[str, Any]:
    """How a record keeps the customs response that answered it."""
    if isinstance(answer, ResponseType):
        return _wco_entry(answer)
    return {
        "response_id": answer.ID, "function_code": answer.FunctionCode, "function": function_of(answer.FunctionCode),
        "issued_at": answer.IssueDateTime.isoformat(), "issuing_office": answer.IssuingOfficeID,
        "lane": answer.LaneCode,
        "errors": [{"code": e.ValidationCode, "description": e.Description, "pointer": e.Pointer}
                   for e in answer.Error or ()],
        "duties": [{"type": d.TypeCode, "amount": str(d.TaxAssessedAmount.value),
                    "currency": d.TaxAssessedAmount.currencyID} for d in answer.DutyTaxFee or ()],
        "remarks": answer.Remarks, "recorded_at": utcnow().isoformat(),
    }


def _wco_entry(answer: ResponseType) -> dict[str, Any]:
    statements = [_text(i.StatementDescription) for i in answer.AdditionalInformation or ()]
    offices = [_text(o.ID) for o in answer.ContactOffice or ()]
    exchange = answer.DECDeclaration.CurrencyExchange if answer.DECDeclaration is not None else None
    return {
        "response_id": _text(answer.FunctionalReferenceID), "function_code": answer.FunctionCode,
        "function": function_of(answer.FunctionCode), "issued_at": iso_time(answer.IssueDateTime),
        "issuing_office": next((o for o in offices if o), None), "lane": _lane(answer),
        "errors": [{"code": _text(e.ValidationCode), "description": _text(e.Description),
                    "pointer": pointer_text(e.Pointer or ()) or None,
                    "pointers": [_pointer(p) for p in e.Pointer or ()]} for e in answer.Error or ()],
        "duties": list(_duties(answer)),
        "currency_exchange": [{"currency": x.CurrencyTypeCode, "rate": _number(x.RateNumeric)}
                              for x in exchange or ()],
        "remarks": "\n".join(s for s in statements if s) or None, "recorded_at": utcnow().isoformat(),
        "document_type": "customs.response/2.0",
    }


def _lane(answer: ResponseType) -> str | None:
    codes = [LANE_CODES[s.NameCode] for s in answer.Status or () if s.NameCode in LANE_CODES]
    return codes[-1] if codes else None


def _duties(answer: ResponseType) -> Iterator[dict[str, Any]]:
    shipment = answer.Declaration.GoodsShipment
    for item in (shipment.GovernmentAgencyGoodsItem or ()) if shipment is not None else ():
        for duty in (item.Commodity.DutyTaxFee or ()) if item.Commodity is not None else ():
            payment = duty.Payment
            assessed = payment.TaxAssessedAmount if payment is not None else None
            specific = duty.SpecificTaxBaseQuantity
            yield {
                "item": item.SequenceNumeric, "type": _text(duty.TypeCode), **_amount(assessed),
                "base": _number(duty.AdValoremTaxBaseAmount.value) if duty.AdValoremTaxBaseAmount else None,
                "base_currency": duty.AdValoremTaxBaseAmount.currencyID if duty.AdValoremTaxBaseAmount else None,
                "specific_base": _number(specific.value) if specific is not None else None,
                "specific_unit": specific.unitCode if specific is not None else None,
                "rate": _number(duty.TaxRateNumeric), "regime": _text(duty.DutyRegimeCode),
                "payable": _number(payment.PaymentAmount.value) if payment and payment.PaymentAmount else None,
            }
    for whole in answer.Declaration.DutyTaxFee or ():
        if whole.Payment is not None:
            paid = whole.Payment.PaymentAmount
            yield {"item": None, "type": None, **_amount(whole.Payment.TaxAssessedAmount),
                   "payable": _number(paid.value) if paid is not None else None}


def _amount(amount: AmountType | None) -> dict[str, str | None]:
    return {"amount": _number(amount.value) if amount is not None else None,
            "currency": amount.currencyID if amount is not None else None}


def _pointer(pointer: ResponsePointerType) -> dict[str, Any]:
    return {"section": _text(pointer.DocumentSectionCode), "sequence": pointer.SequenceNumeric,
            "tag": _text(pointer.TagID)}


def pointer_text(pointers: Any) -> str:
    """WCO pointers as one text: ``42A/67A/68A[2]/92A@063`` (class id, [sequence], @tag)."""
    steps = []
    for pointer in pointers:
        step = _text(pointer.DocumentSectionCode) or ""
        if pointer.SequenceNumeric is not None:
            step += f"[{pointer.SequenceNumeric}]"
        if _text(pointer.TagID):
            step += f"@{_text(pointer.TagID)}"
        steps.append(step)
    return "/".join(s for s in steps if s)


def iso_time(element: DateTimeType | None) -> str | None:
    """A WCO date-time as ISO 8601: format 304 ``20230526205509+01`` is ``2023-05-26T20:55:09+01:00``,
    format 102 ``20230526`` the date ``2023-05-26``."""
    if element is None:
        return None
    text = element.DateTimeString.value
    date = f"{text[:4]}-{text[4:6]}-{text[6:8]}"
    if len(text) == 8:
        return date
    zone = text[14:]
    offset = "+00:00" if zone == "Z" else f"{zone}:00"
    return f"{date}T{text[8:10]}:{text[10:12]}:{text[12:14]}{offset}"


def _number(value: Any) -> str | None:
    return None if value is None else str(value)


def _text(value: str | None) -> str | None:
    """RES strings may stand empty; an empty one says nothing."""
    return value.strip() or None if value is not None else None
