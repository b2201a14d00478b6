"""certificate status: a certificate of origin can be replaced by another or cancelled

Certificates of origin 1.1 carry a status (original, replacement of a named reference,
cancelled). The record keeps where the certificate stands: ``in-force`` (every existing
row), ``replaced`` with the id of the certificate replacing it, or ``cancelled``.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-06 09:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificate_of_origin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default="in-force"))
        batch_op.add_column(sa.Column("replaced_by_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("certificate_of_origin", schema=None) as batch_op:
        batch_op.drop_column("replaced_by_id")
        batch_op.drop_column("status")
