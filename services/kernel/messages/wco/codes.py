"""The finite, stable code lists of the WCO declaration and response, as closed enumerations.

Each list is built once from the same source the business rules read (``refdata``,
pycountry), and each is written three times from one definition: the model's check, the
JSON Schema ``enum`` and, through the schema generator, the XSD ``xs:enumeration`` list. A
partner validating with the XSD alone therefore refuses ``ZZ`` or ``ZZZ`` exactly as swx
does. ``Literal[tuple(...)]`` would say the same but does not type-check, hence
``Annotated`` with an explicit JSON Schema.
"""

from collections.abc import Callable, Collection
from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from services.kernel import refdata

MESSAGE_FUNCTION_CODES: dict[str, str] = {
    # UN/EDIFACT data element 1225, "message function code" (D.01B onwards: 1 to 65).
    "1": "cancellation", "2": "addition", "3": "deletion", "4": "change", "5": "replace",
    "6": "confirmation", "7": "duplicate", "8": "status", "9": "original", "10": "not found",
    "11": "response", "12": "not processed", "13": "request", "14": "advance notification",
    "15": "reminder", "16": "proposal", "17": "cancel, to be reissued", "18": "reissue",
    "19": "seller initiated change", "20": "replace heading section only",
    "21": "replace item detail and summary only", "22": "final transmission",
    "23": "transaction on hold", "24": "delivery instruction", "25": "forecast",
    "26": "delivery instruction and forecast", "27": "not accepted",
    "28": "accepted, with amendment in heading section", "29": "accepted without amendment",
    "30": "accepted, with amendment in detail section", "31": "copy", "32": "approval",
    "33": "change in heading section", "34": "accepted with amendment", "35": "retransmission",
    "36": "change in detail section", "37": "reversal of a debit", "38": "reversal of a credit",
    "39": "reversal for cancellation", "40": "request for deletion", "41": "finishing/closing order",
    "42": "confirmation via specific means", "43": "additional transmission",
    "44": "accepted without reserves", "45": "accepted with reserves", "46": "provisional",
    "47": "definitive", "48": "accepted, contents rejected", "49": "settled dispute",
    "50": "withdraw", "51": "authorisation", "52": "proposed amendment", "53": "test",
    "54": "extract", "55": "notification only", "56": "advice of ledger booked items",
    "57": "advice of items pending to be booked in the ledger",
    "58": "pre-advice of items requiring further information", "59": "pre-adviced items",
    "60": "no action since last message", "61": "complete schedule", "62": "update schedule",
    "63": "not accepted, provisional", "64": "verification", "65": "unsettled dispute",
}

TRANSPORT_MODE_CODES: dict[str, str] = {
    # UN/ECE Recommendation 19, "codes for modes of transport".
    "0": "not specified", "1": "maritime", "2": "rail", "3": "road", "4": "air", "5": "mail",
    "6": "multimodal", "7": "fixed transport installation", "8": "inland water", "9": "not applicable",
}


def _numeric_order(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (0, code)


def _code_list(codes: Collection[str], *, what: str,
               ordered: Callable[[str], Any] | None = None) -> tuple[AfterValidator, WithJsonSchema]:
    allowed = frozenset(codes)
    listed = sorted(allowed, key=ordered) if ordered else sorted(allowed)

    def member(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError("enum", "{value} is not {what}", {"value": value, "what": what})
        return value

    return AfterValidator(member), WithJsonSchema({"type": "string", "enum": listed})


_COUNTRY = _code_list(refdata.customs_country_codes(), what="an ISO 3166-1 alpha-2 or customs territory code")
_COUNTRY_OR_EMPTY = _code_list(refdata.customs_country_codes() | {""},
                               what="an ISO 3166-1 alpha-2 or customs territory code, or empty")
_CURRENCY = _code_list(refdata.currency_codes(), what="an ISO 4217 currency code")
_FUNCTION = _code_list(MESSAGE_FUNCTION_CODES, what="a UN/EDIFACT 1225 message function code",
                       ordered=_numeric_order)
_MODE = _code_list(TRANSPORT_MODE_CODES, what="a UN/ECE Recommendation 19 transport mode code")

CountryCode = Annotated[str, _COUNTRY[0], _COUNTRY[1]]
"""ISO 3166-1 alpha-2 plus the customs territory codes (``refdata.CUSTOMS_TERRITORY_CODES``)."""
CountryCodeOrEmpty = Annotated[str, _COUNTRY_OR_EMPTY[0], _COUNTRY_OR_EMPTY[1]]
"""As ``CountryCode``, or empty where DMS lets the element stand empty (``<ResponsibleCountryCode/>``)."""
CurrencyCode = Annotated[str, _CURRENCY[0], _CURRENCY[1]]
"""ISO 4217 alphabetic code."""
MessageFunctionCode = Annotated[str, _FUNCTION[0], _FUNCTION[1]]
"""UN/EDIFACT 1225."""
TransportModeCode = Annotated[str, _MODE[0], _MODE[1]]
"""UN/ECE Recommendation 19."""
