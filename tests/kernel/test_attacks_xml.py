"""Hostile XML: every attack is refused cleanly, with a finding, and nothing leaks or is fetched.

Each attack goes through ``validate()`` (what the hub runs) and through ``parse_xml`` (the
hardened parser under it). URLs point at a real loopback listener that records every
connection; files hold a unique secret that must never come back.
"""

import contextlib
import selectors
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from services.kernel.findings import Layer
from services.kernel.safeparse import DEFAULT_LIMITS, Limits, UnsafeInput, parse_xml
from services.kernel.validation import Report, validate

DECL_NS = "urn:swx:customs.declaration:1.0"
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
MB = 2**20


def encoded(text: str, encoding: str) -> bytes:
    """``text`` as a document in ``encoding``; UTF-7 hides every ``<`` from a byte search."""
    if encoding == "utf-8":
        return text.encode()
    if encoding == "utf-7":
        return b'<?xml version="1.0" encoding="UTF-7"?>' + text.encode("ascii").replace(b"<", b"+ADw-")
    return f'<?xml version="1.0" encoding="{encoding.upper()}"?>{text}'.encode(encoding)


ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7"]
MEDIA = {"utf-8": None, "utf-7": None}  # the others cannot be sniffed: say what they are


def everything(report: Report) -> str:
    """All a caller gets back from ``validate``, as text."""
    parts = [repr(f) for f in report.findings] + [repr(report.document)]
    if report.xml_tree is not None:
        parts.append(etree.tostring(report.xml_tree, encoding="unicode"))
    return "\n".join(parts)


def refused(data: bytes, code: str, *, layer: Layer = Layer.SYNTAX, media_type: str | None = None,
            limits: Limits = DEFAULT_LIMITS) -> Report:
    """Assert both entry points refuse ``data`` with ``code``; return the engine's report."""
    report = validate(data, media_type=media_type, limits=limits)
    assert not report.valid
    assert [(f.layer, f.code) for f in report.findings] == [(layer, code)], report.findings
    with pytest.raises(UnsafeInput) as caught:
        parse_xml(data, limits)
    assert (caught.value.finding.layer, caught.value.finding.code) == (layer, code)
    assert str(caught.value) == caught.value.finding.message
    return report


# --- file disclosure (XXE) -----------------------------------------------------------------

@pytest.fixture
def secret(tmp_path: Path) -> tuple[str, Path, Path]:
    """A unique secret in a plain file, and a DTD that would put it in an entity."""
    value = f"SWX-SECRET-{uuid.uuid4().hex}"
    plain = tmp_path / "secret.txt"
    plain.write_text(value, encoding="utf-8")
    dtd = tmp_path / "leak.dtd"
    dtd.write_text(f'<!ENTITY leak "{value}">', encoding="utf-8")
    return value, plain, dtd


XXE = {
    "general-entity": '<!DOCTYPE d [<!ENTITY x SYSTEM "{plain}">]><d>&x;</d>',
    "parameter-entity": '<!DOCTYPE d [<!ENTITY % p SYSTEM "{dtd}"> %p;]><d>&leak;</d>',
    "external-dtd": '<!DOCTYPE d SYSTEM "{dtd}"><d>&leak;</d>',
}


def test_xxe_payload_is_live_against_an_unsafe_parser(secret: tuple[str, Path, Path]) -> None:
    """Control: the payload really reads the file when entities are resolved."""
    value, plain, _ = secret
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True)
    root = etree.fromstring(XXE["general-entity"].format(plain=plain.as_uri()).encode(), unsafe)
    assert root.text == value


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("attack", sorted(XXE))
def test_xxe_file_read_is_refused_and_leaks_nothing(
    attack: str, encoding: str, secret: tuple[str, Path, Path]
) -> None:
    value, plain, dtd = secret
    data = encoded(XXE[attack].format(plain=plain.as_uri(), dtd=dtd.as_uri()), encoding)
    report = refused(data, "XML_DOCTYPE_FORBIDDEN", media_type=MEDIA.get(encoding, "application/xml"))
    assert value not in everything(report)
    with pytest.raises(UnsafeInput) as caught:
        parse_xml(data)
    assert value not in repr(caught.value.finding)


def test_xinclude_is_never_expanded(secret: tuple[str, Path, Path]) -> None:
    value, plain, _ = secret
    includes = "".join(f'<xi:include href="{href}" parse="text"/>' for href in ("file:///etc/passwd",
                                                                                   plain.as_uri()))
    data = (f'<Declaration xmlns="{DECL_NS}" xmlns:xi="http://www.w3.org/2001/XInclude">'
            f"{includes}</Declaration>").encode()
    report = validate(data)
    assert not report.valid
    assert report.findings
    assert {f.layer for f in report.findings} == {Layer.SCHEMA}
    returned = everything(report)
    assert value not in returned
    assert "root:" not in returned
    tree = parse_xml(data)
    assert len(tree.getroot()) == 2  # the two xi:include elements, untouched
    assert value not in etree.tostring(tree, encoding="unicode")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-7"])
