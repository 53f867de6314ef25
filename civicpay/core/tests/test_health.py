"""Health: liveness, readiness, every check for monitoring, the worker's heartbeat, the command's exit code."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from civicpay.accounts.tests.factories import UserFactory
from civicpay.core import clock, health
from civicpay.core.health import Finding, Heartbeat, Status, health_run, register_check
from civicpay.core.models import WorkerHeartbeat
from civicpay.core.tests.test_worker import record_call
from civicpay.core.worker import BackgroundWorker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_registry():
    saved = health.registered_checks()
    yield
    health._checks.clear()
    health._checks.update(saved)


@pytest.fixture
def live_worker() -> Heartbeat:
    beat = Heartbeat("worker-test", ["default", "sandbox"])
    beat.beat(force=True)
    return beat


def run_command(*args: str) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("civicpay_health", *args, stdout=out)
    return int(exit_info.value.code or 0), out.getvalue()


def by_name(results: list[health.CheckResult]) -> dict[str, health.CheckResult]:
    return {result.name: result for result in results}


def test_every_app_registers_the_checks_of_what_it_owns():
    assert list(health.registered_checks()) == [
        "database",
        "workers",
        "tasks",
        "notifications.outbox",
        "payments.settlement",
        "payments.overdue",
        "payments.reconciliation",
    ]


def test_healthz_answers_without_touching_the_database(client: Client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert len(queries) == 0
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_readyz_reports_the_database_only(client: Client):
    response = client.get("/readyz")  # no worker runs: readiness does not care

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and [check["name"] for check in body["checks"]] == ["database"]
    assert body["checks"][0]["figures"]["vendor"] == connection.vendor


def test_readyz_is_503_when_the_database_check_fails(client: Client):
    def unreachable(now):
        raise ConnectionError("could not connect to server")

    register_check("database", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"][0]
    assert check["status"] == "fail" and check["summary"] == "ConnectionError: could not connect to server"


def test_status_is_for_staff_and_the_monitoring_token_only(client: Client, settings):
    settings.HEALTH_TOKEN = "theo-doi-2026-bi-mat"
    response = client.get("/status")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/status", HTTP_AUTHORIZATION="Bearer sai-ma").status_code == 401

    client.force_login(UserFactory.create())  # a citizen
    assert client.get("/status").status_code == 401
    client.logout()

    by_token = client.get("/status", HTTP_AUTHORIZATION="Bearer theo-doi-2026-bi-mat")
    assert by_token.status_code in (200, 503) and "checks" in by_token.json()
    client.force_login(UserFactory.create(is_staff=True))
    assert "checks" in client.get("/status").json()


def test_an_empty_token_opens_nothing(client: Client, settings):
    settings.HEALTH_TOKEN = ""
    assert client.get("/status", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_status_is_503_without_a_worker_and_200_with_one(client: Client, settings):
    settings.HEALTH_TOKEN = "tok"
    auth = {"Authorization": "Bearer tok"}

    response = client.get("/status", headers=auth)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    workers = next(check for check in body["checks"] if check["name"] == "workers")
    assert workers["status"] == "fail" and "civicpay_worker" in workers["summary"]

    Heartbeat("w1", ["default"]).beat(force=True)
    response = client.get("/status", headers=auth)
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_the_summaries_follow_the_chosen_language(client: Client, live_worker: Heartbeat, settings):
    client.force_login(UserFactory.create(is_staff=True))
    vietnamese = client.get("/status").json()["checks"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switcher's choice
    with translation.override(settings.LANGUAGE_CODE):  # the middleware leaves English active afterwards
        english = client.get("/status").json()["checks"]
    assert vietnamese[1]["summary"] == "1 tiến trình nền đang chạy."
    assert english[1]["summary"] == "1 background worker running."


def test_a_worker_that_stops_beating_is_lost_and_one_that_stopped_is_not(settings, live_worker: Heartbeat):
    settings.HEALTH_WORKER_STALE_SECONDS = 60
    crashed = Heartbeat("worker-crashed", ["default"])
    crashed.beat(force=True)
    WorkerHeartbeat.objects.filter(worker_id="worker-crashed").update(seen_at=clock.now() - timedelta(minutes=5))
    stopped = Heartbeat("worker-stopped", ["default"])
    stopped.beat(force=True)
    stopped.stop()

    result = by_name(health_run())["workers"]
    assert result.status is Status.WARN
    assert result.figures["live"] == 1 and result.figures["lost"] == 1
    assert "mất liên lạc" in result.summary

    live_worker.stop()  # the last one goes: nothing settles any more
    assert by_name(health_run())["workers"].status is Status.FAIL


def test_the_heartbeat_writes_at_most_every_interval_and_forgets_week_old_workers(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 3600
    WorkerHeartbeat.objects.create(
        worker_id="gone",
        hostname="old-host",
        pid=1,
        started_at=clock.now() - timedelta(days=9),
        seen_at=clock.now() - timedelta(days=8),
    )
    beat = Heartbeat("w", ["default"])
    beat.beat()
    first = WorkerHeartbeat.objects.get(worker_id="w").seen_at
    beat.beat()  # within the interval: no write
    assert WorkerHeartbeat.objects.get(worker_id="w").seen_at == first
    assert not WorkerHeartbeat.objects.filter(worker_id="gone").exists()
    beat.beat(force=True)
    assert WorkerHeartbeat.objects.get(worker_id="w").seen_at > first


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_beats_and_says_when_it_stops():
    with BackgroundWorker(queue_names=["default", "sandbox"], interval=0.05):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            time.sleep(0.05)
        assert by_name(health_run())["workers"].status is Status.OK
    beat = WorkerHeartbeat.objects.get()
    assert beat.stopped_at is not None and beat.queues == "default,sandbox"
    assert by_name(health_run())["workers"].status is Status.FAIL


def test_tasks_are_late_by_the_wait_of_the_oldest_due(settings, live_worker: Heartbeat):
    settings.HEALTH_LAG_WARN_SECONDS = 60
    settings.HEALTH_LAG_FAIL_SECONDS = 600
    record_call.using(run_after=clock.now() + timedelta(hours=1)).enqueue("later")  # not due: not late
    assert by_name(health_run())["tasks"].status is Status.OK

    record_call.enqueue("now")
    now = clock.now()
    assert by_name(health_run(now=now + timedelta(seconds=30)))["tasks"].status is Status.OK
    late = by_name(health_run(now=now + timedelta(seconds=90)))["tasks"]
    assert late.status is Status.WARN and late.figures["due"] == 1
    assert late.figures["oldest_due_seconds"] in range(89, 95)
    assert by_name(health_run(now=now + timedelta(seconds=700)))["tasks"].status is Status.FAIL


def test_failed_tasks_of_the_last_day_are_a_warning(live_worker: Heartbeat):
    from django.tasks import TaskResultStatus

    result = record_call.enqueue("x")
    DBTaskResult.objects.filter(pk=result.id).update(status=TaskResultStatus.FAILED, finished_at=clock.now())
    tasks = by_name(health_run())["tasks"]
    assert tasks.status is Status.WARN and tasks.figures["failed_last_day"] == 1


def test_a_check_that_raises_fails_alone():
    def broken(now):
        raise RuntimeError("không đọc được bảng")

    register_check("broken", broken)
    results = by_name(health_run())
    assert results["broken"].status is Status.FAIL
    assert results["broken"].summary == "RuntimeError: không đọc được bảng"
    assert results["database"].status is Status.OK


def test_the_command_exits_with_the_worst_status(live_worker: Heartbeat):
    code, out = run_command()
    assert code == 0 and out.strip().endswith("status: ok")
    assert "OK    payments.settlement" in out

    register_check("warned", lambda now: Finding(Status.WARN, "chú ý"))
    code, out = run_command("--json")
    report = json.loads(out)
    assert code == 1 and report["status"] == "warn"
    assert {"name": "warned", "status": "warn", "summary": "chú ý"}.items() <= report["checks"][-1].items()

    live_worker.stop()
    code, out = run_command("--check", "workers", "--check", "database")
    assert code == 2 and "FAIL  workers" in out and "payments.settlement" not in out


def test_the_command_refuses_an_unknown_check():
    with pytest.raises(CommandError, match="known: database, workers"):
        call_command("civicpay_health", "--check", "nope")
