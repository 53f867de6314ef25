"""Incoming VietQR transfers through the real endpoint: exact match pays; everything else lands in
the finance review queue with the money in suspense; forged, stale, replayed and duplicated
notifications change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings

from civicpay.core.audit import audit_trail
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.ledger import ledger_balances, ledger_unbalanced_entries
from civicpay.payments.models import (
    CallbackOutcome,
    IncomingTransfer,
    LedgerEntry,
    ProviderCallback,
    ReviewReason,
    TransferReview,
    TransferStatus,
)
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers import vietqr
from civicpay.payments.providers.vietqr_transfer import transfer_memo
from civicpay.payments.services import payment_expire_overdue, payment_start
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import AGENCY, make_payment, settle_due, spec
from civicpay.payments.tests.vietqr_helpers import bank_notification, make_vietqr_payment, post_notification

pytestmark = pytest.mark.django_db

AMOUNT = 210_000  # spec(): 150 000 phí + 60 000 lệ phí


@pytest.fixture
def client() -> Client:
    return Client()


def _nothing_recorded() -> None:
    assert IncomingTransfer.objects.count() == 0
    assert TransferReview.objects.count() == 0
    assert LedgerEntry.objects.count() == 0


# --- start: the QR payload ------------------------------------------------------------------------


def test_start_gives_the_agency_account_the_exact_amount_and_the_memo(settings, payable):
    payment = make_vietqr_payment(start=False)
    start = payment_start(payment=payment, client_ip="203.0.113.5")
    code = vietqr.parse(start.qr_payload)
    assert (code.bank_bin, code.account) == (settings.VIETQR_BANK_BIN, settings.VIETQR_ACCOUNT_NO)
    assert code.amount == AMOUNT and code.is_dynamic
    assert code.purpose == transfer_memo(payment.reference) == "CP" + payment.reference.removeprefix("PAY")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED


def test_start_uses_the_agency_override(settings, payable):
    settings.VIETQR_AGENCY_ACCOUNTS = {AGENCY: {"bin": "970436", "account": "0071000888999", "name": "SO TU PHAP"}}
    payment = make_vietqr_payment(start=False)
    code = vietqr.parse(payment_start(payment=payment).qr_payload)
    assert (code.bank_bin, code.account) == ("970436", "0071000888999")


# --- exact match ------------------------------------------------------------------------------------


def test_exact_match_pays_through_the_payment_services(client, payable):
    payment = make_vietqr_payment()
    body = bank_notification(amount=AMOUNT, payment=payment, bank_transaction_id="FT26112200000001")
    assert post_notification(client, body) == "00"

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert payment.provider_transaction_no == "FT26112200000001"
    settle_due()
    assert payable.paid == {"1": payment.reference}
    transfer = IncomingTransfer.objects.get()
    assert (transfer.status, transfer.payment, transfer.agency_code) == (TransferStatus.MATCHED, payment, AGENCY)
    assert not TransferReview.objects.exists()
    balances = ledger_balances()
    assert balances["clearing:vietqr"] == AMOUNT
    assert balances[f"revenue:{AGENCY}:fee"] == -150_000 and balances[f"revenue:{AGENCY}:charge"] == -60_000
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    assert OutboxMessage.objects.filter(channel="email").count() == 1
    callback = ProviderCallback.objects.get()
    assert (callback.outcome, callback.reply_code, callback.signature_valid) == (CallbackOutcome.APPLIED, "00", True)
    assert [e.action for e in audit_trail(transfer)] == ["transfer.matched"]


def test_memo_mangled_by_the_payers_bank_still_matches(client, payable):
    payment = make_vietqr_payment()
    code = payment.reference.removeprefix("PAY")
    memo = f"MBVCB.3301.cp {code[:6]}-{code[6:]}.CT tu 0123456789"
    assert post_notification(client, bank_notification(amount=AMOUNT, memo=memo)) == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS


# --- review queue -----------------------------------------------------------------------------------


def test_wrong_amount_goes_to_review_with_the_money_in_suspense(client, payable):
    payment = make_vietqr_payment()
    assert post_notification(client, bank_notification(amount=200_000, payment=payment)) == "00"

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED and payable.paid == {}
    review = TransferReview.objects.get()
    assert review.reason == ReviewReason.WRONG_AMOUNT and review.get_reason_display() == "Sai số tiền"
    assert (review.agency_code, review.suggested_payment, review.status) == (AGENCY, payment, "open")
    assert review.transfer.status == TransferStatus.REVIEW
    balances = ledger_balances()
    assert balances["clearing:vietqr"] == 200_000
    assert balances[f"suspense:{AGENCY}"] == -200_000
    assert ProviderCallback.objects.get().outcome == CallbackOutcome.FLAGGED
    assert [e.action for e in audit_trail(review)] == ["transfer.review_opened"]


def test_missing_memo_on_the_shared_account_is_unattributed(client, settings):
    assert post_notification(client, bank_notification(amount=50_000, memo="")) == "00"
    review = TransferReview.objects.get()
    assert review.reason == ReviewReason.NO_CODE and review.get_reason_display() == "Không tìm thấy mã thanh toán"
    assert review.agency_code == "" and review.transfer.memo == ""
    assert ledger_balances()[f"suspense:vietqr:{settings.VIETQR_ACCOUNT_NO}"] == -50_000


def test_unknown_memo_on_an_agency_account_goes_to_that_agency(client, settings):
    settings.VIETQR_AGENCY_ACCOUNTS = {AGENCY: {"bin": "970436", "account": "0071000888999"}}
    body = bank_notification(amount=50_000, memo="Nop tien ho so", account="0071000888999")
    assert post_notification(client, body) == "00"
    review = TransferReview.objects.get()
    assert (review.reason, review.agency_code) == (ReviewReason.NO_CODE, AGENCY)
    assert ledger_balances()[f"suspense:{AGENCY}"] == -50_000


def test_a_second_transfer_for_a_paid_notice_is_a_duplicate(client, payable):
    payment = make_vietqr_payment()
    assert post_notification(client, bank_notification(amount=AMOUNT, payment=payment)) == "00"
    assert post_notification(client, bank_notification(amount=AMOUNT, payment=payment)) == "00"

    assert IncomingTransfer.objects.count() == 2
    review = TransferReview.objects.get()
    assert review.reason == ReviewReason.DUPLICATE and review.get_reason_display() == "Thanh toán trùng"
    settle_due()
    assert payable.success_calls == 1
    balances = ledger_balances()
    assert balances["clearing:vietqr"] == 2 * AMOUNT
    assert balances[f"suspense:{AGENCY}"] == -AMOUNT


def test_a_transfer_for_a_notice_paid_by_another_provider_is_a_duplicate(client, payable):
    by_card = make_payment()
    by_transfer = make_vietqr_payment()
    from civicpay.payments.tests.helpers import ipn_params, send_ipn

    assert send_ipn(client, ipn_params(by_card))["RspCode"] == "00"
    assert post_notification(client, bank_notification(amount=AMOUNT, payment=by_transfer)) == "00"
    by_transfer.refresh_from_db()
    assert by_transfer.status == PaymentStatus.STARTED
    assert TransferReview.objects.get().reason == ReviewReason.DUPLICATE
    settle_due()
    assert payable.success_calls == 1


def test_a_transfer_for_an_expired_attempt_goes_to_review(client, payable):
    payment = make_vietqr_payment()
    payment_expire_overdue(now=payment.expires_at + timedelta(days=1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert post_notification(client, bank_notification(amount=AMOUNT, payment=payment)) == "00"
    review = TransferReview.objects.get()
    assert review.reason == ReviewReason.CLOSED and review.suggested_payment == payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED and payable.paid == {}


# --- duplicates, forgeries, replays ---------------------------------------------------------------------


def test_the_same_transfer_delivered_twice_is_recorded_once(client, payable):
    payment = make_vietqr_payment()
    first = bank_notification(amount=AMOUNT, payment=payment, bank_transaction_id="FT26112200000077")
    retry = bank_notification(amount=AMOUNT, payment=payment, bank_transaction_id="FT26112200000077")
    assert first["nonce"] != retry["nonce"]
    assert post_notification(client, first) == "00"
    assert post_notification(client, retry) == "02"

    assert IncomingTransfer.objects.count() == 1 and not TransferReview.objects.exists()
    settle_due()
    assert LedgerEntry.objects.count() == 1 and payable.success_calls == 1
    assert sorted(ProviderCallback.objects.values_list("outcome", flat=True)) == ["applied", "duplicate"]


def test_an_identical_copy_is_a_replay_and_changes_nothing(client, payable):
    payment = make_vietqr_payment()
    body = bank_notification(amount=AMOUNT, payment=payment)
    assert post_notification(client, body) == "00"
    assert post_notification(client, body) == "98"
    callback = ProviderCallback.objects.get()
    assert (callback.times_received, callback.outcome) == (2, CallbackOutcome.APPLIED)
    assert IncomingTransfer.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_forged_notification_is_rejected_and_changes_nothing(client, payable):
    payment = make_vietqr_payment()
    forged = bank_notification(amount=AMOUNT, payment=payment, secret="not-the-bank")
    assert post_notification(client, forged) == "97"
    tampered = {**bank_notification(amount=1_000, payment=payment), "amount": str(AMOUNT)}
    assert post_notification(client, tampered) == "97"
    unsigned = {k: v for k, v in bank_notification(amount=AMOUNT, payment=payment).items() if k != "signature"}
    assert post_notification(client, unsigned) == "97"

    _nothing_recorded()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED
    assert set(ProviderCallback.objects.values_list("outcome", "signature_valid")) == {
        (CallbackOutcome.REJECTED, False)
    }


def test_stale_notification_is_rejected(client, payable):
    payment = make_vietqr_payment()
    stale = bank_notification(amount=AMOUNT, payment=payment, timestamp=sp.now_ts() - 600)
    assert post_notification(client, stale) == "98"
    _nothing_recorded()


def test_reused_nonce_is_rejected_even_for_another_transfer(client, payable):
    payment = make_vietqr_payment()
    first = bank_notification(amount=50_000, memo="Chuyen tien")
    assert post_notification(client, first) == "00"
    replay = bank_notification(amount=AMOUNT, payment=payment, nonce=first["nonce"])
    assert post_notification(client, replay) == "98"
    assert IncomingTransfer.objects.count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED


def test_unknown_account_and_unreadable_bodies(client):
    assert post_notification(client, bank_notification(amount=1_000, account="999999999")) == "01"
    response = client.post("/thanh-toan/vietqr/notify/", b"not json", content_type="application/json")
    assert response.json()["code"] == "97"
    assert client.get("/thanh-toan/vietqr/notify/").status_code == 405


@override_settings(VIETQR_NOTIFY_SECRET="s3cret-for-this-test")
def test_malformed_but_signed_is_rejected(client):
    body = sp.signed({"bank_transaction_id": "FT1", "account": "113000002026", "amount": "abc"}, "s3cret-for-this-test")
    assert post_notification(client, body) == "99"
    assert IncomingTransfer.objects.count() == 0


def test_ledger_balances_after_a_mix(client, payable):
    first = make_vietqr_payment(spec("1"))
    second = make_vietqr_payment(spec("2"))
    post_notification(client, bank_notification(amount=AMOUNT, payment=first))
    post_notification(client, bank_notification(amount=AMOUNT + 5, payment=second))
    post_notification(client, bank_notification(amount=AMOUNT, payment=first))
    post_notification(client, bank_notification(amount=7_000))
    assert sum(ledger_balances().values()) == 0
    assert ledger_unbalanced_entries() == []
    assert TransferReview.objects.count() == 3
