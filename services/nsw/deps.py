"""What the NSW endpoint's routes need from the running endpoint, as typed dependencies
(the kernel's are in ``services.kernel.web.deps``)."""

from typing import Annotated

from fastapi import Depends

from services.kernel.web.deps import Wake, app_state, waker
from services.nsw.station import Station

StationDep = Annotated[Station, Depends(app_state("station"))]
"""This endpoint's country, key, network directory and watchlist."""
HandoverWakeDep = Annotated[Wake, Depends(waker("handover"))]
"""Wakes the handover worker, which passes received responses on to this country's agencies."""
