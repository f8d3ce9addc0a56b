"""The agents' work queue at a million cases: the query, the page, and the page under gunicorn.

A million cases across 200 clients (BENCH_QUEUE_CASES makes it smaller for a quick look) are
generated in PostgreSQL with INSERT ... SELECT over generate_series into the schema the
migrations build: skewed client sizes, log-spread balances (principal per invoice, collection
costs on most cases, part payments on a quarter), due dates up to two years back, 40 agents
holding 85% of the cases, the statuses of a working book (closed ones included), open and
broken promises, and a priority score computed from those facts by the documented parts.

`queue.query_ms` / `queue.query_page10_ms`: median and p95 of `queue_rows` ("My queue", the
query the page runs) for the agent, first page and tenth page (keyset cursor of page nine),
with the database's own execution time (EXPLAIN ANALYZE) alongside.
`queue.page_ms` / `queue.page10_ms`: the rendered queue page through the real Flask app with a
logged-in agent (test client), first page and the tenth page reached by following the page's
own "next page" links. Floor: p95 under 50 ms.
`queue.page_rps`: the first page's requests per second under gunicorn with 2 sync workers,
load from wrk (else a small keep-alive load generator) in its own process, next to the limit
measured in the same run: `/bench/minimal-queue` (bench/_queue_app.py), the same top-50
statement with SQLAlchemy Core and a bare 50-row table. Floor: ratio 0.5.

Needs PostgreSQL: BENCH_QUEUE_DATABASE_URL (emptied!), else a database `agency_bench_queue` on
the local server is created and dropped.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench._postgres import (
    INSERT_CLIENTS,
    bench_database,
    drop_database,
    insert_debtors,
    load_1m,
    migrated_app,
    run_sql,
    time_runs,
    vacuum_analyze,
)

CASES = int(os.environ.get("BENCH_QUEUE_CASES", "1000000"))
CLIENTS = 200
AGENTS = 40
RUNS = int(os.environ.get("BENCH_QUEUE_RUNS", "300"))
LOAD_SECONDS = int(os.environ.get("BENCH_QUEUE_LOAD_SECONDS", "10"))
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user in a throwaway database
SECRET = "bench-secret"  # noqa: S105
ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "agency_bench_queue"


# Each statement fills one table from the staging table `gen` (one row per case, its random
# draws and the facts derived from them, so every table agrees). :today is the benchmark's day.
GENERATE = [
    INSERT_CLIENTS,
    """
    CREATE TEMP TABLE gen AS
    WITH draws AS (
        SELECT g,
            -- a few big clients, a long tail of small ones
            1 + floor(:clients * power(random(), 2.5))::int AS client_id,
            random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
            random() AS r6, random() AS r7, random() AS r8, random() AS r9
        FROM generate_series(1, :cases) g
    ), claims AS (
        SELECT draws.*,
            -- log-spread: most claims a few hundred euros, some tens of thousands
            greatest(1500, round(exp(ln(25) + r1 * ln(1200)) * 100))::bigint AS principal,
            CASE
                WHEN r2 < 0.22 THEN 'new' WHEN r2 < 0.62 THEN 'dunning'
                WHEN r2 < 0.70 THEN 'promised' WHEN r2 < 0.74 THEN 'arrangement'
                WHEN r2 < 0.76 THEN 'disputed' WHEN r2 < 0.77 THEN 'legal'
                WHEN r2 < 0.90 THEN 'paid' WHEN r2 < 0.96 THEN 'returned'
                ELSE 'written_off' END AS status,
            CAST(:today AS date) - floor(r6 * 540)::int AS opened_on,
            CAST(:today AS date) - floor(r6 * 540)::int - 14 - floor(r7 * 120)::int AS due
        FROM draws
    ), costs AS (
        SELECT claims.*,
            CASE WHEN r7 < 0.65 THEN greatest(4000, principal * 15 / 100) ELSE 0 END AS cost,
            r6 < 0.06 AND opened_on + 15 <= CAST(:today AS date) AS broken
        FROM claims
    )
    SELECT costs.*,
        CASE WHEN status = 'paid' THEN principal + cost
            WHEN r8 < 0.25 THEN greatest(100, floor(principal * r8 * 0.8))::bigint
            ELSE 0 END AS paid
    FROM costs
    """,
    insert_debtors("gen"),
    # The score of open cases by the documented parts (agency/cases/priority.py): balance,
    # days overdue, a broken promise, days since the last contact, lateness before the
    # handoff, the client's priority (clients.priority = id % 5).
    """
    INSERT INTO cases (id, client_id, debtor_id, reference, segment, status,
        assigned_agent_id, priority_score, next_action_on, opened_on, closed_on,
        status_changed_at, created_at)
    SELECT g, client_id, g, 'AG' || lpad(g::text, 9, '0'),
        CASE WHEN r3 < 0.6 THEN 'b2b' ELSE 'b2c' END, status,
        CASE WHEN r4 < 0.85 THEN (SELECT min(id) FROM users WHERE role = 'agent')
            + floor(r8 * :agents)::int END,
        CASE WHEN status IN ('paid', 'returned', 'written_off') THEN 0 ELSE
            least(300, greatest(0, principal + cost - paid) / 2500)
            + least(200, greatest(0, CAST(:today AS date) - due))
            + CASE WHEN broken THEN 100 ELSE 0 END
            + least(120, 2 * floor(r5 * 70)::int)
            + least(60, floor(r8 * 40)::int)
            + 50 * (client_id % 5) END,
        CASE WHEN r5 < 0.3 THEN NULL ELSE CAST(:today AS date) + floor(r9 * 45)::int - 25 END,
        opened_on,
        CASE WHEN status IN ('paid', 'returned', 'written_off')
            THEN least(CAST(:today AS date), opened_on + 30 + floor(r7 * 90)::int) END,
        now(), now()
    FROM gen
    """,
    """
    INSERT INTO invoices (id, client_id, debtor_id, case_id, number, invoice_date, due_date,
        amount_cents, currency, paid_before_handoff_cents, reminders_sent, created_at)
    SELECT g, client_id, g, g, 'F' || g, due - 30, due, principal, 'EUR', 0, g % 3, now()
    FROM gen
    """,
    # Paid history of a third of the debtors: how late they paid before the handoff.
    """
    INSERT INTO invoices (id, client_id, debtor_id, case_id, number, invoice_date, due_date,
        amount_cents, currency, paid_before_handoff_cents, reminders_sent, paid_on, created_at)
    SELECT :cases + g, client_id, g, NULL, 'H' || g, due - 400, due - 370,
        greatest(1500, principal / 2), 'EUR', 0, 0, due - 370 + floor(r8 * 90)::int, now()
    FROM gen WHERE r9 < 0.33
    """,
    """
    INSERT INTO ledger_entries (client_id, case_id, invoice_id, kind, amount_cents, booked_on,
        source, created_at)
    SELECT client_id, g, g, 'principal', principal, opened_on, 'handoff', now() FROM gen
    """,
    """
    INSERT INTO ledger_entries (client_id, case_id, kind, amount_cents, booked_on, source,
        created_at)
    SELECT client_id, g, 'cost', cost, opened_on + 21, 'dunning', now() FROM gen WHERE cost > 0
    """,
    """
    INSERT INTO ledger_entries (client_id, case_id, kind, amount_cents, booked_on, source,
        created_at)
    SELECT client_id, g, 'payment', -paid, opened_on + 25, 'bank', now() FROM gen WHERE paid > 0
    """,
    """
    INSERT INTO promises (client_id, case_id, debtor_id, amount_cents, made_on, promised_on,
        status, paid_cents, settled_on, created_at)
    SELECT client_id, g, g, greatest(100, principal / 2), CAST(:today AS date) - 3,
        CAST(:today AS date) + 7, 'open', 0, NULL, now()
    FROM gen WHERE status = 'promised'
    """,
    """
    INSERT INTO promises (client_id, case_id, debtor_id, amount_cents, made_on, promised_on,
        status, paid_cents, settled_on, created_at)
    SELECT client_id, g, g, greatest(100, principal / 3), opened_on, opened_on + 10, 'broken',
        0, opened_on + 15, now()
    FROM gen WHERE broken
    """,
    "SELECT setval(pg_get_serial_sequence('clients', 'id'), :clients)",
    "SELECT setval(pg_get_serial_sequence('debtors', 'id'), (SELECT max(id) FROM debtors))",
    "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))",
    "SELECT setval(pg_get_serial_sequence('invoices', 'id'), (SELECT max(id) FROM invoices))",
    "DROP TABLE gen",
]


def _app(url: str):
    return migrated_app(
        url,
        {
            "SECRET_KEY": SECRET,
            "SESSION_COOKIE_SECURE": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        },
    )


def _generate(app, today: date) -> tuple[int, str, float]:
    """Fill the database; return the benchmarked agent's id, e-mail and the seconds it took."""
    from agency.auth.models import Role
    from agency.auth.operations import create_user
    from agency.extensions import db

    started = time.perf_counter()
    with app.app_context():
        agent = create_user("agent1@bench.test", "Agent 1", PASSWORD, Role.AGENT)
        for n in range(2, AGENTS + 1):
            create_user(f"agent{n}@bench.test", f"Agent {n}", PASSWORD, Role.AGENT)
        create_user("supervisor@bench.test", "Supervisor", PASSWORD, Role.SUPERVISOR)
        db.session.commit()
        agent_id, email = agent.id, agent.email
        params = {"clients": CLIENTS, "cases": CASES, "agents": AGENTS, "today": today}
        with db.engine.begin() as conn:
            run_sql(conn, GENERATE, params)
        vacuum_analyze(db.engine)
    return agent_id, email, time.perf_counter() - started


