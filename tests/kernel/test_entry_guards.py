"""What the engine refuses at entry so that no service meets it later: text XML cannot carry,
and date-times that do not exist in UTC (where databases keep them)."""

import json
from pathlib import Path

import pytest

from services.kernel.validation import validate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MANIFEST = FIXTURES / "immigration.passenger-manifest" / "valid" / "tg560-bkk-han-passengers.json"


def _manifest() -> dict[str, object]:
    data: dict[str, object] = json.loads(MANIFEST.read_text())
    return data


@pytest.mark.parametrize("escape", ["\\u0000", "\\u0007", "\\u001f", "\\ufffe", "\\uFFFF", "\\ud800"])
def test_json_string_xml_cannot_carry_is_refused_with_its_place(escape: str) -> None:
    text = json.dumps(_manifest()).replace('"Surname": "', '"Surname": "X' + escape, 1)
    report = validate(text.encode())
    assert [(f.code, f.location.pointer) for f in report.errors] == [("XML_CHARACTER_NOT_ALLOWED", "/Person/0/Surname")]


@pytest.mark.parametrize(
    "escape", ["\\u0009", "\\u000a", "\\u00e9", "\\ud83d\\ude80"], ids=["tab", "lf", "e-acute", "surrogate-pair"]
)
def test_json_escapes_xml_can_carry_pass(escape: str) -> None:
    text = json.dumps(_manifest()).replace('"GivenNames": "', '"GivenNames": "X' + escape, 1)
    assert validate(text.encode()).valid


def test_paxlst_control_character_is_dropped_with_a_warning() -> None:
    edi = sorted((FIXTURES / "immigration.passenger-manifest" / "valid").glob("*.edi"))[0].read_bytes()
    broken = edi.replace(b"NAD+FL+++", b"NAD+FL+++\x01", 1)
    assert broken != edi
    report = validate(broken, media_type="application/edifact")
    assert report.valid
    assert report.document is not None
    assert "EDIFACT_CHARSET" in {f.code for f in report.findings}
    assert "\x01" not in report.document.model_dump_json()


@pytest.mark.parametrize("moment", ["0001-01-01T00:30:00+07:00", "9999-12-31T23:30:00-05:00"])
def test_date_time_outside_utc_is_refused(moment: str) -> None:
    data = _manifest()
    data["Transport"] = dict(data["Transport"], DepartureDateTime=moment)  # type: ignore[call-overload]
    report = validate(json.dumps(data).encode())
    assert [(f.code, f.location.pointer) for f in report.errors] == [("SCHEMA_TYPE", "/Transport/DepartureDateTime")]
