"""Bearer-token identity: every caller acts for one country (or is the operator).

``CallerDep`` is whoever the token names (401 without a known one); ``OperatorDep`` the
network operator only (403 for anyone else), for the routes that change or show what
belongs to nobody's country alone: replays, suspensions, the outbox, the handovers. Both
run on the event loop (``async def``): they only hash and compare, and a plain ``def`` would
cost each request a trip through the thread pool.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kernel.network import OPERATOR
from services.kernel.web.deps import NetworkDep
from services.kernel.web.problems import Forbidden, Unauthenticated


@dataclass(frozen=True)
class Caller:
    country: str

    @property
    def is_operator(self) -> bool:
        return self.country == OPERATOR


bearer = HTTPBearer(auto_error=False, description="Your country's token (or the operator's)")
"""Names the credential in the OpenAPI document (a security scheme on every route that takes it)."""


async def current_caller(network: NetworkDep,
                         credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthenticated("send 'Authorization: Bearer <token>' with your country's token")
    country = network.country_of(credentials.credentials.strip())
    if country is None:
        raise Unauthenticated("the token is not known to this network")
    return Caller(country)


CallerDep = Annotated[Caller, Depends(current_caller)]


async def current_operator(request: Request, caller: CallerDep) -> Caller:
    if not caller.is_operator:
        route = getattr(request.scope.get("route"), "path", request.url.path)
        raise Forbidden(f"only the network operator may {request.method} {route}; "
                        f"your credential is for {caller.country}")
    return caller


OperatorDep = Annotated[Caller, Depends(current_operator)]
"""The network operator, or 403 before the route does anything."""
