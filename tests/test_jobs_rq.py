"""The same jobs through real RQ workers (`flask worker`) on real Redis.

Collected only when TEST_REDIS_URL is set (see conftest.py); CI sets it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq import Retry
from rq.job import Job, JobStatus

from agency import jobs
from agency.cases.operations import pause
from agency.cases.tasks import refresh_case_priorities, resume_paused_cases, score_new_cases
from agency.clients.tasks import fail_stalled_handoffs
from agency.contact_log.tasks import check_arrangements, settle_promises
from agency.ledger.tasks import monthly_remittance
from agency.letters.tasks import schedule_due_messages
from agency.paylink.tasks import check_open_payments
from agency.reports.tasks import mail_monthly_reports
from agency.sandbox.models import SandboxRecord
from tests import jobfuncs
from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_config():
    return {"REDIS_URL": REDIS_URL, "RQ_QUEUE": f"test-{uuid.uuid4().hex[:10]}"}


@pytest.fixture
def backend(app) -> jobs.RQBackend:
    backend = jobs.backend_for(app)
    assert isinstance(backend, jobs.RQBackend)
    yield backend
    backend.queue.delete(delete_jobs=True)


def run_worker(app) -> subprocess.CompletedProcess:
    """Run `flask worker --burst` as its own process on the test's database and queue."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "AGENCY_ENV": "test",
        "SECRET_KEY": "test",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "RQ_QUEUE": app.config["RQ_QUEUE"],
    }
    return subprocess.run(  # noqa: S603 - our own flask executable, fixed arguments
        [str(Path(sys.executable).with_name("flask")), "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def runs(db, label: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SandboxRecord).where(SandboxRecord.summary == label)
    )


def test_a_worker_runs_the_job_after_the_commit(app, db, backend, make_case):
    case = make_case(100_00)
    pause(case, "client request", date.today() - timedelta(days=1))
    db.session.commit()
    jobs.enqueue(resume_paused_cases)
    assert backend.queue.count == 0  # held until the commit
    db.session.commit()
    assert backend.queue.count == 1
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    db.session.refresh(case)
    assert case.paused_reason is None and case.paused_until is None
    assert backend.queue.count == 0


def test_a_rolled_back_request_enqueues_nothing(app, db, backend):
    jobs.enqueue(jobfuncs.record_run, "never")
    db.session.rollback()
    db.session.commit()
    assert backend.queue.count == 0


def test_rq_retries_then_leaves_the_job_failed(app, db, backend):
    call = jobs.enqueue(
        jobfuncs.fail_after_recording,
        "rq-broken",
        retry=Retry(max=1, interval=0),
        job_id=f"broken-{uuid.uuid4().hex}",
    )
    db.session.commit()
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    assert runs(db, "rq-broken") == 2  # the first run and one retry
    job = Job.fetch(call.job_id, connection=backend.connection)
    assert job.get_status() == JobStatus.FAILED
    assert "failed on purpose" in job.latest_result().exc_string


def test_the_cron_scheduler_enqueues_periodic_jobs_for_the_workers(app, db, backend):
    jobs.init_app(app, periodic=[jobs.Periodic(jobfuncs.record_cron_run, interval=3600)])
    backend = jobs.backend_for(app)
    scheduler = jobs.cron_scheduler(app)
    assert [j.func for j in scheduler.get_jobs()] == [jobfuncs.record_cron_run]
    assert len(scheduler.enqueue_jobs()) == 1  # an interval job that never ran is due at once
    assert backend.queue.count == 1
    assert run_worker(app).returncode == 0
    assert runs(db, "from-cron") == 1


def test_the_apps_own_schedule_is_registered_with_rq(app, backend):
    scheduler = jobs.cron_scheduler(app)
    assert [(j.func, j.cron) for j in scheduler.get_jobs()] == [
        (resume_paused_cases, "5 * * * *"),
        (fail_stalled_handoffs, "*/5 * * * *"),
        (settle_promises, "20 * * * *"),
        (check_arrangements, "25 * * * *"),
        (refresh_case_priorities, "40 * * * *"),
        (schedule_due_messages, "*/15 * * * *"),
        (score_new_cases, "*/5 * * * *"),
        (check_open_payments, "*/10 * * * *"),
        (monthly_remittance, "30 6 1 * *"),
        (mail_monthly_reports, "0 7 2 * *"),
    ]
