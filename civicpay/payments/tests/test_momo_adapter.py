"""The MoMo adapter against the MoMo sandbox over real HTTP (live server + the task worker).

The platform and the sandbox run in the same live server, as in the embedded default; they talk only
over HTTP: the adapter's create/query/refund calls, the sandbox's IPN (sent by
``run_until_idle``, as the background worker does), the browser's redirect.
"""

from __future__ import annotations

import pytest
from django.test import Client

from civicpay.core.worker import run_until_idle
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.errors import PaymentError
from civicpay.payments.models import LedgerEntry, Payment, ProviderCallback
from civicpay.payments.providers import momo_protocol as momo
from civicpay.payments.providers.base import FinalProviderError, RetryableProviderError, provider_get
from civicpay.payments.providers.momo import AMOUNT_OUT_OF_RANGE, MomoProvider
from civicpay.payments.services import payment_create
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import make_payment, settle_due, spec
from civicpay.payments.tests.momo_helpers import (
    INSUFFICIENT_WALLET,
    momo_payment,
    post_ipn,
    press,
    signed_ipn,
)
from civicpay.sandbox.models import MomoIpn, MomoTransaction


@pytest.fixture
def live(live_server, transactional_db, settings, payable):
    """The platform's BASE_URL is the live server, so MOMO_ENDPOINT="" reaches its own sandbox."""
    settings.BASE_URL = live_server.url
    return str(live_server.url)


def test_success_end_to_end(live):
    payment, pay_url = momo_payment()
    assert pay_url.startswith(f"{live}/sandbox/momo/v2/gateway/pay?t=")
    assert payment.status == PaymentStatus.STARTED
    txn = MomoTransaction.objects.get()
    assert (txn.order_id, txn.amount, txn.ipn_url) == (payment.reference, 210_000, f"{live}/thanh-toan/momo/ipn/")

    client = Client()
    response = press(client, pay_url)
    assert response.status_code == 302 and response["Location"].startswith(f"{live}/thanh-toan/momo/return/?")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED  # the browser's redirect is never proof of payment

    run_until_idle()  # the IPN, POSTed to the live server
    ipn = MomoIpn.objects.get()
    assert ipn.status == "delivered" and ipn.attempt_log.get().http_status == 204
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert payment.provider_transaction_no == str(MomoTransaction.objects.get().trans_id)
    assert LedgerEntry.objects.filter(payment=payment).count() == 1
    assert OutboxMessage.objects.filter(channel="sms").count() == 1

    back = client.get(response["Location"].removeprefix(live))
    assert back.status_code == 302 and back["Location"] == f"/thanh-toan/ket-qua/?ref={payment.reference}"


@pytest.mark.parametrize(
    ("action", "wallet", "status", "code"),
    [
        ("decline", "", PaymentStatus.CANCELLED, "1006"),
        ("confirm", INSUFFICIENT_WALLET, PaymentStatus.FAILED, "1001"),
    ],
)
def test_declined_and_insufficient_balance(live, action, wallet, status, code):
    payment, pay_url = momo_payment()
    press(Client(), pay_url, action=action, wallet=wallet)
    run_until_idle()
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (status, code)
    assert payment.failure_message == momo.message_for(code)  # plain Vietnamese reason
    assert not LedgerEntry.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.parametrize("amount", [999, 50_000_001])
def test_amount_out_of_range_is_refused_before_any_http_call(live, settings, amount):
    settings.MOMO_ENDPOINT = "http://127.0.0.1:9"  # nothing listens: an HTTP call would be *retryable*
    payment = Payment(reference="PAYTEST", amount=amount, provider="momo", agency_code="G22.01")
    with pytest.raises(FinalProviderError) as refused:
        MomoProvider().start(
            payment, return_url="https://a.vn/r", notify_url="https://a.vn/n", client_ip="", locale="vi"
        )
    assert str(refused.value) == str(AMOUNT_OUT_OF_RANGE)
    assert not MomoTransaction.objects.exists()
    # payment_create refuses the same amounts before a payment exists.
    with pytest.raises(PaymentError, match="MoMo"):
        payment_create(items=[spec(fee=amount, charge=0)], provider="momo", payer_user=None, payer_name="A",
                       return_url="/thanh-toan/ket-qua/")  # fmt: skip


