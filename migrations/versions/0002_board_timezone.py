"""board timezone

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:12:40.118093
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ALTER TABLE, never a table copy: batch mode on SQLite copies `board` and drops the old one,
    # and with foreign keys on, that DROP deletes every section, note and comment (ON DELETE
    # CASCADE). SQLite has had ADD and DROP COLUMN since 3.35.
    with op.batch_alter_table("board", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "timezone",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                server_default="Europe/Oslo",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("board", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("timezone")
