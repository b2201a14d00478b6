"""Validation throughput: the engine's full path against the raw validators, same run.

For every message type, a valid sample grown to 10 items (goods items, persons, crew...)
is validated repeatedly by:

- ``engine xml``  : ``validate(xml_bytes)``  -- size check, hardened parse, XSD, mapping to
                    the model, business rules, locations;
- ``lxml``        : ``XMLSchema.validate(etree.fromstring(xml_bytes))`` -- parse + XSD only;
- ``engine json`` : ``validate(json_bytes)`` -- strict parse (duplicates, NaN, depth),
                    pydantic, business rules;
- ``pydantic``    : ``Model.model_validate_json(json_bytes)`` only.

Ratios are engine / raw (1.0 = as fast as the bare validator). Run: ``make bench`` or
``python benchmarks/validate.py [--items 10] [--seconds 0.3]``.
"""

import argparse
import copy
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree
from rich.console import Console
from rich.table import Table

from services.kernel import canonical
from services.kernel.registry import REGISTRY, MessageType
from services.kernel.validation import validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ITEM_LISTS = {
    "customs.declaration": ("GoodsShipment", "GovernmentAgencyGoodsItem"),
    "customs.acdd": ("GoodsItem",),
    "customs.certificate-of-origin": ("GoodsItem",),
    "immigration.passenger-manifest": ("Person",),
    "immigration.api-response": ("PersonDecision",),
    "port.vessel-call": ("Passenger",),
}


def grow(type_id: str, data: dict[str, Any], items: int) -> dict[str, Any]:
    """The document with its main item list repeated up to ``items`` entries, totals kept right."""
    path = ITEM_LISTS.get(type_id)
    if path is None:
        return data
    grown = copy.deepcopy(data)
    holder = grown
    for key in path[:-1]:
        holder = holder[key]
    source = holder.get(path[-1]) or []
    if not source:
        return grown
    holder[path[-1]] = [dict(copy.deepcopy(source[i % len(source)]), SequenceNumeric=i + 1) for i in range(items)]
    if type_id == "customs.declaration":
        _fix_declaration_totals(grown)
    if type_id == "immigration.passenger-manifest" and "TotalPersonQuantity" in grown:
        grown["TotalPersonQuantity"] = items
    if type_id == "port.vessel-call":
        grown["PassengerQuantity"] = items
    return grown


def _fix_declaration_totals(document: dict[str, Any]) -> None:
    goods = document["GoodsShipment"]["GovernmentAgencyGoodsItem"]
    document["GoodsItemQuantity"] = len(goods)
    amounts = [Decimal(g["Commodity"]["InvoiceLine"]["ItemChargeAmount"]["value"]) for g in goods]
    document["InvoiceAmount"]["value"] = str(sum(amounts, Decimal(0)))
    if "TotalGrossMassMeasure" in document:
        masses = [Decimal(g["Commodity"]["GoodsMeasure"]["GrossMassMeasure"]["value"]) for g in goods]
        document["TotalGrossMassMeasure"]["value"] = str(sum(masses, Decimal(0)))


def rate(work: Callable[[], object], seconds: float) -> float:
    """Calls per second: the best of five timed rounds."""
    calls = 1
    while True:  # find a batch that takes a measurable time
        start = time.perf_counter()
        for _ in range(calls):
            work()
        if time.perf_counter() - start > seconds / 5:
            break
        calls *= 2
    best = 0.0
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            work()
        best = max(best, calls / (time.perf_counter() - start))
    return best


def sample(message_type: MessageType, items: int) -> tuple[bytes, bytes] | None:
    for path in sorted((FIXTURES / message_type.type_id / "valid").glob("*.json")):
        report = validate(path.read_bytes())
        if report.message_type is not message_type or report.document is None:
            continue
        data = grow(message_type.type_id, canonical.json_data(report.document), items)
        json_bytes = json.dumps(data).encode("utf-8")
        grown = validate(json_bytes)
        if not grown.valid or grown.document is None:
            raise SystemExit(f"{path.name} grown to {items} items is not valid: "
                             f"{[f.code for f in grown.errors]}")
        return canonical.xml_bytes(grown.document, message_type), json_bytes
    return None


def stages(message_type: MessageType, xml: bytes, json_bytes: bytes, seconds: float) -> Table:
    """Where the engine's time goes for one document, stage by stage (microseconds)."""
    from services.kernel import safeparse, xmlmap
    from services.kernel.rules import RuleContext

    tree = safeparse.parse_xml(xml)
    data = xmlmap.from_xml(tree.getroot(), message_type.model)
    document = message_type.model.model_validate(data, strict=False)
    context = RuleContext()
    steps: list[tuple[str, Callable[[], object]]] = [
        ("hardened parse + bounds (xml)", lambda: safeparse.parse_xml(xml)),
        ("XSD validation (xml)", lambda: message_type.xml_schema.validate(tree)),
        ("XML -> model data (xml)", lambda: xmlmap.from_xml(tree.getroot(), message_type.model)),
        ("pydantic, lax (xml)", lambda: message_type.model.model_validate(data, strict=False)),
        ("strict parse: duplicates, NaN, depth (json)", lambda: safeparse.parse_json(json_bytes)),
        ("pydantic, strict (json)", lambda: message_type.model.model_validate_json(json_bytes, strict=True)),
        ("business rules (both)", lambda: [list(rule(document, context)) for rule in message_type.rules]),
    ]
    table = Table(title=f"{message_type.key}: engine stages", header_style="bold")
    table.add_column("stage")
    table.add_column("µs per document", justify="right")
    for name, work in steps:
        table.add_row(name, f"{1e6 / rate(work, seconds):.1f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=0.3, help="time per measurement round set")
    args = parser.parse_args()
    table = Table(title=f"documents/s, {args.items}-item documents (ratio = engine / raw)", header_style="bold")
    for column in ("type", "bytes xml", "engine xml", "lxml", "ratio", "engine json", "pydantic", "ratio"):
        table.add_column(column, justify="right" if column != "type" else "left")
    xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for message_type in REGISTRY:
        found = sample(message_type, args.items)
        if found is None:
            continue
        xml, json_bytes = found
        schema = message_type.xml_schema
        model = message_type.model
        engine_xml = rate(lambda: validate(xml), args.seconds)  # noqa: B023 -- measured at once
        raw_xml = rate(lambda: schema.validate(etree.fromstring(xml, xml_parser)), args.seconds)  # noqa: B023
        engine_json = rate(lambda: validate(json_bytes), args.seconds)  # noqa: B023
        raw_json = rate(lambda: model.model_validate_json(json_bytes, strict=True), args.seconds)  # noqa: B023
        table.add_row(message_type.key, str(len(xml)), f"{engine_xml:,.0f}", f"{raw_xml:,.0f}",
                      f"{engine_xml / raw_xml:.2f}", f"{engine_json:,.0f}", f"{raw_json:,.0f}",
                      f"{engine_json / raw_json:.2f}")
    console = Console(width=140)
    console.print(table)
    declaration = REGISTRY.get("customs.declaration", "1.0")
    found = sample(declaration, args.items)
    if found is not None:
        console.print(stages(declaration, *found, args.seconds))


if __name__ == "__main__":
    main()
