"""The participants of the exchange network, by ISO 3166-1 alpha-2 code, and which secrets
each deployable component of the network holds.

Every component reads the public directory (endpoints, accepted types, public keys, token
hashes). Besides it, a component holds only the private keys it signs with and the API
tokens it sends with (``COMPONENT_SECRETS``); ``swx keys`` writes each component's share
into a directory of its own, which is all that component's container is given.
"""

from dataclasses import dataclass

PARTICIPANTS = {
    "JP": "Japan", "KH": "Cambodia", "LA": "Lao PDR", "MM": "Myanmar", "TH": "Thailand", "VN": "Viet Nam",
}
OPERATOR = "OPERATOR"
"""The network operator's identity: reads everything, sends nothing."""
HUB = "HUB"
"""The hub's identity: what ``Network.country_of`` says for the hub's token (the hub calling an NSW endpoint)."""
AGENCIES = ("customs", "immigration", "port")


def nsw_component(country: str) -> str:
    return f"nsw-{country.lower()}"


@dataclass(frozen=True)
class ComponentSecrets:
    """What one component holds besides the public directory."""

    component: str
    signs_as: tuple[str, ...]
    """The countries whose Ed25519 private keys it signs with."""
    sends_as: tuple[str, ...]
    """The identities whose API tokens it sends with."""


def _component_secrets() -> dict[str, ComponentSecrets]:
    countries = tuple(PARTICIPANTS)
    # The hub authenticates every caller by token hash and signs nothing; it sends only to
    # the NSW endpoints, with its own token.
    plan = [ComponentSecrets("hub", (), (HUB,))]
    # An agency service of this network serves all six countries' agencies at once: it signs
    # each outbound envelope as the country that submits it and sends it to the hub with that
    # country's token, so it holds the six countries' signing keys and tokens. No other
    # component holds more than its own.
    plan += [ComponentSecrets(agency, countries, countries) for agency in AGENCIES]
    # An NSW endpoint signs receipts and answers as its own country and sends to the hub and
    # to the agencies with its own country's token.
    plan += [ComponentSecrets(nsw_component(country), (country,), (country,)) for country in countries]
    return {entry.component: entry for entry in plan}


COMPONENT_SECRETS = _component_secrets()
"""Each component's share of the network's secrets, by component name (as ``swx up`` and
docker-compose name them). The operator's token belongs to no component: a person holds it."""


def database_role(component: str, *, prefix: str = "swx") -> str:
    """The PostgreSQL role (and database) of a component: ``swx_nsw_vn`` for ``nsw-vn``."""
    return f"{prefix}_{component}".replace("-", "_")
