"""The importing customs' answer to an ACDD 1.1 as a ``customs.response`` 2.0 (WCO DM 3.6 RES).

An ACDD 1.1 comes from a WCO declaration; its sender, when the network directory lists
``customs.response/2.0`` among what it accepts, gets the answer in WCO structure. The
judgement is the 1.0 answer's (``customs_decisions.acdd_faults``); only the writing differs:

- ``Response/FunctionCode`` 01 accepted or 03 rejected; ``FunctionalReferenceID`` the
  response's own reference; ``IssueDateTime`` as DMS writes it (format 304, local time with
  its whole-hour offset, else UTC with ``Z``: DMS has no half-hour offsets);
- ``ContactOffice/ID`` the office that answers (RES has no issuing office);
- one ``Error`` per fault: a ``ValidationCode`` of at most 8 characters (``ACDDDEST``,
  ``ACDDDISC``) and ``Pointer``s into the declaration by WCO class id and tag (e.g. 42A,
  67A, 99B with tag 465: the goods shipment's destination country);
- the remarks as ``AdditionalInformation`` (UN/EDIFACT 4451 ``AAI``, general information);
- ``Declaration/ID`` the export declaration's MRN.

An ACDD answer gives no risk lane (pre-arrival processing decides none); a 2.0 answer that
does carries it as a ``Status`` of the declaration whose ``NameCode`` is ``GRN``, ``YEL`` or
``RED``, the codes the customs service reads (``services.customs.response_outcome``).
"""

import datetime as dt

from services.kernel.findings import shorten
from services.kernel.messages.customs import ACDD
from services.kernel.messages.wco.datatypes import DateTimeStringType, DateTimeType
from services.kernel.messages.wco.metadata import MetaDataType
from services.kernel.messages.wco.response import (
    ContactOfficeType,
    CustomsResponse,
    ErrorType,
    ResponseAdditionalInformationType,
    ResponseDeclarationType,
    ResponsePointerType,
    ResponseType,
)
from services.nsw.customs_decisions import AcddFault, acdd_faults, acdd_office, acdd_remarks, response_id

GENERAL_INFORMATION = "AAI"
"""UN/EDIFACT 4451 text subject code qualifier: general information."""
STATEMENT_LENGTH = 512


def wco_time(moment: dt.datetime) -> DateTimeType:
    """``moment`` as a DMS date-time (format 304)."""
    offset = moment.utcoffset() or dt.timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest or offset == dt.timedelta(0):
        written = f"{moment.astimezone(dt.UTC):%Y%m%d%H%M%S}Z"
    else:
        written = f"{moment:%Y%m%d%H%M%S}{'+' if hours >= 0 else '-'}{abs(hours):02d}"
    return DateTimeType(DateTimeString=DateTimeStringType(value=written, formatCode="304"))


def _error(fault: AcddFault) -> ErrorType:
    return ErrorType(Description=shorten(fault.description, STATEMENT_LENGTH), ValidationCode=fault.wco_code,
                     Pointer=[ResponsePointerType(DocumentSectionCode=section, TagID=tag)
                              for section, tag in fault.wco_pointer])


def answer_acdd_v2(acdd: ACDD, *, country: str, now: dt.datetime, token: str) -> CustomsResponse:
    """The 2.0 answer to ``acdd``, as ``answer_acdd`` judges it."""
    faults = acdd_faults(acdd, country=country)
    issued = wco_time(now)
    return CustomsResponse(
        MetaData=MetaDataType(WCODataModelVersionCode="3.6", WCOTypeName="RES", ResponsibleCountryCode=country,
                              ResponsibleAgencyName="Customs"),
        Response=[ResponseType(
            FunctionCode="03" if faults else "01", FunctionalReferenceID=response_id(country, now, token),
            IssueDateTime=issued,
            AdditionalInformation=[ResponseAdditionalInformationType(
                StatementDescription=shorten(acdd_remarks(acdd, faults), STATEMENT_LENGTH),
                StatementTypeCode=GENERAL_INFORMATION)],
            ContactOffice=[ContactOfficeType(ID=acdd_office(acdd, country=country))],
            Error=[_error(f) for f in faults] or None,
            Declaration=ResponseDeclarationType(ID=acdd.ExportDeclarationID),
        )],
    )
