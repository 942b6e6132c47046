"""hardship: pauses in collection a debtor asked for (the allowance is the plan policy's pause_max_days)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 13:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('days > 0', name=op.f('ck_case_pauses_days_positive')),
    sa.CheckConstraint('ends_on > starts_on', name=op.f('ck_case_pauses_ends_after_start')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_pauses_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_pauses'))
    )
    op.create_index(op.f('ix_case_pauses_case_id'), 'case_pauses', ['case_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_case_pauses_case_id'), table_name='case_pauses')
    op.drop_table('case_pauses')
