"""Background work: enqueue after the commit; RQ when REDIS_URL is set, a thread otherwise.

Every feature uses `enqueue(func, *args)` from inside a request or job. The call is held on the
database session and handed to the backend only after that session commits, so a job never
looks for rows that are not there yet, and a rolled-back request sends nothing.

Backends:
- `RQBackend` — Redis + RQ. `flask worker` runs RQ workers inside the app context and
  `flask cron` runs RQ's CronScheduler with the periodic jobs.
- `ThreadBackend` — the embedded mode: one daemon thread of the web process runs the same job
  functions, with RQ's `Retry` honoured, and triggers the periodic jobs itself.

Job functions are module-level, take ids, commit their own work and are safe to run twice.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from croniter import croniter
from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry, SimpleWorker
from rq.cron import CronScheduler
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.orm import Session

from agency.extensions import db

log = logging.getLogger(__name__)

_PENDING_KEY = "agency.pending_jobs"


@dataclass(frozen=True)
class JobCall:
    """A job function with its arguments and how to run it."""

    func: Callable[..., Any]
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    retry: Retry | None = None
    timeout: int | None = None
    job_id: str | None = None

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


@dataclass(frozen=True)
class Periodic:
    """A job function run on a schedule: every `interval` seconds or on a `cron` string."""

    func: Callable[[], Any]
    interval: int | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("give a periodic job either an interval or a cron string")

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    retry: Retry | None = None,
    timeout: int | None = None,
    job_id: str | None = None,
    **kwargs: Any,
) -> JobCall:
    """Run `func(*args, **kwargs)` in the background once the current transaction commits."""
    call = JobCall(func, args, kwargs, retry, timeout, job_id)
    backend = backend_for(current_app)
    session = db.session()
    if not session.in_transaction():
        # Tie the job to a transaction, so that a rollback before any statement drops it too.
        session.begin()
    session.info.setdefault(_PENDING_KEY, []).append((backend, call))
    return call


@dataclass(frozen=True)
class Progress:
    """How far a long job is: `done` of `total` units, last reported at `updated_at` (epoch s)."""

    done: int
    total: int
    updated_at: float

    @property
    def percent(self) -> int:
        return 100 if self.total <= 0 else min(100, int(self.done * 100 / self.total))


def report_progress(key: str, done: int, total: int) -> None:
    """Tell pages how far the job behind `key` is; also a heartbeat that it still runs.

    Kept outside the database, because the job's own transaction is not visible until it
    commits (and SQLite would not let a second connection write meanwhile).
    """
    backend_for(current_app).store_progress(key, Progress(done, total, time.time()))


def read_progress(key: str) -> Progress | None:
    """Return the last progress reported for `key`, if any."""
    return backend_for(current_app).load_progress(key)


def backend_for(app: Flask) -> RQBackend | ThreadBackend:
    """Return the job backend bound to `app`."""
    return app.extensions["agency.jobs"]


@event.listens_for(Session, "after_commit")
def _submit_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    for backend, call in pending:
        try:
            backend.submit(call)
        except Exception:
            # The commit stands; the outbox rows it wrote are the truth and periodic sweeps
            # pick them up again, so a broker outage is logged rather than turned into a 500.
            log.exception("could not hand job %s to the job backend", call.name)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction) -> None:
    # Fires on every rollback(), even when no statement had begun a database transaction.
    if not previous_transaction.nested:
        session.info.pop(_PENDING_KEY, None)


# --- RQ -------------------------------------------------------------------------------------


class RQBackend:
    """Hands jobs to RQ on Redis."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(queue_name, connection=self.connection)

    def submit(self, call: JobCall) -> Job:
        return self.queue.enqueue(
            call.func,
            args=call.args,
            kwargs=call.kwargs,
            retry=call.retry,
            job_timeout=call.timeout,
            job_id=call.job_id,
        )

    def start(self, app: Flask) -> None:
        """Nothing to start in the web process: workers and the cron scheduler run apart."""

    def store_progress(self, key: str, progress: Progress) -> None:
        name = f"agency:progress:{key}"
        self.connection.hset(
            name,
            mapping={
                "done": progress.done,
                "total": progress.total,
                "updated_at": progress.updated_at,
            },
        )
        self.connection.expire(name, 7 * 24 * 3600)

    def load_progress(self, key: str) -> Progress | None:
        raw = self.connection.hgetall(f"agency:progress:{key}")
        if not raw:
            return None
        return Progress(int(raw[b"done"]), int(raw[b"total"]), float(raw[b"updated_at"]))


class AgencyWorker(SimpleWorker):
    """An RQ worker whose jobs run inside the Flask app context, each with a fresh session, in
    the worker's own process.

    RQ's default worker forks a child for every job. That child learnt again, for every job,
    what the worker had learnt before (compiled SQL, fonts, templates) and copied each page of
    memory it touched: a dispatch batch of 50 letters took a quarter longer in a forked child
    than in the worker itself (bench/letters.py, one worker: 35 against 28 ms a letter). The
    fork's isolation buys little here: every job commits its own work, may run twice, and
    leaves nothing half-done when its process is killed (tests/letters/test_faults.py kills
    workers with SIGKILL). A job that overruns its timeout is still stopped (SIGALRM), and a
    SIGTERM lets the running job finish before the worker stops.
    """

    flask_app: Flask

    def perform_job(self, job: Job, queue: Queue) -> bool:
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    """Run an RQ worker on the app's queue until stopped (or until empty with `burst`)."""
    backend = backend_for(app)
    if not isinstance(backend, RQBackend):
        raise RuntimeError("REDIS_URL is not set: jobs run inside the web process")
    worker = AgencyWorker([backend.queue], connection=backend.connection)
    worker.flask_app = app
    return worker.work(burst=burst, with_scheduler=True)


