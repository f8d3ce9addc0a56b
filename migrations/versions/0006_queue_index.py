"""The work queues: one index per agent's queue order (agent, priority, next action, id).

Reviewed by hand: "My queue" and "Unassigned" filter on the agent (or on no agent) and walk
the cases by priority score, next action and id; with this index PostgreSQL reads an agent's
top 50 in index order (backwards, re-sorting only the cases of equal score) instead of
sorting all of the agent's cases, and a keyset page starts where the last one ended. It
replaces the index on assigned_agent_id alone, of which it is a prefix. No data change.

Revision ID: 0006_queue_index
Revises: 0005_paylink
Create Date: 2026-11-23 16:25:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_queue_index'
down_revision = "0005_paylink"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_assigned_agent_id_priority_score_next_action_on_id'), ['assigned_agent_id', 'priority_score', 'next_action_on', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_cases_assigned_agent_id'))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_assigned_agent_id'), ['assigned_agent_id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_cases_assigned_agent_id_priority_score_next_action_on_id'))
