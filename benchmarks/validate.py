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

WCO DM 3.6 XML in (``customs.declaration/2.0``): real HMRC declarations from
``../shared/external/wco-dec`` (the largest and a median-sized one; the rows are skipped, with
the reason, when ../shared is absent), validated by

- ``engine wco`` : ``validate(wco_bytes)`` -- hardened parse, WCO checks and renaming, the
                   generated 2.0 XSD, the model, business rules, findings in WCO terms;
- ``lxml wco``   : ``XMLSchema.validate(etree.fromstring(wco_bytes))`` against the published
                   schema set (``wrapper_submit.xsd``) -- parse + XSD only;

each as documents per second (wall) and as CPU and wall microseconds per document.
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
WCO_DEC = Path(__file__).resolve().parents[2] / "shared" / "external" / "wco-dec"
ITEM_LISTS = {
    "customs.declaration/2.0": ("Declaration", "GoodsShipment", "GovernmentAgencyGoodsItem"),
    "customs.declaration": ("GoodsShipment", "GovernmentAgencyGoodsItem"),
    "customs.acdd": ("GoodsItem",),
    "customs.certificate-of-origin": ("GoodsItem",),
    "immigration.passenger-manifest": ("Person",),
    "immigration.api-response": ("PersonDecision",),
    "port.vessel-call": ("Passenger",),
}


def grow(type_id: str, data: dict[str, Any], items: int, *, key: str = "") -> dict[str, Any]:
    """The document with its main item list repeated up to ``items`` entries, totals kept right
    (``key``, the type's ``id/version``, picks a version whose items lie elsewhere)."""
    path = ITEM_LISTS.get(key) or ITEM_LISTS.get(type_id)
    if path is None:
        return data
    grown = copy.deepcopy(data)
    holder = grown
    for step in path[:-1]:
        holder = holder[step]
    source = holder.get(path[-1]) or []
    if not source:
        return grown
    holder[path[-1]] = [dict(copy.deepcopy(source[i % len(source)]), SequenceNumeric=i + 1) for i in range(items)]
    if key == "customs.declaration/2.0":
        _fix_wco_declaration_totals(grown["Declaration"])
    elif type_id == "customs.declaration":
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


def _fix_wco_declaration_totals(declaration: dict[str, Any]) -> None:
    """2.0 (WCO structure): item count, package total and invoice amount, where the items carry them."""
    goods = declaration["GoodsShipment"]["GovernmentAgencyGoodsItem"]
    declaration["GoodsItemQuantity"] = {**declaration.get("GoodsItemQuantity", {}), "value": len(goods)}
    packages = [p["QuantityQuantity"]["value"] for g in goods for p in g.get("Packaging", [])
                if "QuantityQuantity" in p]
    if "TotalPackageQuantity" in declaration and packages:
        declaration["TotalPackageQuantity"]["value"] = sum(packages)
    charges = [g.get("Commodity", {}).get("InvoiceLine", {}).get("ItemChargeAmount") for g in goods]
    if "InvoiceAmount" in declaration and all(charges):
        declaration["InvoiceAmount"]["value"] = str(sum((Decimal(c["value"]) for c in charges), Decimal(0)))


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


def per_call(work: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Wall and CPU seconds per call (process time, all threads), from the round of five with
    the least wall time."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            work()
        if time.perf_counter() - start > seconds / 5:
            break
        calls *= 2
    best = (float("inf"), float("inf"))
    for _ in range(5):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            work()
        best = min(best, ((time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls))
    return best


def wco_samples() -> tuple[list[Path], str | None]:
    """The largest and a median-sized real declaration, or why there are none."""
    folder = WCO_DEC / "samples" / "dec"
    if not folder.is_dir():
        return [], f"no real WCO DM declarations at {folder} (../shared is not checked out beside the project)"
    by_size = sorted(folder.glob("*.xml"), key=lambda p: p.stat().st_size)
    return [by_size[-1], by_size[len(by_size) // 2]], None


def wco_table(seconds: float) -> Table:
    table = Table(title="customs.declaration/2.0 as WCO DM 3.6 XML in: engine against lxml + the published XSD set "
                        "(ratio = engine / raw, documents/s)", header_style="bold")
    for column in ("sample", "bytes", "items", "engine wco", "lxml wco", "ratio", "engine µs cpu / wall",
                   "lxml µs cpu / wall"):
        table.add_column(column, justify="left" if column == "sample" else "right")
    samples, reason = wco_samples()
    if not samples:
        table.add_row(f"skipped: {reason}", *[""] * 7)
        return table
    submit = etree.XMLSchema(etree.parse(str(WCO_DEC / "schemas" / "customs" / "wrapper_submit.xsd")))
    xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for path in samples:
        data = path.read_bytes()
        report = validate(data)
        if report.document is None or not submit.validate(etree.fromstring(data, xml_parser)):
            table.add_row(f"skipped: {path.name} is not valid ({[f.code for f in report.errors]})", *[""] * 7)
            continue
        items = data.count(b"GovernmentAgencyGoodsItem>") // 2
        engine_wall, engine_cpu = per_call(lambda: validate(data), seconds)  # noqa: B023 -- measured at once
        raw_wall, raw_cpu = per_call(lambda: submit.validate(etree.fromstring(data, xml_parser)),  # noqa: B023
                                     seconds)
        table.add_row(path.name, f"{len(data):,}", str(items), f"{1 / engine_wall:,.0f}", f"{1 / raw_wall:,.0f}",
                      f"{raw_wall / engine_wall:.2f}", f"{engine_cpu * 1e6:,.0f} / {engine_wall * 1e6:,.0f}",
                      f"{raw_cpu * 1e6:,.0f} / {raw_wall * 1e6:,.0f}")
    return table


def sample(message_type: MessageType, items: int) -> tuple[bytes, bytes] | None:
    for path in sorted((FIXTURES / message_type.type_id / "valid").glob("*.json")):
        report = validate(path.read_bytes())
        if report.message_type is not message_type or report.document is None:
            continue
        data = grow(message_type.type_id, canonical.json_data(report.document), items, key=message_type.key)
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
    console.print(wco_table(args.seconds))
    declaration = REGISTRY.get("customs.declaration", "1.0")
    found = sample(declaration, args.items)
    if found is not None:
        console.print(stages(declaration, *found, args.seconds))


if __name__ == "__main__":
    main()
