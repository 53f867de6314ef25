from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from civicpay.accounts.tests.factories import UserFactory
from civicpay.notifications.delivery import outbox_claim_due
from civicpay.notifications.models import Channel, OutboxMessage, Status
from civicpay.notifications.selectors import portal_notifications_for, portal_unread_count
from civicpay.notifications.services import notification_mark_read, notification_send

pytestmark = pytest.mark.django_db


def test_same_key_twice_writes_one_message_due_once():
    first = notification_send(channel=Channel.SMS, to="0912345678", body="Hồ sơ H01 đã thanh toán", key="payment:1:sms")
    second = notification_send(channel=Channel.SMS, to="0912345678", body="Nội dung khác", key="payment:1:sms")

    assert second.pk == first.pk
    assert second.body == "Hồ sơ H01 đã thanh toán"
    assert OutboxMessage.objects.count() == 1
    assert [message.pk for message in outbox_claim_due()] == [first.pk]


def test_nothing_is_due_when_the_callers_transaction_rolls_back():
    try:
        with transaction.atomic():
            notification_send(channel=Channel.EMAIL, to="a@example.vn", body="x", key="rolled-back")
            raise RuntimeError("payment failed")
    except RuntimeError:
        pass

    assert not OutboxMessage.objects.exists()
    assert outbox_claim_due() == []


def test_portal_message_is_sent_at_once_and_never_due_for_delivery():
    user = UserFactory.create()
    message = notification_send(
        channel=Channel.PORTAL, to="", subject="Thông báo thu phí", body="Hồ sơ cần thanh toán", key="p1", user=user
    )

    assert message.status == Status.SENT
    assert message.sent_at is not None
    assert message.to == user.email
    assert outbox_claim_due() == []


def test_portal_notifications_are_the_users_own_newest_first_and_can_be_marked_read():
    user, other = UserFactory.create(), UserFactory.create()
    older = notification_send(channel=Channel.PORTAL, to="", body="Cũ", key="p-old", user=user)
    newer = notification_send(channel=Channel.PORTAL, to="", body="Mới", key="p-new", user=user)
    notification_send(channel=Channel.PORTAL, to="", body="Của người khác", key="p-other", user=other)
    notification_send(channel=Channel.EMAIL, to=user.email, body="E-mail", key="e-1", user=user)

    assert list(portal_notifications_for(user=user)) == [newer, older]
    assert portal_unread_count(user=user) == 2

    notification_mark_read(message=older, user=user)

    assert portal_unread_count(user=user) == 1
    older.refresh_from_db()
    assert older.is_read


def test_a_user_cannot_mark_someone_elses_notification_read():
    owner, intruder = UserFactory.create(), UserFactory.create()
    message = notification_send(channel=Channel.PORTAL, to="", body="Riêng tư", key="p-private", user=owner)

    with pytest.raises(OutboxMessage.DoesNotExist):
        notification_mark_read(message=message, user=intruder)
    message.refresh_from_db()
    assert message.read_at is None


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"channel": "fax", "to": "x", "key": "k1"}, "channel"),
        ({"channel": Channel.EMAIL, "to": "a@example.vn", "key": ""}, "key"),
        ({"channel": Channel.PORTAL, "to": "", "key": "k2"}, "user"),
        ({"channel": Channel.SMS, "to": "", "key": "k3"}, "recipient"),
    ],
)
def test_invalid_calls_are_refused(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        notification_send(body="x", **kwargs)


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_send_with_the_same_key_returns_the_winner_and_keeps_the_losers_transaction_usable():
    """Two transactions race on one key: the loser's INSERT waits for the winner, hits the unique key,
    and gets the winner's message back — without breaking the transaction it is called in."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent uncommitted inserts need PostgreSQL (SQLite serialises writers)")
    winner_inserted = threading.Event()
    release_winner = threading.Event()
    results: dict[str, int] = {}

    def winner() -> None:
        try:
            with transaction.atomic():
                results["winner"] = notification_send(channel=Channel.SMS, to="0912345678", body="A", key="race").pk
                winner_inserted.set()
                release_winner.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=winner)
    thread.start()
    assert winner_inserted.wait(10)
    with transaction.atomic():
        threading.Timer(0.5, release_winner.set).start()  # commit the winner while our INSERT waits on it
        loser = notification_send(channel=Channel.SMS, to="0912345678", body="B", key="race")
        notification_send(channel=Channel.SMS, to="0912345678", body="C", key="after-race")
    thread.join(10)

    assert loser.pk == results["winner"]
    assert loser.body == "A"
    assert sorted(OutboxMessage.objects.values_list("key", flat=True)) == ["after-race", "race"]
