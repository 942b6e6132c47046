"""bulk speed: reminder_links.token_hash as the 32 bytes of the SHA-256, not 64 hex characters

Links already sent keep working: every stored hash is converted, not dropped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE reminder_links ALTER COLUMN token_hash TYPE bytea USING decode(token_hash, 'hex')")
        return
    with op.batch_alter_table('reminder_links', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64),
                              type_=sa.LargeBinary(length=32), existing_nullable=False)
    _convert(_unhex)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE reminder_links ALTER COLUMN token_hash TYPE varchar(64) USING encode(token_hash, 'hex')")
        return
    _convert(bytes.hex)
    with op.batch_alter_table('reminder_links', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.LargeBinary(length=32),
                              type_=sa.String(length=64), existing_nullable=False)


def _unhex(value):
    """64 hex characters (text, or the bytes of that text after the table copy's CAST) as 32 bytes."""
    return bytes.fromhex(value.decode('ascii') if isinstance(value, bytes) else value)


def _convert(change):
    """SQLite (no unhex() before 3.41): rewrite every stored hash in Python, in pages of 10,000."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.exec_driver_sql(
            "SELECT id, token_hash FROM reminder_links WHERE id > ? ORDER BY id LIMIT 10000", (last,)).all()
        if not rows:
            return
        bind.exec_driver_sql("UPDATE reminder_links SET token_hash = ? WHERE id = ?",
                             [(change(value), row_id) for row_id, value in rows])
        last = rows[-1][0]
