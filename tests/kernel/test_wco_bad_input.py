"""WCO DM XML that swx does not read, or that is too big: each a clear finding, never an exception.

Memory is bounded by what Python allocates (tracemalloc) and findings by their count; time
is measured in ``benchmarks/validate.py``, never asserted here.
"""

import tracemalloc

import pytest

from services.kernel.findings import MAX_FINDINGS, TRUNCATED, Layer
from services.kernel.validation import Report, validate
from tests.kernel.wco_documents import DEC, MD, RES, declaration_body, line_of, wco_declaration

ITEMS = "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem"


def codes(report: Report) -> list[str]:
    return [f.code for f in report.errors]


def only_error(report: Report, code: str) -> None:
    assert codes(report) == [code], [f.as_dict() for f in report.findings]
    assert report.document is None


@pytest.mark.parametrize("version", ["3.5", "3.7", "4.0"])
def test_another_data_model_version_is_refused_at_its_version_code(version: str) -> None:
    data = wco_declaration(version=version)
    report = validate(data)
    only_error(report, "WCO_VERSION_UNSUPPORTED")
    [finding] = report.errors
    assert finding.location.xpath == "/MetaData/WCODataModelVersionCode"
    assert finding.location.line == line_of(data, "<md:WCODataModelVersionCode>")
    assert repr(version) in finding.message
    assert "3.6" in finding.message


def test_a_wrapper_without_version_or_type_name_is_read() -> None:
    report = validate(wco_declaration(version=None, type_name=None))
    assert report.valid, report.findings


@pytest.mark.parametrize("type_name", ["CANCEL", "INV", "CUSDEC", "ARR"])
def test_another_wco_type_name_is_refused(type_name: str) -> None:
    report = validate(wco_declaration(type_name=type_name))
    only_error(report, "WCO_TYPE_UNSUPPORTED")
    assert report.errors[0].location.xpath == "/MetaData/WCOTypeName"
    assert type_name in report.errors[0].message


@pytest.mark.parametrize("wrapped", [True, False], ids=["wrapped", "bare"])
def test_another_root_in_the_dec_namespace_is_refused(wrapped: bool) -> None:
    element = f'<Cancellation xmlns="{DEC}"><FunctionCode>13</FunctionCode></Cancellation>'
    data = wco_declaration(body=element) if wrapped else element.encode()
    report = validate(data)
    only_error(report, "WCO_TYPE_UNSUPPORTED")
    assert "Cancellation" in report.errors[0].message
    assert report.errors[0].location.xpath == ("/MetaData/Cancellation" if wrapped else "/Cancellation")


def test_the_hmrc_cancellation_is_a_declaration_and_is_read_as_one() -> None:
    """DMS cancels with a DEC ``Declaration`` (function code 13, type INV): CANCEL.xsd declares
    it in the DEC namespace, and it is valid against the full DEC schema too."""
    body = """<Declaration>
  <FunctionCode>13</FunctionCode>
  <FunctionalReferenceID>SRE-2024-000124</FunctionalReferenceID>
  <ID>24TH28010EX0000123</ID>
  <TypeCode>INV</TypeCode>
  <Submitter><ID>TH0105536000011</ID></Submitter>
  <Amendment><ChangeReasonCode>1</ChangeReasonCode></Amendment>
</Declaration>"""
    report = validate(wco_declaration(body=body))
    assert report.message_type is not None
    assert report.message_type.key == "customs.declaration/2.0"
    assert report.document is not None, report.findings
    assert not [f for f in report.findings if f.code.startswith("WCO_") or f.layer is Layer.SCHEMA]


def test_a_wrapper_without_a_declaration_is_refused() -> None:
    data = wco_declaration(body="")
    report = validate(data)
    only_error(report, "WCO_DECLARATION_MISSING")
    assert report.errors[0].location.xpath == "/MetaData"
    assert report.errors[0].location.line == line_of(data, "<md:MetaData")


def test_a_response_wrapper_without_a_response_is_refused() -> None:
    only_error(validate(wco_declaration(type_name="RES", body="")), "WCO_RESPONSE_MISSING")


def test_a_type_name_that_contradicts_the_content_is_refused() -> None:
    report = validate(wco_declaration(type_name="RES"))
    only_error(report, "WCO_TYPE_MISMATCH")
    assert report.errors[0].location.xpath == "/MetaData/Declaration"


def test_a_wrapper_with_a_declaration_and_a_response_is_refused() -> None:
    both = declaration_body(items=1) + f'<Response xmlns="{RES}"><FunctionCode>01</FunctionCode></Response>'
    only_error(validate(wco_declaration(type_name=None, body=both)), "WCO_TYPE_MISMATCH")


def test_a_document_without_namespaces_is_told_what_is_missing() -> None:
    report = validate(b"<MetaData><WCOTypeName>RES</WCOTypeName><Response><FunctionCode>01</FunctionCode>"
                      b"</Response></MetaData>")
    only_error(report, "WCO_NAMESPACE_MISSING")
    assert MD in report.errors[0].message


def test_an_element_in_a_foreign_namespace_is_named() -> None:
    data = wco_declaration(items=2).replace(
        b"<TypeCode>EXA</TypeCode>", b'<TypeCode>EXA</TypeCode><x:Priority xmlns:x="urn:example:notes">1</x:Priority>')
    report = validate(data)
    only_error(report, "WCO_NAMESPACE_UNEXPECTED")
    finding = report.errors[0]
    assert finding.location.xpath == "/MetaData/Declaration/Priority"
    assert finding.location.line == line_of(data, "<x:Priority")
    for named in ("Priority", "urn:example:notes", DEC):
        assert named in finding.message


