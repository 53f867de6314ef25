"""The sweeper: payments stuck in started/submitted are queried with querydr over real HTTP (a local
server speaking VNPay's merchant_webapi) and the signed answer is applied like an IPN."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civicpay.core.worker import periodic_jobs
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.models import CallbackKind, LedgerEntry, ProviderCallback
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.payments.providers.base import FinalProviderError, RetryableProviderError
from civicpay.payments.providers.vnpay import VnpayProvider
from civicpay.payments.services import payment_expire_overdue, payment_sweep_stuck
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.fake_vnpay_api import Answer, FakeVnpayApi
from civicpay.payments.tests.helpers import make_payment, settle_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def vnpay_api(settings):
    api = FakeVnpayApi(tmn_code=settings.VNPAY_TMN_CODE, secret=settings.VNPAY_HASH_SECRET)
    settings.VNPAY_API_URL = api.start()
    settings.VNPAY_HTTP_TIMEOUT_SECONDS = 0.5
    yield api
    api.stop()


def later(minutes: int = 6):
    return timezone.now() + timedelta(minutes=minutes)


def test_sweeper_applies_a_signed_querydr_success(payable, vnpay_api):
    payment = make_payment()
    vnpay_api.answers[payment.reference] = Answer(amount=payment.amount, transaction_no="55501")
    assert payment_sweep_stuck(now=timezone.now()).queried == 0  # not stuck yet
    report = payment_sweep_stuck(now=later())
    assert (report.queried, report.applied, report.errors) == (1, 1, 0)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and payment.provider_transaction_no == "55501"
    settle_due()
    assert LedgerEntry.objects.count() == 1 and OutboxMessage.objects.count() == 2 and payable.paid
    request = vnpay_api.requests[0]
    assert request["vnp_Command"] == "querydr" and request["vnp_TxnRef"] == payment.reference
    assert payment.started_at is not None
    assert request["vnp_TransactionDate"] == vnp.format_date(payment.started_at)  # the pay URL's vnp_CreateDate
    callback = ProviderCallback.objects.get(kind=CallbackKind.QUERY)
    assert callback.payment == payment and callback.outcome == "applied"
    # Queried once per interval, and a finished payment is never queried again.
    assert payment_sweep_stuck(now=later(7)).queried == 0
    assert payment_sweep_stuck(now=later(20)).queried == 0


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (Answer(transaction_status="01"), PaymentStatus.STARTED),  # not completed yet at VNPay
        (Answer(transaction_status="02"), PaymentStatus.FAILED),
        (Answer(transaction_status="07"), PaymentStatus.SUBMITTED),
    ],
)
def test_sweeper_pending_failed_and_held_answers(payable, vnpay_api, answer, status):
    payment = make_payment()
    answer.amount = payment.amount
    vnpay_api.answers[payment.reference] = answer
    payment_sweep_stuck(now=later())
    payment.refresh_from_db()
    assert payment.status == status and not LedgerEntry.objects.exists()


def test_not_found_changes_nothing_until_the_payment_expires(payable, vnpay_api):
    payment = make_payment()
    report = payment_sweep_stuck(now=later())
    assert report.queried == 1 and report.applied == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED
    assert ProviderCallback.objects.get().raw["vnp_ResponseCode"] == "91"
    assert payment_expire_overdue(now=later(60)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert payment_sweep_stuck(now=later(70)).queried == 0  # expired payments are not queried


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"sign_answers": False}, RetryableProviderError),
        ({"delay": 1.0}, RetryableProviderError),
        ({"status": 503}, RetryableProviderError),
        ({"status": 403}, FinalProviderError),
    ],
)
def test_unsigned_slow_or_failing_answers_change_nothing(payable, vnpay_api, change, error):
    payment = make_payment()
    vnpay_api.answers[payment.reference] = Answer(amount=payment.amount)
    for name, value in change.items():
        setattr(vnpay_api, name, value)
    with pytest.raises(error):
        VnpayProvider().query(payment)
    report = payment_sweep_stuck(now=later())
    assert (report.queried, report.errors) == (0, 1)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED and payment.last_queried_at is not None


def test_unreachable_api_is_retryable(payable, settings):
    settings.VNPAY_API_URL = "http://127.0.0.1:9/merchant_webapi/api/transaction"  # discard port: refused
    payment = make_payment()
    with pytest.raises(RetryableProviderError):
        VnpayProvider().query(payment)


def test_refund_request_is_signed_and_read(payable, vnpay_api):
    payment = make_payment()
    vnpay_api.answers[payment.reference] = Answer(amount=payment.amount)
    payment_sweep_stuck(now=later())
    payment.refresh_from_db()
    result = VnpayProvider().refund(payment, amount=10_000, reason="Hoàn phí nộp thừa", by="ketoan@so-tu-phap")
    assert result.accepted and result.code == "00"
    body = vnpay_api.requests[-1]
    assert body["vnp_Command"] == "refund" and body["vnp_TransactionType"] == "03"
    assert body["vnp_Amount"] == "1000000" and body["vnp_TransactionNo"] == "14422574"


def test_the_sweep_is_a_registered_periodic_job():
    assert "payments.sweep" in {job.name for job in periodic_jobs()}
