"""note targets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ALTER TABLE, never a table copy: batch mode on SQLite would copy `note` and drop the old
    # one, and with foreign keys on, that DROP deletes every comment and like (ON DELETE CASCADE).
    # The server default gives the notes already there an empty list of targets.
    with op.batch_alter_table("note", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("targets", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("note", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("targets")
