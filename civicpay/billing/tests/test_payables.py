"""Billing's side of the payments registry: specs from payment requests, and settlement through a
real IPN (payments → billing → owner) including overpayment and payment of a cancelled notice."""

from __future__ import annotations

import pytest
from django.test import Client

from civicpay.accounts.tests.factories import UserFactory
from civicpay.billing.errors import BillingError
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.payables import PAYABLE_KIND, payables_for_requests
from civicpay.billing.registry import register_owner
from civicpay.billing.services import payment_request_cancel, payment_request_issue
from civicpay.billing.types import LineInput
from civicpay.core.audit import audit_trail
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import AgencyFactory
from civicpay.payments.ledger import ledger_balances
from civicpay.payments.models import ItemOutcome, Payment
from civicpay.payments.registry import payable_handler
from civicpay.payments.services import payment_create, payment_start
from civicpay.payments.tests.helpers import ipn_params, send_ipn, settle_due

pytestmark = pytest.mark.django_db

OWNER_KIND = "test_payables_owner"


class Owner:
    def __init__(self) -> None:
        self.paid: list[str] = []

    def lock_owner(self, request: PaymentRequest) -> None:
        pass

    def on_paid(self, request: PaymentRequest) -> None:
        self.paid.append(request.number)

    def on_cancelled(self, request: PaymentRequest) -> None:
        pass

    def on_expired(self, request: PaymentRequest) -> None:
        pass

    def url_for_payer(self, request: PaymentRequest) -> str:
        return "/"


@pytest.fixture
def owner() -> Owner:
    handler = Owner()
    register_owner(OWNER_KIND, handler)
    return handler


@pytest.fixture
def notice(owner) -> PaymentRequest:
    payer = UserFactory.create()
    return payment_request_issue(
        owner_kind=OWNER_KIND,
        owner_id=1,
        owner_reference="HS-000123",
        agency=AgencyFactory.create(code="G22.05"),
        payer_user=payer,
        payer_organisation=None,
        payer_name=payer.full_name,
        payer_email=payer.email,
        payer_phone=payer.phone or "",
        description="Cấp phiếu lý lịch tư pháp",
        lines=[
            LineInput(kind=FeeKind.FEE, description="Phí thẩm định", amount=150_000),
            LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp", amount=50_000),
            LineInput(kind=FeeKind.FEE, description="Phí sao y", amount=10_000),
        ],
        due_date=None,
        issued_by=UserFactory.create(),
    )


def pay(request: PaymentRequest) -> Payment:
    payment = payment_create(
        items=payables_for_requests([request]),
        provider="vnpay",
        payer_user=request.payer_user,
        payer_name=request.payer_name,
        payer_email=request.payer_email,
        payer_phone=request.payer_phone,
        return_url="/thong-bao/ket-qua/",
    )
    payment_start(payment=payment)
    payment.refresh_from_db()
    return payment


def test_the_handler_is_registered_by_billing():
    assert type(payable_handler(PAYABLE_KIND)).__name__ == "BillingPayable"


def test_specs_split_revenue_by_fee_kind(notice):
    (spec,) = payables_for_requests([notice])
    assert (spec.kind, spec.payable_id, spec.amount, spec.agency_code) == (
        PAYABLE_KIND,
        str(notice.pk),
        210_000,
        "G22.05",
    )
    assert spec.reference == f"HS-000123 ({notice.number})"
    assert [(line.account_code, line.amount) for line in spec.revenue_lines] == [
        ("revenue:G22.05:fee", 160_000),
        ("revenue:G22.05:charge", 50_000),
    ]


def test_specs_refuse_a_request_that_is_not_payable(notice):
    payment_request_cancel(request=notice, by=UserFactory.create(), reason="Nhầm")
    notice.refresh_from_db()
    with pytest.raises(BillingError, match="không thể thanh toán"):
        payables_for_requests([notice])


def test_ipn_marks_the_request_paid_and_a_second_payment_is_an_overpayment(notice, owner):
    client = Client()
    first, second = pay(notice), pay(notice)  # two tabs, two attempts: both allowed
    assert send_ipn(client, ipn_params(first))["RspCode"] == "00"
    notice.refresh_from_db()
    assert notice.status == PaymentRequestStatus.ISSUED  # the money is confirmed; the worker settles it
    assert settle_due() == 1
    notice.refresh_from_db()
    assert notice.status == PaymentRequestStatus.PAID and notice.payment_reference == first.reference
    assert owner.paid == [notice.number]

    assert send_ipn(client, ipn_params(second, transaction_no="2"))["RspCode"] == "00"
    settle_due()
    second.refresh_from_db()
    assert second.status == "success" and second.needs_reconciliation
    assert second.items.get().outcome == ItemOutcome.OVERPAID and "đã được thanh toán" in second.reconciliation_reason
    notice.refresh_from_db()
    assert notice.payment_reference == first.reference and owner.paid == [notice.number]
    assert "payment_request.overpaid" in [entry.action for entry in audit_trail(notice)]
    assert ledger_balances() == {
        "clearing:vnpay": 420_000,
        "revenue:G22.05:fee": -160_000,
        "revenue:G22.05:charge": -50_000,
        "refund_due:G22.05": -210_000,
    }


def test_money_for_a_cancelled_request_is_refund_due(notice, owner):
    payment = pay(notice)
    payment_request_cancel(request=notice, by=UserFactory.create(), reason="Sai số tiền")
    assert send_ipn(Client(), ipn_params(payment))["RspCode"] == "00"
    settle_due()
    payment.refresh_from_db()
    assert payment.status == "success" and payment.needs_reconciliation
    assert ledger_balances()["refund_due:G22.05"] == -210_000
    notice.refresh_from_db()
    assert notice.status == PaymentRequestStatus.CANCELLED and owner.paid == []
