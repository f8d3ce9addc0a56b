"""The dunning engine: due letters rendered and e-mailed by RQ workers, against raw fpdf2.

`letters.per_s_1_worker` / `letters.per_s_2_workers`: 5,000 due e-mail letters (the letter as
PDF attachment, HTML and plain text) go the production path: `schedule_due_messages` creates
the outbox rows and enqueues their dispatch; RQ workers (`jobs.run_worker`, as `flask worker`
runs it, each a process of its own) claim, re-read the case, render with fpdf2, send to an SMTP
server on 127.0.0.1 and record every message. Timed from the enqueue until the last message
is recorded as sent; then every message is checked sent and counted at the SMTP server.
The limit: `letter_pdf` rendering one of these letters in a loop, right after each run, once
PostgreSQL's autovacuum of the run's writes is done, in this process and in a fresh one; the
faster of the two is the limit (the scaling is the two-worker figure over the one-worker
figure).

Needs PostgreSQL and redis-server: the database `agency_bench_letters` on the local server is
created and dropped (or BENCH_LETTERS_DATABASE_URL, emptied!), and a private redis-server is
started on a free port without persistence. BENCH_LETTERS sets the number of letters.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

LETTERS = int(os.environ.get("BENCH_LETTERS", "5000"))
# A Tuesday, 10:00 in Amsterdam: within the legal contact hours for e-mail.
MOMENT = datetime(2025, 3, 25, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB_NAME = "agency_bench_letters"
QUEUE = "bench-letters"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin(statement: str) -> None:
    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class Services:
    """The private redis-server and a counting SMTP server, stopped on exit."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.redis_port = _free_port()
        self.redis = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            cwd=tmp,
        )
        _wait_port(self.redis_port)
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.smtp_port = _free_port()
        self.sink: subprocess.Popen | None = None

    def start_sink(self) -> None:
        self.count_file = self.tmp / f"count-{time.monotonic_ns()}"
        self.sink = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "bench._smtp_sink", str(self.smtp_port), str(self.count_file)],
            cwd=ROOT,
        )
        _wait_port(self.smtp_port)

    def stop_sink(self) -> int:
        self.sink.terminate()
        self.sink.wait(30)
        return int(self.count_file.read_text())

    def close(self) -> None:
        for process in (self.sink, self.redis):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(30)


def _settings(url: str, services: Services) -> dict[str, object]:
    return {
        "AGENCY_ENV": "test",
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": services.redis_url,
        "RQ_QUEUE": QUEUE,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": services.smtp_port,
        "MAIL_USE_TLS": False,
        "JOBS_RUN_PERIODIC": False,
    }


def _seed(db, n: int) -> None:
    """A consumer client whose policy e-mails the first reminder; n debtors with one invoice."""
    from agency.cases.models import Case, CaseStatus, Debtor, DebtorKind, Invoice
    from agency.cases.operations import unused_references
    from agency.clients.models import Client, Segment
    from agency.ledger.models import EntryKind, EntrySource, LedgerEntry
    from agency.letters.models import Channel
    from agency.letters.operations import copy_policy_for_client, update_step

    client = Client(code="BENCH", name="Fietsen B.V.", default_segment=Segment.B2C)
    db.session.add(client)
    db.session.flush()
    policy = copy_policy_for_client(client, Segment.B2C, "NL", actor=None)
    update_step(policy.steps[0], actor=None, channels=[Channel.EMAIL.value])
    debtors = [
        Debtor(
            client_id=client.id,
            debtor_code=f"D{i:06d}",
            kind=DebtorKind.PERSON,
            name=f"Jan de Vries {i}",
            street=f"Oudegracht {i % 300 + 1}",
            postcode="3511 AA",
            city="Utrecht",
            country="NL",
            email=f"debiteur{i}@example.test",
            language="nl",
        )
        for i in range(n)
    ]
    db.session.add_all(debtors)
    db.session.flush()
    cases = [
        Case(
            client_id=client.id,
            debtor_id=debtor.id,
            reference=reference,
            segment=Segment.B2C,
            status=CaseStatus.DUNNING,
            opened_on=date(2025, 3, 10),
        )
        for debtor, reference in zip(debtors, unused_references(n), strict=True)
    ]
    db.session.add_all(cases)
    db.session.flush()
    invoices = [
        Invoice(
            client_id=client.id,
            debtor_id=case.debtor_id,
            case_id=case.id,
            number=f"F{i:06d}",
            invoice_date=date(2025, 2, 1),
            due_date=date(2025, 3, 3),
            amount_cents=12_500 + i,
        )
        for i, case in enumerate(cases)
    ]
    db.session.add_all(invoices)
    db.session.flush()
    db.session.add_all(
        LedgerEntry(
            client_id=client.id,
            case_id=invoice.case_id,
            invoice_id=invoice.id,
            kind=EntryKind.PRINCIPAL,
            amount_cents=invoice.amount_cents,
            booked_on=date(2025, 3, 10),
            source=EntrySource.HANDOFF,
        )
        for invoice in invoices
    )
    db.session.commit()


