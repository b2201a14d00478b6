"""How the CLI shows findings and the registry to a person (rich) or a program (JSON)."""

from typing import Any

from rich.console import Console
from rich.table import Table

from services.cli.documents import Checked
from services.kernel.findings import Severity
from services.kernel.registry import Registry


def as_json(checked: Checked) -> dict[str, Any]:
    report = checked.report
    return {
        "file": str(checked.path),
        "valid": report.valid,
        "format": report.format,
        "document_type": report.message_type.key if report.message_type else None,
        "findings": [f.as_dict() for f in report.findings],
    }


def report(console: Console, checked: Checked) -> None:
    result = checked.report
    kind = result.message_type.key if result.message_type else "unknown type"
    verdict = "[green]valid[/]" if result.valid else "[red]invalid[/]"
    console.print(f"[bold]{checked.path}[/] ({result.format or '?'}, {kind}): {verdict}")
    if not result.findings:
        return
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("severity", "layer", "code"):
        table.add_column(column, no_wrap=True)
    for column in ("where", "message"):
        table.add_column(column, overflow="fold")
    for finding in result.findings:
        colour = "red" if finding.severity is Severity.ERROR else "yellow"
        table.add_row(f"[{colour}]{finding.severity.value}[/]", finding.layer.value, finding.code,
                      str(finding.location), finding.message)
    console.print(table)


def schemas(console: Console, registry: Registry) -> None:
    table = Table(title="swx message types", header_style="bold")
    table.add_column("type", no_wrap=True)
    table.add_column("version", no_wrap=True)
    for column in ("root / namespace", "schemas", "what"):
        table.add_column(column, overflow="fold")
    for message_type in registry:
        table.add_row(message_type.type_id, message_type.version,
                      f"{message_type.root_element}\n{message_type.namespace}",
                      f"{_relative(message_type.xsd_path)}\n{_relative(message_type.json_schema_path)}",
                      message_type.summary)
    console.print(table)


def _relative(path: Any) -> str:
    parts = path.parts
    return "/".join(parts[parts.index("schemas"):]) if "schemas" in parts else str(path)
