"""Signed-gateway notifications through the real endpoint (POST /thanh-toan/<provider>/ipn/):
forged, stale, replayed, unknown, wrong amount, success, duplicate — each answer and what it changed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from civicpay.core import clock
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import LedgerEntry, ProviderCallback, ProviderNonce
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers.base import provider_get
from civicpay.payments.providers.national import NationalPlatformProvider
from civicpay.payments.replay import nonce_consume, nonces_prune
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import make_payment, settle_due
from civicpay.payments.tests.signed_helpers import notification, post_notification

pytestmark = pytest.mark.django_db

PROVIDERS = ["viettelpay", "national"]


@pytest.fixture(params=PROVIDERS)
def payment(request, payable):
    return make_payment(provider=request.param, method="wallet" if request.param == "viettelpay" else "")


def unchanged(payment) -> None:
    status = payment.status
    payment.refresh_from_db()
    assert payment.status == status == PaymentStatus.STARTED
    assert not LedgerEntry.objects.exists() and not OutboxMessage.objects.exists()


def test_success_then_duplicate(client, payment, payable):
    assert post_notification(client, payment.provider, notification(payment)) == {
        "code": "00",
        "message": "Confirm Success",
    }
    settle_due()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert payment.provider_transaction_no == "26112200000042"
    assert payable.paid == {"1": payment.reference}
    assert LedgerEntry.objects.count() == 1
    # The gateway re-sends (signed afresh: new timestamp and nonce): already confirmed, nothing twice.
    assert post_notification(client, payment.provider, notification(payment))["code"] == "02"
    settle_due()
    assert LedgerEntry.objects.count() == 1 and payable.success_calls == 1
    assert OutboxMessage.objects.filter(channel="sms").count() == 1


def test_forged_signature_is_97_and_changes_nothing(client, payment):
    forged = notification(payment, secret="not-the-merchant-secret")
    assert post_notification(client, payment.provider, forged)["code"] == "97"
    tampered = {**notification(payment), "amount": "1"}
    assert post_notification(client, payment.provider, tampered)["code"] == "97"
    assert post_notification(client, payment.provider, "not json")["code"] == "97"
    unchanged(payment)
    rows = ProviderCallback.objects.filter(kind="ipn")
    assert rows.count() == 3 and set(rows.values_list("outcome", "reply_code", "signature_valid")) == {
        ("rejected", "97", False)
    }


def test_another_merchants_signed_message_is_97(client, payment, settings):
    body = notification(payment, merchant_id="OTHER-MERCHANT")
    assert post_notification(client, payment.provider, body)["code"] == "97"
    unchanged(payment)


@pytest.mark.parametrize("age", [330, -360, 3600])  # clear of the 300 s window even on a slow run
def test_stale_timestamp_is_98_and_changes_nothing(client, payment, age):
    body = notification(payment, timestamp=sp.now_ts() - age)
    assert post_notification(client, payment.provider, body)["code"] == "98"
    unchanged(payment)
    callback = ProviderCallback.objects.get(kind="ipn")
    assert (callback.outcome, callback.signature_valid) == ("rejected", True)
    assert callback.note.startswith("stale")
    assert not ProviderNonce.objects.exists()  # a stale message never burns a nonce


def test_replayed_message_is_answered_98_and_changes_nothing(client, payment):
    body = notification(payment, status="failed", result_code="51")
    assert post_notification(client, payment.provider, body)["code"] == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    # The same valid message again: a replay.
    assert post_notification(client, payment.provider, body)["code"] == "98"
    callback = ProviderCallback.objects.get(kind="ipn")
    assert (callback.times_received, callback.outcome, callback.reply_code) == (2, "applied", "00")


def test_reused_nonce_with_an_unsigned_extra_field_is_a_replay(client, payment):
    """Empty fields are not signed, so a replay can differ from the original on the wire; the nonce
    store catches it even though the stored copies do not deduplicate."""
    body = notification(payment, status="cancelled", result_code="24")
    assert post_notification(client, payment.provider, body)["code"] == "00"
    replay = {**body, "bank_code": ""}
    assert post_notification(client, payment.provider, replay)["code"] == "98"
    rows = ProviderCallback.objects.filter(kind="ipn").order_by("pk")
    assert [(r.outcome, r.reply_code) for r in rows] == [("applied", "00"), ("rejected", "98")]
    assert rows[1].note == "replayed: nonce already used"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED


def test_replay_of_a_success_changes_nothing(client, payment, payable):
    body = notification(payment)
    assert post_notification(client, payment.provider, body)["code"] == "00"
    assert post_notification(client, payment.provider, {**body, "card_masked": ""})["code"] == "98"
    assert post_notification(client, payment.provider, body)["code"] == "98"
    settle_due()
    assert LedgerEntry.objects.count() == 1 and payable.success_calls == 1


def test_unknown_order_is_01(client, payment):
    body = notification(payment, order_id="PAY000000NOTHERE")
    assert post_notification(client, payment.provider, body)["code"] == "01"
    unchanged(payment)


def test_wrong_amount_is_04(client, payment):
    body = notification(payment, amount=payment.amount - 1000)
    assert post_notification(client, payment.provider, body)["code"] == "04"
    unchanged(payment)
    callback = ProviderCallback.objects.get(kind="ipn")
    assert (callback.outcome, callback.payment_id) == ("rejected", payment.pk)


def test_signed_but_unreadable_is_99(client, payment):
    body = notification(payment, status="maybe")
    assert post_notification(client, payment.provider, body)["code"] == "99"
    unchanged(payment)


def test_pending_changes_nothing_and_is_acknowledged(client, payment):
    body = notification(payment, status="pending", result_code="07", transaction_id="")
    assert post_notification(client, payment.provider, body)["code"] == "00"
    unchanged(payment)


def test_get_is_not_a_notification(client, payment):
    assert client.get(f"/thanh-toan/{payment.provider}/ipn/").status_code == 405


def test_the_browser_return_is_stored_never_applied(client, payment):
    query = notification(payment)
    response = client.get(f"/thanh-toan/{payment.provider}/return/", query)
    assert response.status_code == 302
    assert response["Location"] == f"/thanh-toan/ket-qua/?ref={payment.reference}"
    unchanged(payment)
    forged = client.get(f"/thanh-toan/{payment.provider}/return/", {**query, "amount": "1"})
    assert forged.status_code == 302
    returns = ProviderCallback.objects.filter(kind="return").order_by("pk")
    assert [(r.outcome, r.signature_valid) for r in returns] == [("ignored", True), ("rejected", False)]


def test_nonces_are_per_provider_and_pruned():
    assert nonce_consume(provider="viettelpay", nonce="a" * 32)
    assert not nonce_consume(provider="viettelpay", nonce="a" * 32)
    assert nonce_consume(provider="national", nonce="a" * 32)
    assert not nonce_consume(provider="national", nonce="")
    assert not nonce_consume(provider="national", nonce="x" * 65)
    ProviderNonce.objects.filter(provider="viettelpay").update(seen_at=clock.now() - timedelta(minutes=11))
    assert nonces_prune() == 1
    assert list(ProviderNonce.objects.values_list("provider", flat=True)) == ["national"]


def test_the_prune_job_is_registered():
    from civicpay.core.worker import periodic_jobs

    assert "payments.prune_nonces" in {job.name for job in periodic_jobs()}


def test_national_exposes_the_seed_notice():
    adapter = provider_get("national")
    assert isinstance(adapter, NationalPlatformProvider)
    assert adapter.name == "Cổng DVC Quốc gia"
    assert adapter.payer_notice == "Tại ô “Chọn hình thức thanh toán” phải là “Cổng DVC Quốc Gia”"


def test_viettelpay_offers_exactly_the_seed_options():
    adapter = provider_get("viettelpay")
    assert [(m.code, m.label) for m in adapter.methods] == [
        ("wallet", "Ví ViettelPay"),
        ("bankplus", "BankPlus"),
        ("atm", "Thẻ ATM nội địa"),
    ]


def test_reply_body_is_json_with_code_and_message(client, payment):
    response = client.post(
        f"/thanh-toan/{payment.provider}/ipn/", json.dumps(notification(payment)), content_type="application/json"
    )
    assert json.loads(response.content) == {"code": "00", "message": "Confirm Success"}
