"""message submissions: a form sent twice (double click, retry after a lost answer) is one message

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 23:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission', sa.String(length=43), nullable=True))
        batch_op.create_unique_constraint('uq_messages_debtor_id_submission', ['debtor_id', 'submission'])


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_messages_debtor_id_submission', type_='unique')
        batch_op.drop_column('submission')
