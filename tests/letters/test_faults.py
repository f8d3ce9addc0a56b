"""Fault tests of the dunning engine: real RQ worker processes on PostgreSQL and Redis.

Each test makes 1,000 due messages (500 debtors, each an e-mail with the letter attached and
an SMS), breaks something in the middle of the run, lets the engine recover by itself (workers
started again, the periodic sweep), and then counts what arrived: e-mails at a real SMTP server
(aiosmtpd), SMS in the sandbox. Every message must have arrived exactly once.

What is accepted, and why: a worker killed with SIGKILL in the very moment it hands an e-mail
to the SMTP server cannot know whether the server took it, and SMTP has no idempotency key to
ask with. The engine notes that moment (`handed_over_at`, committed before the provider call):
such a message is failed, visibly, "interrupted while sending", and never sent again by itself;
at the SMTP server it arrived once or not at all. At most one message per killed worker can be
in that state (a worker hands over one message at a time). Everything claimed but not handed
over goes back to the outbox and is sent once; SMS in sandbox mode are recorded in the same
transaction as their "sent", so they are never in doubt.

Collected only when TEST_DATABASE_URL and TEST_REDIS_URL are set (tests/letters/conftest.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from agency import jobs
from agency.cases.models import Case, CaseStatus, Debtor, DebtorKind, Invoice
from agency.cases.operations import unused_references
from agency.clients.models import Client, Segment
from agency.ledger.models import EntryKind, EntrySource, LedgerEntry
from agency.letters.models import Channel, Message, MessageStatus
from agency.letters.operations import copy_policy_for_client, update_step
from agency.letters.tasks import schedule_due_messages
from agency.sandbox.models import SandboxRecord
from tests.conftest import REDIS_URL
from tests.letters.conftest import free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.parametrize("database", ["postgresql"], indirect=True),
]

ROOT = Path(__file__).resolve().parents[2]
DEBTORS = 500  # an e-mail and an SMS each: 1,000 due messages
# A Tuesday, 10:00 in Amsterdam: within the legal hours for e-mail and SMS.
MOMENT = datetime(2025, 3, 25, 9, 0, tzinfo=UTC)
# The sweep after the run, when every claim of a killed worker is stale.
SWEEP = MOMENT + timedelta(hours=1)
STALE_SECONDS = 600


@pytest.fixture
def app_config():
    return {
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": f"test-{uuid.uuid4().hex[:10]}",
        "DUNNING_RETRY_INTERVALS": (0, 0),
        "DUNNING_DISPATCH_BATCH": 20,
        "DUNNING_STALE_CLAIM_SECONDS": STALE_SECONDS,
    }


@pytest.fixture
def queue_cleanup(app):
    yield
    backend = jobs.backend_for(app)
    try:
        backend.queue.delete(delete_jobs=True)
    except Exception:  # noqa: S110 - a stopped private Redis has nothing to clean
        pass


def seed(db) -> list[int]:
    """500 consumers owing money, on a policy whose first step e-mails and texts them."""
    client = Client(code="FAULT", name="Fietsen B.V.", default_segment=Segment.B2C)
    db.session.add(client)
    db.session.flush()
    policy = copy_policy_for_client(client, Segment.B2C, "NL", actor=None)
    update_step(policy.steps[0], actor=None, channels=["email", "sms"])
    debtors = [
        Debtor(
            client_id=client.id,
            debtor_code=f"F{i:05d}",
            kind=DebtorKind.PERSON,
            name=f"Debiteur {i}",
            street=f"Oudegracht {i + 1}",
            postcode="3511 AA",
            city="Utrecht",
            email=f"debtor{i}@example.test",
            phone=f"+3161{i:07d}",
            language="nl",
        )
        for i in range(DEBTORS)
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
        for debtor, reference in zip(debtors, unused_references(DEBTORS), strict=True)
    ]
    db.session.add_all(cases)
    db.session.flush()
    invoices = [
        Invoice(
            client_id=client.id,
            debtor_id=case.debtor_id,
            case_id=case.id,
            number=f"F-{case.id}",
            invoice_date=date(2025, 2, 1),
            due_date=date(2025, 3, 3),
            amount_cents=250_00,
        )
        for case in cases
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
    return [case.id for case in cases]


def schedule(at: datetime) -> int:
    """Run the periodic job as RQ's cron scheduler would, at `at`."""
    with time_machine.travel(at, tick=False):
        return schedule_due_messages()


