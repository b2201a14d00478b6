"""No document can make the engine's work or its answer grow with the document: findings
are capped per document with a notice counting the rest, texts are cut, JSON values are
counted at parse time, and an oversized PAXLST is refused before it is tokenised."""

import json
import re
import tracemalloc
from pathlib import Path

import pytest

from services.kernel.edifact import paxlst, segments
from services.kernel.findings import (
    MAX_FINDINGS,
    MAX_TEXT,
    TRUNCATED,
    Finding,
    Layer,
    Severity,
    Truncated,
    bounded,
    rule_error,
    rule_warning,
)
from services.kernel.registry import REGISTRY
from services.kernel.safeparse import Limits, UnsafeInput, parse_json
from services.kernel.validation import validate
from services.kernel.web.problems import MAX_DETAIL, InvalidDocument, problem
from services.kernel.web.submissions import refusal

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# a 1.1 declaration: the tests below rewrite its XML by its 1.x element paths
DECLARATION_JSON = FIXTURES / "customs.declaration" / "valid" / "jp-import-thai-jasmine-rice-yokohama-aeo-importer.json"
DECLARATION_XML = DECLARATION_JSON.with_suffix(".xml")
PAXLST = FIXTURES / "immigration.passenger-manifest" / "valid" / "8m335-rgn-bkk-passengers-paxlst-d05b.edi"
DECLARATION = REGISTRY.get("customs.declaration", "1.1")


def declaration() -> dict[str, object]:
    document: dict[str, object] = json.loads(DECLARATION_JSON.read_text(encoding="utf-8"))
    return document


