"""A WCO DM 3.6 export declaration, TH -> VN, across real processes: TH customs takes the XML as
it is and gives it an MRN and a lane; its ACDD 1.1 goes through the hub to VN's endpoint; VN
answers with a customs.response 2.0, which TH's endpoint hands over to TH customs, where it is
the declaration's outcome. The same flow as a JSON declaration's (tests/network/test_flows.py)."""

from typing import Any

import httpx
import pytest

from tests.network.conftest import RunningNetwork

pytestmark = pytest.mark.network

WCO_DEC = "application/vnd.wco.dec+xml"
DEC_NS = "urn:wco:datamodel:WCO:DEC-DMS:2"

# Written as the HMRC CDS samples are: the DMS MetaData wrapper, the declaration in the DEC
# namespace as the default one, its DateTimeString in the data set's, a schema location.
EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<md:MetaData xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
    xmlns="urn:wco:datamodel:WCO:DEC-DMS:2" xmlns:p1="urn:wco:datamodel:WCO:Declaration_DS:DMS:2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2 ../DocumentMetaData_2_DMS.xsd">
  <md:WCODataModelVersionCode>3.6</md:WCODataModelVersionCode>
  <md:WCOTypeName>DEC</md:WCOTypeName>
  <md:ResponsibleCountryCode>TH</md:ResponsibleCountryCode>
  <Declaration>
    <!-- original declaration; DE 2/5 LRN; DE 1/1 + 1/2: export, standard -->
    <FunctionCode>9</FunctionCode>
    <FunctionalReferenceID>TH-SIAMRUB-2027-000777</FunctionalReferenceID>
    <IssueDateTime>
      <p1:DateTimeString formatCode="304">20261120093000+07</p1:DateTimeString>
    </IssueDateTime>
    <TypeCode>EXA</TypeCode>
    <GoodsItemQuantity>2</GoodsItemQuantity>
    <DeclarationOfficeID>THLCH001</DeclarationOfficeID>
    <InvoiceAmount currencyID="USD">48250.00</InvoiceAmount>
    <BorderTransportMeans>
      <ID>9319466</ID>
      <IdentificationTypeCode>10</IdentificationTypeCode>
      <RegistrationNationalityCode>SG</RegistrationNationalityCode>
      <ModeCode>1</ModeCode>
    </BorderTransportMeans>
    <!-- the rate from the invoice currency to the baht -->
    <CurrencyExchange>
      <CurrencyTypeCode>USD</CurrencyTypeCode>
      <RateNumeric>33.45</RateNumeric>
    </CurrencyExchange>
    <Declarant>
      <Name>Siam Rubber Export Co., Ltd.</Name>
      <ID>0105551234567</ID>
    </Declarant>
    <Exporter>
      <Name>Siam Rubber Export Co., Ltd.</Name>
      <ID>0105551234567</ID>
      <Address>
        <CityName>Bangkok</CityName>
        <CountryCode>TH</CountryCode>
        <Line>99 Rama IV Road</Line>
        <PostcodeID>10110</PostcodeID>
      </Address>
    </Exporter>
    <GoodsShipment>
      <Consignee>
        <Name>Saigon Tyre Manufacturing JSC</Name>
        <ID>0301234567</ID>
        <Address>
          <CityName>Ho Chi Minh City</CityName>
          <CountryCode>VN</CountryCode>
          <Line>12 Nguyen Van Linh</Line>
        </Address>
      </Consignee>
      <Consignment>
        <ContainerCode>1</ContainerCode>
        <LoadingLocation>
          <ID>THLCH</ID>
        </LoadingLocation>
        <TransportEquipment>
          <SequenceNumeric>1</SequenceNumeric>
          <ID>CSQU3054383</ID>
          <Seal>
            <SequenceNumeric>1</SequenceNumeric>
            <ID>TH 0451187</ID>
          </Seal>
        </TransportEquipment>
      </Consignment>
      <Consignor>
        <Name>Rayong Rubber Estates Co., Ltd.</Name>
      </Consignor>
      <Destination>
        <CountryCode>VN</CountryCode>
      </Destination>
      <ExportCountry>
        <ID>TH</ID>
      </ExportCountry>
      <GovernmentAgencyGoodsItem>
        <SequenceNumeric>1</SequenceNumeric>
        <!-- N861: certificate of origin (the ATIGA e-Form D the preference is claimed on) -->
        <AdditionalDocument>
          <CategoryCode>N</CategoryCode>
          <ID>TH-D-2026-0088123</ID>
          <TypeCode>861</TypeCode>
        </AdditionalDocument>
        <Commodity>
          <Description>Technically specified natural rubber STR 20</Description>
          <Classification>
            <ID>40012220</ID>
            <IdentificationTypeCode>TSP</IdentificationTypeCode>
          </Classification>
          <GoodsMeasure>
            <NetNetWeightMeasure unitCode="KGM">20160.000000</NetNetWeightMeasure>
          </GoodsMeasure>
        </Commodity>
        <GovernmentProcedure>
          <CurrentCode>10</CurrentCode>
          <PreviousCode>00</PreviousCode>
        </GovernmentProcedure>
        <!-- DE 5/15 non-preferential and DE 5/16 preferential origin -->
        <Origin>
          <CountryCode>TH</CountryCode>
          <TypeCode>1</TypeCode>
        </Origin>
        <Origin>
          <CountryCode>TH</CountryCode>
          <TypeCode>2</TypeCode>
        </Origin>
      </GovernmentAgencyGoodsItem>
      <GovernmentAgencyGoodsItem>
        <SequenceNumeric>2</SequenceNumeric>
        <Commodity>
          <Description>Natural rubber latex, prevulcanised</Description>
          <Classification>
            <ID>40011000</ID>
            <IdentificationTypeCode>TSP</IdentificationTypeCode>
          </Classification>
          <GoodsMeasure>
            <GrossMassMeasure>1000</GrossMassMeasure>
          </GoodsMeasure>
        </Commodity>
        <GovernmentProcedure>
          <CurrentCode>10</CurrentCode>
          <PreviousCode>00</PreviousCode>
        </GovernmentProcedure>
        <Origin>
          <CountryCode>TH</CountryCode>
        </Origin>
      </GovernmentAgencyGoodsItem>
      <TradeTerms>
        <ConditionCode>CIF</ConditionCode>
        <LocationID>VNSGN</LocationID>
      </TradeTerms>
    </GoodsShipment>
  </Declaration>
