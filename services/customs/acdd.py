"""The ASEAN Customs Declaration Document an accepted export declaration produces.

The exporting customs sends it to the destination's customs ahead of the goods, so that
the import side can pre-arrive and risk-assess them (ACDD MIG 1.08).
"""

from datetime import datetime
from typing import Literal

from services.kernel.messages.customs import ACDD, ACDDGoodsItemType, Declaration, GoodsMeasureType
from services.kernel.messages.types import Measure

UNKNOWN_MODE: Literal["9"] = "9"
"""UN/ECE Recommendation 19 'mode of transport not known': said rather than guessed when the
declaration has no border transport means."""


def acdd_for(declaration: Declaration, *, mrn: str, issued_at: datetime) -> ACDD:
    """The ACDD of export declaration ``declaration``, accepted under ``mrn``."""
    shipment = declaration.GoodsShipment
    consignment = shipment.Consignment
    unloading = consignment.UnloadingLocation if consignment is not None else None
    items = shipment.GovernmentAgencyGoodsItem
    transport = declaration.BorderTransportMeans
    permits = list(dict.fromkeys(document.ID for item in items for document in item.AdditionalDocument or ()))
    return ACDD(
        ID=f"ACDD-{mrn}",
        IssueDateTime=issued_at,
        ExportDeclarationID=mrn,
        ExportCountryCode=shipment.ExportCountry.ID,
        DestinationCountryCode=shipment.Destination.CountryCode,
        Exporter=declaration.Exporter,
        Consignee=declaration.Importer,
        Declarant=declaration.Declarant,
        DepartureDate=declaration.IssueDateTime.date(),
        TransportModeCode=transport.ModeCode if transport is not None else UNKNOWN_MODE,
        # The port of discharge; without an unloading location, the trade terms' named place is the best known.
        DischargeLocationID=unloading.ID if unloading is not None else shipment.TradeTerms.LocationID,
        PermitID=permits or None,
        GoodsItem=[
            ACDDGoodsItemType(
                SequenceNumeric=item.SequenceNumeric,
                HSCode=item.Commodity.Classification.ID,
                Description=item.Commodity.Description,
                Quantity=_quantity(item.Commodity.GoodsMeasure),
                OriginCountryCode=item.Origin.CountryCode,
            )
            for item in items
        ],
    )


def _quantity(measure: GoodsMeasureType) -> Measure:
    """The net mass, which is what ACDD quantities state; the gross mass when no net mass was declared."""
    return measure.NetNetWeightMeasure or measure.GrossMassMeasure
