"""``swx demo`` before the network exists: every message type through the engine.

For each type it validates a sample in JSON, converts it to XML, validates that, checks
the two carry the same document, and shows how an invalid sample is refused. It exits 0
only when every expectation held.
"""

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from services.kernel import canonical
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.validation import validate

PROJECT_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def run_demo(console: Console, fixtures: Path) -> int:
    folder = fixtures if fixtures.is_dir() else PROJECT_FIXTURES
    if not folder.is_dir():
        console.print(f"[red]no fixture folder at {fixtures}[/]")
        return 2
    table = Table(title="swx message types: sample in, canonical XML out, invalid sample refused",
                  header_style="bold")
    for column in ("type", "sample", "JSON", "XML", "same document", "refused sample", "finding"):
        table.add_column(column, overflow="fold")
    failures: list[str] = []
    for message_type in REGISTRY:
        failures.extend(_demo_type(table, folder, message_type))
    console.print(table)
    failures.extend(_demo_paxlst(console, folder))
    if failures:
        for failure in failures:
            console.print(f"[red]✗ {failure}[/]")
        return 1
    console.print("[green]✓ every expectation held[/]")
    return 0


def _mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"


def _demo_type(table: Table, folder: Path, message_type: MessageType) -> list[str]:
    type_folder = folder / message_type.type_id
    samples = sorted(p for p in (type_folder / "valid").glob("*.json")
                     if _declared_key(p) in (message_type.key, None))
    samples = [p for p in samples if validate(p.read_bytes()).message_type == message_type]
    if not samples:
        return [f"{message_type.key}: no valid JSON sample under {type_folder / 'valid'}"]
    sample = samples[0]
    as_json = validate(sample.read_bytes())
    failures = [f"{sample.name}: {f.code} {f.message}" for f in as_json.errors]
    same = False
    xml_ok = False
    if as_json.document is not None:
        as_xml = validate(canonical.xml_bytes(as_json.document, message_type))
        xml_ok = as_xml.valid
        same = as_xml.document == as_json.document
        if not (xml_ok and same):
            failures.append(f"{sample.name}: the XML form does not carry the same valid document")
    refused, finding = _refused_sample(type_folder / "invalid", failures)
    table.add_row(message_type.key, sample.stem, _mark(as_json.valid), _mark(xml_ok), _mark(same),
                  refused, finding)
    return failures


def _declared_key(path: Path) -> str | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("document_type")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _refused_sample(invalid: Path, failures: list[str]) -> tuple[str, str]:
    expected_file = invalid / "expected.json"
    if not expected_file.is_file():
        return "-", "-"
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    for name, spec in sorted(expected.items()):
        if name.startswith("_") or "related" in spec or spec.get("severity") == "warning":
            continue
        report = validate((invalid / name).read_bytes())
        codes = sorted({f.code for f in report.errors})
        if codes != [spec["code"]]:
            failures.append(f"{name}: expected {spec['code']}, got {codes}")
        first = report.errors[0] if report.errors else None
        detail = f"{first.code} at {first.location}: {first.message}" if first else "accepted!"
        return name, detail
    return "-", "-"


def _demo_paxlst(console: Console, folder: Path) -> list[str]:
    samples = sorted((folder / "immigration.passenger-manifest" / "valid").glob("*.edi"))
    failures: list[str] = []
    for sample in samples:
        report = validate(sample.read_bytes(), media_type="application/edifact")
        persons = len(getattr(report.document, "Person", []) or [])
        console.print(f"PAXLST {sample.name}: {_mark(report.valid)} {persons} persons, "
                      f"{len(report.findings)} findings")
        failures.extend(f"{sample.name}: {f.code} {f.message}" for f in report.errors)
    return failures