def _query_figures(app, agent_id: int, today: date) -> dict[str, tuple[float, float]]:
    from agency.cases.queries import QueueScope, queue_rows, queue_statement
    from agency.extensions import db

    with app.app_context():
        after = None
        for _ in range(9):
            page = queue_rows(QueueScope.MINE, today=today, user_id=agent_id, after=after)
            assert len(page) == 50, len(page)
            after = page[-1].cursor

        # One read-only transaction for all runs: the figure is the query, not the connection
        # check-out and ping that every web request pays once (the page figures include it).
        def first():
            assert len(queue_rows(QueueScope.MINE, today=today, user_id=agent_id)) == 50

        def tenth():
            rows = queue_rows(QueueScope.MINE, today=today, user_id=agent_id, after=after)
            assert len(rows) == 50

        figures = {"first": time_runs(first, RUNS), "tenth": time_runs(tenth, RUNS)}
        for key, cursor in (("first", None), ("tenth", after)):
            stmt = queue_statement(QueueScope.MINE, today=today, user_id=agent_id, after=cursor)
            sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
            samples = [
                db.session.scalar(sa.text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"))[0][
                    "Execution Time"
                ]
                for _ in range(30)
            ]
            figures[f"{key}_db"] = statistics.median(samples)
        db.session.rollback()
        return figures


