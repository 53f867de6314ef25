"""IPN delivery end to end: payer's redirect → task row → civicpay.core.worker → a real HTTP server on
localhost standing in for the merchant. Nothing is sent inside the browser's request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from civicpay.core import clock
from civicpay.core.worker import run_pending_tasks
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.sandbox.models import DeliveryStatus, VnpayIpn, VnpayIpnAttempt, VnpayTransaction
from civicpay.sandbox.tests.vnpay_helpers import (
    INSUFFICIENT_CARD,
    LATE_CARD,
    SECRET,
    TWICE_CARD,
    MerchantServer,
    pay,
    query_of,
)
from civicpay.sandbox.vnpay.tasks import IPN_MAX_ATTEMPTS

pytestmark = pytest.mark.django_db

CONFIRMED = {"RspCode": "00", "Message": "Confirm Success"}


def fast_forward() -> None:
    """Make every scheduled retry due now, as if the backoff had elapsed."""
    DBTaskResult.objects.filter(status="READY").update(run_after=clock.now() - timedelta(seconds=1))
    VnpayIpn.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=clock.now() - timedelta(seconds=1))


def test_the_ipn_is_sent_by_the_worker_not_the_request_and_carries_the_return_params(client):
    with MerchantServer([(200, CONFIRMED)]) as merchant, override_settings(SANDBOX_VNPAY_IPN_URL=merchant.url):
        response = pay(client)
        assert merchant.queries == []  # the browser's request sent nothing

        assert run_pending_tasks(queue_names=["sandbox"]) == 1

    assert len(merchant.queries) == 1
    ipn = vnp.parse_callback(merchant.queries[0], SECRET)
    assert ipn.is_success
    assert merchant.queries[0] == query_of(response["Location"])  # the same signed params as the redirect
    delivery = VnpayIpn.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    attempt = VnpayIpnAttempt.objects.get()
    assert (attempt.http_status, attempt.rsp_code, attempt.outcome) == (200, "00", DeliveryStatus.DELIVERED)


def test_a_500_is_retried_with_backoff_then_delivered(client):
    answers = [(500, {"RspCode": "99", "Message": "Unknown error"}), (200, CONFIRMED)]
    with MerchantServer(answers) as merchant, override_settings(SANDBOX_VNPAY_IPN_URL=merchant.url):
        pay(client, number=INSUFFICIENT_CARD)
        before = clock.now()
        run_pending_tasks()

        delivery = VnpayIpn.objects.get()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
        assert delivery.next_attempt_at is not None
        assert timedelta(seconds=9) <= delivery.next_attempt_at - before <= timedelta(seconds=15)
        assert run_pending_tasks() == 0  # not due yet

        fast_forward()
        assert run_pending_tasks() == 1

    assert len(merchant.queries) == 2
    assert merchant.queries[0] == merchant.queries[1]
    assert vnp.parse_callback(merchant.queries[1], SECRET).response_code == "51"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    log = list(VnpayIpnAttempt.objects.values_list("number", "http_status", "rsp_code", "outcome"))
    assert log == [(1, 500, "99", DeliveryStatus.PENDING), (2, 200, "00", DeliveryStatus.DELIVERED)]


def test_already_confirmed_02_also_stops_the_retries(client):
    already = {"RspCode": "02", "Message": "Order already confirmed"}
    with MerchantServer([(200, already)]) as merchant, override_settings(SANDBOX_VNPAY_IPN_URL=merchant.url):
        pay(client)
        run_pending_tasks()

    assert VnpayIpn.objects.get().status == DeliveryStatus.DELIVERED


def test_other_codes_and_non_json_replies_are_retried_up_to_five_times_then_given_up(client):
    answers = [(200, {"RspCode": "97", "Message": "Invalid signature"}), (200, "<html>oops</html>")]
    with MerchantServer(answers) as merchant, override_settings(SANDBOX_VNPAY_IPN_URL=merchant.url):
        pay(client)
        for _ in range(IPN_MAX_ATTEMPTS + 2):
            fast_forward()
            run_pending_tasks()

    assert len(merchant.queries) == IPN_MAX_ATTEMPTS
    delivery = VnpayIpn.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.GAVE_UP, IPN_MAX_ATTEMPTS)
    last = VnpayIpnAttempt.objects.last()
    assert last is not None and "RspCode" in last.error


def test_an_unreachable_merchant_is_recorded_and_retried(client):
    with MerchantServer([(200, CONFIRMED)]) as merchant:
        dead_url = merchant.url
    with override_settings(SANDBOX_VNPAY_IPN_URL=dead_url, SANDBOX_VNPAY_IPN_TIMEOUT_SECONDS=2):
        pay(client)
        run_pending_tasks()

    attempt = VnpayIpnAttempt.objects.get()
    assert attempt.http_status is None and "ConnectError" in attempt.error
    assert VnpayIpn.objects.get().status == DeliveryStatus.PENDING


def test_the_ipn_twice_card_delivers_two_identical_ipns(client):
    with MerchantServer([(200, CONFIRMED)]) as merchant, override_settings(SANDBOX_VNPAY_IPN_URL=merchant.url):
        response = pay(client, number=TWICE_CARD)
        assert vnp.parse_callback(query_of(response["Location"]), SECRET).is_success
        assert run_pending_tasks() == 2

    assert len(merchant.raw_queries) == 2
    assert merchant.raw_queries[0] == merchant.raw_queries[1]
    assert vnp.parse_callback(merchant.queries[0], SECRET).is_success
    assert list(VnpayIpn.objects.values_list("copy", "status")) == [
        (1, DeliveryStatus.DELIVERED),
        (2, DeliveryStatus.DELIVERED),
    ]


def test_the_late_card_redirects_first_and_sends_the_ipn_about_five_seconds_later(client):
    with MerchantServer([(200, CONFIRMED)]) as merchant, override_settings(SANDBOX_VNPAY_IPN_URL=merchant.url):
        redirected_at = clock.now()
        response = pay(client, number=LATE_CARD)
        assert vnp.parse_callback(query_of(response["Location"]), SECRET).is_success

        assert run_pending_tasks() == 0  # the browser is back, the IPN is not due yet
        delivery = VnpayIpn.objects.get()
        assert delivery.next_attempt_at is not None
        assert timedelta(seconds=4) <= delivery.next_attempt_at - redirected_at <= timedelta(seconds=6)

        fast_forward()
        assert run_pending_tasks() == 1

    assert len(merchant.queries) == 1
    assert vnp.parse_callback(merchant.queries[0], SECRET).is_success


def test_the_ipn_goes_to_the_origin_the_browser_came_from_by_default(client):
    pay(client)

    assert VnpayIpn.objects.get().url == "http://testserver/thanh-toan/vnpay/ipn/"


def test_the_transactions_page_can_resend_an_ipn(client):
    with MerchantServer([(200, CONFIRMED)]) as merchant, override_settings(SANDBOX_VNPAY_IPN_URL=merchant.url):
        pay(client)
        run_pending_tasks()
        txn = VnpayTransaction.objects.get()

        response = client.post(reverse("sandbox:vnpay:resend_ipn", args=[txn.pk]))
        assert response.status_code == 302
        run_pending_tasks()

        page = client.get(reverse("sandbox:vnpay:transactions")).content.decode()

    assert len(merchant.raw_queries) == 2 and merchant.raw_queries[0] == merchant.raw_queries[1]
    assert "IPN số 2" in page and "Confirm Success" in page
