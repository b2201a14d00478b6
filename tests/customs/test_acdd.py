"""The ACDD built from each export declaration is itself a valid customs.acdd document."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.customs.acdd import acdd_for
from services.customs.declaration_facts import AnyDeclaration, RequiredBySwx, facts_of
from services.kernel import canonical
from services.kernel.messages.customs import Declaration
from services.kernel.registry import REGISTRY
from services.kernel.validation import validate
from tests.customs.conftest import DECLARATIONS, TH_EXPORT, load

ACDD = REGISTRY.get("customs.acdd", "1.0")
MRN = "26TH4F0Q2ZK81D7XA5"


def _declaration(path: Path, **changes: object) -> AnyDeclaration:
    data = load(path) | changes
    message_type = REGISTRY.get(data["document_type"])
    document = message_type.model.model_validate(data, strict=False)
    assert isinstance(document, AnyDeclaration)
    return document


EXPORTS = sorted(p for p in (DECLARATIONS / "valid").glob("*.json") if facts_of(_declaration(p)).direction == "EX")
"""Every export fixture, 1.x and 2.0 (whose ACDD is 1.0 or, for a receiver taking it, 1.1)."""


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize("path", EXPORTS, ids=[p.stem for p in EXPORTS])
def test_acdd_of_every_export_fixture_passes_the_engine(path: Path, version: str) -> None:
    declaration = _declaration(path)
    if version == "1.1" and isinstance(declaration, Declaration):
        pytest.skip("a 1.x declaration produces ACDD 1.0 only")
    acdd_type = REGISTRY.get("customs.acdd", version)
    facts = facts_of(declaration)
    if version == "1.0" and facts.is_wco and facts.discharge_location is None:
        # E- or F-group trade terms name a place of loading: an ACDD 1.0 has no port of discharge to state
        with pytest.raises(RequiredBySwx) as refused:
            acdd_for(declaration, mrn=MRN, issued_at=datetime(2026, 11, 22, 7, 20, tzinfo=UTC), version=version)
        assert [(f.code, f.location.pointer) for f in refused.value.findings] == [
            ("REQUIRED_FOR_ACDD", "/Declaration/GoodsShipment/TradeTerms/LocationID")]
        return
    acdd = acdd_for(declaration, mrn=MRN, issued_at=datetime(2026, 11, 22, 7, 20, tzinfo=UTC), version=version)
    report = validate(canonical.xml_bytes(acdd, acdd_type), media_type="application/xml", expected_type=acdd_type)
    assert report.valid, [f.as_dict() for f in report.findings]
    assert report.findings == []


def test_acdd_carries_the_declaration_under_its_mrn() -> None:
    declaration = _declaration(TH_EXPORT)
    assert isinstance(declaration, Declaration)
    acdd = acdd_for(declaration, mrn=MRN, issued_at=datetime(2026, 11, 22, tzinfo=UTC))
    assert (acdd.ID, acdd.ExportDeclarationID) == (f"ACDD-{MRN}", MRN)
    assert (acdd.ExportCountryCode, acdd.DestinationCountryCode) == ("TH", "VN")
    assert acdd.Consignee == declaration.Importer
    assert (acdd.Exporter, acdd.Declarant) == (declaration.Exporter, declaration.Declarant)
    assert str(acdd.DepartureDate) == "2026-11-20"
    assert (acdd.TransportModeCode, acdd.DischargeLocationID) == ("1", "VNSGN")
    assert acdd.PermitID == ["TH-D-2026-0088123"]
    assert [(i.HSCode, str(i.Quantity.value), i.OriginCountryCode) for i in acdd.GoodsItem] == [
        ("40012220", "20160.000", "TH"), ("400110", "960.000", "TH")]


def test_without_transport_and_unloading_place_the_acdd_says_so_rather_than_guessing() -> None:
    data = load(TH_EXPORT)
    del data["BorderTransportMeans"], data["GoodsShipment"]["Consignment"]
    for item in data["GoodsShipment"]["GovernmentAgencyGoodsItem"]:
        del item["Commodity"]["GoodsMeasure"]["NetNetWeightMeasure"]
    declaration = Declaration.model_validate(data, strict=False)
    acdd = acdd_for(declaration, mrn=MRN, issued_at=datetime(2026, 11, 22, tzinfo=UTC))
    assert acdd.TransportModeCode == "9"  # UN/ECE Rec. 19: mode not known
    assert acdd.DischargeLocationID == "THLCH"  # the trade terms' named place
    assert [str(i.Quantity.value) for i in acdd.GoodsItem] == ["20400.000", "1000.000"]  # gross when no net
