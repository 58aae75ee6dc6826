"""campaign tools: sign-off, team, mediation, diary, households, early warning

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('head', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('paired_cadre_id', sa.Integer(), nullable=True),
    sa.Column('paired_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['paired_cadre_id'], ['people.id'], name=op.f('fk_households_paired_cadre_id_people')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_households_person_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_households_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index('ix_households_paired', ['paired_cadre_id'], unique=False)
        batch_op.create_index('ix_households_village', ['village_id', 'head'], unique=False)

    op.create_table('diary_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('household_name', sa.String(length=100), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('visited_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['people.id'], name=op.f('fk_diary_entries_cadre_id_people')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_diary_entries_case_id_cases')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_diary_entries_household_id_households')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_diary_entries_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diary_entries'))
    )
    with op.batch_alter_table('diary_entries', schema=None) as batch_op:
        batch_op.create_index('ix_diary_cadre', ['cadre_id', 'visited_at'], unique=False)
        batch_op.create_index('ix_diary_household', ['household_id', 'visited_at'], unique=False)
        batch_op.create_index('ix_diary_visited', ['visited_at'], unique=False)

    op.create_table('mediations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('parties', sa.Text(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('agreement_text', sa.Text(), nullable=True),
    sa.Column('agreement_file_id', sa.String(length=255), nullable=True),
    sa.Column('next_step', sa.String(length=20), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_mediations_case_id_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['people.id'], name=op.f('fk_mediations_recorded_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediations'))
    )
    with op.batch_alter_table('mediations', schema=None) as batch_op:
        batch_op.create_index('ix_mediations_case', ['case_id', 'id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        # Existing rows get no flags and normal priority.
        batch_op.add_column(sa.Column('risk_flags', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default=sa.text('0')))
        batch_op.add_column(sa.Column('linked_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_linked_to_id_cases'), 'cases', ['linked_to_id'], ['id'])

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_signoff', sa.Boolean(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('needs_signoff')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_linked_to_id_cases'), type_='foreignkey')
        batch_op.drop_column('linked_to_id')
        batch_op.drop_column('priority')
        batch_op.drop_column('risk_flags')

    with op.batch_alter_table('mediations', schema=None) as batch_op:
        batch_op.drop_index('ix_mediations_case')

    op.drop_table('mediations')
    with op.batch_alter_table('diary_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_diary_visited')
        batch_op.drop_index('ix_diary_household')
        batch_op.drop_index('ix_diary_cadre')

    op.drop_table('diary_entries')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_village')
        batch_op.drop_index('ix_households_paired')

    op.drop_table('households')
