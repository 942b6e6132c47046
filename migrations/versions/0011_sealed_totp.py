"""sealed TOTP seeds: staff.totp_secret holds a Fernet token (portal.sealing), never the base32 seed

Every stored seed is sealed on upgrade and opened again on downgrade, with the keys
derived from the app's SECRET_KEY (and SECRET_KEY_FALLBACKS): run it with the
production settings, as `flask db upgrade` does.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    from portal.sealing import seal

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=True)
    _convert(seal)


def downgrade():
    from portal.sealing import unseal

    _convert(unseal)
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
                              existing_nullable=True)


def _convert(change):
    """Rewrite every stored seed (a back office has tens of accounts, not millions)."""
    bind = op.get_bind()
    staff = sa.table('staff', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))
    rows = bind.execute(sa.select(staff.c.id, staff.c.totp_secret).where(staff.c.totp_secret.is_not(None))).all()
    for staff_id, value in rows:
        bind.execute(staff.update().where(staff.c.id == staff_id).values(totp_secret=change(value)))
