"""Movement Reference Numbers: the number customs gives a declaration when it accepts it.

Layout, 18 characters like the EU MRN::

    26 TH 4F0Q2ZK81D7XA 5
    |  |  |             `- check character: ISO 7064 MOD 37,36 over the 17 before it
    |  |  `- 13 upper-case letters or digits, drawn at random
    |  `- ISO 3166-1 alpha-2 of the country whose customs accepted it
    `- last two digits of the year of acceptance (UTC)

The 13 characters are random (36^13, about 1.7e20 values) rather than a counter: no
shared counter row serialises concurrent lodgements, an MRN reveals nothing about a
country's volumes and cannot be guessed from another one. Uniqueness is still enforced by
the database, and a collision is drawn again.
"""

import re
import secrets
from datetime import datetime

from stdnum.iso7064 import mod_37_36

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PATTERN = re.compile(r"^[0-9]{2}[A-Z]{2}[0-9A-Z]{14}$")


def new_mrn(*, country: str, accepted_at: datetime) -> str:
    body = f"{accepted_at:%y}{country}" + "".join(secrets.choice(ALPHABET) for _ in range(13))
    return body + str(mod_37_36.calc_check_digit(body))

