"""The embedded profile's SQLite backend queues write transactions on a file lock (civicpay/core/db/sqlite)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from civicpay.core.db.sqlite import base as sqlite_base
from civicpay.core.db.sqlite.base import CHECKPOINT_EVERY, DatabaseWrapper


def wrapper(path: Path, alias: str, timeout: float = 5) -> Any:
    settings = {
        "ENGINE": "civicpay.core.db.sqlite",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
    }
    connection = DatabaseWrapper(settings, alias=alias)
    connection.inc_thread_sharing()  # the tests hand connections to their own threads
    return connection


@pytest.fixture(autouse=True)
def own_connections(django_db_blocker: Any) -> Any:
    """These tests open their own connections to their own file, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path, own_connections: None) -> Path:
    path = tmp_path / "queue.sqlite3"
    setup = wrapper(path, "setup")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE events (who TEXT, at REAL)")
    setup.close()
    return path


def begin_write(connection: Any, who: str) -> None:
    connection.set_autocommit(True)
    connection._start_transaction_under_autocommit()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO events VALUES (%s, %s)", [who, time.monotonic()])


def test_a_second_writer_waits_for_the_first_to_commit(database: Path) -> None:
    first, second = wrapper(database, "first"), wrapper(database, "second")
    begin_write(first, "first")
    started = threading.Event()
    done = threading.Event()

    def other() -> None:
        started.set()
        begin_write(second, "second")
        second.commit()
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    started.wait()
    assert not done.wait(0.3)  # queued behind the open transaction, not failing with "database is locked"
    first.commit()
    assert done.wait(5)
    thread.join()
    with first.cursor() as cursor:
        cursor.execute("SELECT who FROM events ORDER BY at")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]
    first.close()
    second.close()


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_the_queue_moves_on_after_a_rollback_or_a_closed_connection(database: Path, end: str) -> None:
    first, second = wrapper(database, "first"), wrapper(database, "second", timeout=1)
    begin_write(first, "first")
    getattr(first, end)()
    begin = time.monotonic()
    begin_write(second, "second")  # at once: the lock was released with the transaction
    second.commit()
    assert time.monotonic() - begin < 0.9  # well under its 1 s wait: it did not have to give up waiting
    with second.cursor() as cursor:
        cursor.execute("SELECT who FROM events")
        assert [row[0] for row in cursor.fetchall()] == ["second"]
    second.close()
    first.close()


def test_a_stuck_holder_does_not_block_forever(database: Path) -> None:
    """After the connection's timeout the writer stops queueing and SQLite's own locking decides."""
    from django.db import OperationalError

    holder, waiter = wrapper(database, "holder"), wrapper(database, "waiter", timeout=0.3)
    begin_write(holder, "holder")
    with pytest.raises(OperationalError, match="locked"):
        begin_write(waiter, "waiter")
    assert not waiter._write_lock_held
    holder.rollback()
    holder.close()
    waiter.close()


HOLDER = """
import sys, time
sys.path.insert(0, {root!r})
from civicpay.core.tests.test_sqlite_write_queue import begin_write, wrapper
from pathlib import Path
connection = wrapper(Path({path!r}), "holder")
begin_write(connection, "other process")
print("held", flush=True)
sys.stdin.readline()
connection.commit()
connection.close()
"""


def writer_in_another_process(database: Path) -> Any:
    """A process that begins a write, prints "held", and commits when told on its stdin (a ``Popen``)."""
    import subprocess
    import sys

    from django.conf import settings

    return subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(root=str(settings.BASE_DIR), path=str(database))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_writers_of_another_process_queue_on_the_file_lock(database: Path) -> None:
    """Threads of one process queue among themselves first; the file lock orders them with other processes."""
    holder = writer_in_another_process(database)
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        here = [wrapper(database, f"here-{i}") for i in range(3)]
        done = [threading.Event() for _ in here]

        def write(index: int) -> None:
            begin_write(here[index], f"here-{index}")
            here[index].commit()
            done[index].set()

        threads = [threading.Thread(target=write, args=(i,)) for i in range(len(here))]
        for thread in threads:
            thread.start()
        assert not any(event.wait(0.3) for event in done)  # all three wait for the other process
        holder.stdin.write("commit\n")
        holder.stdin.flush()
        assert all(event.wait(5) for event in done)
        for thread in threads:
            thread.join()
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    with here[0].cursor() as cursor:
        cursor.execute("SELECT who FROM events ORDER BY at")
        whos = [row[0] for row in cursor.fetchall()]
    assert whos[0] == "other process" and sorted(whos[1:]) == ["here-0", "here-1", "here-2"]
    for connection in here:
        connection.close()


