"""The background worker: django.tasks on the database backend, plus a tiny periodic-job registry.

Three ways to run it, one loop underneath:
- ``manage.py civicpay_worker`` — the long-running process started beside the web server;
- ``run_pending_tasks()`` — run the tasks that are due, now, in this process (tests, scripts);
- ``run_until_idle()`` — the same plus the draining periodic jobs (settlement), until nothing is left;
- ``BackgroundWorker`` — a thread doing the same every ~0.2 s, for live-server browser tests.

Tasks are claimed with django_tasks_db's own locking (``get_locked`` + ``claim`` in an exclusive
transaction) and run by its ``Worker.run_task``, so results, tracebacks and signals are recorded
exactly as ``db_worker`` would. We keep our own loop because ``db_worker`` cannot interleave periodic
jobs and drops the connection in a way that breaks tests running inside a transaction.

Periodic jobs are registered from ``AppConfig.ready()``:
``register_periodic("notifications.sweep", every_seconds=30, func=outbox_sweep)``. Each runs at most
once per interval per worker process; jobs must be safe to run concurrently in several workers
(lock rows, be idempotent).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.db import OperationalError, close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from civicpay.core.health import Heartbeat

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "default"


@dataclass
class PeriodicJob:
    name: str
    every_seconds: float
    func: Callable[[], Any]
    last_run: float | None = None
    # A queue-draining job (``drains=True``) returns how much it did; while that is more than nothing it
    # stays due and the worker does not sleep between loops, so a backlog is worked off at full speed.
    drains: bool = False
    busy: bool = False

    def is_due(self, now: float) -> bool:
        return self.busy or self.last_run is None or now - self.last_run >= self.every_seconds


_periodic_jobs: dict[str, PeriodicJob] = {}
_registry_lock = threading.Lock()


def register_periodic(name: str, every_seconds: float, func: Callable[[], Any], *, drains: bool = False) -> None:
    """Run ``func()`` every ``every_seconds`` in each worker. Registering a name again replaces it.
    ``drains``: ``func`` works off a queue and returns how many items it handled; while that is not zero
    it runs again on the next loop, without the worker's idle wait."""
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    with _registry_lock:
        _periodic_jobs[name] = PeriodicJob(name=name, every_seconds=every_seconds, func=func, drains=drains)


def periodic_work_waiting() -> bool:
    """Whether a draining job's last run found work, so that the worker should loop again at once."""
    return any(job.busy for job in periodic_jobs())


def periodic_jobs() -> list[PeriodicJob]:
    with _registry_lock:
        return list(_periodic_jobs.values())


def run_periodic_jobs(*, force: bool = False) -> list[str]:
    """Run the jobs that are due (all of them when ``force``); returns the names run.

    A failing job is logged and does not stop the others or the worker.
    """
    ran = []
    for job in periodic_jobs():
        now = time.monotonic()
        if not (force or job.is_due(now)):
            continue
        job.last_run = now
        job.busy = False
        try:
            result = job.func()
        except Exception:
            logger.exception("Periodic job %s failed", job.name)
        else:
            job.busy = job.drains and bool(result)
        ran.append(job.name)
    return ran


def _make_worker(queue_names: list[str] | None, worker_id: str | None = None) -> Worker:
    return Worker(
        queue_names=queue_names or ["*"],
        interval=0,
        batch=True,
        backend_name=DEFAULT_BACKEND,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id or get_random_string(32),
        excluded_queue_names=[],
    )


def _run_one(worker: Worker) -> bool:
    """Claim and run the next due task; ``False`` when there is none (or the database is busy)."""
    tasks = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name)
    if not worker.process_all_queues:
        tasks = tasks.filter(queue_name__in=worker.queue_names)
    try:
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(worker.worker_id)
    except OperationalError as error:
        if is_locked_database_exception(error):
            return False
        raise
    if task_result is None:
        return False
    worker.run_task(task_result)
    return True


def run_pending_tasks(*, queue_names: list[str] | None = None, max_tasks: int | None = None) -> int:
    """Run every due task (of ``queue_names``, default all) in this process; returns how many ran.

    Tasks enqueued by the tasks it runs are run too when already due, so one call drains a chain.
    """
    worker = _make_worker(queue_names)
    ran = 0
    while max_tasks is None or ran < max_tasks:
        if not _run_one(worker):
            break
        ran += 1
    return ran


def run_until_idle(*, queue_names: list[str] | None = None) -> int:
    """What a worker does with a backlog, in this process (tests, scripts): due tasks and the draining
    periodic jobs (settlement), again and again until neither finds work; returns how much ran."""
    total = 0
    while True:
        work = run_pending_tasks(queue_names=queue_names)
        for job in periodic_jobs():
            if job.drains:
                work += int(job.func() or 0)
        if not work:
            return total
        total += work


def run_worker_loop(
    *,
    stop: threading.Event,
    queue_names: list[str] | None = None,
    interval: float = 1.0,
    worker_id: str | None = None,
    beat: bool = True,
) -> None:
    """Run tasks and periodic jobs until ``stop`` is set. A task in progress is always finished.
    With ``beat`` the worker records a heartbeat (``WorkerHeartbeat``) for the health checks."""
    worker = _make_worker(queue_names, worker_id)
    heartbeat = Heartbeat(worker.worker_id, list(worker.queue_names)) if beat else None
    logger.info("Worker %s started (queues: %s)", worker.worker_id, ",".join(worker.queue_names))
    while not stop.is_set():
        close_old_connections()
        try:
            if heartbeat:
                heartbeat.beat()  # the "workers" health check (civicpay/core/health.py)
            ran_task = _run_one(worker)
            run_periodic_jobs()
        except Exception:
            # The database went away or a job broke the loop: log, wait, and try again.
            logger.exception("Worker loop iteration failed")
            ran_task = False
        if not ran_task and not periodic_work_waiting():
            stop.wait(interval)
    if heartbeat:
        try:
            heartbeat.stop()
        except Exception:  # the database is gone: the heartbeat simply goes stale
            logger.exception("Could not record that worker %s stopped", worker.worker_id)
    close_old_connections()
    logger.info("Worker %s stopped", worker.worker_id)


def install_stop_signals(stop: threading.Event) -> None:
    """SIGTERM/SIGINT set ``stop``: the loop finishes its current task and exits."""

    def handler(signum: int, frame: FrameType | None) -> None:
        logger.warning("Received %s, stopping after the current task", signal.strsignal(signum))
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class BackgroundWorker:
    """A thread running due tasks and periodic jobs every ``interval`` seconds (browser tests)."""

    def __init__(self, *, queue_names: list[str] | None = None, interval: float = 0.2) -> None:
        self.queue_names = queue_names
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="civicpay-background-worker", daemon=True)

    def _run(self) -> None:
        try:
            run_worker_loop(stop=self._stop, queue_names=self.queue_names, interval=self.interval)
        finally:
            connection.close()

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def __enter__(self) -> BackgroundWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
