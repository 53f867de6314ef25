"""The VietinBank adapter and its notifications through the real endpoints:
payment notifications (``/thanh-toan/vietinbank/ipn/``) and registration decisions
(``/thanh-toan/vietinbank/dang-ky/``) — forged, stale, replayed, duplicated, unknown — and what each changed."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from civicpay.accounts.tests.factories import OrganisationFactory, OrganisationMemberFactory, UserFactory
from civicpay.core import clock
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.debit import debit_registration_create, payment_mark_submitted
from civicpay.payments.models import (
    CallbackOutcome,
    DebitRegistration,
    DebitRegistrationStatus,
    LedgerEntry,
    ProviderCallback,
)
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import make_payment, settle_due, spec

pytestmark = pytest.mark.django_db

REGISTRATION_URL = "/thanh-toan/vietinbank/dang-ky/"
IPN_URL = "/thanh-toan/vietinbank/ipn/"


def post(client: Client, url: str, body: dict[str, str] | str) -> str:
    payload = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = client.post(url, payload, content_type="application/json")
    assert response.status_code == 200
    return str(response.json()["code"])


def signed(fields: dict[str, Any], secret: str | None = None) -> dict[str, str]:
    return sp.signed(fields, secret or settings.VIETINBANK_SECRET)


# --- card payments --------------------------------------------------------------------------------


def test_card_start_is_a_signed_redirect_to_the_bank_page(payable):
    payment = make_payment(spec("1"), provider="vietinbank", method="CARD", start=False)
    from civicpay.payments.services import payment_start

    url = payment_start(payment=payment, client_ip="203.0.113.5").redirect_url
    assert url.startswith(f"{settings.BASE_URL}/sandbox/vietinbank/pay?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert sp.verify(params, settings.VIETINBANK_SECRET)
    assert (params["method"], params["amount"], params["order_id"]) == ("card", "210000", payment.reference)
    assert params["notify_url"].endswith(IPN_URL)


def card_notification(payment, **overrides: Any) -> dict[str, str]:
    fields: dict[str, Any] = {
        "merchant_id": settings.VIETINBANK_MERCHANT_ID,
        "order_id": payment.reference,
        "amount": payment.amount,
        "status": "success",
        "result_code": "00",
        "message": "Giao dịch thành công",
        "transaction_id": "26112200000077",
        "method": "card",
        "bank_code": "VIETINBANK",
        "card_masked": "970415******0018",
        "paid_at": clock.local(clock.now()).isoformat(timespec="seconds"),
    }
    fields.update(overrides)
    return signed(fields)


def test_card_success_keeps_only_the_masked_number(client, payable):
    payment = make_payment(spec("1"), provider="vietinbank", method="CARD")
    assert post(client, IPN_URL, card_notification(payment)) == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert (payment.card_masked, payment.bank_code) == ("970415******0018", "VIETINBANK")
    stored = json.dumps([c.raw for c in ProviderCallback.objects.all()])
    assert "9704150000000018" not in stored


def test_payment_notification_forged_replayed_duplicated(client, payable):
    payment = make_payment(spec("1"), provider="vietinbank", method="CARD")
    forged = card_notification(payment)
    forged["signature"] = sp.sign(forged, "someone-else")
    assert post(client, IPN_URL, forged) == "97"
    stale = card_notification(payment, timestamp=sp.now_ts() - 3600)
    assert post(client, IPN_URL, stale) == "98"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED and not LedgerEntry.objects.exists()

    first = card_notification(payment)
    assert post(client, IPN_URL, first) == "00"
    assert post(client, IPN_URL, first) == "98"  # the very same message again: a replay
    replay = {**card_notification(payment), "nonce": first["nonce"]}
    replay["signature"] = sp.sign(replay, settings.VIETINBANK_SECRET)
    assert post(client, IPN_URL, replay) == "98"  # a fresh message reusing a nonce
    assert post(client, IPN_URL, card_notification(payment)) == "02"  # a re-sent one: already confirmed
    settle_due()
    assert LedgerEntry.objects.count() == 1 and payable.success_calls == 1
    assert OutboxMessage.objects.filter(channel="sms").count() == 1


def test_insufficient_funds_fails_with_the_reason(client, payable):
    payment = make_payment(spec("1"), provider="vietinbank", method="CARD")
    body = card_notification(payment, status="failed", result_code="51", message="x", transaction_id="")
    assert post(client, IPN_URL, body) == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == "Tài khoản không đủ số dư để thực hiện giao dịch"


def test_mark_submitted_moves_started_only_once(payable):
    payment = make_payment(spec("1"), provider="vietinbank", method="CARD")
    assert payment_mark_submitted(payment=payment, source="test") is True
    assert payment_mark_submitted(payment=payment, source="test") is False
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUBMITTED and payment.submitted_at is not None


# --- registration decisions -----------------------------------------------------------------------


@pytest.fixture
def registration(django_capture_on_commit_callbacks) -> DebitRegistration:
    organisation = OrganisationFactory.create(name="Công ty CP Hải Đăng")
    user = UserFactory.create()
    OrganisationMemberFactory.create(organisation=organisation, user=user)
    return debit_registration_create(
        organisation=organisation, user=user, account_number="1020 1000 0001", account_holder="cong ty cp hai dang"
    )


def decision(registration: DebitRegistration, **overrides: Any) -> dict[str, str]:
    fields: dict[str, Any] = {
        "merchant_id": settings.VIETINBANK_MERCHANT_ID,
        "registration_id": registration.reference,
        "bank_reference": "VTBDK0123456789",
        "status": "approved",
        "reason": "",
        "decided_at": clock.now().isoformat(timespec="seconds"),
    }
    fields.update(overrides)
    return signed(fields)


def status_of(registration: DebitRegistration) -> str:
    registration.refresh_from_db()
    return registration.status


def test_registration_is_normalised(registration):
    assert (registration.account_number, registration.account_holder) == ("102010000001", "CONG TY CP HAI DANG")
    assert registration.account_masked == "••••••••0001"


def test_registration_approved_once(client, registration):
    assert post(client, REGISTRATION_URL, decision(registration)) == "00"
    assert status_of(registration) == DebitRegistrationStatus.ACTIVE
    assert registration.bank_reference == "VTBDK0123456789"
    assert post(client, REGISTRATION_URL, decision(registration)) == "02"  # duplicated: nothing twice
    assert post(client, REGISTRATION_URL, decision(registration, status="rejected", reason="x")) == "02"
    assert status_of(registration) == DebitRegistrationStatus.ACTIVE
    assert OutboxMessage.objects.filter(key__startswith=f"debit_registration:{registration.reference}").count() == 2


def test_registration_rejected_with_reason(client, registration):
    assert post(client, REGISTRATION_URL, decision(registration, status="rejected", reason="Sai chủ tài khoản")) == "00"
    assert status_of(registration) == DebitRegistrationStatus.REJECTED
    assert registration.rejection_reason == "Sai chủ tài khoản"


def test_registration_forged_stale_replayed_unknown_change_nothing(client, registration):
    forged = decision(registration)
    forged["signature"] = sp.sign(forged, "not-the-bank")
    assert post(client, REGISTRATION_URL, forged) == "97"
    assert post(client, REGISTRATION_URL, {**decision(registration), "status": "rejected"}) == "97"  # tampered
    assert post(client, REGISTRATION_URL, "not json") == "97"
    other_merchant = signed({**decision(registration), "merchant_id": "SOMEONE"})
    assert post(client, REGISTRATION_URL, other_merchant) == "97"
    assert post(client, REGISTRATION_URL, decision(registration, timestamp=sp.now_ts() - 301)) == "98"
    first = decision(registration, status="rejected", reason="Thiếu dấu")
    replay = {**decision(registration), "nonce": first["nonce"]}
    replay["signature"] = sp.sign(replay, settings.VIETINBANK_SECRET)
    assert post(client, REGISTRATION_URL, first) == "00"
    assert post(client, REGISTRATION_URL, first) == "98"  # identical copy
    assert post(client, REGISTRATION_URL, replay) == "98"  # nonce reused: the approval does not sneak in
    assert status_of(registration) == DebitRegistrationStatus.REJECTED
    unknown = decision(registration, registration_id="DK000000NOPE")
    assert post(client, REGISTRATION_URL, unknown) == "01"
    rejected = ProviderCallback.objects.filter(outcome=CallbackOutcome.REJECTED).count()
    assert rejected >= 6  # every refused message is stored, with why


def test_cancelled_registration_ignores_a_late_approval(client, registration):
    from civicpay.payments.debit import debit_registration_cancel

    debit_registration_cancel(registration=registration, user=registration.created_by)
    assert post(client, REGISTRATION_URL, decision(registration)) == "02"
    assert status_of(registration) == DebitRegistrationStatus.CANCELLED


def test_registration_endpoint_only_takes_post(client):
    assert client.get(REGISTRATION_URL).status_code == 405
