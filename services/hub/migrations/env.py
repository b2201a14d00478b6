from alembic import context
from sqlmodel import SQLModel

from services.hub.models import HubMessage, HubTransition
from services.kernel.migrate import run_env

TABLES = (HubMessage, HubTransition)
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES})