def as_json(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def with_equipment(item: str, count: int) -> bytes:
    """The XML declaration with its transport equipment replaced by ``count`` copies of ``item``."""
    text = DECLARATION_XML.read_text(encoding="utf-8")
    return re.sub(r"<TransportEquipment>.*</TransportEquipment>", item * count, text, flags=re.S).encode()


def notice(findings: list[Finding]) -> Truncated:
    assert isinstance(findings[-1], Truncated), findings[-1]
    assert findings[-1].code == TRUNCATED
    return findings[-1]


def assert_capped(findings: list[Finding]) -> None:
    assert len(findings) == MAX_FINDINGS + 1
    assert [f.code for f in findings].count(TRUNCATED) == 1


# --- JSON -------------------------------------------------------------------------------


def test_many_unknown_keys_give_a_hundred_findings_and_a_count_of_the_rest() -> None:
    document = declaration() | {f"k{i}": 0 for i in range(20_000)}

    report = validate(as_json(document), media_type="application/json")

    assert_capped(report.findings)
    assert {f.code for f in report.findings[:-1]} == {"SCHEMA_UNEXPECTED"}
    assert report.findings[0].location.pointer == "/k0"
    assert notice(report.findings).omitted == 20_000 - MAX_FINDINGS
    assert "19,900" in notice(report.findings).message


def test_unknown_keys_spread_over_nested_objects_are_capped_with_their_pointers() -> None:
    document = declaration()
    goods = document["GoodsShipment"]["GovernmentAgencyGoodsItem"]  # type: ignore[index]
    template = goods[0]
    goods[:] = [template | {f"extra{j}": j for j in range(5)} for _ in range(300)]

    report = validate(as_json(document), media_type="application/json")

    assert_capped(report.findings)
    assert report.findings[0].location.pointer == "/GoodsShipment/GovernmentAgencyGoodsItem/0/extra0"
    assert notice(report.findings).omitted == 1_500 - MAX_FINDINGS


def test_a_few_unknown_keys_are_all_reported_without_a_notice() -> None:
    document = declaration() | {"Colour": "red", "Mood": "calm"}

    report = validate(as_json(document), media_type="application/json")

    assert [(f.code, f.location.pointer) for f in report.findings] == [
        ("SCHEMA_UNEXPECTED", "/Colour"), ("SCHEMA_UNEXPECTED", "/Mood")]


def test_json_with_more_values_than_the_limit_is_refused_at_parse_time() -> None:
    document = declaration() | {f"k{i}": 0 for i in range(430_000)}

    report = validate(as_json(document), media_type="application/json")

    assert [(f.layer, f.code) for f in report.findings] == [(Layer.SYNTAX, "JSON_TOO_MANY_VALUES")]


DEEP = json.loads("[" * 40 + "]" * 40)


@pytest.mark.parametrize(("document", "code"), [
    ({"document_type": "customs.declaration/1.1", "Notes": [0] * 150_000}, "JSON_TOO_MANY_VALUES"),
    ({"document_type": "customs.declaration/1.1", "Deep": DEEP}, "JSON_TOO_DEEP"),
    ({"document_type": "customs.declaration/1.1", "Price": float("inf")}, "JSON_NON_FINITE"),
], ids=["too-many-values", "too-deep", "not-finite"])
def test_own_serialization_is_held_to_every_check_but_duplicate_keys(document: dict[str, object], code: str) -> None:
    """``serialized_here`` leaves out only the duplicate-key check, which a model's own JSON cannot fail."""
    data = json.dumps(document).encode()

    inside = validate(data, media_type="application/json", serialized_here=True)

    assert [f.code for f in inside.findings] == [code]
    assert inside.findings == validate(data, media_type="application/json").findings


def test_own_serialization_of_a_valid_document_reads_as_it_does_from_outside() -> None:
    data = DECLARATION_JSON.read_bytes()

    inside, outside = validate(data, serialized_here=True), validate(data)

    assert inside.valid
    assert outside.valid
    assert (inside.document, inside.findings) == (outside.document, outside.findings)


def test_a_long_array_counts_against_the_value_limit() -> None:
    report = validate(as_json({"document_type": "customs.declaration/1.1", "Notes": [0] * 150_000}),
                      media_type="application/json")

    assert [f.code for f in report.findings] == ["JSON_TOO_MANY_VALUES"]


@pytest.mark.parametrize("item", [b"[]", b"{}", b"[ ]", b'{"":0}'])
def test_a_flood_of_small_values_is_refused_before_it_is_built(item: bytes) -> None:
    flood = b"[" + b",".join([item] * (4 * 1024 * 1024 // (len(item) + 1))) + b"]"

    tracemalloc.start()
    try:
        with pytest.raises(UnsafeInput) as caught:
            parse_json(flood)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert caught.value.finding.code == "JSON_TOO_MANY_VALUES"
    # copies of the bytes, not a million lists or dicts (tens of bytes each, and a pointer)
    assert peak < 3 * len(flood), f"parsing {len(flood):,} bytes peaked at {peak:,} bytes"


@pytest.mark.parametrize("document", [
    pytest.param('["a", [], {}, 1]', id="four-items"),
    pytest.param('{"a,b": "[{,", "c": [ ], "d": { }, "e": "\\\"]"}', id="four-members-with-brackets-in-strings"),
    pytest.param('[\n  [\n  ],\n  {\n  },\n  {"x": 0}\n]', id="four-values-spread-over-lines"),
])
def test_the_value_count_is_exact(document: str) -> None:
    """Commas and brackets inside strings, empty containers and whitespace are not values."""
    assert parse_json(document.encode(), Limits(max_json_values=4)) == json.loads(document)
    with pytest.raises(UnsafeInput) as caught:
        parse_json(document.encode(), Limits(max_json_values=3))
    assert caught.value.finding.code == "JSON_TOO_MANY_VALUES"


def test_many_invalid_values_are_capped_with_the_exact_count() -> None:
    document = declaration()
    consignment = document["GoodsShipment"]["Consignment"]  # type: ignore[index]
    consignment["TransportEquipment"] = [{"SequenceNumeric": "one", "ID": 7} for _ in range(400)]

    report = validate(as_json(document), media_type="application/json")

    assert_capped(report.findings)
    assert {f.code for f in report.findings[:-1]} == {"SCHEMA_TYPE"}
    assert notice(report.findings).omitted == 800 - MAX_FINDINGS


# --- XML --------------------------------------------------------------------------------

BAD_EQUIPMENT = "<TransportEquipment><SequenceNumeric>x</SequenceNumeric><ID>y</ID></TransportEquipment>"
GOOD_EQUIPMENT = "<TransportEquipment><SequenceNumeric>1</SequenceNumeric><ID>ONEU1234566</ID></TransportEquipment>"


def test_many_invalid_xml_siblings_are_capped_and_located() -> None:
    report = validate(with_equipment(BAD_EQUIPMENT, 1_500), media_type="application/xml")

    assert_capped(report.findings)
    first = report.findings[0]
    assert first.location.xpath == "/Declaration/GoodsShipment/Consignment/TransportEquipment[1]/SequenceNumeric"
    assert first.location.line is not None
    assert notice(report.findings).omitted >= 3_000 - 1_000 - MAX_FINDINGS  # at least what the located copy held
    assert "at least" in notice(report.findings).message


def test_few_errors_in_a_wide_xml_document_are_located_exactly() -> None:
    items = [GOOD_EQUIPMENT] * 2_000
    items[1_499] = BAD_EQUIPMENT.replace("<ID>y</ID>", "<ID>ONEU1234566</ID>")
    text = DECLARATION_XML.read_text(encoding="utf-8")
    data = re.sub(r"<TransportEquipment>.*</TransportEquipment>", "".join(items), text, flags=re.S).encode()

    report = validate(data, media_type="application/xml")

    assert [(f.code, f.location.xpath) for f in report.findings] == [
        ("SCHEMA_TYPE", "/Declaration/GoodsShipment/Consignment/TransportEquipment[1500]/SequenceNumeric")]


def test_xml_faults_past_the_located_runs_are_still_reported() -> None:
    text = DECLARATION_XML.read_text(encoding="utf-8")
    run = GOOD_EQUIPMENT * 1_200 + BAD_EQUIPMENT * 300
    data = re.sub(r"<TransportEquipment>.*</TransportEquipment>", run, text, flags=re.S).encode()

    report = validate(data, media_type="application/xml")

    assert not report.valid
    assert [f.code for f in report.findings] == ["SCHEMA_INVALID", TRUNCATED]


def test_an_unknown_element_in_every_xml_item_is_capped() -> None:
    text = DECLARATION_XML.read_text(encoding="utf-8")
    item = re.search(r"<GovernmentAgencyGoodsItem>.*?</GovernmentAgencyGoodsItem>", text, re.S)
    assert item is not None
    bad = item.group(0).replace("<Origin>", "<Bogus/><Origin>")
    data = text.replace(item.group(0), bad * 500).encode()

    report = validate(data, media_type="application/xml")

    assert_capped(report.findings)
    assert {f.code for f in report.findings[:-1]} == {"SCHEMA_UNEXPECTED"}


# --- the cap itself -------------------------------------------------------------------------


def test_bounded_keeps_errors_before_warnings_in_their_order() -> None:
    warnings = [rule_warning("W", f"warning {i}", "w", i) for i in range(150)]
    errors = [rule_error("E", f"error {i}", "e", i) for i in range(3)]

    kept = bounded([*warnings, *errors])

    assert [f.code for f in kept[:MAX_FINDINGS]].count("E") == 3
    assert kept[:MAX_FINDINGS] == [*warnings[:97], *errors]
    assert notice(kept).omitted == 53
    assert notice(kept).severity is Severity.WARNING  # only warnings were left out: still valid


def test_bounded_is_idempotent_and_merges_notices() -> None:
    findings = [rule_error("E", f"error {i}", "e", i) for i in range(250)]
    once = bounded(findings)

    assert bounded(once) == once
    merged = bounded([*once, *bounded(findings)])
    assert_capped(merged)
    assert notice(merged).omitted == 500 - MAX_FINDINGS


# --- answers -------------------------------------------------------------------------------


def test_a_problem_stays_small_whatever_the_findings_say() -> None:
    huge = "x" * 1_000_000
    findings = [Finding(Layer.SCHEMA, "SCHEMA_PATTERN", huge) for _ in range(5_000)]
    error = InvalidDocument(huge, findings)

    body = problem(error.status_code, error.title, error.detail, instance="/declarations", errors=error.errors).body

    assert len(body) < (MAX_FINDINGS + 1) * (MAX_TEXT + 200) + MAX_DETAIL + 500
    answer = json.loads(body)
    assert len(answer["errors"]) == MAX_FINDINGS + 1
    assert answer["errors"][-1]["code"] == TRUNCATED


def test_a_refusal_names_the_whole_count_but_lists_a_hundred() -> None:
    document = declaration() | {f"k{i}": 0 for i in range(5_000)}
    report = validate(as_json(document), media_type="application/json")

    error = refusal(report, DECLARATION)

    assert error.status_code == 422
    assert "5,000 error(s)" in error.detail
    assert error.errors is not None
    assert len(error.errors) == MAX_FINDINGS + 1


# --- EDIFACT -------------------------------------------------------------------------------


def paxlst_with_segments(count: int, *, una: bytes = b"UNA:+.? '", terminator: bytes = b"'") -> bytes:
    source = PAXLST.read_bytes().removeprefix(b"UNA:+.? '")
    head, _, rest = source.partition(b"NAD+FL")
    person = b"NAD+FL" + rest.split(b"NAD+FL")[0]
    tail = b"CNT+42:6'UNT+86+8M3351120'UNE+1+1'UNZ+1+000000335'"
    data = head + person * (count // person.count(b"'")) + tail
    return una + data.replace(b"'", terminator)


@pytest.fixture
def no_tokenising(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the interchange was tokenised")

    monkeypatch.setattr(segments.Tokenizer, "get_tokens", refuse)


@pytest.mark.usefixtures("no_tokenising")
def test_a_paxlst_of_200000_segments_is_refused_before_it_is_tokenised() -> None:
    report = validate(paxlst_with_segments(200_000), media_type="application/edifact")

    assert [(f.code, f.location.segment) for f in report.findings] == [
        ("EDIFACT_TOO_LARGE", segments.MAX_SEGMENTS + 1)]
    assert "200,0" in report.findings[0].message


@pytest.mark.usefixtures("no_tokenising")
def test_una_declared_terminators_are_counted() -> None:
    data = paxlst_with_segments(200_000, una=b"UNA:+.? ~", terminator=b"~")

    result = paxlst.parse_paxlst(data)

    assert [i.code for i in result.issues] == ["EDIFACT_TOO_LARGE"]


def test_released_terminators_are_not_counted_as_segments() -> None:
    filler = b"FTX+AAI+++" + b"O?'" * 40 + b"'"  # one segment holding 40 released apostrophes
    data = paxlst_with_segments(1_000) + filler * 5_000  # 5,000 segments, 205,000 apostrophes

    assert paxlst.too_many_segments(data) is None
    assert paxlst.too_many_segments(data + b"FTX'" * 100_000) is not None
