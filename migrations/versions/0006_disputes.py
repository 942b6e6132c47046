"""the debtor's voice: uploaded files, disputes and their evidence, support needs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_debtor_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_uploads_size_positive')),
    sa.ForeignKeyConstraint(['owner_debtor_id'], ['debtors.id'], name=op.f('fk_uploads_owner_debtor_id_debtors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_uploads_storage_key'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_owner_debtor_id'), ['owner_debtor_id'], unique=False)
    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('not_mine', 'already_paid', 'wrong_amount', 'goods', 'other', name='disputereason', native_enum=False, length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('open', 'upheld', 'not_upheld', name='disputestate', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('close', 'correct', name='upheldoutcome', native_enum=False, length=10), nullable=True),
    sa.Column('corrected_total_minor', sa.BigInteger(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.CheckConstraint('corrected_total_minor IS NULL OR corrected_total_minor >= 0', name=op.f('ck_disputes_corrected_not_negative')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_disputes_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by'], ['staff.id'], name=op.f('fk_disputes_resolved_by_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    op.create_index(op.f('ix_disputes_case_id'), 'disputes', ['case_id'], unique=False)
    op.create_index('ix_disputes_state_created_at', 'disputes', ['state', 'created_at'], unique=False)
    op.create_table('support_needs',
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('consented_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_support_needs_debtor_id_debtors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('debtor_id', name=op.f('pk_support_needs'))
    )
    op.create_table('dispute_evidence',
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_evidence_dispute_id_disputes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_dispute_evidence_upload_id_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dispute_id', 'upload_id', name=op.f('pk_dispute_evidence'))
    )


def downgrade():
    op.drop_table('support_needs')
    op.drop_table('dispute_evidence')
    op.drop_index('ix_disputes_state_created_at', table_name='disputes')
    op.drop_index(op.f('ix_disputes_case_id'), table_name='disputes')
    op.drop_table('disputes')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_owner_debtor_id'))
    op.drop_table('uploads')
