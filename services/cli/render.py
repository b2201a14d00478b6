"""How the CLI shows findings and the registry to a person (rich) or a program (JSON)."""

import textwrap
from typing import Any

from rich.console import Console
from rich.markup import escape
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
    """Each type version as a block that fits 80 columns: its name and what it is (wrapped
    at words), its XML root and namespace, and its two schema files under their folder, each
    path and namespace on a line of its own."""
    types = list(registry)
    console.print(f"[bold]swx message types[/]: {len(types)} versions of {len({t.type_id for t in types})} types",
                  highlight=False)
    for message_type in types:
        console.print()
        console.print(f"[bold]{message_type.type_id}[/] {message_type.version}", highlight=False)
        for line in textwrap.wrap(message_type.summary, width=max(console.width - 2, 40)):
            console.print(f"  {escape(line)}", highlight=False)
        lines = [("XML", f"{message_type.root_element} in {message_type.namespace}"),
                 ("files", f"{_relative(message_type.xsd_path.parent)}/"),
                 ("", f"{message_type.xsd_path.name}, {message_type.json_schema_path.name}")]
        for label, value in lines:
            console.print(f"  [dim]{label:<5}[/] {escape(value)}", highlight=False, soft_wrap=True)


def _relative(path: Any) -> str:
    parts = path.parts
    return "/".join(parts[parts.index("schemas"):]) if "schemas" in parts else str(path)
