from alembic import context
from sqlmodel import SQLModel

from services.kernel.migrate import run_env
from services.nsw.models import InboxMessage

TABLES = (InboxMessage,)
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES})
