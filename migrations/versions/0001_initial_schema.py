"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 15:43:10.182546

"""
from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_api_keys_name'))
    )
    op.create_table('creditors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('link_ttl_days', sa.Integer(), server_default='30', nullable=False),
    sa.Column('allow_knowledge_only', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('link_ttl_days BETWEEN 1 AND 366', name=op.f('ck_creditors_link_ttl_days_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_creditors')),
    sa.UniqueConstraint('external_id', name=op.f('uq_creditors_external_id'))
    )
    op.create_table('debtors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('type', sa.Enum('person', 'business', name='debtortype', native_enum=False, length=16), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('postcode', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('exported_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debtors')),
    sa.UniqueConstraint('key', name=op.f('uq_debtors_key'))
    )
    op.create_table('rate_limit_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters'))
    )
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counters_expires_at'), ['expires_at'], unique=False)

    op.create_table('verification_throttles',
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('reference', name=op.f('pk_verification_throttles'))
    )
    op.create_table('web_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_web_sessions_last_seen_at', ['last_seen_at'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('lookup_key', sa.String(length=32), nullable=False),
    sa.Column('creditor_id', sa.Integer(), nullable=False),
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('current_export_id', sa.Integer(), nullable=True),
    sa.Column('exported_at_seen', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sequence', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'], name=op.f('fk_cases_creditor_id_creditors')),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_cases_debtor_id_debtors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_creditor_id'), ['creditor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_debtor_id'), ['debtor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_lookup_key'), ['lookup_key'], unique=False)

    op.create_table('case_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('payment', 'discount', 'refund', 'chargeback', name='entrykind', native_enum=False, length=16), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('occurred_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_case_entries_amount_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_entries_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_entries')),
    sa.UniqueConstraint('case_id', 'sequence', name='uq_case_entries_case_id_sequence')
    )
    op.create_table('case_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('exported_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('open', 'on_hold', 'closed', name='casestatus', native_enum=False, length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('principal_minor', sa.BigInteger(), nullable=False),
    sa.Column('interest_minor', sa.BigInteger(), nullable=False),
    sa.Column('fees_minor', sa.BigInteger(), nullable=False),
    sa.Column('costs_minor', sa.BigInteger(), nullable=False),
    sa.Column('events_applied_through', sa.BigInteger(), nullable=False),
    sa.Column('invoice_number', sa.String(length=100), nullable=True),
    sa.Column('invoice_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('risk_score', sa.Integer(), nullable=True),
    sa.Column('record_hash', sa.String(length=64), nullable=False),
    sa.Column('imported_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('events_applied_through >= 0', name=op.f('ck_case_exports_events_applied_through_not_negative')),
    sa.CheckConstraint('principal_minor >= 0 AND interest_minor >= 0 AND fees_minor >= 0 AND costs_minor >= 0', name=op.f('ck_case_exports_components_not_negative')),
    sa.CheckConstraint('risk_score IS NULL OR risk_score BETWEEN 0 AND 100', name=op.f('ck_case_exports_risk_score_range')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_exports_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_exports')),
    sa.UniqueConstraint('case_id', 'exported_at', name='uq_case_exports_case_id_exported_at')
    )
    # cases <-> case_exports reference each other: the second key is added once both exist.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_cases_current_export', 'case_exports', ['current_export_id'], ['id'])

    op.create_table('one_time_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('attempt_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_one_time_codes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_codes'))
    )
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_one_time_codes_attempt_hash'), ['attempt_hash'], unique=False)
        batch_op.create_index('ix_one_time_codes_case_id_created_at', ['case_id', 'created_at'], unique=False)

    op.create_table('reminder_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_reminder_links_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_reminder_links_token_hash'))
    )
    with op.batch_alter_table('reminder_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_links_case_id'), ['case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_current_export', type_='foreignkey')
    with op.batch_alter_table('reminder_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_links_case_id'))

    op.drop_table('reminder_links')
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_one_time_codes_case_id_created_at')
        batch_op.drop_index(batch_op.f('ix_one_time_codes_attempt_hash'))

    op.drop_table('one_time_codes')
    op.drop_table('case_exports')
    op.drop_table('case_entries')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_lookup_key'))
        batch_op.drop_index(batch_op.f('ix_cases_debtor_id'))
        batch_op.drop_index(batch_op.f('ix_cases_creditor_id'))

    op.drop_table('cases')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_web_sessions_last_seen_at')

    op.drop_table('web_sessions')
    op.drop_table('verification_throttles')
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counters_expires_at'))

    op.drop_table('rate_limit_counters')
    op.drop_table('debtors')
    op.drop_table('creditors')
    op.drop_table('api_keys')
