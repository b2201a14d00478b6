"""``swx samples``: every message type through the engine, without the network.

For each type it validates a sample in JSON, converts it to XML, validates that, checks
the two carry the same document, and shows how an invalid sample is refused. It exits 0
only when every expectation held.
"""

import json
from pathlib import Path

from rich.console import Console

from services.kernel import canonical
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.validation import validate

PROJECT_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def run_samples(console: Console, fixtures: Path) -> int:
    folder = fixtures if fixtures.is_dir() else PROJECT_FIXTURES
    if not folder.is_dir():
        console.print(f"[red]no fixture folder at {fixtures}[/]")
        return 2
    console.rule("swx message types: a sample in JSON, its canonical XML, a broken sample refused")
    failures: list[str] = []
    for message_type in REGISTRY:
        failures.extend(_demo_type(console, folder, message_type))
    console.rule("UN/EDIFACT PAXLST")
    failures.extend(_demo_paxlst(console, folder))
    console.rule()
    if failures:
        for failure in failures:
            console.print(f"[red]✗ {failure}[/]")
        return 1
    console.print("[green]✓ every expectation held[/]")
    return 0


def _mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"


def _demo_type(console: Console, folder: Path, message_type: MessageType) -> list[str]:
    type_folder = folder / message_type.type_id
    reports = ((p, validate(p.read_bytes())) for p in sorted((type_folder / "valid").glob("*.json")))
    found = next(((p, r) for p, r in reports if r.message_type == message_type), None)
    if found is None:
        return [f"{message_type.key}: no valid JSON sample under {type_folder / 'valid'}"]
    sample, as_json = found
    failures = [f"{sample.name}: {f.code} {f.message}" for f in as_json.errors]
    same = xml_ok = False
    if as_json.document is not None:
        as_xml = validate(canonical.xml_bytes(as_json.document, message_type))
        xml_ok, same = as_xml.valid, as_xml.document == as_json.document
        if not (xml_ok and same):
            failures.append(f"{sample.name}: the XML form does not carry the same valid document")
    console.print(f"[bold]{message_type.key}[/]  {sample.stem}")
    console.print(f"    JSON valid {_mark(as_json.valid)}   canonical XML valid {_mark(xml_ok)}   "
                  f"same document both ways {_mark(same)}")
    refused = _refused_sample(type_folder / "invalid", failures)
    if refused:
        console.print(f"    refused {refused}")
    return failures


def _refused_sample(invalid: Path, failures: list[str]) -> str | None:
    """Show how the first plainly broken sample of the type is refused."""
    expected_file = invalid / "expected.json"
    if not expected_file.is_file():
        return None
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    for name, spec in sorted(expected.items()):
        if name.startswith("_") or "related" in spec or spec.get("severity") == "warning":
            continue
        report = validate((invalid / name).read_bytes())
        codes = sorted({f.code for f in report.errors})
        if codes != [spec["code"]]:
            failures.append(f"{name}: expected {spec['code']}, got {codes}")
        first = report.errors[0] if report.errors else None
        if first is None:
            return f"{name}: [red]accepted![/]"
        return f"{name}: [yellow]{first.code}[/] at {first.location}\n      {first.message}"
    return None


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
