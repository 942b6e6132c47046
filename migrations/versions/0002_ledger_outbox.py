"""ledger outbox: events, per-case streams, relays

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'delivered', 'dead', name='eventstate', native_enum=False, length=16), nullable=False),
    sa.Column('recorded_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dead_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_ledger_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_events')),
    sa.UniqueConstraint('case_id', 'sequence', name='uq_ledger_events_case_id_sequence')
    )
    with op.batch_alter_table('ledger_events', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_events_state_case_id', ['state', 'case_id'], unique=False)
        batch_op.create_index('ix_ledger_events_state_recorded_at', ['state', 'recorded_at'], unique=False)

    op.create_table('ledger_streams',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=True),
    sa.Column('lease_until', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retry_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('failing_since', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_ledger_streams_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_ledger_streams'))
    )
    op.create_table('ledger_relays',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('started_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', portal.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alerting', sa.Boolean(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_relays'))
    )


def downgrade():
    op.drop_table('ledger_relays')
    op.drop_table('ledger_streams')
    with op.batch_alter_table('ledger_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_events_state_recorded_at')
        batch_op.drop_index('ix_ledger_events_state_case_id')

    op.drop_table('ledger_events')