NEXT_LINK = re.compile(r'<a href="([^"]+)" data-testid="next-page">')


def _page_figures(app, email: str) -> tuple[dict[str, tuple[float, float]], str]:
    """Time the rendered page, first and tenth; return the figures and the tenth page's URL."""
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data=form)
    assert response.status_code == 302, response.status_code
    url = "/queue"
    for _ in range(9):
        html = client.get(url).get_data(as_text=True)
        url = NEXT_LINK.search(html).group(1).replace("&amp;", "&")
    tenth_url = url

    def get(path: str):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        assert response.get_data().count(b'data-testid="queue-row"') == 50

    return {
        "first": time_runs(lambda: get("/queue"), RUNS),
        "tenth": time_runs(lambda: get(tenth_url), RUNS),
    }, tenth_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


USER_AGENT = "agency-bench"


def _login_cookie(port: int, email: str) -> str:
    """Log in over HTTP as a browser would and return the session cookie header value."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login", headers={"User-Agent": USER_AGENT})
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    from urllib.parse import urlencode

    body = urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={
            "User-Agent": USER_AGENT,
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 302, response.status
    cookie = response.getheader("Set-Cookie").split(";")[0]
    conn.request("GET", "/queue", headers={"User-Agent": USER_AGENT, "Cookie": cookie})
    response = conn.getresponse()
    page = response.read()
    assert response.status == 200 and page.count(b'data-testid="queue-row"') == 50, response.status
    conn.close()
    return cookie


def _requests_per_s(port: int, path: str, cookie: str | None, seconds: int) -> float:
    """Load one URL from a separate process for `seconds`; return requests per second."""
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    url = f"http://127.0.0.1:{port}{path}"
    if shutil.which("wrk"):
        command = ["wrk", "-t1", "-c4", f"-d{seconds}s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(  # noqa: S603 - our own command line
            [*command, url], capture_output=True, text=True, check=True
        ).stdout
        if "Non-2xx" in out:
            raise RuntimeError(f"wrk saw errors on {path}:\n{out}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    out = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "bench._load", url, str(seconds), repr(headers)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return float(out.strip())


def _gunicorn_figures(url: str, email: str, agent_id: int) -> dict[str, float]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "AGENCY_ENV": "production"}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603 - our own command line
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers=2",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{port}",
                "bench._queue_app:bench_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            _wait_for(port)
            cookie = _login_cookie(port, email)
            minimal = f"/bench/minimal-queue?agent={agent_id}"
            # Warm both workers, then alternate so a neighbour's load hits both alike.
            _requests_per_s(port, minimal, None, 2)
            _requests_per_s(port, "/queue", cookie, 2)
            page, limit = [], []
            for _ in range(2):
                limit.append(_requests_per_s(port, minimal, None, LOAD_SECONDS))
                page.append(_requests_per_s(port, "/queue", cookie, LOAD_SECONDS))
        finally:
            server.terminate()
            server.wait(30)
            if server.returncode not in (0, -15):
                log.seek(0)
                print(log.read().decode()[-3000:], file=sys.stderr)
    return {"page": statistics.mean(page), "limit": statistics.mean(limit)}


def queue_benchmark(emit) -> None:
    from agency.modeling import today as agency_today

    url, created = bench_database("BENCH_QUEUE_DATABASE_URL", DB_NAME)
    try:
        app = _app(url)
        today = agency_today()
        agent_id, email, generated_s = _generate(app, today)
        with app.app_context():
            from agency.extensions import db

            mine = db.session.scalar(
                sa.text(
                    "SELECT count(*) FROM cases WHERE assigned_agent_id = :a"
                    " AND status IN ('new', 'dunning')"
                ),
                {"a": agent_id},
            )
            db.session.remove()
        context = {"cases": CASES, "clients": CLIENTS, "agent_queue_cases": mine}

        emit("queue.generate_s", generated_s, "s", **context)
        query = _query_figures(app, agent_id, today)
        for page_name, key in (("queue.query_ms", "first"), ("queue.query_page10_ms", "tenth")):
            median, p95, cpu = query[key]
            emit(
                page_name,
                median,
                "ms",
                p95=round(p95, 2),
                cpu_ms=round(cpu, 2),
                runs=RUNS,
                db_execution_ms=round(query[f"{key}_db"], 2),
                what="queue_rows in the app; db_execution_ms: EXPLAIN ANALYZE",
                **context,
                **load_1m(),
            )
        pages, _ = _page_figures(app, email)
        with app.app_context():
            from agency.extensions import db

            db.engine.dispose()
        for page_name, key in (("queue.page_ms", "first"), ("queue.page10_ms", "tenth")):
            median, p95, cpu = pages[key]
            emit(
                page_name,
                median,
                "ms",
                p95=round(p95, 2),
                cpu_ms=round(cpu, 2),
                limit=50,
                ratio=round(p95 / 50, 3),
                limit_is="floor of the issue: p95 under 50 ms",
                runs=RUNS,
                **context,
                **load_1m(),
            )
        rps = _gunicorn_figures(url, email, agent_id)
        emit(
            "queue.page_rps",
            rps["page"],
            "requests/s",
            limit=round(rps["limit"], 1),
            ratio=round(rps["page"] / rps["limit"], 3),
            floor_ratio=0.5,
            limit_is="same top-50 query with SQLAlchemy Core, bare 50-row table, same app",
            server="gunicorn, 2 sync workers",
            load="wrk -t1 -c4" if shutil.which("wrk") else "bench._load, 4 connections",
            **context,
            **load_1m(),
        )
    finally:
        if created and not os.environ.get("BENCH_QUEUE_KEEP"):
            drop_database(DB_NAME)


BENCHMARKS = {"queue": queue_benchmark}
