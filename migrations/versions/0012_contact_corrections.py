"""contact corrections: a debtor's proven e-mail or phone holds against older export records

New table `contact_corrections` (portal.contact.corrections). Upgrade carries over the
corrections made before it that are still in `debtors`: for each debtor and field, the
latest `debtor.contact_changed` event carrying the field, when its value is still the one
held. The export's value from before such a correction was overwritten by the old code and
is unknown, so the row saves the corrected value in its place, and only the delivery of
that event (not a record carrying the same value) retires it. Downgrade drops the table:
`debtors` already holds every value in force, so nothing the debtor proved is lost.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 23:10:00

"""
import json

from alembic import op
import sqlalchemy as sa

import portal.db_types

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_corrections',
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('export_email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=True),
    sa.Column('phone_at', portal.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('export_phone', sa.String(length=16), nullable=True),
    sa.CheckConstraint('email_at IS NOT NULL OR phone_at IS NOT NULL', name=op.f('ck_contact_corrections_something_corrected')),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_contact_corrections_debtor_id_debtors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('debtor_id', name=op.f('pk_contact_corrections'))
    )
    _carry_over()


def downgrade():
    op.drop_table('contact_corrections')


def _carry_over():
    """One row per debtor whose latest proven e-mail or phone is still the one held."""
    bind = op.get_bind()
    at_type = portal.db_types.UTCDateTime()
    events = sa.table('ledger_events', sa.column('case_id', sa.Integer), sa.column('type', sa.String),
                      sa.column('occurred_at', at_type), sa.column('payload', sa.Text))
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('debtor_id', sa.Integer))
    debtors = sa.table('debtors', sa.column('id', sa.Integer), sa.column('email', sa.String),
                       sa.column('phone', sa.String))
    latest: dict[int, dict] = {}
    rows = bind.execute(
        sa.select(cases.c.debtor_id, events.c.occurred_at, events.c.payload, debtors.c.email, debtors.c.phone)
        .select_from(events.join(cases, cases.c.id == events.c.case_id).join(debtors, debtors.c.id == cases.c.debtor_id))
        .where(events.c.type == 'debtor.contact_changed').order_by(events.c.occurred_at)
    )
    for debtor_id, occurred_at, payload, email, phone in rows:
        data = json.loads(payload)['data']
        held = {'email': email, 'phone': phone}
        row = latest.setdefault(debtor_id, {'debtor_id': debtor_id})
        for field in ('email', 'phone'):
            if field in data:  # a later event of the field replaces an earlier one
                proven = data[field] == held[field]
                row.update({field: data[field] if proven else None, f'{field}_at': occurred_at if proven else None,
                            f'export_{field}': data[field] if proven else None})
    wanted = [row for row in latest.values() if row.get('email_at') or row.get('phone_at')]
    if wanted:
        table = sa.table('contact_corrections', *(sa.column(name, at_type if name.endswith('_at') else sa.String)
                                                  for name in ('email', 'email_at', 'export_email', 'phone',
                                                               'phone_at', 'export_phone')),
                         sa.column('debtor_id', sa.Integer))
        bind.execute(table.insert(), [{name: row.get(name) for name in (
            'debtor_id', 'email', 'email_at', 'export_email', 'phone', 'phone_at', 'export_phone')} for row in wanted])