class Workers:
    """RQ worker processes on the test's database, queue and SMTP server; killed at the end."""

    def __init__(self, app, logs: Path) -> None:
        self.app = app
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, *, burst: bool = False) -> subprocess.Popen:
        config = self.app.config
        env = {
            **os.environ,
            "AGENCY_ENV": "test",
            "SECRET_KEY": "test",
            "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": config["REDIS_URL"],
            "RQ_QUEUE": config["RQ_QUEUE"],
            "MAIL_SERVER": config["MAIL_SERVER"],
            "MAIL_PORT": str(config["MAIL_PORT"]),
            "MAIL_USE_TLS": "0",
            "DUNNING_RETRY_INTERVALS": "0,0",
            "DUNNING_DISPATCH_BATCH": str(config["DUNNING_DISPATCH_BATCH"]),
            "DUNNING_STALE_CLAIM_SECONDS": str(STALE_SECONDS),
        }
        for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"):
            env.pop(key, None)  # SMS in sandbox mode, counted as sandbox records
        args = [sys.executable, "-m", "tests.letters.clocked_worker", MOMENT.isoformat()]
        log = (self.logs / f"worker-{len(self.started)}.log").open("w")
        worker = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [*args, "--burst"] if burst else args,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        worker.log_path = log.name
        self.started.append(worker)
        return worker

    def log(self, worker: subprocess.Popen) -> str:
        return Path(worker.log_path).read_text()[-3000:]

    def finish(self, worker: subprocess.Popen, timeout: float = 600) -> None:
        """Wait for a burst worker to empty the queue and stop."""
        assert worker.wait(timeout) == 0, self.log(worker)

    def kill_all(self) -> None:
        for worker in self.started:
            if worker.poll() is None:
                kill_9(worker)