def cron_scheduler(app: Flask) -> CronScheduler:
    """Return RQ's cron scheduler with the app's periodic jobs registered on its queue."""
    backend = backend_for(app)
    if not isinstance(backend, RQBackend):
        raise RuntimeError("REDIS_URL is not set: periodic jobs run inside the web process")
    scheduler = CronScheduler(connection=backend.connection)
    for periodic in app.extensions["agency.periodic"]:
        scheduler.register(
            periodic.func,
            queue_name=backend.queue.name,
            interval=periodic.interval,
            cron=periodic.cron,
            name=periodic.name,
        )
    return scheduler


def run_cron(app: Flask) -> None:
    """Run RQ's cron scheduler with the app's periodic jobs until stopped."""
    cron_scheduler(app).start()


# --- in-process ---------------------------------------------------------------------------


@dataclass
class FailedJob:
    name: str
    error: str
    failed_at: datetime


class ThreadBackend:
    """Runs jobs in one daemon thread of this process, retrying as RQ would."""

    def __init__(self, app: Flask, periodic: Sequence[Periodic], run_periodic: bool) -> None:
        self._app = app
        self._periodic = list(periodic) if run_periodic else []
        self._heap: list[tuple[float, int, JobCall, int]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = 0
        self.failed: list[FailedJob] = []
        self._progress: dict[str, Progress] = {}

    def store_progress(self, key: str, progress: Progress) -> None:
        self._progress[key] = progress

    def load_progress(self, key: str) -> Progress | None:
        return self._progress.get(key)

    def submit(self, call: JobCall) -> None:
        self._push(time.monotonic(), call, attempt=0)
        self.start(self._app)

    def start(self, app: Flask) -> None:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="agency-jobs", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no job is queued or running; return False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._running or any(at <= time.monotonic() for at, *_ in self._heap):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def _push(self, at: float, call: JobCall, attempt: int) -> None:
        with self._cond:
            heapq.heappush(self._heap, (at, next(self._seq), call, attempt))
            self._cond.notify_all()

    def _loop(self) -> None:
        next_periodic = {p: self._next_time(p, first=True) for p in self._periodic}
        while True:
            with self._cond:
                now = time.monotonic()
                waits = [at - now for at, *_ in self._heap[:1]]
                waits += [at - now for at in next_periodic.values()]
                wait = min(waits, default=60.0)
                if wait > 0:
                    self._cond.wait(min(wait, 60.0))
                    continue
                now = time.monotonic()
                due: tuple[JobCall, int] | None = None
                if self._heap and self._heap[0][0] <= now:
                    _, _, call, attempt = heapq.heappop(self._heap)
                    due = (call, attempt)
                    self._running += 1
            if due is not None:
                try:
                    self._run(*due)
                finally:
                    with self._cond:
                        self._running -= 1
                        self._cond.notify_all()
                continue
            for periodic, at in list(next_periodic.items()):
                if at <= time.monotonic():
                    next_periodic[periodic] = self._next_time(periodic)
                    self.submit(JobCall(periodic.func))

    def _run(self, call: JobCall, attempt: int) -> None:
        with self._app.app_context():
            try:
                call.func(*call.args, **call.kwargs)
            except Exception as exc:
                db.session.rollback()
                if call.retry is not None and attempt < call.retry.max:
                    delay = Retry.get_interval(attempt, call.retry.intervals)
                    log.warning(
                        "job %s failed (%s); retry %d in %ss", call.name, exc, attempt + 1, delay
                    )
                    self._push(time.monotonic() + delay, call, attempt + 1)
                else:
                    log.exception("job %s failed", call.name)
                    self.failed.append(FailedJob(call.name, repr(exc), datetime.now(UTC)))
            finally:
                db.session.remove()

    @staticmethod
    def _next_time(periodic: Periodic, first: bool = False) -> float:
        if periodic.interval is not None:
            return time.monotonic() + (0 if first else periodic.interval)
        now = datetime.now(UTC)
        nxt = croniter(periodic.cron, now).get_next(datetime)
        return time.monotonic() + (nxt - now).total_seconds()


def init_app(app: Flask, periodic: Sequence[Periodic]) -> None:
    """Bind the backend the settings ask for to `app`."""
    app.extensions["agency.periodic"] = list(periodic)
    if app.config.get("REDIS_URL"):
        app.extensions["agency.jobs"] = RQBackend(app.config["REDIS_URL"], app.config["RQ_QUEUE"])
    else:
        app.extensions["agency.jobs"] = ThreadBackend(
            app, periodic, run_periodic=app.config["JOBS_RUN_PERIODIC"]
        )