def test_forged_ipn_is_rejected_and_changes_nothing(live):
    payment, _pay_url = momo_payment()
    response = post_ipn(live, signed_ipn(payment, secret="not-our-secret"))
    assert response.status_code == 401 and response.content == b""
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED and not LedgerEntry.objects.exists()
    callback = ProviderCallback.objects.get(kind="ipn")
    assert (callback.outcome, callback.signature_valid, callback.reply_code) == ("rejected", False, "401")
    # Tampering with a genuine message is the same as forging one.
    tampered = {**signed_ipn(payment), "amount": 1_000}
    assert post_ipn(live, tampered).status_code == 401
    assert post_ipn(live, {"not": "momo"}).status_code == 401


def test_duplicate_ipn_changes_nothing_twice(live):
    payment, _pay_url = momo_payment()
    body = signed_ipn(payment)
    assert [post_ipn(live, body).status_code for _ in range(3)] == [204, 204, 204]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    settle_due()
    assert LedgerEntry.objects.count() == 1 and OutboxMessage.objects.filter(channel="email").count() == 1
    assert ProviderCallback.objects.get(kind="ipn").times_received == 3


def test_replayed_old_ipn_for_a_paid_order_is_already_confirmed(live):
    payment, _pay_url = momo_payment()
    old_failure = signed_ipn(payment, result_code=1006, response_time_ms=1_700_000_000_000)
    assert post_ipn(live, signed_ipn(payment)).status_code == 204
    for replay in (old_failure, signed_ipn(payment, response_time_ms=1_700_000_000_000)):
        response = post_ipn(live, replay)
        assert response.status_code == 204  # "already confirmed": MoMo may stop sending it
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and LedgerEntry.objects.count() == 1
    assert sorted(ProviderCallback.objects.filter(kind="ipn").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
        "ignored",
    ]


def test_wrong_amount_and_unknown_order(live):
    payment, _pay_url = momo_payment()
    assert post_ipn(live, signed_ipn(payment, amount=1_000)).status_code == 409
    unknown = make_payment(start=False)
    unknown.reference = "PAYNOSUCHORDER"
    assert post_ipn(live, signed_ipn(unknown)).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED


def test_query_follows_the_sandbox_and_refund(live):
    adapter = provider_get("momo")
    payment, pay_url = momo_payment()
    pending = adapter.query(payment)
    assert (pending.status, pending.code) == (None, "1000")
    press(Client(), pay_url)
    paid = adapter.query(payment)
    assert (paid.status, paid.amount, paid.code) == (PaymentStatus.SUCCESS, 210_000, "0")
    run_until_idle()
    payment.refresh_from_db()
    refund = adapter.refund(payment, amount=60_000, reason="Hoàn lệ phí nộp thừa", by="finance")
    assert refund.accepted and refund.code == "0" and refund.transaction_no
    too_much = adapter.refund(payment, amount=200_000, reason="Hoàn quá số tiền", by="finance")
    assert (too_much.accepted, too_much.code) == (False, "1081")
    assert MomoTransaction.objects.get().refunded == 60_000


def test_query_of_an_order_momo_does_not_know(live):
    payment = make_payment(start=False, provider="momo")
    outcome = provider_get("momo").query(payment)
    assert outcome.not_found and outcome.status is None


def test_unreachable_momo_is_retryable(live, settings):
    settings.MOMO_ENDPOINT = "http://127.0.0.1:9"
    payment = make_payment(start=False, provider="momo")
    with pytest.raises(RetryableProviderError):
        provider_get("momo").query(payment)


def test_a_create_refused_by_momo_is_final_with_its_message(live, settings):
    settings.MOMO_SECRET_KEY = "a-secret-momo-does-not-know"
    payment = make_payment(start=False, provider="momo")
    payment.started_at = payment.created_at
    with pytest.raises(FinalProviderError, match="Yêu cầu sai định dạng"):
        MomoProvider().start(payment, return_url=f"{live}/r", notify_url=f"{live}/n", client_ip="", locale="vi")
