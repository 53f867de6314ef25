"""Gap-tolerant, collision-free counters for public numbers (dossier codes, receipt numbers, notices).

Why a counter row and not ``MAX(code) + 1``: two transactions reading the same maximum would hand out
the same number. Here the first statement is an ``UPDATE … SET value = value + 1`` which takes the row
lock; a concurrent caller waits on that lock until the first transaction commits and then sees the
new value. The lock is held until the *caller's* transaction ends, so call ``next_value`` inside the
same ``transaction.atomic`` block that stores the number (it refuses to run outside one). A rolled
back transaction rolls the counter back too, so numbers are only skipped, never reused.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from civicpay.core.models import Sequence


def next_value(*, scope: str) -> int:
    """Return the next value (1, 2, 3 …) of the counter named ``scope``, creating it on first use."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value must run inside the transaction that uses the number")
    if Sequence.objects.filter(scope=scope).update(value=F("value") + 1) == 0:
        try:
            # A savepoint: if another transaction created the row first, the unique index makes us
            # wait for it and then fail here; we fall through to the locked increment.
            with transaction.atomic():
                Sequence.objects.create(scope=scope, value=1)
                return 1
        except IntegrityError:
            Sequence.objects.filter(scope=scope).update(value=F("value") + 1)
    return Sequence.objects.values_list("value", flat=True).get(scope=scope)
