"""``swx submit`` and ``swx status`` against a real network, as a user runs them after ``swx up``.

One network for the whole module (real processes on free ports, prepared as ``swx up``
prepares it, so its data folder holds the URLs and tokens the commands read); each test
lodges what it needs with identifiers of its own.
"""

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from services.cli.launcher import LocalNetwork, components_file, free_base_port
from services.cli.main import app
from tests.conftest import wait_until
from tests.network.test_wco_declaration import EXPORT as WCO_EXPORT

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DECLARATION = FIXTURES / "customs.declaration/valid/th-export-natural-rubber-laem-chabang-to-saigon.xml"
LRN = "TH-SIAMRUB-2026-000417"
PAXLST = FIXTURES / "immigration.passenger-manifest/valid/tg560-bkk-han-passengers-one-passport-expired-paxlst-d05b.edi"
VESSEL_CALL = FIXTURES / "port.vessel-call/valid/khpnh-to-vnsgn-river-container-ship-phuoc-an-28-arrival-fal-1-1.xml"
BROKEN = FIXTURES / "customs.declaration/invalid/container-check-digit.xml"
pytestmark = pytest.mark.network  # one module-wide network of real processes

RETRIES = {"SWX_HUB_RETRY_BASE": "0.2", "SWX_HUB_RETRY_CAP": "1", "SWX_HUB_POLL_INTERVAL": "0.2"}

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A running network's data folder, as ``swx up --data-dir`` leaves it."""
    folder = tmp_path_factory.mktemp("swx") / "var"
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("SWX_SECRETS_DIR", raising=False)
        net = LocalNetwork.prepare(data_dir=folder, base_port=free_base_port(), extra_env=RETRIES)
        try:
            net.start()
            yield folder
        finally:
            net.stop()


def swx(*args: str) -> Result:
    return runner.invoke(app, list(args))