def _start_workers(app, count: int) -> list[subprocess.Popen]:
    from rq import Worker

    from agency import jobs

    env = {
        **os.environ,
        "AGENCY_ENV": "test",
        "SECRET_KEY": "bench",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "RQ_QUEUE": QUEUE,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
        "MAIL_USE_TLS": "0",
    }
    workers = [
        subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "bench._worker", MOMENT.isoformat()],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    backend = jobs.backend_for(app)
    deadline = time.monotonic() + 60
    while len(Worker.all(queue=backend.queue)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start")
        time.sleep(0.1)
    return workers


def _run(app, db, services: Services, workers: int) -> dict[str, float]:
    """Schedule LETTERS due e-mails, let `workers` workers send them; return the timings."""
    import time_machine

    from agency.letters.models import Message, MessageStatus
    from agency.letters.tasks import schedule_due_messages

    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM messages"))
    services.start_sink()
    processes = _start_workers(app, workers)
    try:
        with time_machine.travel(MOMENT, tick=True):
            started = time.perf_counter()
            created = schedule_due_messages()
            enqueued = time.perf_counter()
        assert created == LETTERS, created
        finished = sa.select(sa.func.count()).where(
            Message.status.in_([MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.CANCELLED])
        )
        while db.session.scalar(finished) < LETTERS:
            db.session.rollback()
            time.sleep(0.1)
        done = time.perf_counter()
        db.session.rollback()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(60)
    received = services.stop_sink()
    sent = db.session.scalar(sa.select(sa.func.count()).where(Message.status == MessageStatus.SENT))
    assert sent == LETTERS and received == LETTERS, (sent, received)
    return {"schedule_s": enqueued - started, "dispatch_s": done - enqueued}


def _settle(db, timeout: float = 120.0) -> float:
    """Wait until PostgreSQL's autovacuum is done with the run's writes; return the seconds.

    It would share the machine with the raw rendering and make the limit look slower than it is.
    """
    started = time.monotonic()
    busy = sa.text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
    while time.monotonic() - started < timeout:
        active = db.session.scalar(busy)
        db.session.rollback()
        if not active:
            break
        time.sleep(0.5)
    return time.monotonic() - started


def _render_loop(content: dict, seconds: float) -> tuple[int, float]:
    """Render the letter with `letter_pdf` in a loop; return the count and the seconds."""
    from agency.letters.pdf import letter_pdf

    letter_pdf(content)  # warm up: imports, font metrics
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        letter_pdf(content)
        count += 1
    return count, elapsed


def _raw_fpdf2_per_s(db, seconds: float = 6.0) -> tuple[float, int, dict[str, float]]:
    """Letters per second of `letter_pdf` alone, rendering a letter of the run in a loop.

    Rendered in this process and in a fresh one (a small heap, nothing else imported): the
    faster of the two is the limit, the stricter comparison.
    """
    from agency.letters.models import Message

    _settle(db)
    content = db.session.scalar(sa.select(Message.content).order_by(Message.id).limit(1))
    count, elapsed = _render_loop(content, seconds)
    fresh = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.letters", "--raw", str(seconds)],
        input=json.dumps(content),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    fresh_count, fresh_elapsed = (float(x) for x in fresh.stdout.split())
    rates = {"this_process": count / elapsed, "fresh_process": fresh_count / fresh_elapsed}
    best = max(rates, key=rates.get)
    return rates[best], int(fresh_count if best == "fresh_process" else count), rates


def letters_per_s(emit) -> None:
    import flask_migrate

    from agency import create_app
    from agency.extensions import db

    url = os.environ.get("BENCH_LETTERS_DATABASE_URL")
    own_database = not url
    if own_database:
        _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
        _admin(f"CREATE DATABASE {DB_NAME}")
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(Path(tmp))
        try:
            app = create_app(_settings(url, services))
            with app.app_context():
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                flask_migrate.upgrade()
                _seed(db, LETTERS)
                # The raw figure is taken right after each run (once PostgreSQL has settled),
                # from one of its letters: on a shared machine the load drifts, and each ratio
                # compares like with like.
                one = _run(app, db, services, workers=1)
                limit_1, rendered_1, raw_1 = _raw_fpdf2_per_s(db)
                two = _run(app, db, services, workers=2)
                limit_2, rendered_2, raw_2 = _raw_fpdf2_per_s(db)
                db.session.remove()
                db.engine.dispose()
        finally:
            services.close()
    if own_database:
        _admin(f"DROP DATABASE IF EXISTS {DB_NAME}")
    per_s_1 = LETTERS / one["dispatch_s"]
    per_s_2 = LETTERS / two["dispatch_s"]
    limit_is = "fpdf2 rendering the same letter (letter_pdf) in a loop, nothing else"
    emit(
        "letters.per_s_1_worker",
        per_s_1,
        "letters/s",
        limit=round(limit_1, 1),
        ratio=round(per_s_1 / limit_1, 3),
        letters=LETTERS,
        schedule_s=round(one["schedule_s"], 1),
        limit_is=limit_is,
        raw_renders=rendered_1,
        raw_per_s={k: round(v, 1) for k, v in raw_1.items()},
        floor_ratio=0.6,
    )
    emit(
        "letters.per_s_2_workers",
        per_s_2,
        "letters/s",
        limit=round(limit_2, 1),
        ratio=round(per_s_2 / limit_2, 3),
        letters=LETTERS,
        schedule_s=round(two["schedule_s"], 1),
        limit_is=limit_is,
        raw_renders=rendered_2,
        raw_per_s={k: round(v, 1) for k, v in raw_2.items()},
        scaling=round(per_s_2 / per_s_1, 3),
        cores=os.cpu_count(),
    )


BENCHMARKS = {"letters.per_s": letters_per_s}


if __name__ == "__main__":
    # `python -m bench.letters --raw SECONDS`: the raw loop in a fresh process, the letter's
    # content as JSON on stdin; prints the count and the seconds.
    if sys.argv[1:2] == ["--raw"]:
        print(*_render_loop(json.load(sys.stdin), float(sys.argv[2])))