@pytest.fixture
def workers(app, tmp_path) -> Workers:
    started = Workers(app, tmp_path)
    yield started
    started.kill_all()


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def kill_9(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and the work horse it forked (a crashed machine, not a shutdown)."""
    horses = children(worker.pid)
    worker.send_signal(signal.SIGKILL)
    for pid in horses:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait(10)


def count(db, *statuses: MessageStatus) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(Message.status.in_(statuses))
    )


def wait_until_sent(db, at_least: int, workers: Workers, worker, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while count(db, MessageStatus.SENT) < at_least:
        assert worker.poll() is None, workers.log(worker)
        assert time.monotonic() < deadline, "the worker sends nothing"
        time.sleep(0.05)


def assert_each_sent_once(db, mailbox, case_ids: list[int], *, in_doubt_at_most: int) -> None:
    """Every due message arrived exactly once; only a message handed over at a kill may be
    in doubt, and then it is failed visibly and arrived at most once."""
    db.session.rollback()
    rows = db.session.execute(
        sa.select(Message.case_id, Message.channel, Message.status, Message.last_error)
    ).all()
    assert sorted((r.case_id, r.channel.value) for r in rows) == sorted(
        (case_id, channel) for case_id in case_ids for channel in ("email", "sms")
    )
    debtor_email = dict(
        db.session.execute(
            sa.select(Case.id, Debtor.email).join(Debtor, Debtor.id == Case.debtor_id)
        ).all()
    )
    received = Counter(str(m["To"]) for m in mailbox.received)
    texted = Counter(
        db.session.scalars(
            sa.select(SandboxRecord.case_id).where(
                SandboxRecord.service == "twilio", SandboxRecord.action == "sms"
            )
        )
    )
    assert set(received) <= set(debtor_email.values())
    in_doubt = []
    for row in rows:
        if row.channel is Channel.SMS:
            assert row.status is MessageStatus.SENT, row
            assert texted[row.case_id] == 1, row
        elif row.status is MessageStatus.SENT:
            assert received[debtor_email[row.case_id]] == 1, row
        else:
            assert row.status is MessageStatus.FAILED, row
            assert row.last_error.startswith("interrupted while sending"), row
            assert received[debtor_email[row.case_id]] <= 1, row
            in_doubt.append(row)
    assert len(in_doubt) <= in_doubt_at_most, in_doubt
    assert sum(received.values()) == sum(1 for r in rows if r.channel is Channel.EMAIL) - sum(
        1 for r in in_doubt if received[debtor_email[r.case_id]] == 0
    )


def test_a_worker_killed_mid_run_and_restarted_loses_nothing_and_sends_nothing_twice(
    app, db, smtp_server, queue_cleanup, workers
):
    case_ids = seed(db)
    assert schedule(MOMENT) == 2 * DEBTORS
    worker = workers.start()
    wait_until_sent(db, 2 * DEBTORS // 5, workers, worker)
    kill_9(worker)
    assert count(db, MessageStatus.SENT) < 2 * DEBTORS  # killed in the middle of the run

    workers.finish(workers.start(burst=True))  # restarted: the jobs still queued
    schedule(SWEEP)  # the next periodic run settles the dead worker's claims
    workers.finish(workers.start(burst=True))
    assert_each_sent_once(db, smtp_server, case_ids, in_doubt_at_most=1)


class PrivateRedis:
    """A redis-server of this test alone, on a free port, without persistence."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.tmp_path = tmp_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            ["/usr/bin/env", "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            cwd=self.tmp_path,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def private_redis(tmp_path_factory, app):
    redis = PrivateRedis(tmp_path_factory.mktemp("redis"))
    redis.start()
    app.config["REDIS_URL"] = redis.url
    jobs.init_app(app, app.extensions["agency.periodic"])  # the backend on this Redis
    yield redis
    redis.stop()


def test_redis_stopped_mid_run_and_started_again_loses_nothing_and_sends_nothing_twice(
    app, db, smtp_server, private_redis, caplog, workers
):
    case_ids = seed(db)
    assert schedule(MOMENT) == 2 * DEBTORS
    worker = workers.start()
    wait_until_sent(db, 2 * DEBTORS // 5, workers, worker)
    private_redis.stop()  # every queued job is gone with it (no persistence)
    assert count(db, MessageStatus.SENT) < 2 * DEBTORS
    # A periodic run while Redis is down: the outbox commits, the enqueue is only logged.
    schedule(MOMENT + timedelta(minutes=15))
    assert "could not hand job" in caplog.text
    private_redis.start()

    schedule(SWEEP)  # the outbox is the truth: pending messages are enqueued again
    workers.finish(workers.start(burst=True))
    # The first worker, if it outlived the outage, may have taken part; it stops now.
    worker.terminate()  # a warm shutdown: it finishes the job in hand
    worker.wait(120)
    assert count(db, MessageStatus.PENDING, MessageStatus.SENDING) == 0
    assert_each_sent_once(db, smtp_server, case_ids, in_doubt_at_most=0)


def test_the_periodic_job_run_twice_at_once_makes_and_sends_each_message_once(
    app, db, smtp_server, queue_cleanup, workers
):
    case_ids = seed(db)
    start = threading.Barrier(2)
    created: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                start.wait(10)
                created.append(schedule_due_messages())
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    with time_machine.travel(MOMENT, tick=False):
        runs = [threading.Thread(target=run) for _ in range(2)]
        for thread in runs:
            thread.start()
        for thread in runs:
            thread.join(120)
    assert errors == []
    assert sum(created) == 2 * DEBTORS  # each message made by one of the two runs
    assert jobs.backend_for(app).queue.count >= 2 * DEBTORS // 20  # the later run enqueued all

    workers.finish(workers.start(burst=True))
    assert_each_sent_once(db, smtp_server, case_ids, in_doubt_at_most=0)
