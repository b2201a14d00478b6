"""Hostile documents against real service processes: each is answered with a small problem
whose findings are capped, the process's resident memory (VmRSS from /proc) comes back near
where it was before, and its peak while answering (VmHWM, reset before each case through
/proc/<pid>/clear_refs) stays within a bound: a document refused for its size must be refused
before it is built. Time is bounded only by a generous client timeout."""

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.cli.launcher import LocalNetwork, free_base_port
from services.kernel.findings import MAX_FINDINGS, TRUNCATED

pytestmark = [pytest.mark.network,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DECLARATION_JSON = FIXTURES / "customs.declaration" / "valid" / "jp-import-thai-jasmine-rice-yokohama-aeo-importer.json"
DECLARATION_XML = DECLARATION_JSON.with_suffix(".xml")
PAXLST = FIXTURES / "immigration.passenger-manifest" / "valid" / "8m335-rgn-bkk-passengers-paxlst-d05b.edi"
MB = 1024 * 1024
RSS_MARGIN = 50 * MB
"""What a process may keep after a hostile request: allocator slack, not the request."""
PEAK_MARGIN = 80 * MB
"""What a process may use above its resting size while it answers a hostile request of at
most 5 MB: the body, its text, bounded findings; not millions of parsed values."""
MAX_ANSWER = 256 * 1024
"""A refusal lists at most MAX_FINDINGS findings of bounded text: far below this."""


def many_unknown_keys(count: int) -> bytes:
    document = json.loads(DECLARATION_JSON.read_text(encoding="utf-8")) | {f"k{i}": 0 for i in range(count)}
    return json.dumps(document, separators=(",", ":")).encode()


def deeply_invalid_xml(items: int) -> bytes:
    bad = "<TransportEquipment><SequenceNumeric>x</SequenceNumeric><ID>y</ID></TransportEquipment>" * items
    text = DECLARATION_XML.read_text(encoding="utf-8")
    return re.sub(r"<TransportEquipment>.*</TransportEquipment>", bad, text, flags=re.S).encode()


def paxlst_of(segments: int) -> bytes:
    head, _, rest = PAXLST.read_bytes().partition(b"NAD+FL")
    person = b"NAD+FL" + rest.split(b"NAD+FL")[0]
    return head + person * (segments // person.count(b"'")) + b"CNT+42:6'UNT+86+8M3351120'UNE+1+1'UNZ+1+000000335'"


def memory(pid: int, field: str = "VmRSS") -> int:
    """``VmRSS`` (resident now) or ``VmHWM`` (the resident peak) of a process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def reset_peak(pid: int) -> None:
    """Bring VmHWM, otherwise the peak of the process's whole life, down to its RSS now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNetwork]:
    net = LocalNetwork.prepare(data_dir=tmp_path_factory.mktemp("memory"), base_port=free_base_port())
    try:
        net.start("customs", "immigration", "hub")
        yield net
    finally:
        net.stop()


def send(net: LocalNetwork, service: str, path: str, body: bytes, media_type: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {net.token('TH')}", "Content-Type": media_type}
    return httpx.post(net.url(service) + path, content=body, headers=headers, timeout=120.0)


def warmed_baseline(net: LocalNetwork, service: str, path: str, media_type: str, body: bytes) -> int:
    """RSS once the service has answered small documents of the kind (schemas and models loaded)."""
    for _ in range(3):
        send(net, service, path, body, media_type)
    pid = net.pid(service)
    assert pid is not None
    return memory(pid)


def flood(item: bytes) -> bytes:
    """A 5 MB array of ``item``: millions of values in a body the size limit lets in."""
    count = (5 * MB - 2) // (len(item) + 1)
    return b"[" + b",".join([item] * count) + b"]"


CASES = {
    "many-unknown-keys": ("customs", "/declarations", "application/json", lambda: many_unknown_keys(430_000),
                          many_unknown_keys(3)),
    "unknown-keys-under-the-value-limit": ("customs", "/declarations", "application/json",
                                           lambda: many_unknown_keys(95_000), many_unknown_keys(3)),
    "deeply-invalid-xml": ("customs", "/declarations", "application/xml", lambda: deeply_invalid_xml(25_000),
                           deeply_invalid_xml(3)),
    "paxlst-of-200000-segments": ("immigration", "/manifests", "application/edifact", lambda: paxlst_of(200_000),
                                  paxlst_of(100)),
    "envelope-with-many-unknown-keys": ("hub", "/messages", "application/json",
                                        lambda: json.dumps({f"k{i}": 0 for i in range(95_000)}).encode(),
                                        b'{"k0": 0}'),
    "array-of-empty-arrays": ("customs", "/declarations", "application/json", lambda: flood(b"[]"), b"[[]]"),
    "array-of-empty-objects": ("hub", "/messages", "application/json", lambda: flood(b"{}"), b"[{}]"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_document_gets_a_small_answer_and_memory_returns(services: LocalNetwork, case: str) -> None:
    service, path, media_type, hostile, small = CASES[case]
    baseline = warmed_baseline(services, service, path, media_type, small)
    body = hostile()
    assert len(body) <= 5 * MB
    pid = services.pid(service)
    assert pid is not None
    reset_peak(pid)

    answer = send(services, service, path, body, media_type)

    assert answer.status_code in (400, 413, 422), answer.text[:500]
    assert answer.headers["content-type"] == "application/problem+json"
    assert len(answer.content) < MAX_ANSWER
    errors = answer.json()["errors"]
    assert 1 <= len(errors) <= MAX_FINDINGS + 1
    if len(errors) == MAX_FINDINGS + 1:
        assert errors[-1]["code"] == TRUNCATED
    peak = memory(pid, "VmHWM")
    del body, answer
    after = memory(pid)
    assert after - baseline < RSS_MARGIN, f"{case}: RSS {baseline / MB:.0f} MB before, {after / MB:.0f} MB after"
    assert peak - baseline < PEAK_MARGIN, f"{case}: RSS {baseline / MB:.0f} MB before, peak {peak / MB:.0f} MB"
