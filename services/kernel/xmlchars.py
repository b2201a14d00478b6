"""Characters XML 1.0 cannot carry, found before they reach a document.

Every swx document has a JSON and an XML form, so a string that XML cannot write (a C0
control other than tab, LF and CR, U+FFFE, U+FFFF, a lone surrogate) is refused where it
enters: JSON (which may escape such characters) and EDIFACT. XML input cannot hold them.
"""

import re
from collections.abc import Iterator
from typing import Any

from services.kernel.findings import Finding, Layer, Location, pointer

NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
ESCAPED_NOT_IN_XML = re.compile(rb"\\u(000[0-8bBcCeEfF]|001[0-9a-fA-F]|[fF]{3}[eEfF]|[dD][89a-fA-F][0-9a-fA-F]{2})")
"""A JSON escape, searched in the raw bytes, that may stand for such a character (raw ones are
invalid JSON already); surrogate escapes match too, and the walk tells a lone one from a pair."""


def findings(value: Any) -> list[Finding]:
    """One finding per string (or key) holding a character XML 1.0 cannot carry."""
    return [
        Finding(Layer.SCHEMA, "XML_CHARACTER_NOT_ALLOWED",
                f"U+{ord(character):04X} cannot be written in XML 1.0; every swx document has an XML form",
                location=Location(pointer=pointer(*path)))
        for path, character in _offending(value, ())
    ]


def _offending(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        found = NOT_IN_XML.search(value)
        if found:
            yield path, found.group()
    elif isinstance(value, dict):
        for key, child in value.items():
            if NOT_IN_XML.search(key):
                yield (*path, key), NOT_IN_XML.search(key).group()  # type: ignore[union-attr]
            yield from _offending(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _offending(child, (*path, index))
