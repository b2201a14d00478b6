"""Means of transport, consignments, places and equipment (DMS declaration structure).

The declaration has two consignments: ``Declaration/Consignment`` (28A) about the carriage
(carrier, itinerary, freight payment, consignment items) and ``GoodsShipment/Consignment``
(28A) about the goods (containers, arrival and departure means, goods location, loading
place). DMS gives them different content, and so do the classes here.
"""

from typing import Literal

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.wco import codes
from services.kernel.messages.wco.datatypes import (
    Code3,
    Code4,
    Code17,
    Sequence5,
    Text17,
    Text35,
    Text256,
)
from services.kernel.messages.wco.parties import CarrierType, ConsignmentConsignorType, GoodsLocationAddressType

_MODE_HELP = ("UN/ECE Recommendation 19: 0 not specified, 1 maritime, 2 rail, 3 road, 4 air, 5 mail, "
              "6 multimodal, 7 fixed installation, 8 inland water, 9 not applicable")


class BorderTransportMeansType(t.Message):
    """Active means of transport crossing the border (15A)."""

    Name: Text35 | None = None
    ID: Text35 | None = Field(default=None, description="e.g. the IMO number, flight number or registration")
    IdentificationTypeCode: Code17 | None = Field(default=None, description="what kind of identifier ID is")
    TypeCode: Code4 | None = None
    RegistrationNationalityCode: codes.CountryCode | None = None
    ModeCode: codes.TransportModeCode | None = Field(default=None, description=_MODE_HELP)


class TransportMeansType(t.Message):
    """Means of transport on arrival (10A) or at departure (46A)."""

    Name: Text35 | None = None
    ID: Text35 | None = None
    IdentificationTypeCode: Code17 | None = Field(default=None, description="what kind of identifier ID is")
    TypeCode: Code4 | None = None
    ModeCode: codes.TransportModeCode | None = Field(default=None, description=_MODE_HELP)


class FreightType(t.Message):
    """Freight (62A): how the transport charges are paid."""

    PaymentMethodCode: Code3 | None = None


class ConsignmentItemType(t.Message):
    """Consignment item (29A) of the transport consignment."""

    SequenceNumeric: Sequence5
    Consignor: ConsignmentConsignorType | None = None
    Freight: FreightType | None = None


class ItineraryType(t.Message):
    """Itinerary (81A): one country on the route, in order."""

    SequenceNumeric: Sequence5
    RoutingCountryCode: codes.CountryCode | None = None


class DeclarationConsignmentType(t.Message):
    """Consignment (28A) directly under the declaration: the carriage of the goods."""

    Carrier: CarrierType | None = None
    ConsignmentItem: list[ConsignmentItemType] | None = Field(default=None, min_length=1, max_length=999)
    Consignor: ConsignmentConsignorType | None = None
    Freight: FreightType | None = None
    Itinerary: list[ItineraryType] | None = Field(default=None, min_length=1)


class GoodsLocationType(t.Message):
    """Goods location (64A): where the goods can be examined."""

    Name: Text256 | None = None
    ID: Text17 | None = None
    TypeCode: Code3 | None = None
    Address: GoodsLocationAddressType | None = None


class LoadingLocationType(t.Message):
    """Loading location (83A): where the goods are loaded on the means of transport."""

    Name: Text256 | None = None
    ID: Text17 | None = Field(default=None, description="e.g. a UN/LOCODE")


class SealType(t.Message):
    """Seal (44B) on a piece of transport equipment."""

    SequenceNumeric: Sequence5
    ID: Text35 | None = None


class TransportEquipmentType(t.Message):
    """Transport equipment (31B) of the goods shipment: a container and its seals."""

    SequenceNumeric: Sequence5
    ID: Text17 | None = Field(default=None, description="e.g. the ISO 6346 container number")
    Seal: list[SealType] | None = Field(default=None, min_length=1)


class ItemTransportEquipmentType(t.Message):
    """Transport equipment (31B) a goods item is packed in, by its identifier."""

    SequenceNumeric: Sequence5
    ID: Text17 | None = None


class ShipmentConsignmentType(t.Message):
    """Consignment (28A) under the goods shipment: how and where the goods travel."""

    ContainerCode: Literal["0", "1"] | None = Field(default=None, description="1 carried in containers, 0 not")
    ArrivalTransportMeans: TransportMeansType | None = None
    DepartureTransportMeans: TransportMeansType | None = None
    GoodsLocation: GoodsLocationType | None = None
    LoadingLocation: LoadingLocationType | None = None
    TransportEquipment: list[TransportEquipmentType] | None = Field(default=None, min_length=1)
