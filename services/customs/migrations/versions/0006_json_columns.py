"""JSON columns: a declaration's lane reasons and outcome, and a certificate's outcome

They held JSON written as text; the database now knows them as JSON (PostgreSQL ``json``,
SQLite's JSON text), and the records read and write lists and objects. Every stored value is
kept: PostgreSQL converts the text in place (``USING column::json``), SQLite copies the rows
into the table rebuilt with the new type.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 16:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (("declaration", "lane_reasons", False), ("declaration", "outcome", True),
           ("certificate_of_origin", "outcome", True))


def upgrade() -> None:
    _retype(sa.Text(), sa.JSON(), using="{column}::json")


def downgrade() -> None:
    _retype(sa.JSON(), sa.Text(), using="{column}::text")


def _retype(old: sa.types.TypeEngine[object], new: sa.types.TypeEngine[object], *, using: str) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=nullable,
                                  postgresql_using=using.format(column=column) if postgresql else None)
