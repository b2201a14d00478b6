"""The schema registry: every message type, each version, its model, schemas and rules.

Several versions of one type are served side by side (``customs.declaration`` 1.0 and
1.1): a document names its version by its XML namespace or its JSON ``document_type``.
Schemas are read only from the schemas swx ships (the repository's ``schemas/`` folder,
installed as ``services.schemas``), never from a location a document suggests.
"""

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from lxml import etree

from services.kernel import resources
from services.kernel.messages import customs, exchange, immigration, origin, port
from services.kernel.messages.types import Document
from services.kernel.messages.wco import declaration as wco_declaration
from services.kernel.messages.wco import response as wco_response

SCHEMA_ROOT = Path(os.environ["SWX_SCHEMA_DIR"]) if os.environ.get("SWX_SCHEMA_DIR") else resources.schemas_dir()
"""The shipped schemas (``services.schemas``, the repository's ``schemas/``); ``SWX_SCHEMA_DIR`` points elsewhere."""

RuleCheck = Callable[..., Iterable[Any]]


class UnknownMessageType(LookupError):
    """No registered type matches the given id, version, namespace or root element."""


@dataclass(frozen=True)
class MessageType:
    """One version of one message type."""

    type_id: str
    version: str
    model: type[Document]
    summary: str
    rules: tuple[RuleCheck, ...] = field(default=())

    @property
    def key(self) -> str:
        """``id/version``, as envelopes and JSON documents name the type."""
        return f"{self.type_id}/{self.version}"

    @property
    def namespace(self) -> str:
        return f"urn:swx:{self.type_id}:{self.version}"

    @property
    def root_element(self) -> str:
        return self.model.xml_root

    @property
    def directory(self) -> Path:
        domain, name = self.type_id.split(".", 1)
        return SCHEMA_ROOT / domain / name / self.version

    @property
    def xsd_path(self) -> Path:
        return self.directory / f"{self.type_id.split('.', 1)[1]}.xsd"

    @property
    def json_schema_path(self) -> Path:
        return self.directory / f"{self.type_id.split('.', 1)[1]}.schema.json"

    @cached_property
    def xml_schema(self) -> etree.XMLSchema:
        """The compiled XSD, parsed with the same hardened settings as any document."""
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        tree = etree.parse(str(self.xsd_path), parser)
        return etree.XMLSchema(tree)

    @cached_property
    def json_schema(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.json_schema_path.read_text(encoding="utf-8"))
        return loaded


