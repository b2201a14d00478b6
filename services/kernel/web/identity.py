"""Bearer-token identity: every caller acts for one country (or is the operator)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.kernel.network import OPERATOR, Network
from services.kernel.web.problems import Forbidden, Unauthenticated


@dataclass(frozen=True)
class Caller:
    country: str

    @property
    def is_operator(self) -> bool:
        return self.country == OPERATOR

    def require(self, country: str, *, what: str) -> None:
        """Refuse (403) unless the caller acts for ``country``."""
        if self.country != country and not self.is_operator:
            raise Forbidden(f"{what} belongs to {country}; your credential is for {self.country}")


def current_caller(request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send 'Authorization: Bearer <token>' with your country's token")
    network: Network = request.app.state.network
    country = network.country_of(token.strip())
    if country is None:
        raise Unauthenticated("the token is not known to this network")
    return Caller(country)


CallerDep = Annotated[Caller, Depends(current_caller)]
