"""Counters for public numbers: sequential everywhere, and no duplicates under real concurrency
(PostgreSQL: threads with their own connections and transactions)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from civicpay.core.sequences import next_value
from civicpay.core.tests.locks import skip_without_row_locks


@pytest.mark.django_db
def test_counts_per_scope_from_one():
    with transaction.atomic():
        assert [next_value(scope="a") for _ in range(3)] == [1, 2, 3]
        assert next_value(scope="b") == 1


@pytest.mark.django_db
def test_rolled_back_transaction_does_not_consume_a_number():
    with transaction.atomic():
        assert next_value(scope="x") == 1
    with pytest.raises(RuntimeError, match="boom"), transaction.atomic():
        assert next_value(scope="x") == 2
        raise RuntimeError("boom")
    with transaction.atomic():
        assert next_value(scope="x") == 2


@pytest.mark.django_db(transaction=True)
def test_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_value(scope="outside")


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_never_share_a_value():
    skip_without_row_locks()
    start = threading.Barrier(8)

    def take(_: int) -> list[int]:
        try:
            start.wait()
            values = []
            for _ in range(10):
                with transaction.atomic():
                    values.append(next_value(scope="concurrent"))
            return values
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [v for chunk in pool.map(take, range(8)) for v in chunk]
    assert sorted(results) == list(range(1, 81))
