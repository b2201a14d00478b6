"""The network directory: who the participants are and how they prove it.

One JSON file (``SWX_NETWORK_FILE``, never committed) lists the six participants with
their API token, and the operator's token. A development network writes one with fresh
random tokens the first time a service starts without it.
"""

import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

PARTICIPANTS = {
    "JP": "Japan", "KH": "Cambodia", "LA": "Lao PDR", "MM": "Myanmar", "TH": "Thailand", "VN": "Viet Nam",
}
OPERATOR = "OPERATOR"


@dataclass(frozen=True)
class Participant:
    country: str
    name: str
    token: str
    endpoint: str | None = None


@dataclass(frozen=True)
class Network:
    participants: dict[str, Participant]
    operator_token: str

    def country_of(self, token: str) -> str | None:
        """The country a token belongs to, ``OPERATOR`` for the operator, None if unknown."""
        found = None
        for participant in self.participants.values():
            # compare with every token, in constant time, so timing says nothing
            if hmac.compare_digest(participant.token.encode(), token.encode()):
                found = participant.country
        if hmac.compare_digest(self.operator_token.encode(), token.encode()):
            found = OPERATOR
        return found

    def token_of(self, country: str) -> str:
        return self.participants[country].token


def load_network(path: Path) -> Network:
    data = json.loads(path.read_text(encoding="utf-8"))
    participants = {
        code: Participant(country=code, name=entry["name"], token=entry["token"], endpoint=entry.get("endpoint"))
        for code, entry in data["participants"].items()
    }
    return Network(participants=participants, operator_token=data["operator_token"])


def create_development_network(path: Path) -> Network:
    """Write a network file with fresh tokens (readable by its owner only)."""
    data = {
        "participants": {code: {"name": name, "token": f"swx-{code.lower()}-{secrets.token_urlsafe(24)}"}
                         for code, name in PARTICIPANTS.items()},
        "operator_token": f"swx-operator-{secrets.token_urlsafe(24)}",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return load_network(path)


def load_or_create_network(path: Path) -> Network:
    return load_network(path) if path.exists() else create_development_network(path)
