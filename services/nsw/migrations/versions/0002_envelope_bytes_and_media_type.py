"""the inbox keeps each envelope as the bytes it arrived in, JSON or XML, with their media type

Before this revision ``envelope`` was JSON text, and ``POST /inbox`` took only JSON, so an
XML envelope the hub accepted could not be delivered. The column now holds the bytes as
received (an XML envelope may declare an encoding other than UTF-8, so text will not do)
and ``envelope_media_type`` their Content-Type; every row stored before is JSON.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from services.kernel import canonical
from services.kernel.messages.exchange import Envelope
from services.kernel.registry import REGISTRY
from services.kernel.validation import validate

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 50
JSON_ENVELOPE = "application/json"

inbox_message = sa.table(
    "inbox_message",
    sa.column("id", sa.Integer()), sa.column("envelope", sa.Text()), sa.column("envelope_bytes", sa.LargeBinary()),
    sa.column("envelope_media_type", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("envelope_bytes", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("envelope_media_type", sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=True))
    connection = op.get_bind()
    for rows in _batches(connection, source=inbox_message.c.envelope, target=inbox_message.c.envelope_bytes):
        for row in rows:
            connection.execute(sa.update(inbox_message).where(inbox_message.c.id == row["id"]).values(
                envelope_bytes=row["envelope"].encode("utf-8"), envelope_media_type=JSON_ENVELOPE))
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_column("envelope")
        batch_op.alter_column("envelope_bytes", new_column_name="envelope", existing_type=sa.LargeBinary(),
                              nullable=False)
        batch_op.alter_column("envelope_media_type", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
                              nullable=False)


def downgrade() -> None:
    """Back to JSON text: an XML envelope is written as the canonical JSON of the same envelope
    (the only form the earlier code can read; its signature still verifies)."""
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("envelope_text", sa.Text(), nullable=True))
    connection = op.get_bind()
    stored = sa.table("inbox_message", sa.column("id", sa.Integer()), sa.column("envelope", sa.LargeBinary()),
                      sa.column("envelope_media_type", sa.String()), sa.column("envelope_text", sa.Text()))
    for rows in _batches(connection, source=stored.c.envelope, target=stored.c.envelope_text,
                         media=stored.c.envelope_media_type):
        for row in rows:
            connection.execute(sa.update(stored).where(stored.c.id == row["id"]).values(
                envelope_text=_as_json_text(bytes(row["envelope"]), row["envelope_media_type"])))
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_column("envelope")
        batch_op.drop_column("envelope_media_type")
        batch_op.alter_column("envelope_text", new_column_name="envelope", existing_type=sa.Text(), nullable=False)


def _batches(connection: sa.Connection, *, source: sa.ColumnClause[Any], target: sa.ColumnClause[Any],
             media: sa.ColumnClause[Any] | None = None) -> Iterator[Sequence[sa.RowMapping]]:
    """The rows still to convert, ``BATCH`` at a time, so a large inbox never sits in memory whole."""
    id_column = source.table.c.id
    columns = [id_column, source] + ([media] if media is not None else [])
    last_id = 0
    while True:
        rows = connection.execute(sa.select(*columns).where(target.is_(None), id_column > last_id)
                                  .order_by(id_column).limit(BATCH)).mappings().all()
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]


def _as_json_text(envelope: bytes, media_type: str) -> str:
    # the kernel's reader, as the code that goes back to this revision has it (downgrades only)
    if media_type == JSON_ENVELOPE:
        return envelope.decode("utf-8")
    report = validate(envelope, media_type=media_type, expected_type=REGISTRY.get("exchange.envelope"))
    assert isinstance(report.document, Envelope), f"a stored envelope no longer reads: {report.findings}"
    return canonical.json_text(report.document)
