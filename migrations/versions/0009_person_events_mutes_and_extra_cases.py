"""person events (mutes, extra cases), muted people, usernames

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_person_events_actor_id_people')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_events_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_events'))
    )
    with op.batch_alter_table('person_events', schema=None) as batch_op:
        batch_op.create_index('ix_person_events_person', ['person_id', 'id'], unique=False)

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('muted_at', models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('mute_reason', sa.Text(), nullable=True))
        # Existing people have no extra cases allowed.
        batch_op.add_column(sa.Column('extra_cases', sa.Integer(), nullable=False, server_default=sa.text('0')))
        batch_op.create_index(batch_op.f('ix_people_muted_at'), ['muted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_username'), ['username'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_username'))
        batch_op.drop_index(batch_op.f('ix_people_muted_at'))
        batch_op.drop_column('extra_cases')
        batch_op.drop_column('mute_reason')
        batch_op.drop_column('muted_at')
        batch_op.drop_column('username')

    with op.batch_alter_table('person_events', schema=None) as batch_op:
        batch_op.drop_index('ix_person_events_person')

    op.drop_table('person_events')
