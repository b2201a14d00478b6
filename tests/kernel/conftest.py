"""Valid documents of every type, one factory each, with realistic TH/VN/JP/KH data.

Each fixture builds a fresh document through the JSON path (``model_validate_json``), as a
submission would arrive, so a test may break it in place. A Thai exporter in Bangkok ships
smartphones, natural rubber and jasmine rice from Laem Chabang to Ho Chi Minh City; flight
TG560 flies Bangkok to Hanoi; a ship with IMO 9319466 calls at Ho Chi Minh City from
Phnom Penh.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from services.kernel.messages.customs import ACDD, CertificateOfOrigin, Declaration, Response
from services.kernel.messages.exchange import Envelope
from services.kernel.messages.immigration import APIResponse, PassengerManifest
from services.kernel.messages.port import Clearance, VesselCall

MRN = "24TH28010EX0000123"

EXPORTER = {
    "ID": "0105536000011",
    "Name": "Siam Rubber & Electronics Co., Ltd.",
    "Address": {
        "Line": "99 Rama IV Road, Khlong Toei",
        "CityName": "Bangkok",
        "PostcodeID": "10110",
        "CountryCode": "TH",
    },
}
IMPORTER = {
    "ID": "0301234567",
    "Name": "Saigon Trading Joint Stock Company",
    "Address": {
        "Line": "12 Nguyen Hue, Ben Nghe Ward, District 1",
        "CityName": "Ho Chi Minh City",
        "PostcodeID": "700000",
        "CountryCode": "VN",
    },
}
DECLARANT = {
    "ID": "0105540000021",
    "Name": "Chao Phraya Customs Brokerage Co., Ltd.",
    "Address": {
        "Line": "1 Sukhumvit Road, Chon Buri",
        "CityName": "Laem Chabang",
        "PostcodeID": "20230",
        "CountryCode": "TH",
    },
}

GOODS = [
    # HS, description, amount USD, gross KGM, net KGM, packages, package type
    ("851713", "Smartphones, 5G, 128 GB, boxed", "24000.00", "180.000", "150.000", 12, "CT"),
    (
        "400122",
        "Technically specified natural rubber STR 20, bales",
        "36000.00",
        "20400.000",
        "20160.000",
        576,
        "BL",
    ),
    (
        "100630",
        "Thai Hom Mali jasmine rice, 100% grade B, milled",
        "9000.00",
        "10050.000",
        "10000.000",
        200,
        "BG",
    ),
]

# ICAO 9303 TD3 zone of a (fictitious) Thai passport; test_checkdigits checks its digits by hand.
THAI_PASSPORT_MRZ = [
    "P<THASRISUK<<SOMCHAI<<<<<<<<<<<<<<<<<<<<<<<<",
    "AA12345678THA8505121M2907147<<<<<<<<<<<<<<<4",
]


def _goods_item(sequence: int, goods: tuple[str, str, str, str, str, int, str]) -> dict[str, Any]:
    hs_code, description, amount, gross, net, packages, package_type = goods
    return {
        "SequenceNumeric": sequence,
        "Commodity": {
            "Description": description,
            "Classification": {"ID": hs_code, "IdentificationTypeCode": "HS"},
            "InvoiceLine": {"ItemChargeAmount": {"value": amount, "currencyID": "USD"}},
            "GoodsMeasure": {
                "GrossMassMeasure": {"value": gross, "unitCode": "KGM"},
                "NetNetWeightMeasure": {"value": net, "unitCode": "KGM"},
            },
        },
        "GovernmentProcedure": [{"CurrentCode": "10", "PreviousCode": "00"}],
        "Origin": {"CountryCode": "TH"},
        "Packaging": [
            {
                "SequenceNumeric": 1,
                "QuantityQuantity": packages,
                "TypeCode": package_type,
                "MarksNumbersID": f"SRE/HCM/{sequence:03d}",
            }
        ],
    }


def declaration_data(item_count: int = 3) -> dict[str, Any]:
    """An export declaration TH -> VN with ``item_count`` goods items (the three goods repeated)."""
    items = [_goods_item(n + 1, GOODS[n % len(GOODS)]) for n in range(item_count)]
    invoice = sum(float(GOODS[n % len(GOODS)][2]) for n in range(item_count))
    gross = sum(float(GOODS[n % len(GOODS)][3]) for n in range(item_count))
    return {
        "document_type": "customs.declaration/1.0",
        "FunctionCode": "9",
        "FunctionalReferenceID": "SRE-2024-000123",
        "TypeCode": "EXA",
        "IssueDateTime": "2024-03-14T09:30:00+07:00",
        "DeclarationOfficeID": "2801",
        "GoodsItemQuantity": item_count,
        "TotalPackageQuantity": sum(item["Packaging"][0]["QuantityQuantity"] for item in items),
        "InvoiceAmount": {"value": f"{invoice:.2f}", "currencyID": "USD"},
        "TotalGrossMassMeasure": {"value": f"{gross:.3f}", "unitCode": "KGM"},
        "Declarant": DECLARANT,
        "Exporter": EXPORTER,
        "Importer": IMPORTER,
        "BorderTransportMeans": {"ModeCode": "1", "ID": "9319466", "RegistrationNationalityCode": "VN"},
        "GoodsShipment": {
            "TransactionNatureCode": "11",
            "ExportCountry": {"ID": "TH"},
            "Destination": {"CountryCode": "VN"},
            "Consignment": {
                "LoadingLocation": {"ID": "THLCH"},
                "UnloadingLocation": {"ID": "VNSGN"},
                "TransportEquipment": [{"SequenceNumeric": 1, "ID": "CSQU3054383"}],
            },
            "TradeTerms": {"ConditionCode": "FOB", "LocationID": "THLCH"},
            "GovernmentAgencyGoodsItem": items,
        },
    }


def build_declaration(item_count: int = 3) -> Declaration:
    return Declaration.model_validate_json(json.dumps(declaration_data(item_count)))


@pytest.fixture
def declaration() -> Declaration:
    return build_declaration()


@pytest.fixture
def make_declaration() -> Callable[[int], Declaration]:
    return build_declaration


@pytest.fixture
def response() -> Response:
    return Response.model_validate_json(
        json.dumps(
            {
                "FunctionCode": "01",
                "ID": "VN-RES-2024-0456",
                "IssueDateTime": "2024-03-16T14:05:00+07:00",
                "IssuingOfficeID": "02IK",
                "Declaration": {"ID": MRN, "FunctionalReferenceID": "SRE-2024-000123"},
                "LaneCode": "green",
                "DutyTaxFee": [
                    {"TypeCode": "VAT", "TaxAssessedAmount": {"value": "160650000", "currencyID": "VND"}}
                ],
            }
        )
    )


def _acdd_item(sequence: int, hs_code: str, description: str, quantity: str, unit: str) -> dict[str, Any]:
    return {
        "SequenceNumeric": sequence,
        "HSCode": hs_code,
        "Description": description,
        "Quantity": {"value": quantity, "unitCode": unit},
        "OriginCountryCode": "TH",
    }


@pytest.fixture
def acdd() -> ACDD:
    return ACDD.model_validate_json(
        json.dumps(
            {
                "ID": "TH-ACDD-2024-000789",
                "IssueDateTime": "2024-03-15T08:00:00+07:00",
                "ExportDeclarationID": MRN,
                "ExportCountryCode": "TH",
                "DestinationCountryCode": "VN",
                "Exporter": {"ID": EXPORTER["ID"], "Name": EXPORTER["Name"]},
                "Consignee": IMPORTER,
                "Declarant": {"ID": DECLARANT["ID"], "Name": DECLARANT["Name"]},
                "DepartureDate": "2024-03-15",
                "TransportModeCode": "1",
                "DischargeLocationID": "VNSGN",
                "PermitID": ["DFT-EXP-2024-1123"],
                "GoodsItem": [
                    _acdd_item(1, "85171300", "Smartphones, 5G, 128 GB", "1200", "PCE"),
                    _acdd_item(2, "40012210", "Natural rubber STR 20", "20160", "KGM"),
                    _acdd_item(3, "10063030", "Thai Hom Mali jasmine rice", "10000", "KGM"),
                ],
            }
        )
    )


def certificate_data(
    form: str = "D", export_country: str = "TH", import_country: str = "VN"
) -> dict[str, Any]:
    return {
        "ReferenceID": "TH-D-2024-0012345",
        "FormTypeCode": form,
        "IssueDateTime": "2024-03-15T10:00:00+07:00",
        "ExportCountryCode": export_country,
        "ImportCountryCode": import_country,
        "DeclarationID": MRN,
        "Exporter": EXPORTER,
        "Consignee": IMPORTER,
        "Transport": {
            "DepartureDate": "2024-03-15",
            "ModeCode": "1",
            "TransportMeansName": "MEKONG PIONEER V.024S",
            "LoadingLocationID": "THLCH",
            "DischargeLocationID": "VNSGN",
        },
        "GoodsItem": [
            {
                "SequenceNumeric": 1,
                "MarksNumbersID": "SRE/HCM/002",
                "Description": "Natural rubber STR 20, 576 bales",
                "HSCode": "400122",
                "OriginCriterionCode": "WO",
                "GrossMassMeasure": {"value": "20400", "unitCode": "KGM"},
                "FOBValueAmount": {"value": "36000.00", "currencyID": "USD"},
                "InvoiceID": "SRE-INV-24-0311",
                "InvoiceIssueDate": "2024-03-11",
            },
            {
                "SequenceNumeric": 2,
                "MarksNumbersID": "SRE/HCM/003",
                "Description": "Thai Hom Mali rice, 200 bags",
                "HSCode": "100630",
                "OriginCriterionCode": "WO",
                "GrossMassMeasure": {"value": "10050", "unitCode": "KGM"},
                "FOBValueAmount": {"value": "9000.00", "currencyID": "USD"},
                "InvoiceID": "SRE-INV-24-0311",
                "InvoiceIssueDate": "2024-03-11",
            },
        ],
        "IssuingAuthority": {
            "Name": "Department of Foreign Trade, Ministry of Commerce",
            "CountryCode": export_country,
        },
    }


@pytest.fixture
def certificate() -> CertificateOfOrigin:
    return CertificateOfOrigin.model_validate_json(json.dumps(certificate_data()))


@pytest.fixture
def make_certificate() -> Callable[..., CertificateOfOrigin]:
    def make(**kwargs: str) -> CertificateOfOrigin:
        return CertificateOfOrigin.model_validate_json(json.dumps(certificate_data(**kwargs)))

    return make


def _person(sequence: int, **fields: Any) -> dict[str, Any]:
    return {"SequenceNumeric": sequence, "RoleCode": "FL", **fields}


@pytest.fixture
def manifest() -> PassengerManifest:
    return PassengerManifest.model_validate_json(
        json.dumps(
            {
                "ID": "TG560-20240320",
                "ListTypeCode": "745",
                "IssueDateTime": "2024-03-20T09:50:00+07:00",
                "SenderID": "TGAPI",
                "Transport": {
                    "ModeCode": "4",
                    "CarrierCode": "TG",
                    "JourneyID": "TG560",
                    "DepartureLocationID": "BKK",
                    "DepartureDateTime": "2024-03-20T10:40:00+07:00",
                    "ArrivalLocationID": "HAN",
                    "ArrivalDateTime": "2024-03-20T12:35:00+07:00",
                },
                "TotalPersonQuantity": 3,
                "Person": [
                    _person(
                        1,
                        Surname="SRISUK",
                        GivenNames="SOMCHAI",
                        BirthDate="1985-05-12",
                        GenderCode="M",
                        NationalityCode="THA",
                        ResidenceCountryCode="THA",
                        EmbarkationLocationID="BKK",
                        DisembarkationLocationID="HAN",
                        ReservationID="X7K2QP",
                        SeatID="32A",
                        TravelDocument=[
                            {
                                "TypeCode": "P",
                                "ID": "AA1234567",
                                "IssuerCountryCode": "THA",
                                "ExpiryDate": "2029-07-14",
                                "MRZLine": THAI_PASSPORT_MRZ,
                            }
                        ],
                    ),
                    _person(
                        2,
                        Surname="NGUYEN",
                        GivenNames="THI LAN",
                        BirthDate="1992-11-03",
                        GenderCode="F",
                        NationalityCode="VNM",
                        EmbarkationLocationID="THBKK",
                        DisembarkationLocationID="VNHAN",
                        TravelDocument=[
                            {
                                "TypeCode": "P",
                                "ID": "C4821937",
                                "IssuerCountryCode": "VNM",
                                "ExpiryDate": "2031-02-27",
                            }
                        ],
                    ),
                    _person(
                        3,
                        Surname="TANAKA",
                        GivenNames="HIROSHI",
                        BirthDate="1978-01-30",
                        GenderCode="M",
                        NationalityCode="JPN",
                        TravelDocument=[
                            {
                                "TypeCode": "P",
                                "ID": "TR5820461",
                                "IssuerCountryCode": "JPN",
                                "ExpiryDate": "2027-09-30",
                            }
                        ],
                    ),
                ],
            }
        )
    )


@pytest.fixture
def api_response() -> APIResponse:
    return APIResponse.model_validate_json(
        json.dumps(
            {
                "ID": "VN-API-20240320-0001",
                "IssueDateTime": "2024-03-20T09:52:00+07:00",
                "ManifestID": "TG560-20240320",
                "JourneyID": "TG560",
                "PersonDecision": [
                    {
                        "SequenceNumeric": 1,
                        "Surname": "SRISUK",
                        "GivenNames": "SOMCHAI",
                        "TravelDocumentID": "AA1234567",
                        "DecisionCode": "board",
                    },
                    {
                        "SequenceNumeric": 2,
                        "Surname": "NGUYEN",
                        "GivenNames": "THI LAN",
                        "TravelDocumentID": "C4821937",
                        "DecisionCode": "no-board",
                        "ReasonCode": "WATCHLIST_MATCH",
                    },
                    {"SequenceNumeric": 3, "Surname": "TANAKA", "DecisionCode": "refer"},
                ],
            }
        )
    )


def _identity(number: str, issuer: str, expiry: str, kind: str = "P") -> dict[str, str]:
    return {"TypeCode": kind, "ID": number, "IssuerCountryCode": issuer, "ExpiryDate": expiry}


@pytest.fixture
def vessel_call() -> VesselCall:
    return VesselCall.model_validate_json(
        json.dumps(
            {
                "ID": "VNSGN-2024-03-0412",
                "ArrivalDepartureCode": "arrival",
                "PortOfCallID": "VNSGN",
                "EstimatedArrivalDateTime": "2024-03-22T06:00:00+07:00",
                "EstimatedDepartureDateTime": "2024-03-23T18:00:00+07:00",
                "Ship": {
                    "Name": "MEKONG PIONEER",
                    "IMOID": "9319466",
                    "CallSign": "3WKP7",
                    "FlagStateCode": "VN",
                    "TypeCode": "Container ship",
                    "GrossTonnage": 9940,
                    "NetTonnage": 5120,
                    "CertificateOfRegistry": {
                        "PortID": "VNHPH",
                        "IssueDate": "2019-06-18",
                        "ID": "HP-2019-0731",
                    },
                },
                "VoyageID": "024S",
                "MasterName": "TRAN VAN MINH",
                "ShipAgent": {"ID": "0302345678", "Name": "Vietnam Ocean Shipping Agency (VOSA) Saigon"},
                "LastPortOfCallID": "KHPNH",
                "NextPortOfCallID": "THLCH",
                "PositionInPort": "Cat Lai terminal, berth 5",
                "CargoDescription": "Containers, general cargo",
                "CrewQuantity": 2,
                "PassengerQuantity": 1,
                "Crew": [
                    {
                        "SequenceNumeric": 1,
                        "FamilyName": "TRAN",
                        "GivenNames": "VAN MINH",
                        "RankName": "Master",
                        "NationalityCode": "VNM",
                        "BirthDate": "1970-08-15",
                        "BirthPlaceName": "Haiphong",
                        "GenderCode": "M",
                        "IdentityDocument": _identity("B7712345", "VNM", "2028-05-01", "S"),
                    },
                    {
                        "SequenceNumeric": 2,
                        "FamilyName": "SOK",
                        "GivenNames": "DARA",
                        "RankName": "Chief Engineer",
                        "NationalityCode": "KHM",
                        "BirthDate": "1982-02-11",
                        "GenderCode": "M",
                        "IdentityDocument": _identity("N01234567", "KHM", "2027-12-31"),
                    },
                ],
                "Passenger": [
                    {
                        "SequenceNumeric": 1,
                        "FamilyName": "KEO",
                        "GivenNames": "SOPHEA",
                        "NationalityCode": "KHM",
                        "BirthDate": "1995-09-09",
                        "GenderCode": "F",
                        "IdentityDocument": _identity("N07654321", "KHM", "2030-01-15"),
                        "EmbarkationPortID": "KHPNH",
                        "DisembarkationPortID": "VNSGN",
                        "TransitIndicator": False,
                    },
                ],
            }
        )
    )


@pytest.fixture
def clearance() -> Clearance:
    return Clearance.model_validate_json(
        json.dumps(
            {
                "ID": "VNSGN-CLR-2024-0412",
                "IssueDateTime": "2024-03-22T07:30:00+07:00",
                "VesselCallID": "VNSGN-2024-03-0412",
                "PortOfCallID": "VNSGN",
                "IMOID": "9319466",
                "AgencyDecision": [
                    {
                        "AgencyCode": "customs",
                        "DecisionCode": "granted",
                        "DecisionDateTime": "2024-03-22T07:10:00+07:00",
                    },
                    {
                        "AgencyCode": "immigration",
                        "DecisionCode": "granted",
                        "DecisionDateTime": "2024-03-22T07:20:00+07:00",
                    },
                    {
                        "AgencyCode": "port-health",
                        "DecisionCode": "granted",
                        "DecisionDateTime": "2024-03-22T07:25:00+07:00",
                        "OfficerName": "Dr. Le Thi Hoa",
                    },
                ],
            }
        )
    )


ENVELOPE_PAYLOAD = json.dumps({"document_type": "customs.acdd/1.0", "ID": "TH-ACDD-2024-000789"})


@pytest.fixture
def envelope() -> Envelope:
    return Envelope.model_validate_json(
        json.dumps(
            {
                "message_id": "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
                "conversation_id": "0b9e8d7c-6a5b-4c3d-9e2f-1a0b9c8d7e6f",
                "sender": "TH",
                "receiver": "VN",
                "document_type": "customs.acdd/1.0",
                "created_at": "2024-03-15T08:01:00Z",
                "payload_format": "json",
                "payload": ENVELOPE_PAYLOAD,
                "payload_digest": hashlib.sha256(ENVELOPE_PAYLOAD.encode("utf-8")).hexdigest(),
            }
        )
    )
