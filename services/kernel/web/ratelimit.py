"""Per-credential rate limits on the routes that take documents in.

Each Bearer credential has a token bucket: ``rate`` tokens a second, at most ``burst``
held; a request on a limited route takes one, and a request that finds none is answered
429 problem+json with ``Retry-After`` (whole seconds until a token is there) before its
body is read. The credential is known here only by a hash of its token (never logged);
a request without one passes on, to be refused 401 by the route. Buckets live in the
process: with several server processes each enforces its own limit.

``install_rate_limit(app, ...)`` puts the ASGI middleware in front of the app's routes
and counts each refusal in ``swx_rate_limited_total{service,method,route}``.
"""

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from prometheus_client import Counter
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kernel.web.observability import Metrics
from services.kernel.web.problems import problem

log = logging.getLogger("swx.ratelimit")

MAX_CREDENTIALS = 10_000
"""Buckets kept; past this the least recently used is dropped (it would be full again soon)."""


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One bucket per credential key, ``rate`` tokens a second up to ``burst``."""

    def __init__(self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_credentials: int = MAX_CREDENTIALS) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self._clock, self._max = clock, max_credentials
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """0.0 when the request may go (a token is taken); else the seconds until a token."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            if len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


def credential_key(scope: Scope) -> str | None:
    """A hash of the request's Bearer token, or None when it names none."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token:
                return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
            return None
    return None


class RateLimitMiddleware:
    """Refuses 429 a credential that outran its bucket on one of ``routes``."""

    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets, routes: Sequence[tuple[str, str]],
                 refused: Counter, service: str) -> None:
        self.app, self.buckets, self.refused, self.service = app, buckets, refused, service
        self.routes = [(method.upper(), compile_path(path)[0], path) for method, path in routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route(scope) if scope["type"] == "http" else None
        key = credential_key(scope) if route is not None else None
        wait = self.buckets.take(key) if key is not None else 0.0
        if route is None or key is None or wait == 0.0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        self.refused.labels(self.service, scope["method"], route).inc()
        log.warning("ratelimit.refused credential_hash=%s route=%s retry_after=%d", key[:12], route, retry_after)
        response = problem(429, "Too many requests",
                           f"this credential sent more than its {self.buckets.burst} requests at once or "
                           f"{self.buckets.rate:g} a second to {scope['method']} {route}; "
                           f"retry after {retry_after} s", instance=scope["path"],
                           headers={"Retry-After": str(retry_after)})
        await response(scope, receive, send)

    def _route(self, scope: Scope) -> str | None:
        for method, pattern, path in self.routes:
            if scope["method"] == method and pattern.match(scope["path"]):
                return path
        return None


def install_rate_limit(app: FastAPI, *, rate: float, burst: int, routes: Sequence[tuple[str, str]],
                       metrics: Metrics) -> None:
    """Limit each credential on ``routes`` ((method, path pattern) pairs); ``rate`` <= 0 turns it off."""
    if rate <= 0 or not routes:
        return
    refused = Counter("swx_rate_limited", "Requests refused 429 because their credential outran its rate limit",
                      ["service", "method", "route"], registry=metrics.registry)
    app.add_middleware(RateLimitMiddleware, buckets=TokenBuckets(rate=rate, burst=burst), routes=routes,
                       refused=refused, service=metrics.service)

