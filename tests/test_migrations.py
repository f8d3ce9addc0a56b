"""The migrations build exactly the models' schema, on every database the suite runs on."""

from __future__ import annotations

from decimal import Decimal

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from agency.cases.models import InterestKind, InterestRate


def test_upgrade_from_empty_yields_the_models_schema(app, db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_check_constraints_of_migrations_match_the_models(app, db):
    inspector = sa.inspect(db.engine)
    for table in db.metadata.sorted_tables:
        in_models = {
            c.name for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name
        }
        in_database = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert in_models == in_database, table.name


def test_known_interest_rates_are_seeded(app, db):
    rows = db.session.execute(
        sa.select(InterestRate.kind, InterestRate.valid_from, InterestRate.rate_pct).order_by(
            InterestRate.kind, InterestRate.valid_from
        )
    ).all()
    commercial = [
        (r.valid_from.isoformat(), Decimal(r.rate_pct))
        for r in rows
        if r.kind is InterestKind.COMMERCIAL
    ]
    consumer = [Decimal(r.rate_pct) for r in rows if r.kind is InterestKind.CONSUMER]
    assert commercial[0] == ("2023-01-01", Decimal("10.5"))
    assert commercial[-1] == ("2025-01-01", Decimal("11.15"))
    assert consumer == [Decimal(x) for x in ("4", "6", "7", "7", "6")]


def test_downgrade_to_nothing_and_up_again(tmp_path):
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'scratch.db'}")
    with app.app_context():
        from agency.extensions import db

        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        flask_migrate.upgrade()
        assert "cases" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