@pytest.mark.parametrize("attack", ["external-dtd", "parameter-entity"])
def test_external_subset_is_never_opened(attack: str, encoding: str, secret: tuple[str, Path, Path]) -> None:
    """A file that exists but is no DTD must be refused exactly like one that does not exist."""
    template = {"external-dtd": '<!DOCTYPE d SYSTEM "{}"><d/>',
                "parameter-entity": '<!DOCTYPE d [<!ENTITY % p SYSTEM "{}"> %p;]><d/>'}[attack]
    _, plain, _ = secret
    for target in (plain.as_uri(), (plain.parent / "missing.dtd").as_uri()):
        data = encoded(template.format(target), encoding)
        refused(data, "XML_DOCTYPE_FORBIDDEN", media_type="application/xml")


# --- entity bombs, size, depth, element count ----------------------------------------------

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY a "lollollollol">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
          + ']><lolz attr="&j;">&j;</lolz>')
QUADRATIC = f'<!DOCTYPE d [<!ENTITY e "{"y" * 50_000}">]><d>{"&e;" * 10_000}</d>'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-7"])
@pytest.mark.parametrize("text", [LAUGHS, QUADRATIC], ids=["billion-laughs", "quadratic-blowup"])
def test_entity_bomb_is_refused(text: str, encoding: str) -> None:
    data = encoded(text, encoding)
    assert len(data) < DEFAULT_LIMITS.max_bytes
    report = validate(data, media_type="application/xml")
    # the byte check stops UTF-8; for other encodings the post-parse check or libxml2's own
    # amplification guard does, but in every case it is a clean syntax refusal
    assert [f.layer for f in report.findings] == [Layer.SYNTAX]
    assert report.findings[0].code in {"XML_DOCTYPE_FORBIDDEN", "XML_MALFORMED"}
    with pytest.raises(UnsafeInput):
        parse_xml(data)


@pytest.mark.parametrize("root", ["d", f'Declaration xmlns="{DECL_NS}"'])
def test_huge_text_without_doctype_just_under_the_limit_is_handled(root: str) -> None:
    head, tail = f"<{root}>".encode(), f"</{root.split()[0]}>".encode()
    data = head + b"y" * (DEFAULT_LIMITS.max_bytes - len(head) - len(tail)) + tail
    assert len(data) == DEFAULT_LIMITS.max_bytes
    report = validate(data)
    assert report.errors
    assert {f.layer for f in report.findings} <= {Layer.SYNTAX, Layer.SCHEMA}
    refused(data + b" ", "BODY_TOO_LARGE", layer=Layer.TRANSPORT)


def test_twenty_megabyte_text_node_is_refused_at_the_default_limit() -> None:
    refused(b"<d>" + b"y" * (20 * MB) + b"</d>", "BODY_TOO_LARGE", layer=Layer.TRANSPORT)


def test_twenty_megabyte_text_node_is_refused_by_libxml2_when_the_byte_limit_is_raised() -> None:
    report = refused(b"<d>" + b"y" * (20 * MB) + b"</d>", "XML_MALFORMED", limits=Limits(max_bytes=30 * MB))
    assert "too long" in report.findings[0].message  # huge_tree is off: text nodes stop at 10 MB


def nested(levels: int) -> bytes:
    return b"<a>" * levels + b"</a>" * levels


def test_ten_thousand_nested_elements_are_refused_with_a_clear_message() -> None:
    report = validate(nested(10_000))
    (finding,) = report.findings
    assert finding.layer is Layer.SYNTAX
    assert finding.code in {"XML_TOO_DEEP", "XML_MALFORMED"}
    assert "depth" in finding.message.lower() or "deeper" in finding.message
    with pytest.raises(UnsafeInput):
        parse_xml(nested(10_000))


@pytest.mark.parametrize("limits", [DEFAULT_LIMITS, Limits(max_depth=5)], ids=["default", "depth-5"])
def test_one_level_past_max_depth_is_refused_by_the_engine(limits: Limits) -> None:
    refused(nested(limits.max_depth + 1), "XML_TOO_DEEP", limits=limits)
    assert parse_xml(nested(limits.max_depth), limits).getroot().tag == "a"


def test_element_flood_is_refused() -> None:
    data = b"<d>" + b"<e/>" * 200_000 + b"</d>"
    assert len(data) < DEFAULT_LIMITS.max_bytes
    report = refused(data, "XML_TOO_MANY_ELEMENTS")
    assert "200001" in report.findings[0].message


def test_element_count_limit_counts_the_root() -> None:
    limits = Limits(max_elements=10)
    refused(b"<d>" + b"<e/>" * 10 + b"</d>", "XML_TOO_MANY_ELEMENTS", limits=limits)
    assert len(parse_xml(b"<d>" + b"<e/>" * 9 + b"</d>", limits).getroot()) == 9


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7"])
def test_doctype_in_another_encoding_is_refused(encoding: str) -> None:
    data = encoded('<!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>', encoding)
    assert b"<!DOCTYPE" not in data
    refused(data, "XML_DOCTYPE_FORBIDDEN", media_type="application/xml")


