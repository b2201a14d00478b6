"""``swx validate`` and ``swx convert`` with WCO DM 3.6 XML, as a user runs them."""

import json
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from services.cli.main import app
from tests.kernel.wco_documents import DEC, MD, line_of, wco_declaration

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
runner = CliRunner()


@pytest.fixture
def wco_file(tmp_path: Path) -> Path:
    path = tmp_path / "th-export.xml"
    path.write_bytes(wco_declaration(items=2))
    return path


def test_validate_names_the_2_0_type_of_a_wco_file(wco_file: Path) -> None:
    result = runner.invoke(app, ["validate", "--json", str(wco_file)])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.output)
    assert (entry["valid"], entry["format"], entry["document_type"]) == (True, "xml", "customs.declaration/2.0")
    readable = runner.invoke(app, ["validate", str(wco_file)], terminal_width=200)
    assert "customs.declaration/2.0" in readable.output


def test_validate_points_at_the_wco_element_and_line(tmp_path: Path) -> None:
    data = wco_declaration(items=3, origins={3: "ZZ"})
    path = tmp_path / "bad.xml"
    path.write_bytes(data)
    result = runner.invoke(app, ["validate", "--json", str(path)])
    assert result.exit_code == 1
    [finding] = json.loads(result.output)[0]["findings"]
    assert finding["code"] == "SCHEMA_ENUMERATION"
    assert finding["location"]["xpath"] == (
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[3]/Origin/CountryCode")
    assert finding["location"]["line"] == line_of(data, "<CountryCode>ZZ<")


def test_validate_refuses_another_wco_version_with_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "v35.xml"
    path.write_bytes(wco_declaration(version="3.5"))
    result = runner.invoke(app, ["validate", "--json", str(path)])
    assert result.exit_code == 1
    assert [f["code"] for f in json.loads(result.output)[0]["findings"]] == ["WCO_VERSION_UNSUPPORTED"]


def test_wco_converts_to_2_0_json_and_canonical_xml(wco_file: Path) -> None:
    as_json = runner.invoke(app, ["convert", str(wco_file), "--to", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["document_type"] == "customs.declaration/2.0"
    assert data["Declaration"]["GoodsShipment"]["GovernmentAgencyGoodsItem"][1]["Origin"][0]["CountryCode"] == "TH"
    as_xml = runner.invoke(app, ["convert", str(wco_file), "--to", "xml"])
    assert as_xml.exit_code == 0, as_xml.output
    root = etree.fromstring(as_xml.output.encode())
    assert root.tag == "{urn:swx:customs.declaration:2.0}GoodsDeclaration"


@pytest.mark.parametrize("source", ["wco", "json", "xml"])
def test_every_form_of_a_2_0_declaration_converts_to_the_same_wco(wco_file: Path, tmp_path: Path, source: str) -> None:
    expected = runner.invoke(app, ["convert", str(wco_file), "--to", "wco"])
    assert expected.exit_code == 0, expected.output
    path = wco_file
    if source != "wco":
        path = tmp_path / f"declaration.{source}"
        path.write_text(runner.invoke(app, ["convert", str(wco_file), "--to", source]).output)
    result = runner.invoke(app, ["convert", str(path), "--to", "wco"])
    assert result.exit_code == 0, result.output
    assert result.output == expected.output
    root = etree.fromstring(result.output.encode())
    assert root.tag == f"{{{MD}}}MetaData"
    assert root.nsmap[None] == DEC
    again = runner.invoke(app, ["convert", "-", "--to", "wco"], input=result.output.encode())
    assert again.output == result.output


def test_a_1_x_document_cannot_be_converted_to_wco() -> None:
    source = FIXTURES / "customs.declaration" / "valid" / "th-export-natural-rubber-laem-chabang-to-saigon.json"
    result = runner.invoke(app, ["convert", str(source), "--to", "wco"])
    assert result.exit_code == 2
    assert "customs.declaration/1." in result.output
    assert "customs.declaration/2.0" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_target_lists_wco() -> None:
    result = runner.invoke(app, ["convert", "x", "--to", "pdf"])
    assert result.exit_code == 2
    assert "wco" in result.output


def test_every_shared_wco_file_validates_as_2_0(external: Path) -> None:
    samples = sorted((external / "wco-dec" / "samples").rglob("*.xml"))
    assert len(samples) == 63
    result = runner.invoke(app, ["validate", "--json", *map(str, samples)])
    for entry in json.loads(result.output):
        folder = Path(entry["file"]).parent.name
        assert entry["document_type"] == ("customs.declaration/2.0" if folder == "dec" else "customs.response/2.0")
        assert not [f for f in entry["findings"] if f["layer"] in ("syntax", "schema")], entry
