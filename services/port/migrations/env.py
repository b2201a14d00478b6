from alembic import context
from sqlmodel import SQLModel

from services.kernel.migrate import run_env
from services.port.models import ClearanceRecord, VesselCallRecord

TABLES = (VesselCallRecord, ClearanceRecord)
# 0002 and 0003 built the kernel's received_answer and outbox columns, whose history is the kernel's now
RETIRED = {"0002": "0001", "0003": "0001"}
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES}, retired=RETIRED)
