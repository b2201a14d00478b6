"""Prometheus figures of the hub: messages by link and state, read at each scrape."""

import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.hub import repository
from services.kernel.db import session_scope

log = logging.getLogger("swx.hub.metrics")


class MessageStates(Collector):
    """``swx_hub_messages{sender,receiver,state}``: how many messages each link has in each state."""

    def __init__(self, engine: Callable[[], Engine | None]) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("swx_hub_messages", "Messages at the hub by link and state",
                                   labels=["sender", "receiver", "state"])
        engine = self.engine()
        if engine is not None:
            try:
                with session_scope(engine) as session:
                    for sender, receiver, state, count in repository.count_by_link(session):
                        family.add_metric([sender, receiver, state], count)
            except SQLAlchemyError:
                log.warning("metrics.hub_messages_unavailable")
        yield family