class Registry:
    def __init__(self, types: Iterable[MessageType]) -> None:
        self._by_key: dict[str, MessageType] = {}
        self._by_namespace: dict[str, MessageType] = {}
        for message_type in types:
            if message_type.key in self._by_key:
                raise ValueError(f"{message_type.key} registered twice")
            self._by_key[message_type.key] = message_type
            self._by_namespace[message_type.namespace] = message_type

    def __iter__(self) -> Any:
        return iter(sorted(self._by_key.values(), key=lambda t: (t.type_id, _version_key(t.version))))

    def versions(self, type_id: str) -> list[str]:
        return [t.version for t in self if t.type_id == type_id]

    def get(self, type_id: str, version: str | None = None) -> MessageType:
        """The type by id and version; without a version, the latest one."""
        if "/" in type_id and version is None:
            type_id, version = type_id.split("/", 1)
        if version is None:
            versions = self.versions(type_id)
            if not versions:
                raise UnknownMessageType(f"unknown message type {type_id!r}")
            version = versions[-1]
        found = self._by_key.get(f"{type_id}/{version}")
        if found is None:
            raise UnknownMessageType(f"unknown message type {type_id!r} version {version!r}")
        return found

    def by_namespace(self, namespace: str) -> MessageType:
        found = self._by_namespace.get(namespace)
        if found is None:
            raise UnknownMessageType(f"no message type has the XML namespace {namespace!r}")
        return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _build() -> Registry:
    from services.kernel.rules import (
        acdd_v1_1_rules,
        certificate_boxes_rules,
        customs_rules,
        declaration_v2_rules,
        exchange_rules,
        immigration_rules,
        port_rules,
        response_v2_rules,
    )

    return Registry(
        [
            MessageType("customs.declaration", "1.0", customs.Declaration,
                        "WCO DM goods declaration (import/export)", customs_rules.DECLARATION),
            MessageType("customs.declaration", "1.1", customs.DeclarationV1_1,
                        "WCO DM goods declaration with authorisation holders (AEO)",
                        customs_rules.DECLARATION),
            MessageType("customs.declaration", "2.0", wco_declaration.GoodsDeclaration,
                        "WCO Data Model 3.6 goods declaration (DEC) with WCO structure and cardinality, "
                        "read and written as WCO XML too", declaration_v2_rules.DECLARATION_V2),
            MessageType("customs.response", "1.0", customs.Response,
                        "WCO DM customs response (RES/CUSRES)", customs_rules.RESPONSE),
            MessageType("customs.response", "2.0", wco_response.CustomsResponse,
                        "WCO Data Model 3.6 customs response (RES): status, errors with pointers, assessed "
                        "duties and taxes with base and rate", response_v2_rules.RESPONSE_V2),
            MessageType("customs.acdd", "1.0", customs.ACDD,
                        "ASEAN Customs Declaration Document", customs_rules.ACDD),
            MessageType("customs.acdd", "1.1", customs.ACDDV1_1,
                        "ACDD with consignor, per-item origin and the preference claim, derived from a 2.0 "
                        "declaration", acdd_v1_1_rules.ACDD_V1_1),
            MessageType("customs.certificate-of-origin", "1.0", customs.CertificateOfOrigin,
                        "ATIGA e-Form D / AJCEP Form AJ certificate of origin",
                        customs_rules.CERTIFICATE_OF_ORIGIN),
            MessageType("customs.certificate-of-origin", "1.1", origin.CertificateOfOriginV1_1,
                        "ATIGA e-Form D / AJCEP Form AJ with boxes 4, 7, 9, 11, 12, 13 and status",
                        certificate_boxes_rules.CERTIFICATE_OF_ORIGIN_V1_1),
            MessageType("immigration.passenger-manifest", "1.0", immigration.PassengerManifest,
                        "Advance passenger information (API/PAXLST)", immigration_rules.MANIFEST),
            MessageType("immigration.passenger-manifest", "1.1", immigration.PassengerManifestV1_1,
                        "Advance passenger information as PAXLST carries it: every leg, local times with "
                        "their UTC offset, references, counts, baggage", immigration_rules.MANIFEST),
            MessageType("immigration.api-response", "1.0", immigration.APIResponse,
                        "Board / no-board per person", immigration_rules.API_RESPONSE),
            MessageType("port.vessel-call", "1.0", port.VesselCall,
                        "IMO FAL 1 + FAL 5 + FAL 6 vessel call", port_rules.VESSEL_CALL),
            MessageType("port.vessel-call", "1.1", port.VesselCallV1_1,
                        "IMO FAL 1 + FAL 5 + FAL 6 vessel call as the forms have them: place of birth, "
                        "single names, ETA or ETD by direction, attached documents, agent's contact",
                        port_rules.VESSEL_CALL_V1_1),
            MessageType("port.clearance", "1.0", port.Clearance,
                        "Per-agency clearance of a vessel call", port_rules.CLEARANCE),
            MessageType("exchange.envelope", "1.0", exchange.Envelope,
                        "Signed message envelope", exchange_rules.ENVELOPE),
            MessageType("exchange.receipt", "1.0", exchange.Receipt, "Signed receipt"),
            MessageType("exchange.error", "1.0", exchange.ErrorSignal, "Permanent error signal"),
        ]
    )


REGISTRY = _build()
