"""Business rules, one function per rule, grouped per message type.

A rule takes the validated model and a ``RuleContext`` and yields findings with a JSON
Pointer; it never raises on valid-by-schema input. Every rule has its own code, listed in
``RULE_CODES`` so fixtures and documentation can name it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from services.kernel.findings import Finding


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know beyond the document itself."""

    related: dict[str, Any] = field(default_factory=dict)
    """Documents this one refers to, by role: ``{"declaration": Declaration}`` for a
    certificate of origin whose declaration is known."""


Rule = Callable[[Any, RuleContext], Iterable[Finding]]
