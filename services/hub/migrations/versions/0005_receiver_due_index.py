"""an index for claiming one receiver's due messages, oldest first

Delivery claims receiver by receiver (so that one receiver's backlog cannot starve the
others): each claim reads a receiver's messages in one state, due by ``next_attempt_at``,
in ``(next_attempt_at, id)`` order. This index serves the filter and the order at once,
where ``ix_hub_message_due`` made every claim sort all the due messages of all receivers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 16:15:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hub_message", schema=None) as batch_op:
        batch_op.create_index("ix_hub_message_receiver_due", ["receiver", "state", "next_attempt_at", "id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hub_message", schema=None) as batch_op:
        batch_op.drop_index("ix_hub_message_receiver_due")
