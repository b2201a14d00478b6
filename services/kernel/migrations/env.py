from alembic import context
from sqlmodel import SQLModel

from services.kernel.migrate import KERNEL_VERSION_TABLE, run_env
from services.kernel.outbox import OutboxMessage
from services.kernel.received_answers import ReceivedAnswer

TABLES = (OutboxMessage, ReceivedAnswer)
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES},
        version_table=KERNEL_VERSION_TABLE)
