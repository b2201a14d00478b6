"""handover replays: the inbox keeps when a handover failed and when it was queued again

A handover that failed for good is kept with the time it failed (``handover_failed_at``);
an operator's replay queues it again, and its age, by which the policy gives up, counts
afresh from ``handover_queued_at``. (This revision once added the outbox's dead-letter
columns too: they are the kernel's now, ``services/kernel/migrations``.)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 12:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handover_queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("handover_failed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_column("handover_failed_at")
        batch_op.drop_column("handover_queued_at")
