"""board join code: a short code per board, existing boards get one

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 22:15:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As board/domain/joincode.py had it when this was written (a migration never changes).
ALPHABET = "ACDEFGHJKMNPRTUVWXY3479"


def upgrade() -> None:
    # ALTER TABLE, never a table copy (see 0002): NOT NULL with a server default fills the
    # existing rows, which then get their own codes before the unique index exists.
    with op.batch_alter_table("board", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "code",
                sqlmodel.sql.sqltypes.AutoString(length=6),
                server_default="",
                nullable=False,
            )
        )
    connection = op.get_bind()
    board = sa.table("board", sa.column("id", sa.Integer), sa.column("code", sa.String))
    used: set[str] = set()
    for (board_id,) in connection.execute(sa.select(board.c.id).order_by(board.c.id)).all():
        code = ""
        while not code or code in used:
            code = "".join(secrets.choice(ALPHABET) for _ in range(6))
        used.add(code)
        connection.execute(sa.update(board).where(board.c.id == board_id).values(code=code))
    if connection.dialect.name != "sqlite":  # SQLite cannot drop a default without a copy
        op.alter_column("board", "code", server_default=None)
    op.create_index("ix_board_code", "board", ["code"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_board_code", table_name="board")
    with op.batch_alter_table("board", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("code")
