"""Gap-tolerant, collision-free counters for public numbers (dossier codes, receipt numbers, notices).

Why a counter row and not ``MAX(code) + 1``: two transactions reading the same maximum would hand out
the same number. Here one statement, ``INSERT … ON CONFLICT (scope) DO UPDATE SET value = value + 1
RETURNING value``, creates the counter at 1 or bumps it, taking the row lock either way; a concurrent
caller (also one creating the same new counter) waits on that lock until the first transaction commits
and then gets the next value. The lock is held until the *caller's* transaction ends, so call
``next_value`` inside the same ``transaction.atomic`` block that stores the number (it refuses to run
outside one). A rolled back transaction rolls the counter back too, so numbers are only skipped, never
reused.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from civicpay.core.models import Sequence


def next_value(*, scope: str) -> int:
    """Return the next value (1, 2, 3 …) of the counter named ``scope``, creating it on first use."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("next_value must run inside the transaction that uses the number")
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(connection.ops.quote_name), [scope])
        return int(cursor.fetchone()[0])


def _upsert_sql(quote: Callable[[str], str]) -> str:
    """Identifiers from the model's metadata, quoted by the backend; the scope is a parameter."""
    table = quote(Sequence._meta.db_table)
    scope = quote(Sequence._meta.get_field("scope").column or "scope")
    value = quote(Sequence._meta.get_field("value").column or "value")
    return (
        f"INSERT INTO {table} ({scope}, {value}) VALUES (%s, 1) "  # noqa: S608
        f"ON CONFLICT ({scope}) DO UPDATE SET {value} = {table}.{value} + 1 RETURNING {value}"
    )
