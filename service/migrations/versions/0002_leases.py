"""Row leases for replicas, idempotency keys, and plan figures for the list.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(128), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cost_rmb", sa.Float, nullable=True))
        batch.add_column(sa.Column("runs", sa.Integer, nullable=True))
        batch.add_column(sa.Column("parcels", sa.Integer, nullable=True))
        batch.add_column(sa.Column("unassigned", sa.Integer, nullable=True))
        batch.create_index("ix_plans_lease_owner", ["lease_owner"])
    with op.batch_alter_table("plan_requests") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("body_sha256", sa.String(64), nullable=True))
        batch.create_index(
            "ux_plan_requests_idempotency", ["hub_id", "idempotency_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_requests") as batch:
        batch.drop_index("ux_plan_requests_idempotency")
        batch.drop_column("body_sha256")
        batch.drop_column("idempotency_key")
    with op.batch_alter_table("plans") as batch:
        batch.drop_index("ix_plans_lease_owner")
        for name in ("unassigned", "parcels", "runs", "cost_rmb", "lease_expires_at"):
            batch.drop_column(name)
        batch.drop_column("lease_owner")
