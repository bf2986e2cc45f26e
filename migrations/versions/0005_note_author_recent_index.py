"""index notes by author and time, for the duplicate guard on every post

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE/DROP INDEX, no batch table copy (see 0002 and 0004 for why that matters).
    op.create_index("ix_note_author_id_created_at", "note", ["author_id", "created_at"])
    # The new index leads with author_id, so it serves every lookup the old one did.
    op.drop_index("ix_note_author_id", table_name="note")


def downgrade() -> None:
    op.create_index("ix_note_author_id", "note", ["author_id"])
    op.drop_index("ix_note_author_id_created_at", table_name="note")
