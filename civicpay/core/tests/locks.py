"""Row-lock tests: hold a lock in one connection's open transaction while another connection tries.

They need PostgreSQL: SQLite has one writer, so a second connection can only wait for the whole
transaction, and there is nothing row-level to observe. CI runs them in its PostgreSQL pass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction


def skip_without_row_locks() -> None:
    if not connection.features.has_select_for_update:
        pytest.skip("row locks between concurrent connections need PostgreSQL (SQLite serialises writers)")


def attempt_while_held[T](hold: Callable[[], object], attempt: Callable[[], T], *, timeout: float = 30) -> T:
    """Run ``hold`` in a transaction on a connection of its own and keep that transaction open while
    ``attempt`` runs on another; return what ``attempt`` returned (an exception in either is raised)."""
    holding, done = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                hold()
                holding.set()
                done.wait(timeout)
        finally:
            connections.close_all()

    def other() -> T:
        try:
            return attempt()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        held = pool.submit(holder)
        try:
            if not holding.wait(timeout):
                held.result(timeout=timeout)  # raises what stopped the holder
                raise AssertionError("the holder never took its lock")
            return pool.submit(other).result(timeout=timeout)
        finally:
            done.set()
            held.result(timeout=timeout)
