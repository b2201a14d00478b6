"""dead letters: the outbox keeps when a message failed and when it was queued again

A message the retry policy gave up on is a dead letter (FAILED) with the time it failed
(``failed_at``); an operator's replay or a resubmission queues it again, and its age, by
which the policy gives up, counts afresh from ``requeued_at``.

Revision ID: outbox_0002
Revises: outbox_0001
Create Date: 2026-12-10 09:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "outbox_0002"
down_revision = "outbox_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requeued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("failed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
        batch_op.drop_column("requeued_at")
