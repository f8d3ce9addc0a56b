"""What the PostgreSQL benchmarks share: a throwaway database with the migrated schema, bulk
generation in SQL (clients and debtors as the queue and reports benchmarks make them), timing.

A benchmark gets its database from its own BENCH_<NAME>_DATABASE_URL (emptied!), else creates a
database of its own name on the local server and drops it afterwards.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable, Iterable, Mapping

import sqlalchemy as sa

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _admin(statement: str) -> None:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(statement))
    admin.dispose()


def bench_database(env_var: str, name: str) -> tuple[str, bool]:
    """Return the database URL and whether it was created here (and is to be dropped)."""
    url = os.environ.get(env_var)
    if url:
        return url, False
    _admin(f"DROP DATABASE IF EXISTS {name}")
    _admin(f"CREATE DATABASE {name}")
    return LOCAL_URL.format(name=name), True


def drop_database(name: str) -> None:
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bench_app(url: str, settings: Mapping[str, object] | None = None):
    """An app on the benchmark's database: production settings, no Redis, no periodic jobs."""
    from agency import create_app

    return create_app(
        {
            "AGENCY_ENV": "production",
            "SECRET_KEY": "bench-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "JOBS_RUN_PERIODIC": False,
            **(settings or {}),
        }
    )


def migrated_app(url: str, settings: Mapping[str, object] | None = None):
    """Empty the database, build the schema by the migrations and return the app on it."""
    import flask_migrate

    app = bench_app(url, settings)
    with app.app_context():
        from agency.extensions import db

        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        flask_migrate.upgrade()
    return app


def run_sql(
    conn: sa.Connection,
    statements: Iterable[str],
    params: Mapping[str, object],
    progress: Callable[[str, float], None] | None = None,
) -> None:
    """Execute each statement with the parameters it names (`:name`; `::type` casts are not)."""
    for statement in statements:
        names = set(re.findall(r"(?<!:):(\w+)", statement))
        started = time.perf_counter()
        conn.execute(sa.text(statement), {k: v for k, v in params.items() if k in names})
        if progress:
            progress(statement, time.perf_counter() - started)


def vacuum_analyze(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def stats(samples: list[float]) -> tuple[float, float]:
    """Median and p95 of samples in seconds, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def time_runs(
    func: Callable[[], object],
    runs: int,
    warmup: int = 5,
    between: Callable[[], object] | None = None,
) -> tuple[float, float, float]:
    """Median and p95 wall time, and the median CPU time of this process, in milliseconds.

    On a shared machine the wall time includes waiting for a core; the CPU time is what the
    Python side (app, SQLAlchemy, templates) spent itself, without the database server's.
    `between` runs after each call, outside the clock.
    """
    for _ in range(warmup):
        func()
        if between:
            between()
    samples, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        func()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        if between:
            between()
    return (*stats(samples), statistics.median(cpu) * 1000)


def load_1m() -> dict[str, float]:
    """The machine's 1-minute load average (2 cores: above 2 means others queue)."""
    return {"load_1m": round(os.getloadavg()[0], 1)}


# Clients 1..:clients with the contract the benchmarks need; a benchmark updates what it varies.
INSERT_CLIENTS = """
    INSERT INTO clients (id, code, name, country, commission_pct, agency_keeps_costs,
        vat_on_costs, default_segment, plan_max_instalments, plan_min_instalment_cents,
        priority, brand_colour, brand_font, languages, is_active_client, created_at)
    SELECT g, 'C' || lpad(g::text, 4, '0'), 'Opdrachtgever ' || g || ' B.V.', 'NL', 15, true,
        false, CASE WHEN g % 4 = 0 THEN 'b2c' ELSE 'b2b' END, 6, 2500, g % 5, '#1f4e79',
        'Helvetica', 'nl,en', true, now()
    FROM generate_series(1, :clients) g
"""


def insert_debtors(source: str, created_at: str = "now()", handoff_id: str = "NULL") -> str:
    """INSERT debtors from a staging table with columns g (the id), client_id, r3, r4, r5, r9.

    r3 < 0.6 makes a company (the benchmarks give its case the B2B segment), r4 the e-mail and
    phone, r5 the language, r9 the vulnerability flag. `created_at` and `handoff_id` are SQL
    expressions over the staging table.
    """
    return f"""
    INSERT INTO debtors (id, client_id, debtor_code, kind, name, street, postcode, city,
        country, email, phone, language, timezone, consent_email, consent_sms, vulnerable,
        handoff_id, created_at, updated_at)
    SELECT g, client_id, 'D' || g, CASE WHEN r3 < 0.6 THEN 'company' ELSE 'person' END,
        (ARRAY['Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer',
               'de Boer', 'Mulder', 'de Groot'])[1 + g % 10]
            || CASE WHEN r3 < 0.6 THEN ' Handel ' || g || ' B.V.' ELSE ' ' || g END,
        'Dorpsstraat ' || (g % 300 + 1), lpad((1000 + g % 9000)::text, 4, '0') || ' AB',
        (ARRAY['Amsterdam', 'Rotterdam', 'Utrecht', 'Den Haag', 'Eindhoven', 'Zwolle'])[1 + g % 6],
        'NL',
        CASE WHEN r4 < 0.8 THEN 'debiteur' || g || '@voorbeeld.nl' END,
        CASE WHEN r4 < 0.9 THEN '+316' || lpad((g % 100000000)::text, 8, '0') END,
        CASE WHEN r5 < 0.85 THEN 'nl' WHEN r5 < 0.95 THEN 'en' ELSE 'fr' END,
        'Europe/Amsterdam', true, true, r9 < 0.01, {handoff_id}, {created_at}, {created_at}
    FROM {source}
    """  # noqa: S608 - the benchmark's own names and expressions, no input
