"""Hardened parsing of untrusted XML and JSON.

XML: one parser configuration, used for every document: no entity is resolved, no DTD is
loaded, nothing is fetched from the network, huge trees are refused, and any DOCTYPE at
all is rejected (it is the door to XXE, entity bombs and external DTDs). XInclude is never
processed. Depth and element count are bounded.

JSON: UTF-8 only, NaN and Infinity refused, duplicate keys refused (two parsers would
otherwise disagree on which one wins), depth and the number of values bounded (the JSON
counterpart of the element count: a document of a few megabytes could otherwise carry
hundreds of thousands of keys, each a finding for the schema layer to build). The values are
counted in the raw bytes before anything is built: a 5 MB ``[[],[],...]`` would otherwise
cost over a hundred megabytes of lists only to be refused.

Each function returns the parsed value or raises ``UnsafeInput`` carrying one finding;
nothing else escapes.
"""

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from services.kernel.findings import Finding, Layer, Location


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024
    max_depth: int = 32
    max_elements: int = 100_000
    max_json_depth: int = 32
    max_json_values: int = 100_000
    """Object members and array items in one JSON document, as many as XML elements."""


DEFAULT_LIMITS = Limits()


class UnsafeInput(Exception):
    """The input cannot be parsed safely; ``finding`` says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _syntax(code: str, message: str, *, line: int | None = None) -> UnsafeInput:
    return UnsafeInput(Finding(Layer.SYNTAX, code, message, location=Location(line=line)))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


_PARSER = _parser()


def parse_xml(data: bytes, limits: Limits = DEFAULT_LIMITS) -> etree._ElementTree:
    """Parse untrusted XML bytes under the hardened settings."""
    if len(data) > limits.max_bytes:
        raise UnsafeInput(Finding(Layer.TRANSPORT, "BODY_TOO_LARGE",
                                  f"document is {len(data)} bytes; the limit is {limits.max_bytes}"))
    markup = data.count(b"<")
    if markup > 2 * limits.max_elements + 2:
        # every element costs at least one '<' (two unless empty): refuse a flood before
        # libxml2 builds a tree of millions of nodes
        raise _syntax("XML_TOO_MANY_ELEMENTS", f"document has more markup than {limits.max_elements} elements allow")
    if b"<!DOCTYPE" in data or b"<!doctype" in data:
        raise _syntax("XML_DOCTYPE_FORBIDDEN", "a DOCTYPE declaration is not allowed (no DTDs, no entities)")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        raise _syntax("XML_MALFORMED", f"not well-formed XML: {_xml_error_text(error.msg, line)}", line=line) from None
    except ValueError as error:  # e.g. a str with an encoding declaration
        raise _syntax("XML_MALFORMED", f"not well-formed XML: {error}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        # a DOCTYPE in another encoding (UTF-16) slips past the byte check above
        raise _syntax("XML_DOCTYPE_FORBIDDEN", "a DOCTYPE declaration is not allowed (no DTDs, no entities)")
    _check_shape(root, limits, markup=markup)
    return tree


def _check_shape(root: etree._Element, limits: Limits, *, markup: int) -> None:
    # with fewer '<' than the element limit there cannot be too many elements: skip the count
    count = int(root.xpath("count(//*)")) if markup > limits.max_elements else 0
    if count > limits.max_elements:
        raise _syntax("XML_TOO_MANY_ELEMENTS",
                      f"document has {count} elements; the limit is {limits.max_elements}")
    if _deeper_than(limits.max_depth)(root):
        raise _syntax("XML_TOO_DEEP", f"elements are nested deeper than {limits.max_depth} levels")


@functools.cache
def _deeper_than(depth: int) -> etree.XPath:
    """Whether an element lies deeper than ``depth`` levels, compiled once per limit."""
    return etree.XPath("boolean(/" + "/".join(["*"] * (depth + 1)) + ")")


def parse_json(data: bytes, limits: Limits = DEFAULT_LIMITS, *, keys_unique: bool = False) -> Any:
    """Parse untrusted JSON bytes strictly. ``keys_unique``: the bytes are this process's own
    serialization of a model, which never writes a key twice, so objects are built without
    looking for duplicates (the one check that costs a Python call per object); every other
    check is made."""
    if len(data) > limits.max_bytes:
        raise UnsafeInput(Finding(Layer.TRANSPORT, "BODY_TOO_LARGE",
                                  f"document is {len(data)} bytes; the limit is {limits.max_bytes}"))
    if _value_count(data, limits.max_json_values) > limits.max_json_values:
        raise _too_many_values(limits)
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")  # RFC 8259 lets a parser ignore a BOM
    except UnicodeDecodeError as error:
        raise UnsafeInput(Finding(Layer.TRANSPORT, "ENCODING_INVALID",
                                  f"JSON must be UTF-8: byte {error.start} is not")) from None
    try:
        value = json.loads(text, object_pairs_hook=None if keys_unique else _MemberCount(limits.max_json_values),
                           parse_constant=_refuse_constant, parse_float=_finite_float)
    except _TooManyValues:
        raise _too_many_values(limits) from None
    except _DuplicateKey as error:
        raise _syntax("JSON_DUPLICATE_KEY", f"key {error.key!r} appears twice in one object") from None
    except _NonFinite as error:
        raise _syntax("JSON_NON_FINITE", f"{error.token} is not a JSON number") from None
    except json.JSONDecodeError as error:
        # the finding's location gives the line: the message adds only the column
        raise _syntax("JSON_MALFORMED", f"not well-formed JSON: {error.msg} (column {error.colno})",
                      line=error.lineno) from None
    except ValueError as error:  # Python refuses integers of more than 4300 digits
        raise _syntax("JSON_NUMBER_TOO_LONG", f"a number is too long to be a value: {error}") from None
    except RecursionError:
        raise _syntax("JSON_TOO_DEEP", f"values are nested deeper than {limits.max_json_depth} levels") from None
    depth, values = _shape(value)
    if depth > limits.max_json_depth:
        raise _syntax("JSON_TOO_DEEP", f"values are nested deeper than {limits.max_json_depth} levels")
    if values > limits.max_json_values:
        raise _too_many_values(limits)
    return value


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
"""A string literal, escapes honoured. UTF-8 never puts the byte of '"' or '\\' inside
another character, so the raw bytes can be scanned."""
_WINDOW = 64 * 1024
"""Bytes scanned for strings at once: ``re.sub`` keeps a piece for each string it replaces."""


def _value_count(data: bytes, limit: int) -> int:
    """Object members and array items in well-formed JSON ``data``, counted at C speed
    without building anything, exactly once the count may pass ``limit``. (Malformed JSON
    gets some count: the parser refuses it anyway.)"""
    upper = _values_in_skeleton(data)
    if upper <= limit:
        return upper  # commas and brackets inside strings only ever add to this count
    return _values_in_skeleton(b"".join(_skeleton(data)))


def _values_in_skeleton(skeleton: bytes) -> int:
    """A container holds one value more than it has commas, unless it is empty."""
    containers = skeleton.count(b"[") + skeleton.count(b"{")
    return skeleton.count(b",") + containers - skeleton.count(b"[]") - skeleton.count(b"{}")


def _skeleton(data: bytes) -> Iterator[bytes]:
    """``data`` with each string one byte (["x"] must not look like an empty array) and no
    whitespace, window by window; each window starts outside a string."""
    start, window = 0, _WINDOW
    while start < len(data):
        end = min(start + window, len(data))
        piece = _STRING.sub(b"s", data[start:end])
        # a quote left is a string the window cuts: the next window starts with it
        cut = piece.find(b'"') if end < len(data) else -1
        if cut == 0:
            window *= 2  # one string longer than the window
            continue
        if cut > 0:
            end -= len(piece) - cut
            piece = piece[:cut]
        yield piece.translate(None, b" \t\r\n")
        start, window = end, _WINDOW


def _too_many_values(limits: Limits) -> UnsafeInput:
    return _syntax("JSON_TOO_MANY_VALUES",
                   f"the document has more than {limits.max_json_values:,} values (object members and array items)")


_LIBXML_POSITION = re.compile(r", line (\d+), column (\d+)$")


def _xml_error_text(message: str, line: int | None) -> str:
    """libxml2's message without the position lxml appends (the finding's location has the
    line), and its "tag b line 2" said as a reader would."""
    position = _LIBXML_POSITION.search(message)
    if position is not None:
        kept = f"column {position[2]}" if line == int(position[1]) else f"line {position[1]}, column {position[2]}"
        message = f"{message[:position.start()]} ({kept})"
    message = re.sub(r"mismatch: (\S+) line (\d+) and (\S+)", r"mismatch: <\1> opened on line \2 is closed by </\3>",
                     message)
    return re.sub(r"in tag (\S+) line (\d+)", r"in tag <\1> opened on line \2", message)


class _TooManyValues(ValueError):
    pass


class _MemberCount:
    """The object hook of one parse: refuses duplicate keys, and stops the parse as soon as
    the objects closed so far hold more members than the document may have."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        self.left -= len(pairs)
        if self.left < 0:
            raise _TooManyValues()
        result = dict(pairs)  # called for every object: the common case costs no further call
        return result if len(result) == len(pairs) else _refuse_duplicates(pairs)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _NonFinite(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _refuse_constant(token: str) -> Any:
    raise _NonFinite(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if value in (float("inf"), float("-inf")):
        raise _NonFinite(token)  # 1e999 overflows to infinity: refuse it like Infinity
    return value



def _shape(value: Any) -> tuple[int, int]:
    """Nesting depth and number of members and items, level by level without recursion
    (the value may be hostile)."""
    depth = values = 0
    level = [value] if isinstance(value, (dict, list)) else []
    while level:
        depth += 1
        below: list[Any] = []
        for node in level:
            children = node.values() if type(node) is dict else node
            values += len(children)
            below += [child for child in children if type(child) is dict or type(child) is list]
        level = below
    return depth, values
