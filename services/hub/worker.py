"""A delivery worker as a process of its own (``swx hub-worker``), for scale-out.

Several of them share the hub's PostgreSQL database: each claims due messages with
``FOR UPDATE SKIP LOCKED``, so no message is taken by two at once. On SQLite run at most
one delivery worker in all (the hub's own, or one of these with ``SWX_HUB_RUN_WORKER=false``
for the hub).
"""

import asyncio
import logging
import signal

from services.hub.config import HubSettings
from services.hub.delivery import DeliveryWorker, new_delivery_client
from services.kernel.db import make_engine
from services.kernel.network import load_network
from services.kernel.web.observability import configure_logging

log = logging.getLogger("swx.hub.worker")


async def run_worker(settings: HubSettings) -> None:
    """Deliver until SIGINT or SIGTERM, then finish the deliveries under way."""
    configure_logging(settings.log_level)
    assert settings.network_file is not None
    engine = make_engine(settings.database_for("hub"))
    if engine.dialect.name == "sqlite":
        log.warning("worker.sqlite: run no other delivery worker on this database (set SWX_HUB_RUN_WORKER=false "
                    "for the hub)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for name in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(name, stop.set)
    async with new_delivery_client(settings) as client:
        worker = DeliveryWorker(engine=engine, network=load_network(settings.network_file), settings=settings,
                                client=client)
        worker.start()
        log.info("worker.started database=%s", engine.url.render_as_string(hide_password=True))
        await stop.wait()
        await worker.stop()
    engine.dispose()
    log.info("worker.stopped")
