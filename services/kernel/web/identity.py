"""Bearer-token identity: every caller acts for one country (or is the operator)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kernel.network import OPERATOR, Network
from services.kernel.web.problems import Forbidden, Unauthenticated


@dataclass(frozen=True)
class Caller:
    country: str

    @property
    def is_operator(self) -> bool:
        return self.country == OPERATOR

    def require_operator(self, what: str) -> None:
        """Refuse (403) unless the caller is the network operator; ``what`` completes "only the operator ..."."""
        if not self.is_operator:
            raise Forbidden(f"only the operator {what}; your credential is for {self.country}")

    def require(self, country: str, *, what: str) -> None:
        """Refuse (403) unless the caller acts for ``country``."""
        if self.country != country and not self.is_operator:
            raise Forbidden(f"{what} belongs to {country}; your credential is for {self.country}")


bearer = HTTPBearer(auto_error=False, description="Your country's token (or the operator's)")
"""Names the credential in the OpenAPI document (a security scheme on every route that takes it)."""


def current_caller(request: Request,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthenticated("send 'Authorization: Bearer <token>' with your country's token")
    network: Network = request.app.state.network
    country = network.country_of(credentials.credentials.strip())
    if country is None:
        raise Unauthenticated("the token is not known to this network")
    return Caller(country)


CallerDep = Annotated[Caller, Depends(current_caller)]
