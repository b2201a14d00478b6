"""A running network as ``swx submit`` and ``swx status`` reach it: its URLs, a caller's
token, and one HTTP call that fails with a sentence rather than a traceback.

Where the network is: ``swx up`` records each component's URL and the network file in
``<data-dir>/run/components.json`` (``launcher.components_file``); ``--url`` names a service
directly (a network started elsewhere, docker compose). Whose token: the one ``swx up``
(or ``swx keys``) wrote for that country beside the network file, ``<CC>.token``, or in
``SWX_SECRETS_DIR`` when that is set; ``OPERATOR`` for the operator's.

Anything that keeps the command from asking (no recorded network, no token, no answer) is
a ``NetworkProblem``: the command prints it and exits 2.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from services.cli.launcher import components_file
from services.kernel.network import MissingSecret, load_network, secrets_directory
from services.kernel.participants import OPERATOR, PARTICIPANTS

TIMEOUT = 30.0


class NetworkProblem(Exception):
    """The command cannot talk to the network; the message says why, for a person (exit code 2)."""


@dataclass(frozen=True)
class RecordedNetwork:
    """The network a data directory describes."""

    data_dir: Path
    network_file: Path
    urls: dict[str, str]
    """Component name (``hub``, ``customs`` ...) -> base URL, as ``swx up`` last started them."""

    def url(self, component: str) -> str:
        if component not in self.urls:
            raise NetworkProblem(f"no running network is recorded in {components_file(self.data_dir)}: start one "
                                 f"with `swx up --data-dir {self.data_dir}`, or give the {component} service's URL "
                                 "with --url")
        return self.urls[component].rstrip("/")

    def token(self, identity: str) -> str:
        """The token to call as ``identity`` (a country code or ``OPERATOR``)."""
        if identity != OPERATOR and identity not in PARTICIPANTS:
            raise NetworkProblem(f"--as takes a country of the network ({', '.join(PARTICIPANTS)}) or {OPERATOR}, "
                                 f"not {identity!r}")
        if not self.network_file.is_file():
            raise NetworkProblem(f"no network directory at {self.network_file}: give --data-dir, the folder "
                                 "`swx up` was started with (or a `swx keys` folder)")
        try:
            return load_network(self.network_file).token_of(identity)
        except MissingSecret:
            folder = secrets_directory(self.network_file)
            raise NetworkProblem(f"no token for {identity}: {folder / (identity + '.token')} is missing (`swx up` "
                                 "and `swx keys` write it)") from None
        except (OSError, ValueError, KeyError) as error:
            raise NetworkProblem(f"cannot read the network directory {self.network_file}: {error}") from None


def locate(data_dir: Path) -> RecordedNetwork:
    """The network ``data_dir`` holds: recorded URLs (none when it was never started there)
    and its network file (``network/network.json``, or ``network.json`` of a keys folder)."""
    recorded: dict[str, Any] = {}
    state = components_file(data_dir)
    if state.is_file():
        try:
            recorded = json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise NetworkProblem(f"cannot read {state}: {error}") from None
    candidates = [Path(recorded["network_file"])] if "network_file" in recorded else []
    candidates += [data_dir / "network" / "network.json", data_dir / "network.json"]
    network_file = next((c for c in candidates if c.is_file()), candidates[0])
    urls = recorded.get("components", {})
    return RecordedNetwork(data_dir=data_dir, network_file=network_file,
                   urls={str(k): str(v) for k, v in urls.items()} if isinstance(urls, dict) else {})


def request(method: str, url: str, *, token: str, what: str, **options: Any) -> httpx.Response:
    """One call; NetworkProblem naming ``what`` was called when nothing answered."""
    headers = {"Authorization": f"Bearer {token}", **options.pop("headers", {})}
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            return client.request(method, url, headers=headers, **options)
    except httpx.TimeoutException:
        raise NetworkProblem(f"{what} at {url} did not answer within {TIMEOUT:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise NetworkProblem(f"cannot reach {what} at {url} ({error or type(error).__name__}): is the network "
                             "running (`swx up`), and is that its URL (--url)?") from None


def answer_of(response: httpx.Response) -> Any:
    """The JSON body of an answer, or its text when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return response.text
