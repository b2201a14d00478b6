from alembic import context
from sqlmodel import SQLModel

from services.customs.models import CertificateRecord, DeclarationEvent, DeclarationRecord
from services.kernel.answers import ReceivedAnswer
from services.kernel.migrate import run_env
from services.kernel.outbox import OutboxMessage

TABLES = (OutboxMessage, ReceivedAnswer, DeclarationRecord, DeclarationEvent, CertificateRecord)
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES})
