"""Per-identity rate limits on the routes that take documents in.

Each identity of the network (a country, the operator, the hub) has a token bucket:
``rate`` tokens a second, at most ``burst`` held; a request on a limited route takes one,
and a request that finds none is answered 429 problem+json with ``Retry-After`` (whole
seconds until a token is there) before its body is read. The Bearer token is resolved to
its identity as the routes do (``Network.country_of``, constant time); every token the
network does not know shares one more bucket, so a flood of made-up tokens is limited like
anyone and cannot push a real identity's bucket out: there are only ever as many buckets as
identities, plus one. A request without a Bearer token passes on, to be refused 401 by the
route. Buckets live in the process: with several server processes each enforces its own
limit.

``install_rate_limit(app, ...)`` puts the ASGI middleware in front of the app's routes
and counts each refusal in ``swx_rate_limited_total{service,method,route}``.
"""

import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from prometheus_client import Counter
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kernel.network import Network
from services.kernel.web.observability import Metrics
from services.kernel.web.problems import problem

log = logging.getLogger("swx.ratelimit")

UNKNOWN = "unknown"
"""The one bucket of every Bearer token the network does not know."""


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One bucket per key, ``rate`` tokens a second up to ``burst``. The keys are identities,
    a handful: nothing is ever dropped, so no one can empty this to refill their own."""

    def __init__(self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> float:
        """0.0 when the request may go (a token is taken); else the seconds until a token."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def keys(self) -> list[str]:
        return list(self._buckets)


def bearer_token(scope: Scope) -> str | None:
    """The request's Bearer token, or None when it names none."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def identity_key(scope: Scope) -> str | None:
    """The identity whose bucket the request takes from: its token's country, ``OPERATOR`` or
    ``HUB``, ``UNKNOWN`` for a token the network does not know; None without a Bearer token."""
    token = bearer_token(scope)
    if token is None:
        return None
    network: Network = scope["app"].state.network  # loaded in the lifespan, before any request
    return network.country_of(token) or UNKNOWN


class RateLimitMiddleware:
    """Refuses 429 a credential that outran its bucket on one of ``routes``."""

    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets, routes: Sequence[tuple[str, str]],
                 refused: Counter, service: str) -> None:
        self.app, self.buckets, self.refused, self.service = app, buckets, refused, service
        self.routes: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        """The limited paths by method: a request of any other method (every GET) passes on
        after one dictionary look-up."""
        for method, path in routes:
            self.routes.setdefault(method.upper(), []).append((compile_path(path)[0], path))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route(scope) if scope["type"] == "http" else None
        key = identity_key(scope) if route is not None else None
        wait = self.buckets.take(key) if key is not None else 0.0
        if route is None or key is None or wait == 0.0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        self.refused.labels(self.service, scope["method"], route).inc()
        log.warning("ratelimit.refused identity=%s route=%s retry_after=%d", key, route, retry_after)
        who = "requests with tokens this network does not know" if key == UNKNOWN else "this credential"
        response = problem(429, "Too many requests",
                           f"{who} sent more than {self.buckets.burst} requests at once or "
                           f"{self.buckets.rate:g} a second to {scope['method']} {route}; "
                           f"retry after {retry_after} s", instance=scope["path"],
                           headers={"Retry-After": str(retry_after)})
        await response(scope, receive, send)

    def _route(self, scope: Scope) -> str | None:
        for pattern, path in self.routes.get(scope["method"], ()):
            if pattern.match(scope["path"]):
                return path
        return None


def install_rate_limit(app: FastAPI, *, rate: float, burst: int, routes: Sequence[tuple[str, str]],
                       metrics: Metrics) -> None:
    """Limit each identity on ``routes`` ((method, path pattern) pairs); ``rate`` <= 0 turns it off."""
    if rate <= 0 or not routes:
        return
    refused = Counter("swx_rate_limited", "Requests refused 429 because their identity outran its rate limit",
                      ["service", "method", "route"], registry=metrics.registry)
    app.add_middleware(RateLimitMiddleware, buckets=TokenBuckets(rate=rate, burst=burst), routes=routes,
                       refused=refused, service=metrics.service)

