"""instalment plans: policies, plans, instalments, history, plan payments

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('creditor_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rules_json', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_plan_policies_version_positive')),
    sa.ForeignKeyConstraint(['created_by'], ['staff.id'], name=op.f('fk_plan_policies_created_by_staff')),
    sa.ForeignKeyConstraint(['creditor_id'], ['creditors.id'], name=op.f('fk_plan_policies_creditor_id_creditors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_policies')),
    sa.UniqueConstraint('creditor_id', 'version', name=op.f('uq_plan_policies_creditor_id'))
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('proposed', 'countered', 'accepted', 'rejected', 'withdrawn', 'pending_payment', 'active', 'completed', 'broken', 'cancelled', name='planstate', native_enum=False, length=20), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('frequency', sa.Enum('monthly', 'biweekly', 'weekly', name='frequency', native_enum=False, length=10), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('approved_by', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('budget', sa.JSON(), nullable=True),
    sa.Column('support_needs', sa.Text(), nullable=True),
    sa.Column('decide_by', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_payment_method_id', sa.String(length=255), nullable=True),
    sa.Column('setup_session_id', sa.String(length=255), nullable=True),
    sa.Column('date_moves_used', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agreed_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('date_moves_used >= 0', name=op.f('ck_plans_date_moves_not_negative')),
    sa.CheckConstraint('total_minor > 0', name=op.f('ck_plans_total_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_plans_case_id_cases')),
    sa.ForeignKeyConstraint(['policy_id'], ['plan_policies.id'], name=op.f('fk_plans_policy_id_plan_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('setup_session_id', name=op.f('uq_plans_setup_session_id'))
    )
    op.create_index(op.f('ix_plans_case_id'), 'plans', ['case_id'], unique=False)
    op.create_index('ix_plans_state_created_at', 'plans', ['state', 'created_at'], unique=False)
    op.create_table('instalments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.Enum('scheduled', 'due', 'paid', 'failed', 'action_required', 'missed', 'moved', 'cancelled', name='instalmentstate', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('retry_on', sa.Date(), nullable=True),
    sa.Column('reminded_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_instalments_amount_positive')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_instalments_attempts_not_negative')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_instalments_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instalments')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_instalments_plan_id'))
    )
    op.create_index('ix_instalments_state_due_date', 'instalments', ['state', 'due_date'], unique=False)
    op.create_table('plan_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('instalment_number', sa.Integer(), nullable=True),
    sa.Column('state_from', sa.String(length=20), nullable=True),
    sa.Column('state_to', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_events_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_events'))
    )
    op.create_index(op.f('ix_plan_events_plan_id'), 'plan_events', ['plan_id'], unique=False)
    op.create_table('plan_payments',
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('instalment_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instalment_id'], ['instalments.id'], name=op.f('fk_plan_payments_instalment_id_instalments')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_plan_payments_payment_id_payments')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_payments_plan_id_plans')),
    sa.PrimaryKeyConstraint('payment_id', name=op.f('pk_plan_payments'))
    )
    op.create_index(op.f('ix_plan_payments_instalment_id'), 'plan_payments', ['instalment_id'], unique=False)
    op.create_index(op.f('ix_plan_payments_plan_id'), 'plan_payments', ['plan_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_plan_payments_plan_id'), table_name='plan_payments')
    op.drop_index(op.f('ix_plan_payments_instalment_id'), table_name='plan_payments')
    op.drop_table('plan_payments')
    op.drop_index(op.f('ix_plan_events_plan_id'), table_name='plan_events')
    op.drop_table('plan_events')
    op.drop_index('ix_instalments_state_due_date', table_name='instalments')
    op.drop_table('instalments')
    op.drop_index('ix_plans_state_created_at', table_name='plans')
    op.drop_index(op.f('ix_plans_case_id'), table_name='plans')
    op.drop_table('plans')
    op.drop_table('plan_policies')
