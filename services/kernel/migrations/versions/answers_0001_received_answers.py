"""received answers: business answers to this service's messages, once per (sender, message_id)

The table the agency services record the answers to their messages in
(``services.kernel.received_answers``). Until the kernel had a history of its own, each agency
service's second revision created it.

Revision ID: answers_0001
Revises:
Create Date: 2026-12-10 09:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "answers_0001"
down_revision = None
branch_labels = ("answers",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("receiver", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("in_reply_to", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("document_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payload_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender", "message_id", name="uq_received_answer_sender_message"),
    )
    with op.batch_alter_table("received_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_received_answer_in_reply_to"), ["in_reply_to"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("received_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_answer_in_reply_to"))

    op.drop_table("received_answer")
