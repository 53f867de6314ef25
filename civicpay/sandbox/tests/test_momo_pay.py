"""The payUrl page, the simulated MoMo app and IPN delivery from the worker to a real HTTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from civicpay.core import clock
from civicpay.core.worker import run_pending_tasks
from civicpay.payments.providers import momo_protocol as momo
from civicpay.sandbox.models import DeliveryStatus, MomoIpn, MomoTransaction
from civicpay.sandbox.momo.tasks import IPN_MAX_ATTEMPTS
from civicpay.sandbox.tests.momo_helpers import MerchantServer, create, keys, pay_path, redirect_params

pytestmark = pytest.mark.django_db


def test_the_pay_page_shows_the_qr_code_and_the_app(client):
    answer = create(client)
    page = client.get(pay_path(answer)).content.decode()
    assert "<svg" in page and "Mã QR thanh toán MoMo" in page
    assert "210.000" in page and "HS0001-1" in page
    for label in ("Xác nhận thanh toán", "Từ chối", "0912 345 678", "0987 654 321"):
        assert label in page
    assert client.get("/sandbox/momo/v2/gateway/pay?t=nope").status_code == 404


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"wallet": "0912345678", "action": "confirm"}, 0),
        ({"wallet": "0987654321", "action": "confirm"}, 1001),
        ({"action": "decline"}, 1006),
    ],
)
def test_the_ipn_is_posted_by_the_worker_and_matches_the_redirect(client, data, code):
    with MerchantServer([204]) as merchant:
        answer = create(client, ipn_url=merchant.url)
        response = client.post(pay_path(answer), data)
        assert response.status_code == 302 and merchant.bodies == []  # nothing sent inside the request
        assert run_pending_tasks(queue_names=["sandbox"]) == 1
    access_key, secret = keys()
    ipn = momo.parse_result(merchant.bodies[0], access_key=access_key, secret=secret)
    assert (ipn.result_code, ipn.order_id, ipn.amount) == (code, "HS0001-1", 210_000)
    assert isinstance(merchant.bodies[0]["amount"], int) and merchant.bodies[0]["orderType"] == "momo_wallet"
    redirect = redirect_params(response["Location"])
    assert redirect == {key: str(value) for key, value in merchant.bodies[0].items()}
    assert momo.parse_result(redirect, access_key=access_key, secret=secret).result_code == code
    assert MomoIpn.objects.get().status == DeliveryStatus.DELIVERED


def test_a_second_click_finishes_nothing_twice(client):
    answer = create(client)
    client.post(pay_path(answer), {"wallet": "0912345678", "action": "confirm"})
    again = client.post(pay_path(answer), {"action": "decline"})
    assert again.status_code == 200 and "Thanh toán thành công" in again.content.decode()
    assert MomoTransaction.objects.get().result_code == 0 and MomoIpn.objects.count() == 1


def test_confirm_needs_a_wallet(client):
    answer = create(client)
    page = client.post(pay_path(answer), {"action": "confirm", "wallet": "0000"})
    assert page.status_code == 200 and "Chọn ví MoMo thử nghiệm" in page.content.decode()
    assert not MomoTransaction.objects.get().is_finished


def fast_forward() -> None:
    DBTaskResult.objects.filter(status="READY").update(run_after=clock.now() - timedelta(seconds=1))
    MomoIpn.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=clock.now() - timedelta(seconds=1))


def test_anything_but_204_or_200_is_retried_with_backoff(client):
    with MerchantServer([500, 401, 204]) as merchant:
        answer = create(client, ipn_url=merchant.url)
        client.post(pay_path(answer), {"wallet": "0912345678", "action": "confirm"})
        before = clock.now()
        run_pending_tasks(queue_names=["sandbox"])
        ipn = MomoIpn.objects.get()
        assert ipn.status == DeliveryStatus.PENDING and ipn.next_attempt_at is not None
        assert ipn.next_attempt_at >= before + timedelta(seconds=9)
        for _ in range(2):
            fast_forward()
            run_pending_tasks(queue_names=["sandbox"])
    ipn.refresh_from_db()
    assert (ipn.status, ipn.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert [a.http_status for a in ipn.attempt_log.all()] == [500, 401, 204]
    assert len(merchant.bodies) == 3 and merchant.bodies[0] == merchant.bodies[2]


def test_an_unreachable_merchant_is_given_up_after_the_last_attempt(client):
    answer = create(client, ipn_url="http://127.0.0.1:9/thanh-toan/momo/ipn/")
    client.post(pay_path(answer), {"action": "decline"})
    for _ in range(IPN_MAX_ATTEMPTS):
        fast_forward()
        run_pending_tasks(queue_names=["sandbox"])
    ipn = MomoIpn.objects.get()
    assert (ipn.status, ipn.attempts) == (DeliveryStatus.GAVE_UP, IPN_MAX_ATTEMPTS)


def test_an_expired_payment_ends_with_1005_and_its_ipn(client):
    answer = create(client)
    MomoTransaction.objects.update(expire_at=clock.now() - timedelta(seconds=1))
    page = client.get(pay_path(answer)).content.decode()
    assert "Giao dịch không thành công" in page and momo.message_for(1005) in page
    txn = MomoTransaction.objects.get()
    assert txn.result_code == 1005 and txn.ipns.count() == 1


def test_the_transactions_log_and_resend(client):
    answer = create(client)
    client.post(pay_path(answer), {"wallet": "0912345678", "action": "confirm"})
    txn = MomoTransaction.objects.get()
    assert "HS0001-1" in client.get("/sandbox/momo/transactions/").content.decode()
    client.post(f"/sandbox/momo/transactions/{txn.pk}/ipn/")
    assert txn.ipns.count() == 2