def test_a_date_time_string_outside_its_data_set_namespace_is_named() -> None:
    data = wco_declaration(items=1).replace(b"p1:DateTimeString", b"DateTimeString")
    report = validate(data)
    only_error(report, "WCO_NAMESPACE_UNEXPECTED")
    assert report.errors[0].location.xpath == "/MetaData/Declaration/IssueDateTime/DateTimeString"
    assert "urn:wco:datamodel:WCO:Declaration_DS:DMS:2" in report.errors[0].message


@pytest.mark.parametrize("attribute", ['languageID="EN"', 'xml:lang="en"', 'listID="x"'])
def test_an_attribute_the_model_does_not_carry_is_refused_by_name(attribute: str) -> None:
    data = wco_declaration(items=2, description_attributes=" " + attribute)
    report = validate(data)
    assert set(codes(report)) == {"WCO_ATTRIBUTE_UNSUPPORTED"}, report.findings
    first = report.errors[0]
    name = attribute.split("=")[0].split(":")[-1]
    assert name in first.message
    assert first.location.xpath == f"{ITEMS}[1]/Commodity/Description"
    assert first.location.line == line_of(data, "<Description ")


def test_a_wco_declaration_where_a_response_is_expected_is_the_wrong_type() -> None:
    report = validate(wco_declaration(), expected_type="customs.response")
    only_error(report, "WRONG_DOCUMENT_TYPE")


def _compact_items(count: int, *, padding: int = 0, extra: str = "") -> str:
    gap = "\n" * padding
    return "".join(f"    <GovernmentAgencyGoodsItem>{gap}\n      <SequenceNumeric>{n}</SequenceNumeric>\n"
                   f"{extra if n == count else ''}    </GovernmentAgencyGoodsItem>\n" for n in range(1, count + 1))


def _with_items(items: str) -> bytes:
    body = declaration_body(items=0).replace("  </GoodsShipment>", items + "  </GoodsShipment>")
    return wco_declaration(body=body)


def _measured(data: bytes) -> tuple[Report, int]:
    tracemalloc.start()
    try:
        report = validate(data)
        return report, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_ten_thousand_full_goods_items_are_refused_by_size() -> None:
    report, peak = _measured(wco_declaration(items=10_000))
    only_error(report, "BODY_TOO_LARGE")
    assert report.errors[0].layer is Layer.TRANSPORT
    assert peak < 16 * 1024 * 1024


def test_ten_thousand_goods_items_within_the_size_limit_are_read_and_refused_at_the_999th() -> None:
    data = _with_items(_compact_items(10_000))
    report, peak = _measured(data)
    only_error(report, "SCHEMA_LENGTH")
    finding = report.errors[0]
    assert finding.location.xpath == f"{ITEMS}[1000]"
    assert finding.location.line == line_of(data, "<SequenceNumeric>1000<") - 1
    assert "999" in finding.message
    assert peak < 64 * 1024 * 1024  # a few MB in practice: the tree is libxml2's, renamed in place


def test_a_fault_past_line_65535_reports_its_own_line() -> None:
    extra = "      <Origin>\n        <CountryCode>ZZ</CountryCode>\n      </Origin>\n"
    data = _with_items(_compact_items(999, padding=70, extra=extra))
    assert data.count(b"\n") > 65_535
    [finding] = validate(data).errors
    assert finding.location.xpath == f"{ITEMS}[999]/Origin/CountryCode"
    assert finding.location.line == line_of(data, "<CountryCode>ZZ<")
    assert finding.location.line > 65_535


def test_a_flood_of_foreign_elements_is_bounded() -> None:
    note = '      <x:Note xmlns:x="urn:example:notes">n</x:Note>\n'
    report = validate(_with_items(_compact_items(999).replace("</SequenceNumeric>\n", "</SequenceNumeric>\n" + note)))
    assert len(report.findings) == MAX_FINDINGS + 1
    assert {f.code for f in report.findings[:-1]} == {"WCO_NAMESPACE_UNEXPECTED"}
    assert report.findings[-1].code == TRUNCATED
    assert "899 more" in report.findings[-1].message


def test_metadata_after_the_declaration_is_refused_not_moved_up() -> None:
    data = wco_declaration().replace(b"  <md:ResponsibleCountryCode>TH</md:ResponsibleCountryCode>\n", b"").replace(
        b"</Declaration>", b"</Declaration>\n<md:ResponsibleCountryCode>TH</md:ResponsibleCountryCode>")
    report = validate(data)
    only_error(report, "SCHEMA_UNEXPECTED")
    assert report.errors[0].location.xpath == "/MetaData/ResponsibleCountryCode"


def test_text_in_the_wrapper_is_refused_not_dropped() -> None:
    data = wco_declaration().replace(b"\n  <md:WCODataModelVersionCode>", b"stray<md:WCODataModelVersionCode>", 1)
    only_error(validate(data), "SCHEMA_INVALID")


def test_schema_location_hints_beyond_a_few_are_refused_without_naming_every_place() -> None:
    """Each kept hint costs a path; 20,000 of them once took minutes, so past eight they are refused."""
    items = "".join(f'<GovernmentAgencyGoodsItem xsi:schemaLocation="x"><SequenceNumeric>{i}</SequenceNumeric>'
                    "</GovernmentAgencyGoodsItem>" for i in range(20_000))
    body = (f'<Declaration xmlns="{DEC}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<FunctionCode>9</FunctionCode><GoodsShipment>{items}</GoodsShipment></Declaration>").encode()
    report = validate(body)
    assert report.document is None
    assert len(report.findings) == MAX_FINDINGS + 1
    assert {f.code for f in report.findings[:MAX_FINDINGS]} == {"WCO_ATTRIBUTE_UNSUPPORTED"}
    assert report.findings[-1].code == TRUNCATED
