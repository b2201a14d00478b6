"""Every business-rule code with a one-line description, for documentation and fixtures."""

RULE_CODES: dict[str, str] = {
    # Code lists
    "COUNTRY_UNKNOWN": "A country code is not in ISO 3166-1 (travel documents: nor an ICAO 9303 code).",
    "CURRENCY_UNKNOWN": "An amount's currency is not an ISO 4217 code.",
    "LOCODE_UNKNOWN": "A port or place code is not a known UN/LOCODE.",
    "HS_CODE_UNKNOWN": "The first six digits of an HS code are not an HS 2022 subheading.",
    "INCOTERM_UNKNOWN": "The declaration's trade terms are not an Incoterms 2020 rule.",
    "INCOTERM_SUPERSEDED": "The trade terms are a rule of an earlier Incoterms edition, e.g. DAT (warning; 2.0).",
    # Declaration totals and structure
    "GOODS_ITEM_QUANTITY_MISMATCH": "The goods item quantity differs from the number of goods items.",
    "INVOICE_AMOUNT_MISMATCH": "The invoice amount differs from the sum of the goods items' amounts.",
    "INVOICE_CURRENCY_MISMATCH": "A goods item's amount is in another currency than the invoice.",
    "GROSS_MASS_BELOW_NET": "A goods item's gross mass is less than its net mass.",
    "TOTAL_GROSS_MASS_MISMATCH": "The total gross mass differs from the items' gross mass sum (warning).",
    "SEQUENCE_NUMBER_NOT_CONSECUTIVE": "A list's sequence numbers are not 1 to n in order.",
    "CONTAINER_CHECK_DIGIT": "A container number fails the ISO 6346 check.",
    "DECLARATION_DIRECTION": "Export country or destination disagrees with the exporter's or importer's "
    "address country (warning).",
    "DATE_TIME_FORMAT": "A WCO DateTimeString is not the form its formatCode names (102 CCYYMMDD, 304 "
    "CCYYMMDDhhmmss and zone), or no real day or time (2.0).",
    # Declaration money (2.0)
    "CURRENCY_EXCHANGE_MISSING": "An amount is in another currency than the lodging network country's, and no "
    "CurrencyExchange gives its rate (2.0).",
    "PREFERENCE_CERTIFICATE_MISSING": "A goods item claims a preference (preferential origin or duty regime) "
    "without referencing a certificate of origin, in a network country (2.0).",
    "DUTY_AMOUNT_MISMATCH": "A duty's assessed amount is not its base × rate (less a deduction) to within one "
    "minor unit (2.0; a warning in a response).",
    # Customs response and certificates of origin
    "RESPONSE_ERRORS_REQUIRED": "A rejecting customs response gives no error.",
    "RESPONSE_ERROR_CODE_MISSING": "An error of a customs response has no ValidationCode (2.0).",
    "RESPONSE_FUNCTION_UNKNOWN": "A response's function code is none the network's customs use (warning; 2.0).",
    "PREFERENCE_WITHOUT_PREFERENTIAL_ORIGIN": "An ACDD item names a certificate of origin but no preferential "
    "origin (ACDD 1.1).",
    "CO_ITEM_NOT_IN_DECLARATION": "A certificate item's HS code is not among the declaration's HS codes.",
    "CO_DECLARATION_MISMATCH": "The certificate's MRN, exporter or countries differ from its declaration's.",
    "CO_COUNTRY_ORIGIN": "The certificate is not issued in the exporting country.",
    "CO_PREFERENCE_SCOPE": "The countries are outside the agreement of the form (D: ASEAN; AJ: Japan-ASEAN).",
    "CO_FOB_VALUE_RVC": "Box 9 gives an FOB value without an RVC criterion, or none where RVC is applied (1.1).",
    "CO_REPLACEMENT_REFERENCE": "A replacement names no replaced reference, or an original or itself (1.1).",
    "CO_RETROACTIVE_ISSUE": "Issued over 3 days after shipment without the 'Issued Retroactively' tick, "
    "ticked without being late, or over a year after shipment (1.1).",
    "CO_CERTIFICATION_DATE": "Box 12 certifies before the exporter's box 11 declaration, or not on the issue "
    "date (1.1).",
    "CO_EXPORTER_DECLARATION_MISMATCH": "Box 11's importing or production country differs from the "
    "certificate's (1.1).",
    "CO_FEEDBACK_REASON": "Box 4 says preferential treatment not given without a reason (1.1).",
    "CO_THIRD_COUNTRY_INVOICING": "The third-country invoicing tick and the invoicing party disagree (1.1).",
    "CO_BACK_TO_BACK": "The back-to-back tick and the original certificate disagree, or the original is not "
    "from another ASEAN member (1.1).",
    "CO_PARTIAL_CUMULATION": "A PC x% criterion without the tick, outside 20-39 %, on Form AJ, or the tick "
    "without one (1.1).",
    # Persons and travel documents
    "DOCUMENT_EXPIRED": "A travel or identity document expires before the travel date.",
    "BIRTH_DATE_AFTER_TRAVEL": "A person's birth date is after the travel date.",
    "MRZ_FORMAT": "A machine readable zone is not TD1, TD2 or TD3 in shape or characters.",
    "MRZ_CHECK_DIGIT": "A machine readable zone check digit is wrong.",
    "MRZ_MISMATCH": "The machine readable zone disagrees with the document number, birth date or expiry.",
    "PERSON_CORE_DATA_MISSING": "A person has no travel document, document expiry, nationality or birth date.",
    "LEG_TIME_TWICE": "A leg's end gives both a time with offset and a local time (1.1).",
    "PERSON_COUNT_MISMATCH": "The manifest's person count differs from the persons listed (warning).",
    "API_NO_BOARD_REASON": "A no-board decision gives no reason code.",
    # Vessel calls and clearance
    "IMO_CHECK_DIGIT": "An IMO ship number has a wrong check digit.",
    "CREW_COUNT_MISMATCH": "FAL 1 number of crew differs from the FAL 5 crew list.",
    "PASSENGER_COUNT_MISMATCH": "FAL 1 number of passengers differs from the FAL 6 passenger list.",
    "ESTIMATED_TIME_MISSING": "An arrival gives no ETA, or a departure no ETD (port.vessel-call 1.1).",
    "DEPARTURE_BEFORE_ARRIVAL": "A vessel call's estimated departure is before its estimated arrival.",
    "ATTACHED_DOCUMENT_DUPLICATE": "FAL 1 lists one kind of attached document twice.",
    "ATTACHED_LIST_UNDECLARED": "The call carries a crew or passenger list FAL 1 does not list as attached.",
    "ATTACHED_LIST_NOT_CARRIED": "FAL 1 lists a crew or passenger list as attached that the call does not carry.",
    "CLEARANCE_AGENCY_DUPLICATE": "An agency decides twice in one clearance.",
    # Exchange envelope
    "PAYLOAD_DIGEST_MISMATCH": "The payload digest is not the SHA-256 of the payload.",
    "PARTICIPANT_UNKNOWN": "Sender or receiver is not a participant of the network.",
    "SENDER_IS_RECEIVER": "An envelope's sender and receiver are the same participant.",
}