def test_a_background_writer_lets_a_waiting_web_request_go_first(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's settlement waits while a web request (an IPN, a payer) of another process waits for the
    write lock; without giving way the two would race for the file lock when it is released."""
    import fcntl
    import os

    monkeypatch.setattr(sqlite_base, "BACKGROUND_YIELD_SECONDS", 5)
    holder, worker = wrapper(database, "holder"), wrapper(database, "worker")
    worker.background_writer = True
    begin_write(holder, "holder")
    web = writer_in_another_process(database)
    assert web.stdout is not None and web.stdin is not None
    web.stdin.write("commit\n")  # commits as soon as it has written
    web.stdin.flush()
    probe = os.open(f"{database}.writelock.waiting", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        for _ in range(500):  # until the web request says it is waiting
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                break
            fcntl.flock(probe, fcntl.LOCK_UN)
            time.sleep(0.01)
        else:
            pytest.fail("the web request never marked itself waiting")
    finally:
        os.close(probe)
    done = threading.Event()

    def settle() -> None:
        begin_write(worker, "worker")
        worker.commit()
        done.set()

    thread = threading.Thread(target=settle)
    thread.start()
    try:
        assert not done.wait(0.3)
        holder.commit()
        assert done.wait(5)
        assert web.stdout.readline().strip() == "held"
    finally:
        thread.join()
        web.stdin.close()
        web.wait(timeout=10)
    with holder.cursor() as cursor:
        cursor.execute("SELECT who FROM events ORDER BY at")
        assert [row[0] for row in cursor.fetchall()] == ["holder", "other process", "worker"]
    holder.close()
    worker.close()


def test_a_background_writer_gives_way_for_a_bounded_time_only(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A steady stream of web requests slows the worker down but never stops it."""
    import fcntl
    import os

    monkeypatch.setattr(sqlite_base, "BACKGROUND_YIELD_SECONDS", 0.3)
    worker = wrapper(database, "worker")
    worker.background_writer = True
    waiting = os.open(f"{database}.writelock.waiting", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(waiting, fcntl.LOCK_SH)  # as a web request does while it waits, here for ever
        begin = time.monotonic()
        begin_write(worker, "worker")
        worker.commit()
        assert 0.3 <= time.monotonic() - begin < 3
    finally:
        os.close(waiting)
    begin = time.monotonic()
    begin_write(worker, "worker again")  # nobody waiting: at once
    worker.commit()
    assert time.monotonic() - begin < 0.3
    with worker.cursor() as cursor:
        cursor.execute("SELECT who FROM events ORDER BY at")
        assert [row[0] for row in cursor.fetchall()] == ["worker", "worker again"]
    worker.close()


def test_only_the_worker_process_is_a_background_writer(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    connection = wrapper(database, "any")
    assert not connection._is_background()  # web processes (gunicorn, runserver, tests)
    monkeypatch.setattr(sqlite_base, "_background_process", False)
    sqlite_base.mark_background_writer()  # what civicpay_worker does at start
    assert connection._is_background()
    connection.background_writer = False
    assert not connection._is_background()
    connection.close()


def test_the_write_ahead_log_is_copied_back_before_sqlite_would_do_it_inside_a_commit(tmp_path: Path) -> None:
    """Each process checkpoints after every few write transactions, outside the queue, so the log never
    grows to SQLite's own threshold (1,000 pages, ~4 MB), whose checkpoint runs inside a ``COMMIT``."""
    path = tmp_path / "wal.sqlite3"
    connection = wrapper(path, "wal")
    connection.settings_dict["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE pages (body BLOB)")
    for _ in range(10 * CHECKPOINT_EVERY):
        connection._start_transaction_under_autocommit()
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO pages VALUES (%s)", [b"x" * 40_000])  # ~10 pages
        connection.commit()

    pages = Path(f"{path}-wal").stat().st_size // 4096  # the log's high-water mark (it is reused, not shrunk)
    connection.close()
    assert pages < 2.5 * 10 * CHECKPOINT_EVERY < 1000
