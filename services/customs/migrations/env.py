from alembic import context
from sqlmodel import SQLModel

from services.customs.models import CertificateRecord, DeclarationEvent, DeclarationRecord
from services.kernel.migrate import run_env

TABLES = (DeclarationRecord, DeclarationEvent, CertificateRecord)
# 0002 and 0004 built the kernel's received_answer and outbox columns, whose history is the kernel's now
RETIRED = {"0002": "0001", "0004": "0003"}
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES}, retired=RETIRED)
