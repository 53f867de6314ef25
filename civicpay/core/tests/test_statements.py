"""Compiled statements write and read exactly what the ORM would, and refuse what they cannot do safely."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import pre_save

from civicpay.accounts.tests.factories import UserFactory
from civicpay.core.db.statements import Insert, Select, Update
from civicpay.core.models import AuditEntry, Sequence
from civicpay.core.tests.locks import attempt_while_held, skip_without_row_locks

pytestmark = pytest.mark.django_db

AUDIT_FIELDS = (
    "at",
    "actor",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "note",
    "ip_address",
)
INSERT_AUDIT = Insert(AuditEntry, AUDIT_FIELDS, allow_save_override=True)
INSERT_SEQUENCE = Insert(Sequence, ["scope", "value"], skip_on_conflict="scope")
AUDIT_BY_ACTION = Select(AuditEntry, where=("action",), order_by=("-id",), limit=1)
SEQUENCE_VALUES = Select(Sequence, where=("scope",), fields=("scope", "value"), order_by=("scope",))
SET_VALUE = Update(Sequence, ["value"])


def _audit_values(user_id: int | None, at: datetime) -> tuple[object, ...]:
    return (
        at,
        user_id,
        "Nguyễn Văn A",
        "payment.success",
        "payments.payment",
        "42",
        {"status": "started", "amount": 150_000},
        {"status": "success", "note": "Lệ phí hộ tịch"},
        "ipn:7",
        "2001:db8::1",
    )


def test_an_inserted_row_reads_back_through_the_orm_as_the_values_given() -> None:
    user = UserFactory.create()
    at = datetime(2026, 12, 4, 3, 15, 30, 123456, tzinfo=timezone(timedelta(hours=7)))  # stored as UTC

    pk = INSERT_AUDIT.one(*_audit_values(user.pk, at))

    entry = AuditEntry.objects.get(pk=pk)
    assert entry.at == at
    assert entry.at.astimezone(UTC).hour == 20  # 03:15 in Hà Nội is 20:15 UTC the day before
    assert entry.actor == user
    assert entry.actor_label == "Nguyễn Văn A"
    assert entry.before == {"status": "started", "amount": 150_000}
    assert entry.after == {"status": "success", "note": "Lệ phí hộ tịch"}
    assert entry.ip_address == "2001:db8::1"


def test_a_row_read_by_a_compiled_select_equals_the_orm_instance() -> None:
    at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    pk = INSERT_AUDIT.one(*_audit_values(None, at))

    entry = AUDIT_BY_ACTION.get("payment.success")

    orm = AuditEntry.objects.get(pk=pk)
    assert entry is not None and not entry._state.adding
    for field in AuditEntry._meta.concrete_fields:
        assert getattr(entry, field.attname) == getattr(orm, field.attname), field.name
    assert AUDIT_BY_ACTION.get("no.such.action") is None


def test_a_value_taken_by_a_unique_field_inserts_nothing_and_changes_nothing() -> None:
    first = INSERT_SEQUENCE.one("receipts:HN:2026", 7)

    assert first is not None
    assert INSERT_SEQUENCE.one("receipts:HN:2026", 99) is None
    assert Sequence.objects.get(scope="receipts:HN:2026").value == 7
    assert Sequence.objects.count() == 1


def test_adding_an_instance_stores_it_once() -> None:
    counter = Sequence(scope="notices", value=3)

    assert INSERT_SEQUENCE.add(counter)
    assert counter.pk == Sequence.objects.get(scope="notices").pk and not counter._state.adding
    assert not INSERT_SEQUENCE.add(Sequence(scope="notices", value=9))  # the key is taken: nothing stored
    assert Sequence.objects.get(scope="notices").value == 3
    with pytest.raises(TypeError, match="a new"):
        INSERT_SEQUENCE.add(counter)  # already stored


def test_many_rows_in_one_statement_and_a_select_with_a_list() -> None:
    Insert(Sequence, ["scope", "value"]).many([("a", 1), ("b", 2), ("c", 3)])

    assert SEQUENCE_VALUES.rows(("c", "a", "zzz")) == [("a", 1), ("c", 3)]
    assert SEQUENCE_VALUES.rows("b") == [("b", 2)]
    assert SEQUENCE_VALUES.rows(()) == []  # an empty list matches nothing (not a syntax error)
    with pytest.raises(ValueError, match="cannot match NULL"):
        SEQUENCE_VALUES.rows(None)


def test_an_update_changes_only_the_matching_rows() -> None:
    Insert(Sequence, ["scope", "value"]).many([("a", 1), ("b", 2), ("c", 3)])
    bump = Update(Sequence, ["value"], where=("scope",))

    assert bump([10], ("a", "c")) == 2
    assert bump([20], "zzz") == 0
    assert dict(Sequence.objects.values_list("scope", "value")) == {"a": 10, "b": 2, "c": 10}


def test_saving_an_instance_writes_its_fields_and_fails_loudly_when_its_row_is_gone() -> None:
    sequence = Sequence.objects.create(scope="dossiers", value=1)
    sequence.value = 5

    SET_VALUE.save(sequence)

    assert Sequence.objects.get(pk=sequence.pk).value == 5
    Sequence.objects.filter(pk=sequence.pk).delete()
    with pytest.raises(DatabaseError, match="gone"):
        SET_VALUE.save(sequence)


def test_a_model_that_overrides_save_is_refused_unless_allowed() -> None:
    with pytest.raises(TypeError, match="overrides save"):
        Insert(AuditEntry, ["action"])


@pytest.fixture
def save_receiver() -> Iterator[None]:
    def receiver(**kwargs: object) -> None:
        pass

    pre_save.connect(receiver, sender=Sequence, weak=False)
    yield
    pre_save.disconnect(receiver, sender=Sequence)


@pytest.mark.usefixtures("save_receiver")
def test_a_model_with_save_receivers_is_refused_when_written() -> None:
    with pytest.raises(TypeError, match="signal receivers"):
        INSERT_SEQUENCE.one("x", 1)
    assert not Sequence.objects.exists()


def test_a_locking_select_asks_for_the_row_lock_where_the_database_has_row_locks() -> None:
    locked = Select(Sequence, where=("scope",), for_update=True)
    Sequence.objects.create(scope="s", value=1)
    collect = _Collect()
    with transaction.atomic(), connection.execute_wrapper(collect):
        assert locked.get("s").value == 1
    assert collect.sql[0].endswith("FOR UPDATE") == connection.features.has_select_for_update


AUDIT_WITH_ACTOR = Select(AuditEntry, where=("target_id",), related=("actor",), order_by=("id",))


def test_related_rows_come_with_the_instances_as_select_related_would_bring_them() -> None:
    user = UserFactory.create(full_name="Trần Thị B")
    at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    INSERT_AUDIT.one(*_audit_values(user.pk, at))
    INSERT_AUDIT.one(*_audit_values(None, at))  # no actor: the outer join finds nothing

    collect = _Collect()
    with connection.execute_wrapper(collect):
        with_actor, without = AUDIT_WITH_ACTOR.all("42")
        assert with_actor.actor == user and with_actor.actor.full_name == "Trần Thị B"
        assert without.actor is None
    assert len(collect.sql) == 1  # one statement, nothing loaded lazily afterwards

    orm = AuditEntry.objects.select_related("actor").get(pk=with_actor.pk)
    for field in type(user)._meta.concrete_fields:
        assert getattr(with_actor.actor, field.attname) == getattr(orm.actor, field.attname), field.name


@pytest.mark.django_db(transaction=True)
def test_a_locking_select_with_related_rows_locks_its_own_rows_only() -> None:
    skip_without_row_locks()
    user = UserFactory.create()
    pk = INSERT_AUDIT.one(*_audit_values(user.pk, datetime(2026, 12, 4, 10, 0, tzinfo=UTC)))
    locking = Select(AuditEntry, where=("pk",), related=("actor",), for_update=True)
    skipping = Select(AuditEntry, where=("pk",), for_update=True, skip_locked=True)

    def other() -> tuple[object, object]:
        with transaction.atomic():
            actor = type(user).objects.select_for_update(nowait=True).get(pk=user.pk)  # not locked: no wait
            return actor, skipping.get(pk)

    actor, skipped = attempt_while_held(lambda: locking.get(pk), other)

    assert actor == user
    assert skipped is None  # the audit row is held: skipped, not waited for


class _Collect:
    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sql.append(sql)
        return execute(sql, params, many, context)
