"""blind rounds: a board's `reveal` setting, held notes, events for one participant only

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ALTER TABLE, never a table copy (see 0002): on SQLite a copy of `board` or `note` would
    # drop the original, and the ON DELETE cascades would empty the others. NOT NULL with a
    # server default fills the existing rows: every board instant, no note held.
    with op.batch_alter_table("board", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "reveal",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                server_default="instant",
                nullable=False,
            )
        )
    with op.batch_alter_table("note", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("event", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("private_to", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("private_to")
    with op.batch_alter_table("note", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("held")
    with op.batch_alter_table("board", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("reveal")
