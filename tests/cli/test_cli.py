"""The ``swx`` command as a user runs it: exit codes, readable findings, JSON output."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
runner = CliRunner()


def _valid_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/valid/*") if p.suffix in (".json", ".xml", ".edi"))


def _invalid_files() -> list[tuple[Path, str, str]]:
    cases = []
    for expected in sorted(FIXTURES.glob("*/invalid/expected.json")):
        for name, spec in json.loads(expected.read_text()).items():
            if not name.startswith("_") and spec.get("severity") != "warning":
                cases.append((expected.parent / name, spec["code"], spec.get("related", {}).get("declaration")))
    return cases


def test_validate_exits_0_on_every_valid_fixture() -> None:
    result = runner.invoke(app, ["validate", "--json", *map(str, _valid_files())])
    assert result.exit_code == 0, result.output
    assert all(entry["valid"] for entry in json.loads(result.output))


@pytest.mark.parametrize(("path", "code", "declaration"), _invalid_files(), ids=lambda v: getattr(v, "name", ""))
def test_validate_exits_1_with_the_expected_code(path: Path, code: str, declaration: str | None) -> None:
    args = ["validate", "--json", str(path)]
    if declaration:
        args += ["--related", f"declaration={(path.parent / declaration).resolve()}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    codes = {f["code"] for f in json.loads(result.output)[0]["findings"] if f["severity"] == "error"}
    assert codes == {code}


def test_readable_output_names_code_and_place() -> None:
    path, code, _ = next(c for c in _invalid_files() if c[0].suffix == ".xml" and c[2] is None)
    result = runner.invoke(app, ["validate", str(path)], terminal_width=200)
    assert result.exit_code == 1
    assert code in result.output
    assert "invalid" in result.output
    assert "line" in result.output


@pytest.mark.parametrize(
    "args",
    [["validate", "/no/such/file.xml"], ["validate", "--type", "customs.nothing", "x"], ["convert", "x", "--to", "pdf"],
     ["validate", "--related", "nonsense", str(FIXTURES)], ["frobnicate"]],
    ids=["missing-file", "unknown-type", "bad-target", "bad-related", "unknown-command"],
)
def test_usage_errors_exit_2_without_traceback(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_directory_is_a_usage_error() -> None:
    result = runner.invoke(app, ["validate", str(FIXTURES)])
    assert result.exit_code == 2
    assert "directory" in result.output


def test_convert_json_to_xml_and_back_is_stable() -> None:
    source = FIXTURES / "customs.declaration" / "valid" / "th-export-natural-rubber-laem-chabang-to-saigon.json"
    to_xml = runner.invoke(app, ["convert", str(source), "--to", "xml"])
    assert to_xml.exit_code == 0, to_xml.output
    assert to_xml.output.startswith("<?xml")
    assert "urn:swx:customs.declaration" in to_xml.output
    back = runner.invoke(app, ["convert", "-", "--to", "json"], input=to_xml.output.encode())
    assert back.exit_code == 0, back.output
    assert json.loads(back.output) == json.loads(runner.invoke(app, ["convert", str(source), "--to", "json"]).output)


def test_convert_refuses_a_schema_invalid_document_with_exit_1() -> None:
    path, _, _ = next(c for c in _invalid_files() if c[1].startswith("SCHEMA_"))
    result = runner.invoke(app, ["convert", str(path), "--to", "json"])
    assert result.exit_code == 1


def test_type_is_detected_or_forced() -> None:
    source = next(FIXTURES.glob("port.vessel-call/valid/*.xml"))
    forced_wrong = runner.invoke(app, ["validate", "--json", "--type", "customs.declaration", str(source)])
    assert forced_wrong.exit_code == 1
    assert json.loads(forced_wrong.output)[0]["findings"][0]["code"] == "WRONG_DOCUMENT_TYPE"


def test_schemas_lists_every_type_and_checks_drift() -> None:
    result = runner.invoke(app, ["schemas", "--check"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for type_id in ("customs.declaration", "immigration.passenger-manifest", "port.vessel-call", "exchange.envelope"):
        assert type_id in result.output


PAXLST_RULE_ERRORS = {
    "Test3.txt": set(), "apisMessage.txt": set(), "airline2.edi": set(),
    # GTAS test data: some passports expired before the flight date in the message, a finding on
    # each of those persons (tests/immigration/test_person_findings.py), not an error of the manifest
    "tamr-flight1.txt": set(), "tamr-flight2.txt": set(),
}


def test_paxlst_validates_with_known_rule_findings(external: Path) -> None:
    samples = sorted(p for p in (external / "paxlst").iterdir() if p.name in PAXLST_RULE_ERRORS)
    assert [p.name for p in samples] == sorted(PAXLST_RULE_ERRORS)
    result = runner.invoke(app, ["validate", "--json", *map(str, samples)])
    for entry in json.loads(result.output):
        name = Path(entry["file"]).name
        assert entry["document_type"] == "immigration.passenger-manifest/1.1"
        errors = {f["code"] for f in entry["findings"] if f["severity"] == "error"}
        assert errors == PAXLST_RULE_ERRORS[name], entry


def test_paxlst_converts_to_json_and_xml(external: Path) -> None:
    for sample in sorted((external / "paxlst").iterdir()):
        if sample.suffix not in (".txt", ".edi") or sample.name.startswith(("LICENSE", "README")):
            continue
        for target in ("json", "xml"):
            args = ["convert", str(sample), "--to", target, "--type", "immigration.passenger-manifest"]
            result = runner.invoke(app, args)
            assert result.exit_code == 0, f"{sample.name} -> {target}: {result.output}"


def test_installed_console_script_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "services.cli.main", "schemas"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
