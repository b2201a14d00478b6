"""``swx samples``: every version of every message type through the engine, without the network.

For each type version it validates a sample in JSON, converts it to XML, validates that,
checks the two carry the same document, and shows how a broken sample of that same
version is refused. It exits 0 only when every expectation held, and fails with the reason
when there is nothing to show (no fixture folder, no sample in it).
"""

import json
import textwrap
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from services.cli.words import plural
from services.kernel import canonical, resources
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.validation import validate


def run_samples(console: Console, fixtures: Path | None) -> int:
    """Show every type version's samples from ``fixtures`` (default: the samples swx ships)."""
    try:
        folder = fixtures or resources.fixtures_dir()
    except (ModuleNotFoundError, resources.NotInstalledAsFiles) as error:
        console.print(f"[red]error:[/] the samples swx ships are not installed ({escape(str(error))}): nothing to "
                      "show; give a fixture folder with --fixtures", soft_wrap=True)
        return 2
    if not folder.is_dir():
        console.print(f"[red]error:[/] no fixture folder at {escape(str(folder))}: nothing to show", soft_wrap=True)
        return 2
    if not any((folder / t.type_id / "valid").is_dir() for t in REGISTRY):
        console.print(f"[red]error:[/] nothing to show: {escape(str(folder))} holds no <type>/valid/ folder of "
                      "samples", soft_wrap=True)
        return 1
    console.rule("each type version: a sample in JSON and canonical XML, a broken one refused")
    failures: list[str] = []
    for message_type in REGISTRY:
        failures.extend(_demo_type(console, folder, message_type))
    console.rule("UN/EDIFACT PAXLST")
    failures.extend(_demo_paxlst(console, folder))
    console.rule()
    if failures:
        for failure in failures:
            console.print(f"[red]✗ {escape(failure)}[/]", soft_wrap=True)
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
    console.print(f"[bold]{message_type.key}[/]", highlight=False)
    console.print(f"  sample {escape(sample.name)}", highlight=False, soft_wrap=True)
    console.print(f"    JSON valid {_mark(as_json.valid)}   canonical XML valid {_mark(xml_ok)}   "
                  f"same document both ways {_mark(same)}")
    refused = _refused_sample(type_folder / "invalid", message_type, failures)
    for line in refused or ["  refused: no broken sample of this version"]:
        console.print(line, highlight=False, soft_wrap=True)
    return failures


def _refused_sample(invalid: Path, message_type: MessageType, failures: list[str]) -> list[str] | None:
    """How the first plainly broken sample of this very version is refused, as lines to print."""
    expected_file = invalid / "expected.json"
    if not expected_file.is_file():
        return None
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    for name, spec in sorted(expected.items()):
        if name.startswith("_") or "related" in spec or spec.get("severity") == "warning":
            continue
        report = validate((invalid / name).read_bytes())
        if report.message_type != message_type:
            continue  # a sample of another version, shown under that one
        codes = sorted({f.code for f in report.errors})
        if codes != [spec["code"]]:
            failures.append(f"{name}: expected {spec['code']}, got {codes}")
        first = report.errors[0] if report.errors else None
        if first is None:
            return [f"  refused {escape(name)}: [red]accepted![/]"]
        message = textwrap.wrap(first.message, width=72, initial_indent="    ", subsequent_indent="    ")
        return [f"  refused {escape(name)}: [yellow]{escape(first.code)}[/] at {escape(str(first.location))}",
                *(escape(line) for line in message)]
    return None


def _demo_paxlst(console: Console, folder: Path) -> list[str]:
    samples = sorted((folder / "immigration.passenger-manifest" / "valid").glob("*.edi"))
    failures: list[str] = []
    for sample in samples:
        report = validate(sample.read_bytes(), media_type="application/edifact")
        persons = len(getattr(report.document, "Person", []) or [])
        console.print(f"PAXLST {escape(sample.name)}: {_mark(report.valid)} {plural(persons, 'person')}, "
                      f"{plural(len(report.findings), 'finding')}", highlight=False, soft_wrap=True)
        failures.extend(f"{sample.name}: {f.code} {f.message}" for f in report.errors)
    return failures
