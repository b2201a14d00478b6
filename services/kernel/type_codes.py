"""Which way goods move, read from a declaration's type code (WCO ``Declaration/TypeCode``).

The direction decides whose customs takes the declaration: the export country's for goods
leaving (``EX``), the destination's for goods arriving (``IM``). What is known here, and
nothing more:

- ``IM*`` import, ``EX*`` export: DE 1/1 of the WCO Data Model (and the EU/UK data sets
  built on it), whatever DE 1/2 letter follows.
- ``CO*``: DE 1/1 "CO" is trade with a special fiscal territory (goods stay inside the
  customs territory but leave or enter its VAT/excise area, e.g. Great Britain and the
  Channel Islands). It names no direction; the requested procedure (DE 1/10, the first
  two digits, ``GovernmentProcedure/CurrentCode`` of each goods item) does: ``10``
  dispatch, ``40`` release for free circulation, and the other procedure codes below.
- National codes, by the country that defines them:
  Viet Nam's customs type codes ("ma loai hinh") are one letter and two digits; group
  ``A`` (``A11`` import for trade, ``A12``, ``A21`` ...) are imports and group ``B``
  (``B11`` export for trade, ``B12``, ``B13``) exports. Viet Nam's other groups (``C``
  bonded and free zones, ``E`` processing, ``G`` temporary, ``H`` other) move either way
  depending on the case, so they are refused here rather than guessed.

Amendments (``COR``), invalidations (``INV``) and goods presentations (``GPR``) are not
declarations to lodge; they are refused with the reason.
"""

from dataclasses import dataclass
from typing import Literal

Direction = Literal["IM", "EX"]

EXIT_PROCEDURES = frozenset({"10", "11", "21", "22", "23", "31"})
"""DE 1/10 requested procedures for goods leaving: 10 permanent export or dispatch, 11 export
of compensating products, 21/22/23 temporary export (outward processing), 31 re-export."""
ENTRY_PROCEDURES = frozenset({"01", "07", "40", "42", "43", "44", "45", "46", "48", "51", "53", "54", "61", "63",
                              "68", "71", "78"})
"""DE 1/10 requested procedures for goods arriving: 40 release for free circulation (and 42-48
its special cases), 51 inward processing, 53 temporary admission, 54, 61 and 63 re-import,
68, 71 customs warehousing, 78 free zone, 01 and 07 the special-territory entries."""
NOT_LODGED = {"COR": "an amendment (COR) of a declaration lodged before",
              "INV": "an invalidation (INV) of a declaration lodged before",
              "GPR": "a goods presentation (GPR) movement message"}
NATIONAL_TYPE_CODES: dict[str, dict[str, Direction | None]] = {
    "VN": {"A": "IM", "B": "EX", "C": None, "E": None, "G": None, "H": None}}
"""National type codes by country, by their group letter (one letter, two digits); None for a
group whose direction depends on the case."""
KNOWN = ("IM* import, EX* export, CO* special fiscal territory (direction by the requested procedure, "
         "DE 1/10), and Viet Nam's national codes A** import and B** export")


@dataclass(frozen=True)
class UnknownTypeCode(ValueError):
    """The direction of a type code cannot be told; ``reason`` says why, for the declarant."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def direction_of(type_code: str, *, procedures: list[str], export_country: str | None,
                 destination_country: str | None) -> Direction:
    """``IM`` or ``EX`` for ``type_code``; ``procedures`` are the requested procedure codes
    (DE 1/10) of the goods items; the countries tell whose national code it may be (a national
    code is the lodging country's own). UnknownTypeCode when it cannot tell."""
    if type_code in NOT_LODGED:
        raise UnknownTypeCode(f"type code {type_code} is {NOT_LODGED[type_code]}, not a declaration to lodge; "
                              "lodge an original declaration (FunctionCode 9)")
    prefix = type_code[:2]
    if prefix in ("IM", "EX"):
        return "IM" if prefix == "IM" else "EX"
    if prefix == "CO":
        return _by_procedure(type_code, procedures)
    national = _national(type_code, export_country=export_country, destination_country=destination_country)
    if national is not None:
        return national
    raise UnknownTypeCode(f"type code {type_code} is not known here; known are {KNOWN}")


def _by_procedure(type_code: str, procedures: list[str]) -> Direction:
    found: set[Direction] = set()
    for code in procedures:
        requested = code[:2]
        if requested in EXIT_PROCEDURES:
            found.add("EX")
        elif requested in ENTRY_PROCEDURES:
            found.add("IM")
    if len(found) == 1:
        return found.pop()
    named = ", ".join(sorted(set(procedures))) or "none"
    why = "point both ways" if found else "name no known exit or entry procedure"
    raise UnknownTypeCode(f"type code {type_code} (special fiscal territory) moves goods in the direction of "
                          f"the requested procedure (DE 1/10), but the goods items' procedures ({named}) {why}; "
                          f"exit: {', '.join(sorted(EXIT_PROCEDURES))}; entry: {', '.join(sorted(ENTRY_PROCEDURES))}")


def _national(type_code: str, *, export_country: str | None, destination_country: str | None) -> Direction | None:
    """The direction of a national code of the export or destination country, None when it is
    neither's. A national code is lodged with the customs that defines it: a Viet Nam export
    code on goods leaving Thailand is refused, not read as Thailand's."""
    if len(type_code) != 3 or not type_code[0].isalpha() or not type_code[1:].isdigit():
        return None
    for country in dict.fromkeys(c for c in (export_country, destination_country) if c is not None):
        groups = NATIONAL_TYPE_CODES.get(country)
        if groups is None:
            continue
        if type_code[0] not in groups:
            continue
        known = ", ".join(f"{g}** {'import' if d == 'IM' else 'export'}" for g, d in sorted(groups.items()) if d)
        direction = groups[type_code[0]]
        if direction is None:
            raise UnknownTypeCode(f"type code {type_code} is a {country} national code of group {type_code[0]}, "
                                  f"whose direction depends on the case; {country} codes known here: {known}")
        lodging = export_country if direction == "EX" else destination_country
        if lodging != country:
            what = "export" if direction == "EX" else "import"
            raise UnknownTypeCode(f"type code {type_code} is a {country} {what} code, but this {what} is lodged "
                                  f"with {lodging}'s customs, which does not use {country}'s codes")
        return direction
    return None
