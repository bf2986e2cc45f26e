"""moderation and safety: word filter, retention, owner keys, bans, flags, audit trail

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 06:57:41.107484
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderator_key_id", sa.Integer(), nullable=True),
        sa.Column("moderator", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"], ["board.id"], name=op.f("fk_audit_board_id_board"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["moderator_key_id"],
            ["moderator_key.id"],
            name=op.f("fk_audit_moderator_key_id_moderator_key"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["note.id"], name=op.f("fk_audit_note_id_note"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_board_id"), ["board_id"], unique=False)

    # ALTER TABLE, never a table copy (see 0002): on SQLite a copy of `board`, `note` or
    # `participant` would drop the original, and the ON DELETE cascades would empty the others.
    with op.batch_alter_table("board", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("word_filter", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))

    with op.batch_alter_table("moderator_key", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Each board's owner is the key made with it: its first.
    keys = sa.table("moderator_key", sa.column("id"), sa.column("board_id"), sa.column("owner"))
    first = sa.select(sa.func.min(keys.c.id)).group_by(keys.c.board_id)
    op.execute(keys.update().where(keys.c.id.in_(first)).values(owner=True))

    with op.batch_alter_table("note", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("flag_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "edited_by_moderator", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("participant", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("banned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("banned_at")

    with op.batch_alter_table("note", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("edited_by_moderator")
        batch_op.drop_column("flag_reason")

    with op.batch_alter_table("moderator_key", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("owner")

    with op.batch_alter_table("board", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("retention_days")
        batch_op.drop_column("word_filter")

    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_board_id"))

    op.drop_table("audit")
