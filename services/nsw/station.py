"""What this endpoint is while it runs: its country, key, network directory and watchlist."""

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from services.kernel.network import Network, load_signing_keys
from services.kernel.web.observability import Metrics
from services.nsw.config import NSWSettings
from services.nsw.watchlist import WatchlistSource


@dataclass(frozen=True)
class Station:
    country: str
    settings: NSWSettings
    network: Network
    private_key: Ed25519PrivateKey
    watchlist: WatchlistSource
    metrics: Metrics


class StationError(RuntimeError):
    """The endpoint cannot run as configured (no private key, no watchlist)."""


def open_station(app: FastAPI, settings: NSWSettings) -> Station:
    """The station for an app whose kernel lifespan has loaded the network."""
    assert settings.network_file is not None
    keys = load_signing_keys(settings.network_file, (settings.country,))
    if settings.country not in keys:
        raise StationError(f"no private key for {settings.country} beside {settings.network_file}: "
                           "receipts cannot be signed (run 'swx keys')")
    try:
        watchlist = WatchlistSource(settings.watchlist)
    except (OSError, ValueError) as error:
        raise StationError(f"the watchlist {settings.watchlist} cannot be read: {error}") from error
    return Station(country=settings.country, settings=settings, network=app.state.network,
                   private_key=keys[settings.country], watchlist=watchlist, metrics=app.state.metrics)
