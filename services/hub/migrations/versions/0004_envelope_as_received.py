"""the hub keeps each envelope exactly as its sender signed and sent it

Before this revision delivery rebuilt the envelope from the columns, and the ``created_at``
column keeps only the instant (in UTC), so an envelope signed with another offset no longer
verified at its receiver. Rows stored before it get the envelope delivery would have sent
them (canonical JSON from the columns), so nothing queued before the upgrade is stranded.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 50
"""Rows per read: payloads may be megabytes each."""
JSON_ENVELOPE = "application/json"

hub_message = sa.table(
    "hub_message",
    sa.column("id", sa.Integer()), sa.column("message_id", sa.String()), sa.column("conversation_id", sa.String()),
    sa.column("in_reply_to", sa.String()), sa.column("sender", sa.String()), sa.column("receiver", sa.String()),
    sa.column("document_type", sa.String()), sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("payload_format", sa.String()), sa.column("payload", sa.Text()), sa.column("payload_digest", sa.String()),
    sa.column("signature", sa.Text()), sa.column("envelope", sa.LargeBinary()),
    sa.column("envelope_media_type", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("hub_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("envelope", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("envelope_media_type", sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("hub_message", schema=None) as batch_op:
        batch_op.alter_column("envelope", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("envelope_media_type", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
                              nullable=False)


def _backfill(connection: sa.Connection) -> None:
    """The body delivery built for a row until now: the envelope from its columns, as canonical JSON."""
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(hub_message).where(hub_message.c.envelope.is_(None), hub_message.c.id > last_id)
            .order_by(hub_message.c.id).limit(BATCH)).mappings().all()
        if not rows:
            return
        for row in rows:
            connection.execute(sa.update(hub_message).where(hub_message.c.id == row["id"]).values(
                envelope=_envelope_json(row), envelope_media_type=JSON_ENVELOPE))
        last_id = rows[-1]["id"]


def _envelope_json(row: sa.RowMapping) -> bytes:
    """The envelope as this revision's delivery sent it: its columns as JSON, ``created_at`` in
    UTC. Written out here rather than through the kernel's models, so that this migration
    means the same whatever later revisions of the code do to them."""
    created_at: datetime = row["created_at"]
    fields = {
        "message_id": row["message_id"], "conversation_id": row["conversation_id"], "in_reply_to": row["in_reply_to"],
        "sender": row["sender"], "receiver": row["receiver"], "document_type": row["document_type"],
        "created_at": _utc_text(created_at),
        "payload_format": row["payload_format"], "payload": row["payload"], "payload_digest": row["payload_digest"],
        "signature": row["signature"] or None,
    }
    present = {key: value for key, value in fields.items() if value is not None}
    return (json.dumps(present, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, as the JSON of that delivery wrote it."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def downgrade() -> None:
    with op.batch_alter_table("hub_message", schema=None) as batch_op:
        batch_op.drop_column("envelope_media_type")
        batch_op.drop_column("envelope")
