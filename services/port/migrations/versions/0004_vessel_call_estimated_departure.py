"""vessel calls of port.vessel-call 1.1: the ETA may be absent, the ETD is kept

A 1.1 departure needs only its estimated time of departure, so ``estimated_arrival`` is
nullable and ``estimated_departure`` is kept beside it (the list shows either).

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-09 10:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vessel_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("estimated_departure", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.alter_column("estimated_arrival", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)


def downgrade() -> None:
    # a call without an ETA cannot be kept by the old table: it takes its ETD instead
    op.execute("UPDATE vessel_call SET estimated_arrival = estimated_departure WHERE estimated_arrival IS NULL")
    with op.batch_alter_table("vessel_call", schema=None) as batch_op:
        batch_op.alter_column("estimated_arrival", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        batch_op.drop_column("estimated_departure")
