"""the debtor's voice, part two: issued documents (verification codes), privacy erasures, creditor retention

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 11:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issued_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('statement', 'receipt', 'paid_in_full', 'settlement', name='documentkind', native_enum=False, length=16), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('creditor_name', sa.String(length=200), nullable=False),
    sa.Column('reference_masked', sa.String(length=32), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issued_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_issued_documents_case_id_cases')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_issued_documents_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_documents')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_issued_documents_code_hash'))
    )
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_documents_case_id'), ['case_id'], unique=False)

    op.create_table('privacy_erasures',
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('erased_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_privacy_erasures_debtor_id_debtors')),
    sa.PrimaryKeyConstraint('debtor_id', name=op.f('pk_privacy_erasures'))
    )
    with op.batch_alter_table('creditors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), server_default='2190', nullable=False))


def downgrade():
    with op.batch_alter_table('creditors', schema=None) as batch_op:
        batch_op.drop_column('retention_days')
    op.drop_table('privacy_erasures')
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_documents_case_id'))
    op.drop_table('issued_documents')
