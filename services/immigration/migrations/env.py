from alembic import context
from sqlmodel import SQLModel

from services.immigration.models import ManifestPersonRecord, ManifestRecord
from services.kernel.answers import ReceivedAnswer
from services.kernel.migrate import run_env
from services.kernel.outbox import OutboxMessage

TABLES = (OutboxMessage, ReceivedAnswer, ManifestRecord, ManifestPersonRecord)
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES})
