"""How the network compares the names of people and parties.

Systems write the same name with other case and spacing ("NGUYEN  Van A", "Nguyen Van A");
the letters are what identify. Screening, the certificate-of-origin checks and the
identity of a certificate all compare names by ``name_key``.
"""


def name_key(name: str | None) -> str:
    """The name with its white space folded to single spaces and its case ignored."""
    return " ".join((name or "").split()).casefold()
