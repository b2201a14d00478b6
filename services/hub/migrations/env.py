from alembic import context
from sqlmodel import SQLModel

from services.hub.models import HubMessage, HubSuspension, HubTransition
from services.kernel.migrate import run_env

TABLES = (HubMessage, HubTransition, HubSuspension)
run_env(context, SQLModel.metadata, tables={str(table.__tablename__) for table in TABLES})
