"""cases remember the draft they were filed from

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_cases_intake_key'), ['intake_key'])


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_cases_intake_key'), type_='unique')
        batch_op.drop_column('intake_key')
