from alembic import context
from sqlmodel import SQLModel

from services.kernel.answers import ReceivedAnswer
from services.kernel.migrate import run_env
from services.kernel.outbox import OutboxMessage
from services.port.models import ClearanceRecord, VesselCallRecord

TABLES = (OutboxMessage, ReceivedAnswer, VesselCallRecord, ClearanceRecord)
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES})
