"""The committed schemas are the models' schemas, and the registry serves versions side by side."""

import json

import jsonschema
import pytest
from lxml import etree

from services.kernel import schemagen
from services.kernel.registry import REGISTRY, UnknownMessageType
from services.kernel.validation import json_message_type, validate
from services.kernel.web import examples

TYPE_IDS = [
    "customs.declaration", "customs.response", "customs.acdd", "customs.certificate-of-origin",
    "immigration.passenger-manifest", "immigration.api-response", "port.vessel-call", "port.clearance",
    "exchange.envelope", "exchange.receipt", "exchange.error",
]


def test_committed_schema_files_match_the_models() -> None:
    stale = [str(p) for p, content in schemagen.expected_files(REGISTRY).items()
             if not p.exists() or p.read_bytes() != content]
    assert stale == [], "run `make schemas` and commit: models and schema files drifted"


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_every_architecture_type_is_registered_with_both_schemas(type_id: str) -> None:
    message_type = REGISTRY.get(type_id, "1.0")
    assert message_type.xsd_path.is_file()
    assert message_type.json_schema_path.is_file()
    jsonschema.Draft202012Validator.check_schema(message_type.json_schema)
    assert message_type.json_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    root = etree.parse(str(message_type.xsd_path)).getroot()
    assert root.get("targetNamespace") == message_type.namespace
    assert message_type.xml_schema is not None


def test_two_versions_of_one_type_are_served_at_once() -> None:
    assert REGISTRY.versions("customs.declaration") == ["1.0", "1.1", "2.0"]
    assert REGISTRY.get("customs.declaration").version == "2.0"
    old, new = REGISTRY.get("customs.declaration", "1.0"), REGISTRY.get("customs.declaration/1.1")
    assert old.namespace != new.namespace
    assert "AuthorisationHolder" in new.json_schema["properties"]
    assert "AuthorisationHolder" not in old.json_schema["properties"]


def test_the_wco_versions_are_the_latest_and_keep_the_older_ones_served() -> None:
    assert REGISTRY.versions("customs.response") == ["1.0", "2.0"]
    assert REGISTRY.versions("customs.acdd") == ["1.0", "1.1"]
    wco = REGISTRY.get("customs.declaration")
    assert wco.root_element == "GoodsDeclaration"
    assert "Declaration" in wco.json_schema["properties"]
    assert REGISTRY.get("customs.response").root_element == "CustomsResponse"
    for key in ("customs.declaration/1.0", "customs.declaration/1.1", "customs.response/1.0", "customs.acdd/1.0"):
        assert REGISTRY.get(key).rules, f"{key} lost its rules"


def test_a_1_1_field_is_refused_in_a_1_0_document(tmp_path: object) -> None:
    document = {"document_type": "customs.declaration/1.0", "AuthorisationHolder": [{"ID": "X", "CategoryCode": "AEO"}]}
    report = validate(json.dumps(document).encode())
    assert "SCHEMA_UNEXPECTED" in {f.code for f in report.errors}


def test_unknown_type_and_version_are_named_in_the_error() -> None:
    with pytest.raises(UnknownMessageType, match="customs.declaration.*9.9"):
        REGISTRY.get("customs.declaration", "9.9")
    with pytest.raises(UnknownMessageType, match="no message type has the XML namespace"):
        REGISTRY.by_namespace("urn:wco:datamodel:WCO:DEC-DMS:2")


def test_xsd_patterns_must_be_anchored_to_mean_the_same() -> None:
    with pytest.raises(ValueError, match="anchored"):
        schemagen._xsd_pattern("[A-Z]{3}")


@pytest.mark.parametrize("type_id", sorted({t.type_id for t in REGISTRY}))
def test_the_openapi_example_is_of_the_version_its_schema_describes(type_id: str) -> None:
    body = examples.document_body(type_id)["requestBody"]["content"]
    example = body["application/json"].get("example")
    if example is None:
        pytest.skip(f"{type_id} has no JSON fixture")
    named = json_message_type(example)
    assert named is not None
    assert named.key == REGISTRY.get(type_id).key
    assert validate(body["application/xml"]["example"].encode()).message_type == named
