"""Payment services: create, start, apply outcomes (success, failures, duplicates, late, overpaid), expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from civicpay.accounts.tests.factories import UserFactory
from civicpay.core.audit import audit_trail
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.errors import PaymentError, ProviderNotAvailable
from civicpay.payments.ledger import ledger_balances
from civicpay.payments.models import ItemOutcome, LedgerEntry, Payment, ProviderAccount
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.payments.providers.base import Outcome
from civicpay.payments.selectors import payment_status_view, provider_codes_for_agency
from civicpay.payments.services import (
    ApplyResult,
    payment_create,
    payment_expire_overdue,
    payment_record_outcome,
    payment_start,
)
from civicpay.payments.settlement import payment_settle
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import AGENCY, make_payment, settle_due, spec

pytestmark = pytest.mark.django_db


def outcome(payment: Payment, status: PaymentStatus | None, **kw: Any) -> Outcome:
    base: dict[str, Any] = {
        "provider": "vnpay",
        "reference": payment.reference,
        "amount": payment.amount,
        "status": status,
        "code": "00" if status == PaymentStatus.SUCCESS else "51",
        "transaction_no": "14422574",
        "bank_code": "NCB",
        "paid_at": timezone.now(),
    }
    base.update(kw)
    return Outcome(**base)


def test_create_builds_items_allocations_and_audit(payable):
    payment = make_payment(spec("1"), spec("2", fee=10_000, charge=0), start=False)
    assert payment.status == PaymentStatus.CREATED and payment.amount == 220_000
    assert payment.reference.startswith("PAY") and len(payment.reference) == 19
    assert payment.agency_code == AGENCY and payment.description == "HS-1 (TB1); HS-2 (TB2)"
    items = list(payment.items.all())
    assert [(i.payable_id, i.amount) for i in items] == [("1", 210_000), ("2", 10_000)]
    assert sorted((a.account_code, a.amount) for a in items[0].allocations.all()) == [
        (f"revenue:{AGENCY}:charge", 60_000),
        (f"revenue:{AGENCY}:fee", 150_000),
    ]
    assert audit_trail(payment).get().action == "payment.created"
    assert payment.expires_at - payment.created_at == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"items": []}, "Chưa có khoản"),
        ({"items": [spec("1"), spec("1")]}, "một lần"),
        ({"items": [spec("1"), spec("2", agency="G22.99")]}, "một cơ quan"),
        ({"items": [spec("1", fee=1_000, charge=0)]}, "VNPay nhận giao dịch từ 5.000 ₫"),
        ({"method": "BITCOIN"}, "Phương thức"),
        ({"return_url": "https://evil.example/"}, "trang kết quả"),
        ({"return_url": "//evil.example/"}, "trang kết quả"),
        ({"payer_name": " "}, "tên người nộp"),
    ],
)
def test_create_refuses_invalid_requests(payable, overrides, message):
    with pytest.raises(PaymentError, match=message):
        make_payment(start=False, **overrides)
    assert not Payment.objects.exists()


def test_agency_provider_accounts_narrow_the_choice(payable, settings):
    settings.PAYMENT_PROVIDERS = ["vnpay", "momo"]
    assert provider_codes_for_agency(agency_code=AGENCY) == ["vnpay", "momo"]  # no rows: every enabled provider
    # Once an agency has rows, they are its allow-list: only enabled rows are offered.
    vnpay = ProviderAccount.objects.create(agency_code=AGENCY, provider="vnpay", is_enabled=True)
    assert provider_codes_for_agency(agency_code=AGENCY) == ["vnpay"]
    ProviderAccount.objects.filter(pk=vnpay.pk).update(is_enabled=False)
    assert provider_codes_for_agency(agency_code=AGENCY) == []
    with pytest.raises(ProviderNotAvailable):
        make_payment(start=False)


def test_start_moves_to_started_and_returns_a_signed_vnpay_url(payable, settings):
    payment = make_payment(start=False)
    result = payment_start(payment=payment, client_ip="198.51.100.7", site_url="https://dvc.example.vn")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED and payment.started_at is not None
    url = urlsplit(result.redirect_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{settings.BASE_URL}/sandbox/vnpay/paymentv2/vpcpay.html"
    query = dict(parse_qsl(url.query))
    assert vnp.verify(query, settings.VNPAY_HASH_SECRET)
    assert query["vnp_Amount"] == "21000000" and query["vnp_TxnRef"] == payment.reference
    assert query["vnp_ReturnUrl"] == "https://dvc.example.vn/thanh-toan/vnpay/return/"
    assert query["vnp_IpAddr"] == "198.51.100.7" and query["vnp_TmnCode"] == "CIVICPAY1"
    assert query["vnp_CreateDate"] == vnp.format_date(payment.started_at)
    assert query["vnp_ExpireDate"] == vnp.format_date(payment.expires_at)
    assert "vnp_BankCode" not in query
    with pytest.raises(PaymentError, match="đã được bắt đầu"):
        payment_start(payment=payment)


def test_start_uses_configured_urls_and_bank_code(payable, settings):
    settings.VNPAY_PAYMENT_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    payment = make_payment(start=False, method="VNBANK")
    url = payment_start(payment=payment).redirect_url
    assert url.startswith("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?")
    assert dict(parse_qsl(urlsplit(url).query))["vnp_BankCode"] == "VNBANK"


def test_success_settles_posts_ledger_and_notifies_once(payable):
    user = UserFactory.create()
    payment = make_payment(spec("1"), user=user)
    assert payment_record_outcome(payment=payment, outcome=outcome(payment, PaymentStatus.SUCCESS), source="ipn") == (
        ApplyResult.APPLIED
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and payment.provider_transaction_no == "14422574"
    assert not payment.needs_reconciliation
    # The success committed its ledger entry; the payment is now due for settlement by the worker.
    assert payable.paid == {} and payment.settled_at is None and OutboxMessage.objects.count() == 0
    assert settle_due() == 1
    payment.refresh_from_db()
    assert payment.settled_at is not None
    assert payable.paid == {"1": payment.reference}
    assert payment.items.get().outcome == ItemOutcome.SETTLED
    entry = LedgerEntry.objects.get()
    assert entry.key == f"{payment.reference}:success"
    assert sorted((line.account.code, line.debit, line.credit) for line in entry.lines.all()) == [
        ("clearing:vnpay", 210_000, 0),
        (f"revenue:{AGENCY}:charge", 0, 60_000),
        (f"revenue:{AGENCY}:fee", 0, 150_000),
    ]
    messages = {m.channel: m for m in OutboxMessage.objects.all()}
    assert set(messages) == {"sms", "email"}
    assert messages["sms"].to == "0912345678" and messages["sms"].key == f"payment:{payment.reference}:success:sms"
    assert "210.000 ₫" in messages["sms"].body and "14422574" in messages["sms"].body
    assert "HS-1" in messages["sms"].body
    email = messages["email"]
    assert email.to == "an@example.vn" and payment.reference in email.subject
    assert "Mã giao dịch VNPay: 14422574" in email.body and "HS-1 (TB1)" in email.body
    assert "(giờ Việt Nam)" in email.body
    assert payment_status_view(payment).state == "success"

    # The same outcome again (a duplicate IPN, a query answer): nothing changes.
    again = outcome(payment, PaymentStatus.SUCCESS)
    assert payment_record_outcome(payment=payment, outcome=again, source="query") == ApplyResult.DUPLICATE
    assert settle_due() == 0  # nothing is due any more
    assert payment_settle(payment_id=payment.pk) == "already"  # and running one again changes nothing
    assert LedgerEntry.objects.count() == 1 and OutboxMessage.objects.count() == 2 and payable.success_calls == 1


def test_failure_after_success_is_ignored(payable):
    payment = make_payment()
    payment_record_outcome(payment=payment, outcome=outcome(payment, PaymentStatus.SUCCESS), source="ipn")
    result = payment_record_outcome(payment=payment, outcome=outcome(payment, PaymentStatus.FAILED), source="ipn")
    assert result == ApplyResult.IGNORED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and payment.failure_code == ""


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (PaymentStatus.FAILED, "51", "không đủ số dư"),
        (PaymentStatus.CANCELLED, "24", "đã hủy giao dịch"),
        (PaymentStatus.EXPIRED, "11", "hết hạn"),
    ],
)
def test_failures_close_the_payment_with_a_vietnamese_reason(payable, status, code, message):
    payment = make_payment()
    failure = outcome(payment, status, code=code, message=vnp.message_for(code))
    assert payment_record_outcome(payment=payment, outcome=failure, source="ipn") == ApplyResult.APPLIED
    payment.refresh_from_db()
    assert payment.status == status and payment.failure_code == code and message in payment.failure_message
    assert payment_status_view(payment).state == "failed"
    assert payment_record_outcome(payment=payment, outcome=failure, source="ipn") == ApplyResult.DUPLICATE
    assert not LedgerEntry.objects.exists() and not OutboxMessage.objects.exists() and not payable.paid


def test_submitted_then_success(payable):
    payment = make_payment()
    held = outcome(payment, PaymentStatus.SUBMITTED, code="07")
    assert payment_record_outcome(payment=payment, outcome=held, source="ipn") == ApplyResult.APPLIED
    assert payment_record_outcome(payment=payment, outcome=held, source="ipn") == ApplyResult.DUPLICATE
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUBMITTED and payment_status_view(payment).state == "processing"
    payment_record_outcome(payment=payment, outcome=outcome(payment, PaymentStatus.SUCCESS), source="query")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS


def test_pending_and_wrong_amount_change_nothing(payable):
    payment = make_payment()
    assert payment_record_outcome(payment=payment, outcome=outcome(payment, None), source="query") == (
        ApplyResult.PENDING
    )
    wrong = outcome(payment, PaymentStatus.SUCCESS, amount=payment.amount + 1)
    assert payment_record_outcome(payment=payment, outcome=wrong, source="ipn") == ApplyResult.AMOUNT_MISMATCH
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.STARTED and not LedgerEntry.objects.exists()


def test_late_success_after_expiry_is_stored_and_flagged(payable):
    payment = make_payment()
    later = timezone.now() + timedelta(hours=2)
    assert payment_expire_overdue(now=later) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED

    late = outcome(payment, PaymentStatus.SUCCESS, transaction_no="99887766")
    assert payment_record_outcome(payment=payment, outcome=late, source="ipn") == ApplyResult.LATE_SUCCESS
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED  # terminal: never moves
    assert payment.needs_reconciliation and "99887766" in payment.reconciliation_reason
    assert payment.provider_transaction_no == "99887766"
    assert ledger_balances() == {"clearing:vnpay": payment.amount, f"suspense:{AGENCY}": -payment.amount}
    assert not payable.paid and not OutboxMessage.objects.exists()
    assert payment_status_view(payment).state == "review"
    assert "payment.late_success_flagged" in [e.action for e in audit_trail(payment)]
    # A second copy of the late success: nothing twice.
    assert payment_record_outcome(payment=payment, outcome=late, source="ipn") == ApplyResult.DUPLICATE
    assert LedgerEntry.objects.count() == 1


def test_success_for_a_created_payment_passes_through_started(payable):
    payment = make_payment(start=False)
    assert payment_record_outcome(payment=payment, outcome=outcome(payment, PaymentStatus.SUCCESS), source="query") == (
        ApplyResult.APPLIED
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS and payment.started_at is not None


def test_second_success_for_a_paid_payable_is_an_overpayment(payable):
    first, second = make_payment(spec("7")), make_payment(spec("7"))
    payment_record_outcome(payment=first, outcome=outcome(first, PaymentStatus.SUCCESS), source="ipn")
    result = payment_record_outcome(
        payment=second, outcome=outcome(second, PaymentStatus.SUCCESS, transaction_no="555"), source="ipn"
    )
    assert result == ApplyResult.APPLIED
    assert settle_due() == 2
    second.refresh_from_db()
    assert second.status == PaymentStatus.SUCCESS  # the money moved: the payment did succeed
    assert second.needs_reconciliation and "Thanh toán thừa" in second.reconciliation_reason
    assert second.items.get().outcome == ItemOutcome.OVERPAID
    assert payable.paid == {"7": first.reference} and payable.overpaid == [("7", second.reference)]
    assert ledger_balances() == {
        "clearing:vnpay": 420_000,
        f"revenue:{AGENCY}:fee": -150_000,
        f"revenue:{AGENCY}:charge": -60_000,
        f"refund_due:{AGENCY}": -210_000,
    }
    # Revenue was credited with the success, then a correcting entry moved it to refund due.
    overpaid = LedgerEntry.objects.get(key=f"{second.reference}:overpaid")
    assert sorted((line.account.code, line.debit, line.credit) for line in overpaid.lines.all()) == [
        (f"refund_due:{AGENCY}", 0, 210_000),
        (f"revenue:{AGENCY}:charge", 60_000, 0),
        (f"revenue:{AGENCY}:fee", 150_000, 0),
    ]
    # The payer of the second payment is still told the money arrived (one SMS + one e-mail each).
    assert OutboxMessage.objects.filter(key__startswith=f"payment:{second.reference}:").count() == 2


def test_expire_overdue_keeps_started_payments_for_the_grace_period(payable):
    created = make_payment(spec("1"), start=False)
    started = make_payment(spec("2"))
    just_after = created.expires_at + timedelta(minutes=1)
    assert payment_expire_overdue(now=just_after) == 1
    created.refresh_from_db()
    started.refresh_from_db()
    assert created.status == PaymentStatus.EXPIRED and started.status == PaymentStatus.STARTED
    assert payment_expire_overdue(now=started.expires_at + timedelta(minutes=31)) == 1
    started.refresh_from_db()
    assert started.status == PaymentStatus.EXPIRED and "hết hạn" in started.failure_message


def test_expired_payment_cannot_be_started(payable):
    payment = make_payment(start=False)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PaymentError, match="hết hạn"):
        payment_start(payment=payment)


def test_payment_create_is_typed_keyword_only(payable):
    with pytest.raises(TypeError):
        payment_create([spec()], "vnpay")  # type: ignore[call-arg]
