"""SQLite for the embedded profile, with write transactions queued instead of sleeping.

SQLite has one writer at a time. A transaction that finds the write lock taken is parked by SQLite's busy
handler, which sleeps 1, 2, 5, 10 … 100 ms between tries: under a burst of IPNs the writers oversleep the
moments the lock is free, throughput falls as concurrency rises and p99 reaches seconds
(docs/performance.md). Here every write transaction (``BEGIN IMMEDIATE``, i.e. every ``atomic`` block)
first takes an exclusive ``flock`` on ``<database>.writelock``, shared by every thread and process that
opens the same file, so writers wait their turn in the kernel and start the moment the previous one ends.

Two stages, so that waiting costs no CPU within a process: the threads of one process first queue on a
``threading.Lock`` (they sleep in the kernel and the next one starts the moment the lock is released);
only the thread at the head of that queue tries the ``flock`` — without blocking, every 0.2–0.5 ms, because
a blocking ``flock`` could not give up after the timeout. Before the first stage each of the 16 threads of
a 4 × 4 server polled the ``flock`` on its own, and the polling cost more CPU than the IPN
(docs/performance.md).

The lock is only a queue in front of SQLite's own locking, never a replacement: if it cannot be had
within the connection's ``timeout`` (a holder stuck in a long transaction), the transaction begins
anyway and SQLite's busy handling decides, exactly as without this backend. Writes outside a
transaction (autocommit) do not take it.

Checkpoints happen outside the queue. SQLite copies the write-ahead log back into the database file
(a checkpoint) from inside the ``COMMIT`` that makes the log pass 1,000 pages; that commit returns only
afterwards, so the queue stayed taken for the copy although SQLite itself lets the next writer in during
a checkpoint. Here each process runs a ``PASSIVE`` checkpoint (it never waits for readers or writers)
after every ``CHECKPOINT_EVERY`` of its write transactions, once its turn in the queue is given back: the
log is copied before it reaches SQLite's threshold, whose automatic checkpoint stays on as the fallback
(for a process that only writes in autocommit, or a log that readers kept from being copied).

Web requests go first. The worker process (``civicpay_worker`` calls ``mark_background_writer``) settles
confirmed payments and delivers messages: work that may wait a little, while a payer or a gateway waits
for the answer of a web request. A web request waiting for the write lock holds a shared ``flock`` on
``<database>.writelock.waiting``; a background writer first tries, without blocking, for an exclusive one
— it gets it only when no web request is waiting — and after ``BACKGROUND_YIELD_SECONDS`` goes ahead
anyway, so a steady stream of requests slows settlement down but never stops it. With the worker settling
beside a burst of IPNs this doubled the IPNs answered and halved p99 (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base, creation

_process_queues: dict[str, threading.Lock] = {}
_process_queues_guard = threading.Lock()

# A background writer (the worker process: settlement, message delivery) lets web requests that are waiting
# for the write lock go first, but waits at most this long per transaction, so it is never starved.
BACKGROUND_YIELD_SECONDS = 0.05
_background_process = False


def mark_background_writer(background: bool = True) -> None:
    """Make this process's write transactions give way to waiting web requests (``civicpay_worker``)."""
    global _background_process
    _background_process = background


# Write transactions of this process between two checkpoints. An IPN's transaction writes ~20 pages, so 25
# of them stay well under SQLite's own automatic threshold of 1,000 pages.
CHECKPOINT_EVERY = 25
_commits = itertools.count(1)  # shared by the threads of the process (next() holds the GIL)


def _process_queue(path: str) -> threading.Lock:
    """The in-process queue in front of ``path``'s file lock, one per database file and process."""
    with _process_queues_guard:
        return _process_queues.setdefault(path, threading.Lock())


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name: str, verbosity: int) -> None:
        super()._destroy_test_db(test_database_name, verbosity)  # type: ignore[misc]  # not in django-stubs
        if test_database_name and not self.is_in_memory_db(test_database_name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{test_database_name}.writelock")
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{test_database_name}.writelock.waiting")


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock_fd: int | None = None
        self._write_lock_held = False
        self._write_lock_queue: threading.Lock | None = None
        self._waiting_fd: int | None = None
        # None: as the process (mark_background_writer); True/False: this connection only.
        self.background_writer: bool | None = None

    def _is_background(self) -> bool:
        return _background_process if self.background_writer is None else self.background_writer

    def _write_lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or self.is_in_memory_db():
            return None
        return f"{name}.writelock"

    def _write_lock_acquire(self) -> None:
        path = self._write_lock_path()
        if path is None:
            return
        if self._write_lock_fd is None:
            self._write_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if self._waiting_fd is None:
            self._waiting_fd = os.open(f"{path}.waiting", os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        if self._is_background():
            self._give_way()
            self._write_lock_take(path, deadline, timeout)
            return
        fcntl.flock(self._waiting_fd, fcntl.LOCK_SH)  # "a web request is waiting", until it has the lock
        try:
            self._write_lock_take(path, deadline, timeout)
        finally:
            fcntl.flock(self._waiting_fd, fcntl.LOCK_UN)

    def _give_way(self) -> None:
        """Wait, at most BACKGROUND_YIELD_SECONDS, while web requests wait for the write lock: each holds a
        shared lock on ``<database>.writelock.waiting`` while it waits, so no exclusive one can be had."""
        assert self._waiting_fd is not None
        give_up = time.monotonic() + BACKGROUND_YIELD_SECONDS
        while True:
            try:
                fcntl.flock(self._waiting_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    return
                time.sleep(0.0005)
                continue
            fcntl.flock(self._waiting_fd, fcntl.LOCK_UN)
            return

    def _write_lock_take(self, path: str, deadline: float, timeout: float) -> None:
        assert self._write_lock_fd is not None
        queue = _process_queue(path)
        if not queue.acquire(timeout=timeout):
            return  # let SQLite's own busy handling decide
        pause = 0.0002
        try:
            while True:
                try:
                    fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        queue.release()
                        return  # let SQLite's own busy handling decide
                    time.sleep(pause)
                    pause = min(pause * 2, 0.0005)
                    continue
                self._write_lock_queue = queue
                self._write_lock_held = True
                return
        except BaseException:  # never leave the process's queue taken by a writer that is not writing
            if not self._write_lock_held:
                queue.release()
            raise

    def _write_lock_release(self) -> None:
        if self._write_lock_held and self._write_lock_fd is not None:
            fcntl.flock(self._write_lock_fd, fcntl.LOCK_UN)
        if self._write_lock_queue is not None:
            self._write_lock_queue.release()
            self._write_lock_queue = None
        self._write_lock_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._write_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            self._write_lock_release()
            raise

    def _commit(self) -> None:
        wrote = self._write_lock_held
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._write_lock_release()
        if wrote and next(_commits) % CHECKPOINT_EVERY == 0:
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database as far as readers allow, waiting for nobody."""
        if self.connection is not None and self.connection.in_transaction is False:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._write_lock_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._write_lock_release()
            if self._write_lock_fd is not None:
                os.close(self._write_lock_fd)
                self._write_lock_fd = None
            if self._waiting_fd is not None:
                os.close(self._waiting_fd)
                self._waiting_fd = None