</md:MetaData>
"""


def _get(net: RunningNetwork, path: str, **headers: str) -> httpx.Response:
    token = net.net.token("TH")
    return net.http.get(f"{net.net.url('customs')}{path}", headers={"Authorization": f"Bearer {token}", **headers})


def test_a_wco_xml_export_is_lodged_announced_to_vn_and_answered_in_2_0(network: Any) -> None:
    net: RunningNetwork = network()
    # the endpoints hand a received customs response over to the customs service (the
    # fixture's fast settings switch that off for tests without one)
    net.start("hub", "customs", "nsw-th", "nsw-vn", env={"SWX_NSW_CUSTOMS_URL": net.net.url("customs")})
    lodged = net.http.post(f"{net.net.url('customs')}/declarations", content=EXPORT.encode(),
                           headers={"Authorization": f"Bearer {net.net.token('TH')}", "Content-Type": WCO_DEC})
    assert lodged.status_code == 201, net.explain(f"lodging answered {lodged.status_code}: {lodged.text[:800]}")
    body = lodged.json()
    mrn = body["mrn"]
    assert (mrn[2:4], body["type"], body["export_country"], body["destination_country"]) == ("TH", "EXA", "TH", "VN")
    assert body["lane"] in ("green", "yellow")  # yellow only if drawn for a compliance sample
    assert [m["document_type"] for m in body["messages"]] == ["customs.acdd/1.1"]

    def answered() -> bool:
        shown = _get(net, f"/declarations/{mrn}").json()
        return shown["outcome"] is not None and shown["messages"][0]["state"] == "ACKNOWLEDGED"

    net.wait_for(answered, timeout=25, what="VN's customs response to reach the TH declaration")
    shown = _get(net, f"/declarations/{mrn}").json()
    outcome = shown["outcome"]
    assert (outcome["document_type"], outcome["function"], outcome["issuing_office"]) == (
        "customs.response/2.0", "accepted", "02CI"), net.explain(f"outcome: {outcome}")
    assert f"ACDD-{mrn}" in outcome["remarks"]
    assert "goods item 1 under certificate of origin TH-D-2026-0088123" in outcome["remarks"]
    assert shown["history"][-1]["status"] == "response:accepted"
    assert shown["messages"][0]["answer"]["document_type"] == "customs.response/2.0"

    # its JSON form (as customs shows it, ID = MRN) is the same declaration: same MRN, no second ACDD
    again = net.http.post(f"{net.net.url('customs')}/declarations", json=shown["declaration"],
                          headers={"Authorization": f"Bearer {net.net.token('TH')}"})
    assert (again.status_code, again.json()["mrn"], len(again.json()["messages"])) == (200, mrn, 1), again.text
    received = [m for m in net.inbox("VN") if m["document_type"] == "customs.acdd/1.1"]
    assert [(m["sender"], m["state"]) for m in received] == [("TH", "ACCEPTED")], net.explain(f"VN inbox: {received}")
    back = _get(net, f"/declarations/{mrn}?format=wco")
    assert back.headers["content-type"].startswith(WCO_DEC)
    assert f"<ID>{mrn}</ID>".encode() in back.content
    net.expect_quiet_logs()
