from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.tasks import task
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from civicpay.core import clock, worker
from civicpay.core.worker import BackgroundWorker, register_periodic, run_pending_tasks, run_periodic_jobs
from civicpay.notifications.backends import DEV_MAILERS
from civicpay.notifications.models import Channel, DevMessage, Status
from civicpay.notifications.services import notification_send

calls: list[str] = []


@task()
def record_call(label: str) -> str:
    calls.append(label)
    return label


@task()
def explode() -> None:
    raise RuntimeError("task failed")


@pytest.fixture(autouse=True)
def clean_calls_and_registry():
    calls.clear()
    saved = dict(worker._periodic_jobs)
    yield
    worker._periodic_jobs.clear()
    worker._periodic_jobs.update(saved)


@pytest.mark.django_db
def test_run_pending_tasks_runs_due_tasks_only():
    record_call.enqueue("now")
    record_call.using(run_after=clock.now() + timedelta(hours=1)).enqueue("later")

    assert run_pending_tasks() == 1

    assert calls == ["now"]
    assert DBTaskResult.objects.filter(status="READY").count() == 1


@pytest.mark.django_db
def test_run_pending_tasks_respects_max_tasks_and_queue_names():
    for label in "abc":
        record_call.enqueue(label)
    record_call.using(queue_name="sandbox").enqueue("n")

    assert run_pending_tasks(queue_names=["sandbox"]) == 1
    assert calls == ["n"]
    assert run_pending_tasks(max_tasks=2) == 2
    assert run_pending_tasks() == 1


@pytest.mark.django_db
def test_a_failing_task_is_recorded_and_does_not_stop_the_others():
    explode.enqueue()
    record_call.enqueue("after")

    assert run_pending_tasks() == 2

    assert calls == ["after"]
    failed = DBTaskResult.objects.get(status="FAILED")
    assert "task failed" in failed.traceback


def test_periodic_jobs_run_once_per_interval_and_a_failing_job_does_not_stop_the_others():
    def broken() -> None:
        raise RuntimeError("boom")

    worker._periodic_jobs.clear()
    register_periodic("broken", every_seconds=60, func=broken)
    register_periodic("tick", every_seconds=60, func=lambda: calls.append("tick"))

    assert run_periodic_jobs() == ["broken", "tick"]
    assert run_periodic_jobs() == []  # not due again yet
    assert run_periodic_jobs(force=True) == ["broken", "tick"]
    assert calls == ["tick", "tick"]


def test_a_draining_job_runs_again_at_once_while_it_finds_work():
    backlog = [3, 3, 1]

    def drain() -> int:
        return min(2, backlog.pop(0)) if backlog else 0

    worker._periodic_jobs.clear()
    register_periodic("drain", every_seconds=60, func=drain, drains=True)
    register_periodic("tick", every_seconds=60, func=lambda: 1)  # returns something, drains nothing

    assert run_periodic_jobs() == ["drain", "tick"]
    assert worker.periodic_work_waiting()
    assert run_periodic_jobs() == ["drain"]
    assert run_periodic_jobs() == ["drain"]
    assert run_periodic_jobs() == ["drain"]  # found nothing: due again only after its interval
    assert not worker.periodic_work_waiting()
    assert run_periodic_jobs() == []


def test_the_notification_sweep_is_registered():
    assert "notifications.sweep" in {job.name for job in worker.periodic_jobs()}


@pytest.mark.django_db(transaction=True)
@override_settings(MAILERS=DEV_MAILERS)
def test_background_worker_delivers_in_its_own_thread():
    message = notification_send(
        channel=Channel.EMAIL, to="nen@example.vn", subject="Biên lai điện tử", body="Xem biên lai", key="bg-1"
    )

    with BackgroundWorker(interval=0.05):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not DevMessage.objects.filter(to="nen@example.vn").exists():
            time.sleep(0.05)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert DevMessage.objects.get(to="nen@example.vn").subject == "Biên lai điện tử"


def test_civicpay_worker_command_delivers_and_stops_cleanly_on_sigterm(tmp_path: Path):
    """The real command in its own process, on its own SQLite file: deliver, then SIGTERM → exit 0."""
    env = {
        **os.environ,
        "CIVICPAY_ENV": "embedded",
        "CIVICPAY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "SANDBOX_ENABLED": "true",
    }
    env.pop("EMAIL_URL", None)
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0", "--skip-checks"], env=env, check=True, timeout=120)
    enqueue = (
        "from civicpay.notifications.services import notification_send as send;"
        "send(channel='sms', to='0912345678', body='Ma OTP 135790', key='cmd-1')"
    )
    subprocess.run([*manage, "shell", "-v", "0", "-c", enqueue], env=env, check=True, timeout=60)

    health = [*manage, "civicpay_health", "--check", "workers", "--skip-checks"]
    process = subprocess.Popen(
        [*manage, "civicpay_worker", "--interval", "0.1", "--skip-checks"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        delivered = 0
        while time.monotonic() < deadline and delivered != 1:
            time.sleep(0.2)
            with sqlite3.connect(tmp_path / "worker.sqlite3") as db:
                delivered = db.execute("SELECT count(*) FROM notifications_devmessage").fetchone()[0]
        # While it runs, its heartbeat makes the "workers" health check pass (exit 0).
        running = subprocess.run(health, env=env, capture_output=True, timeout=60)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()

    assert delivered == 1
    assert process.returncode == 0
    assert b"stopped" in output
    assert running.returncode == 0, running.stdout
    assert "1 tiến trình nền đang chạy" in running.stdout.decode()
    # Stopped cleanly: it said so, and no worker is left to settle payments → critical (exit 2).
    with sqlite3.connect(tmp_path / "worker.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM core_workerheartbeat WHERE stopped_at IS NOT NULL").fetchone()[0] == 1
    stopped = subprocess.run(health, env=env, capture_output=True, timeout=60)
    assert stopped.returncode == 2, stopped.stdout
