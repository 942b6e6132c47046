"""payments: Stripe payments, their history, processed webhook events, creditor payment policy

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_STATES = ('pending', 'open', 'processing', 'succeeded', 'failed', 'expired', 'canceled',
           'partially_refunded', 'refunded', 'disputed', 'charged_back')


def _state(name):
    return sa.Enum(*_STATES, name='paymentstate', native_enum=False, length=24)


def upgrade():
    with op.batch_alter_table('creditors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_part_payment', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('part_payment_min_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('settlement_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('settlement_waive_interest', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('settlement_waive_costs', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_creditors_part_payment_min_not_negative'), 'part_payment_min_minor >= 0')
        batch_op.create_check_constraint(op.f('ck_creditors_settlement_days_range'),
                                         'settlement_days IS NULL OR settlement_days BETWEEN 1 AND 366')

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('full', 'part', 'settlement', name='paymentkind', native_enum=False, length=16), nullable=False),
    sa.Column('state', _state('state'), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('checkout_session_id', sa.String(length=255), nullable=True),
    sa.Column('checkout_url', sa.Text(), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('method', sa.String(length=40), nullable=True),
    sa.Column('refunded_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('failure_code', sa.String(length=100), nullable=True),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('succeeded_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint('discount_minor >= 0', name=op.f('ck_payments_discount_not_negative')),
    sa.CheckConstraint('refunded_minor >= 0 AND refunded_minor <= amount_minor', name=op.f('ck_payments_refunded_range')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_payments_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('checkout_session_id', name=op.f('uq_payments_checkout_session_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payments_idempotency_key')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_payments_payment_intent_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_charge_id'), ['charge_id'], unique=False)

    op.create_table('payment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('state_from', _state('state_from'), nullable=True),
    sa.Column('state_to', _state('state_to'), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('stripe_event_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_events_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events'))
    )
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_events_payment_id'), ['payment_id'], unique=False)

    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('received_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_stripe_events_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_events_payment_id'), ['payment_id'], unique=False)


def downgrade():
    op.drop_table('stripe_events')
    op.drop_table('payment_events')
    op.drop_table('payments')
    with op.batch_alter_table('creditors', schema=None) as batch_op:
        batch_op.drop_constraint('ck_creditors_settlement_days_range', type_='check')
        batch_op.drop_constraint('ck_creditors_part_payment_min_not_negative', type_='check')
        batch_op.drop_column('settlement_waive_costs')
        batch_op.drop_column('settlement_waive_interest')
        batch_op.drop_column('settlement_days')
        batch_op.drop_column('part_payment_min_minor')
        batch_op.drop_column('allow_part_payment')
