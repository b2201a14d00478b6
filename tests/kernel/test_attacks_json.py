"""Hostile JSON, and random garbage in any format: refused cleanly with a finding, never a crash.

Each attack goes through ``validate()`` and, where it is a parsing matter, through
``parse_json`` directly.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.kernel.findings import Finding, Layer
from services.kernel.registry import REGISTRY
from services.kernel.safeparse import DEFAULT_LIMITS, Limits, UnsafeInput, parse_json
from services.kernel.validation import validate

JSON = "application/json"


def refused(data: bytes, code: str, *, layer: Layer = Layer.SYNTAX, media_type: str | None = None,
            limits: Limits = DEFAULT_LIMITS) -> None:
    """Assert both entry points refuse ``data`` with exactly ``code``."""
    report = validate(data, media_type=media_type, limits=limits)
    assert not report.valid
    assert [(f.layer, f.code) for f in report.findings] == [(layer, code)], report.findings
    with pytest.raises(UnsafeInput) as caught:
        parse_json(data, limits)
    assert (caught.value.finding.layer, caught.value.finding.code) == (layer, code)


def refusal(data: bytes) -> Finding | None:
    """The finding ``parse_json`` refuses ``data`` with, or None when it parses."""
    try:
        parse_json(data)
    except UnsafeInput as error:
        return error.finding
    return None


def lists(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


MAX = DEFAULT_LIMITS.max_json_depth


@pytest.mark.parametrize("data", [
    pytest.param(b"[" * 100_000, id="100k-open-brackets"),
    pytest.param(lists(100_000), id="100k-nested-lists"),
    pytest.param(b'{"a":' * 100_000, id="100k-open-objects"),
    pytest.param(objects(100_000), id="100k-nested-objects"),
    pytest.param(lists(MAX + 1), id="max-depth-plus-one-lists"),
    pytest.param(objects(MAX + 1), id="max-depth-plus-one-objects"),
    pytest.param(b'{"document_type": "customs.declaration/1.0", "x": ' + lists(MAX) + b"}",
                 id="max-depth-plus-one-inside-a-document"),
])
def test_deep_nesting_is_refused(data: bytes) -> None:
    refused(data, "JSON_TOO_DEEP")


def test_depth_limit_is_exact() -> None:
    limits = Limits(max_json_depth=3)
    refused(lists(4), "JSON_TOO_DEEP", limits=limits)
    assert parse_json(lists(3), limits) == [[[]]]
    assert parse_json(lists(MAX)) is not None


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("template", ['{{"a": {}}}', '[{}]', '{{"a": [1, {{"b": {}}}]}}'],
                         ids=["in-object", "in-array", "nested"])
def test_non_finite_number_is_refused(token: str, template: str) -> None:
    refused(template.format(token).encode(), "JSON_NON_FINITE")


def test_non_finite_number_at_top_level_is_refused() -> None:
    refused(b"NaN", "JSON_NON_FINITE", media_type=JSON)


@pytest.mark.parametrize("literal", ["1e999", "-1e999"])
def test_overflowing_number_is_refused_as_non_finite(literal: str) -> None:
    data = f'{{"a": {literal}}}'.encode()
    finding = refusal(data)
    assert finding is not None, f"parse_json returned {parse_json(data)!r}"
    assert finding.code == "JSON_NON_FINITE"


@pytest.mark.parametrize("data", [
    pytest.param(b'{"a": 1, "a": 2}', id="top-level"),
    pytest.param(b'{"b": {"a": 1, "a": 2}}', id="nested"),
    pytest.param(b'[{"a": 1, "a": 1}]', id="in-array-same-value"),
    pytest.param(b'{"a": 1, "\\u0061": 2}', id="escaped-spelling"),
    pytest.param(b'{"document_type": "customs.declaration/1.0", "document_type": "exchange.receipt/1.0"}',
                 id="document-type-twice"),
])
def test_duplicate_key_is_refused(data: bytes) -> None:
    refused(data, "JSON_DUPLICATE_KEY")


@pytest.mark.parametrize("data", [
    pytest.param(b'{"a": "\xff"}', id="stray-byte"),
    pytest.param(b'{"a": "\xc0\xaf"}', id="overlong"),
    pytest.param(b'{"a": "\xed\xa0\x80"}', id="encoded-surrogate"),
    pytest.param(b'{"a": "\xe2\x82"}', id="truncated-sequence"),
    pytest.param('{"a": 1}'.encode("utf-16"), id="utf-16"),
    pytest.param('{"a": 1}'.encode("latin-1") + b"\xe9", id="latin-1"),
])
def test_invalid_utf8_is_refused(data: bytes) -> None:
    refused(data, "ENCODING_INVALID", layer=Layer.TRANSPORT, media_type=JSON)


def test_lone_surrogate_escape_is_refused_cleanly() -> None:
    report = validate(b'{"document_type": "customs.declaration/1.0", "x": "\\ud800"}')
    assert not report.valid
    assert report.errors
    assert {f.layer for f in report.findings} <= {Layer.SYNTAX, Layer.SCHEMA}


@pytest.mark.parametrize("limits", [DEFAULT_LIMITS, Limits(max_bytes=64)], ids=["default", "64-bytes"])
def test_body_over_the_limit_is_refused(limits: Limits) -> None:
    padding = b"x" * (limits.max_bytes - 8)
    assert len(b'{"a":"' + padding + b'"}') == limits.max_bytes
    assert parse_json(b'{"a":"' + padding + b'"}', limits)
    refused(b'{"a":"' + padding + b'x"}', "BODY_TOO_LARGE", layer=Layer.TRANSPORT, limits=limits)


@pytest.mark.parametrize("entry", ["validate", "parse_json"])
def test_integer_with_five_thousand_digits_is_refused_cleanly(entry: str) -> None:
    data = b'{"document_type": "customs.declaration/1.0", "a": ' + b"9" * 5000 + b"}"
    if entry == "validate":
        assert validate(data).errors
    else:
        with pytest.raises(UnsafeInput):
            parse_json(data)


@pytest.mark.parametrize(("data", "media_type"), [
    pytest.param(b"[1, 2, 3]", None, id="array-sniffed"),
    pytest.param(b"[]", JSON, id="empty-array"),
    pytest.param(b'"customs.declaration/1.0"', JSON, id="string"),
    pytest.param(b"42", JSON, id="integer"),
    pytest.param(b"-0.5e3", JSON, id="float"),
    pytest.param(b"true", JSON, id="boolean"),
    pytest.param(b"null", JSON, id="null"),
])
def test_top_level_non_object_yields_a_schema_finding(data: bytes, media_type: str | None) -> None:
    report = validate(data, media_type=media_type)
    assert [(f.layer, f.code) for f in report.findings] == [(Layer.SCHEMA, "SCHEMA_TYPE")]
    assert report.findings[0].location.pointer == ""
    parse_json(data)  # well-formed JSON: the parser itself accepts it


@pytest.mark.parametrize("data", [b'"a string"', b"42", b"null"])
def test_top_level_scalar_without_media_type_is_not_taken_for_json(data: bytes) -> None:
    report = validate(data)
    assert [(f.layer, f.code) for f in report.findings] == [(Layer.SYNTAX, "UNKNOWN_FORMAT")]


# --- random garbage ------------------------------------------------------------------------

GARBAGE = settings(max_examples=200, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow])
MEDIA_TYPES = [None, "application/xml", JSON, "application/edifact", "application/problem+json",
               "text/plain"]


@GARBAGE
@given(data=st.binary(max_size=512), media_type=st.sampled_from(MEDIA_TYPES))
def test_random_bytes_never_raise(data: bytes, media_type: str | None) -> None:
    report = validate(data, media_type=media_type)
    assert report.valid or report.errors


@GARBAGE
@given(body=st.text(max_size=300), media_type=st.sampled_from([None, JSON, "application/vnd.swx+json"]))
def test_random_text_after_a_brace_never_raises(body: str, media_type: str | None) -> None:
    data = ("{" + body).encode()
    report = validate(data, media_type=media_type)
    assert report.valid or report.errors
    finding = refusal(data)
    assert finding is None or finding.layer in {Layer.TRANSPORT, Layer.SYNTAX}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@GARBAGE
@given(key=st.sampled_from([t.key for t in REGISTRY]),
       fields=st.dictionaries(st.text(max_size=20), JSON_VALUES))
def test_well_formed_json_of_a_known_type_never_raises(key: str, fields: dict[str, object]) -> None:
    report = validate(json.dumps({**fields, "document_type": key}).encode())
    assert report.valid or report.errors
    syntax = [f.code for f in report.findings if f.layer in {Layer.TRANSPORT, Layer.SYNTAX}]
    assert set(syntax) <= {"JSON_TOO_DEEP"}, report.findings