def test_utf16_doctype_without_media_type_is_not_taken_for_anything() -> None:
    report = validate(encoded('<!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>', "utf-16"))
    assert [(f.layer, f.code) for f in report.findings] == [(Layer.SYNTAX, "UNKNOWN_FORMAT")]


# --- nothing reaches the network -----------------------------------------------------------

class Listener:
    """A loopback TCP server that records (then closes) every connection; lives at most 120 s."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self.peers: list[tuple[str, int]] = []
        self.accepted = threading.Condition()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name=f"listener-{self.port}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.server, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while ready := selector.select(timeout=120):
                if any(key.fileobj is self._wake_r for key, _ in ready):
                    return
                try:
                    connection, peer = self.server.accept()
                except OSError:  # the client gave up first: nothing was received
                    continue
                connection.close()
                with self.accepted:
                    self.peers.append(peer)
                    self.accepted.notify_all()

    def wait_for(self, peer: tuple[str, int], timeout: float = 10) -> bool:
        with self.accepted:
            return self.accepted.wait_for(lambda: peer in self.peers, timeout)

    def probe(self) -> tuple[str, int]:
        """Connect ourselves and wait until it is recorded: earlier connections are recorded too."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as client:
            peer = client.getsockname()
            assert self.wait_for(peer), "the listener did not record our own connection"
        return peer

    def stop(self) -> None:
        self._wake_w.send(b"x")
        self._thread.join(timeout=10)
        for sock in (self.server, self._wake_r, self._wake_w):
            sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.stop()


def test_listener_records_a_connection(listener: Listener) -> None:
    """Sanity: the listener can see a request, so the test below can fail."""
    peer = listener.probe()
    assert listener.peers == [peer]


NETWORK: dict[str, Callable[[str], str]] = {
    "external-dtd": lambda url: f'<!DOCTYPE d SYSTEM "{url}/evil.dtd"><d/>',
    "public-dtd": lambda url: f'<!DOCTYPE d PUBLIC "-//EVIL//DTD X//EN" "{url}/pub.dtd"><d/>',
    "parameter-entity": lambda url: f'<!DOCTYPE d [<!ENTITY % p SYSTEM "{url}/p"> %p;]><d/>',
    "external-entity": lambda url: f'<!DOCTYPE d [<!ENTITY x SYSTEM "{url}/x">]><d>&x;</d>',
    "schema-location": lambda url: f'<Declaration xmlns="{DECL_NS}" {XSI} '
                                   f'xsi:schemaLocation="{DECL_NS} {url}/evil.xsd"/>',
    "no-namespace-schema-location": lambda url: f'<Declaration xmlns="{DECL_NS}" {XSI} '
                                                f'xsi:noNamespaceSchemaLocation="{url}/evil.xsd"/>',
    "no-namespace-schema-location-bare": lambda url: f'<d {XSI} xsi:noNamespaceSchemaLocation="{url}/x"/>',
    "xinclude": lambda url: f'<Declaration xmlns="{DECL_NS}" xmlns:xi="http://www.w3.org/2001/XInclude">'
                            f'<xi:include href="{url}/inc.xml"/></Declaration>',
}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-7"])
@pytest.mark.parametrize("attack", sorted(NETWORK))
def test_attack_never_contacts_the_network(attack: str, encoding: str, listener: Listener) -> None:
    data = encoded(NETWORK[attack](f"http://127.0.0.1:{listener.port}"), encoding)
    report = validate(data, media_type="application/xml")
    assert report.errors
    if "DOCTYPE" in NETWORK[attack](""):
        # UTF-16/UTF-7 reach libxml2, which tries the URL and is stopped by no_network (XML_MALFORMED)
        (finding,) = report.findings
        assert finding.layer is Layer.SYNTAX
        assert finding.code in {"XML_DOCTYPE_FORBIDDEN", "XML_MALFORMED"}
        with pytest.raises(UnsafeInput):
            parse_xml(data)
    else:  # parses; the hint is ignored and the project's own schema refuses the document
        assert {f.layer for f in report.findings} == {Layer.SCHEMA}, report.findings
        parse_xml(data)
    assert listener.peers == [listener.probe()], "a document made the engine connect out"


# --- random garbage ------------------------------------------------------------------------

GARBAGE = settings(max_examples=200, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow])


@GARBAGE
@given(body=st.text(max_size=300), media_type=st.sampled_from([None, "application/xml", "text/xml"]))
def test_random_markup_never_raises(body: str, media_type: str | None) -> None:
    data = ("<" + body).encode()
    report = validate(data, media_type=media_type)
    assert report.valid or report.errors
    with contextlib.suppress(UnsafeInput):
        parse_xml(data)  # nothing but UnsafeInput may escape