def answer(*args: str) -> Any:
    """The JSON a command prints with --json (the service's answer as it came)."""
    result = swx(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def unique(source: Path, tmp_path: Path, old: str, new: str) -> Path:
    """A copy of ``source`` with ``old`` replaced, so that each test lodges a record of its own."""
    copy = tmp_path / source.name
    copy.write_text(source.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return copy


def test_a_declaration_is_lodged_by_its_export_country_and_its_mrn_printed(data_dir: Path, tmp_path: Path) -> None:
    result = swx("submit", str(unique(DECLARATION, tmp_path, LRN, "TH-CLI-0001")), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.output
    assert "accepted" in result.output
    assert "as TH (201)" in result.output  # no --as: an export declaration is lodged in the export country
    mrn = re.search(r"MRN\s+(\w{18})", result.output)
    assert mrn is not None, result.output
    assert f"swx status {mrn.group(1)}" in result.output
    assert "customs.acdd/1.0 to VN" in result.output


def test_the_same_declaration_again_shows_the_record_as_it_stands(data_dir: Path, tmp_path: Path) -> None:
    file = str(unique(DECLARATION, tmp_path, LRN, "TH-CLI-0002"))
    first = answer("submit", file, "--data-dir", str(data_dir))
    again = swx("submit", file, "--data-dir", str(data_dir))

    assert again.exit_code == 0, again.output
    assert "already lodged" in again.output
    assert first["mrn"] in again.output


def test_a_wco_dm_declaration_goes_to_customs_as_it_is(data_dir: Path, tmp_path: Path) -> None:
    file = tmp_path / "wco-export.xml"  # the DMS MetaData wrapper, as HMRC's samples are written
    file.write_text(WCO_EXPORT.replace("TH-SIAMRUB-2027-000777", "TH-CLI-WCO-1"), encoding="utf-8")

    result = swx("submit", str(file), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.output
    assert "customs.declaration/2.0" in result.output
    assert "as TH (201)" in result.output


def test_a_paxlst_goes_to_immigration_as_the_departure_country_with_its_person_findings(
        data_dir: Path, tmp_path: Path) -> None:
    result = swx("submit", str(unique(PAXLST, tmp_path, "TG5601118", "TGCLI0001")), "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.output
    assert "immigration.passenger-manifest/1.1" in result.output
    assert "lodged with immigration as TH" in result.output
    assert "DOCUMENT_EXPIRED" in result.output  # one person's expired passport: a warning, not a refusal


def test_a_bad_document_is_refused_with_its_findings_in_a_table_and_exit_1(data_dir: Path) -> None:
    result = swx("submit", str(BROKEN), "--data-dir", str(data_dir))

    assert result.exit_code == 1, result.output
    assert "customs refused container-check-digit.xml: 422" in result.output
    header = next(line for line in result.output.splitlines() if line.startswith("code"))
    assert header.split() == ["code", "where", "message"]
    assert "CONTAINER_CHECK_DIGIT" in result.output
    assert "(line 63)" in result.output
    assert "Traceback" not in result.output


def test_a_credential_of_the_wrong_country_is_refused_with_exit_1(data_dir: Path, tmp_path: Path) -> None:
    file = str(unique(DECLARATION, tmp_path, LRN, "TH-CLI-0003"))
    result = swx("submit", file, "--as", "VN", "--data-dir", str(data_dir))

    assert result.exit_code == 1, result.output
    assert "403 Forbidden" in result.output


def test_an_unreachable_service_is_explained_with_exit_2(data_dir: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_base_port(1)}"
    for command in (["submit", str(DECLARATION)], ["status", "26TH4F0Q2ZK81D7XA5"]):
        result = swx(*command, "--url", nowhere, "--data-dir", str(data_dir))
        assert result.exit_code == 2, result.output
        assert f"cannot reach customs at {nowhere}" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_folder_without_a_network_or_a_token_is_explained_with_exit_2(data_dir: Path, tmp_path: Path) -> None:
    empty = swx("submit", str(DECLARATION), "--data-dir", str(tmp_path / "empty"))
    assert empty.exit_code == 2, empty.output
    assert "no running network is recorded" in empty.output
    customs = json.loads(components_file(data_dir).read_text(encoding="utf-8"))["components"]["customs"]
    no_keys = swx("submit", str(DECLARATION), "--url", customs, "--data-dir", str(tmp_path / "empty"))
    assert no_keys.exit_code == 2, no_keys.output
    assert "no network directory" in no_keys.output

    # the network's URLs and directory, without the tokens beside it
    copy = tmp_path / "copy"
    shutil.copytree(data_dir / "network", copy / "network", ignore=shutil.ignore_patterns("*.token"))
    state = json.loads(components_file(data_dir).read_text(encoding="utf-8"))
    state["network_file"] = str(copy / "network" / "network.json")
    components_file(copy).parent.mkdir(parents=True)
    components_file(copy).write_text(json.dumps(state), encoding="utf-8")
    tokenless = swx("submit", str(DECLARATION), "--data-dir", str(copy))
    assert tokenless.exit_code == 2, tokenless.output
    assert "no token for TH" in tokenless.output


def test_what_cannot_be_submitted_is_a_usage_error(data_dir: Path) -> None:
    response = FIXTURES / "customs.response/valid/th-accepted-green-lane-natural-rubber-export.json"
    for command, reason in ((["submit", str(response)], "through the hub"),
                            (["submit", str(VESSEL_CALL), "--to", "customs"], "it goes to port, not customs"),
                            (["submit", str(DECLARATION), "--to", "hub"], "--to takes"),
                            (["status", "not-an-id"], "neither an MRN")):
        result = swx(*command, "--data-dir", str(data_dir))
        assert result.exit_code == 2, result.output
        assert reason in result.output


def test_status_of_an_mrn_shows_the_declaration_history_and_its_answered_messages(
        data_dir: Path, tmp_path: Path) -> None:
    mrn = answer("submit", str(unique(DECLARATION, tmp_path, LRN, "TH-CLI-0004")), "--data-dir", str(data_dir))["mrn"]

    def answered() -> bool:
        record = answer("status", mrn, "--data-dir", str(data_dir))
        return bool(record["messages"]) and all(m["state"] == "ACKNOWLEDGED" for m in record["messages"])

    wait_until(answered, timeout=30, what=f"the ACDD of {mrn} to be answered")
    result = swx("status", mrn, "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.output
    for shown in (mrn, "history", "lodged", "accepted", "customs.acdd/1.0 to VN: ACKNOWLEDGED", "answer accepted"):
        assert shown in result.output


def test_status_of_a_message_id_shows_its_delivery_timeline_at_the_hub(data_dir: Path, tmp_path: Path) -> None:
    lodged = answer("submit", str(unique(DECLARATION, tmp_path, LRN, "TH-CLI-0005")), "--data-dir", str(data_dir))
    message_id = lodged["messages"][0]["message_id"]

    def at_the_hub() -> bool:
        found = swx("status", message_id, "--as", "TH", "--data-dir", str(data_dir), "--json")
        return found.exit_code == 0 and json.loads(found.stdout)["state"] == "ACKNOWLEDGED"

    wait_until(at_the_hub, timeout=30, what=f"message {message_id} to be acknowledged")
    result = swx("status", message_id, "--as", "TH", "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.output
    assert "message at the hub" in result.output
    states = [line.split()[3] for line in result.output.splitlines() if re.match(r"\d{4}-\d\d-\d\d ", line)]
    assert states[:4] == ["RECEIVED", "QUEUED", "SENDING", "DELIVERED"], result.output
    assert "signed by VN" in result.output


def test_status_of_a_manifest_or_vessel_call_id_asks_the_services_in_turn(data_dir: Path, tmp_path: Path) -> None:
    manifest = answer("submit", str(unique(PAXLST, tmp_path, "TG5601118", "TGCLI0002")), "--data-dir", str(data_dir))
    call = answer("submit", str(unique(VESSEL_CALL, tmp_path, "VC-VNSGN-20261208-0112", "VC-VNSGN-CLI-1")),
                  "--data-dir", str(data_dir))

    shown_manifest = swx("status", manifest["id"], "--data-dir", str(data_dir))
    shown_call = swx("status", call["id"], "--data-dir", str(data_dir))

    assert shown_manifest.exit_code == 0, shown_manifest.output
    assert shown_manifest.output.startswith("manifest")
    assert "TGCLI0002" in shown_manifest.output
    assert shown_call.exit_code == 0, shown_call.output
    assert shown_call.output.startswith("vessel call")
    assert "PHUOC AN 28" in shown_call.output


def test_status_of_an_unknown_or_foreign_record_exits_1(data_dir: Path, tmp_path: Path) -> None:
    unknown = swx("status", "00000000-0000-4000-8000-000000000000", "--data-dir", str(data_dir))
    assert unknown.exit_code == 1, unknown.output
    assert "not found" in unknown.output
    assert "asked customs, immigration, port and the hub" in unknown.output

    mrn = answer("submit", str(unique(DECLARATION, tmp_path, LRN, "TH-CLI-0006")), "--data-dir", str(data_dir))["mrn"]
    foreign = swx("status", mrn, "--as", "JP", "--data-dir", str(data_dir))
    assert foreign.exit_code == 1, foreign.output
    assert "customs answered: 403 Forbidden" in foreign.output
