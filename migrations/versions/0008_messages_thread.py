"""the debtor's voice, part three: the message thread, its attachments, corrected postal addresses

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.Enum('debtor', 'agent', name='author', native_enum=False, length=10), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_messages_debtor_id_debtors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_messages_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_debtor_id_id', ['debtor_id', 'id'], unique=False)

    op.create_table('message_attachments',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_attachments_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_message_attachments_upload_id_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'upload_id', name=op.f('pk_message_attachments'))
    )
    op.create_table('debtor_addresses',
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('line1', sa.String(length=200), nullable=False),
    sa.Column('line2', sa.String(length=200), nullable=True),
    sa.Column('postcode', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('updated_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_debtor_addresses_debtor_id_debtors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('debtor_id', name=op.f('pk_debtor_addresses'))
    )


def downgrade():
    op.drop_table('debtor_addresses')
    op.drop_table('message_attachments')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_debtor_id_id')
    op.drop_table('messages')
