"""Chuyển khoản cần xử lý: the finance officer's queue, by role and agency, and the two actions with
their ledger entries and audit rows, on a real fee notice of a real dossier."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import Officer, OfficerRole
from civicpay.accounts.tests.factories import OfficerFactory
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.payables import payables_for_requests
from civicpay.billing.types import LineInput
from civicpay.core.audit import audit_trail
from civicpay.directory.models import Agency, FeeKind, Procedure
from civicpay.directory.tests.factories import AgencyFactory
from civicpay.dossiers.models import Dossier, FeeStatus
from civicpay.dossiers.services import dossier_request_payment
from civicpay.payments.ledger import ledger_balances
from civicpay.payments.models import Payment, ReviewReason, ReviewStatus, TransferReview
from civicpay.payments.services import payment_create, payment_start
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import settle_due
from civicpay.payments.tests.vietqr_helpers import bank_notification, post_notification

pytestmark = pytest.mark.django_db

QUEUE = reverse("backoffice:transfer_queue")
TOTAL = 300_000  # 200 000 lệ phí + 100 000 phí


@pytest.fixture
def finance(agency: Agency) -> Officer:
    return OfficerFactory.create(agency=agency, roles=[OfficerRole.FINANCE], user__full_name="Lê Thị Kế Toán")


@pytest.fixture
def finance_client(finance: Officer) -> Client:
    client = Client()
    client.force_login(finance.user)
    return client


@pytest.fixture
def notice(procedure: Procedure, officer: Officer) -> PaymentRequest:
    dossier = DossierFactory.create(procedure=procedure)
    return dossier_request_payment(
        dossier=dossier,
        officer=officer,
        lines=[
            LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=200_000),
            LineInput(kind=FeeKind.FEE, description="Phí cung cấp thông tin", amount=100_000),
        ],
    )


def _vietqr_payment(notice: PaymentRequest) -> Payment:
    payment = payment_create(
        items=payables_for_requests([notice]),
        provider="vietqr",
        payer_user=notice.payer_user,
        payer_name=notice.payer_name,
        return_url="/",
    )
    payment_start(payment=payment)
    payment.refresh_from_db()
    return payment


def _review_for(amount: int, notice: PaymentRequest | None = None, memo: str = "") -> TransferReview:
    payment = _vietqr_payment(notice) if notice else None
    assert post_notification(Client(), bank_notification(amount=amount, payment=payment, memo=memo)) == "00"
    return TransferReview.objects.latest("id")


def test_queue_lists_open_items_of_the_agency(finance_client: Client, notice: PaymentRequest, agency: Agency):
    review = _review_for(250_000, notice)
    response = finance_client.get(QUEUE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Chuyển khoản cần xử lý" in page
    assert review.transfer.bank_transaction_id in page and "Sai số tiền" in page
    detail = finance_client.get(reverse("backoffice:transfer_item", args=[review.pk]))
    assert detail.status_code == 200
    assert notice.number in detail.content.decode()  # the notice the memo named, prefilled


def test_reception_officers_get_403_and_visitors_log_in(officer_client: Client, notice: PaymentRequest):
    review = _review_for(250_000, notice)
    assert officer_client.get(QUEUE).status_code == 403
    assert officer_client.get(reverse("backoffice:transfer_item", args=[review.pk])).status_code == 403
    assert (
        officer_client.post(reverse("backoffice:transfer_refund", args=[review.pk]), {"reason": "x"}).status_code == 403
    )
    anonymous = Client().get(QUEUE)
    assert anonymous.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


def test_other_agencies_items_are_404(notice: PaymentRequest, settings):
    settings.VIETQR_AGENCY_ACCOUNTS = {"G22.99": {"bin": "970436", "account": "0071000888999"}}
    review = _review_for(250_000, notice)
    other = OfficerFactory.create(agency=AgencyFactory.create(code="G22.99"), roles=[OfficerRole.FINANCE])
    client = Client()
    client.force_login(other.user)
    assert review.transfer.bank_transaction_id not in client.get(QUEUE).content.decode()
    assert client.get(reverse("backoffice:transfer_item", args=[review.pk])).status_code == 404
    response = client.post(reverse("backoffice:transfer_refund", args=[review.pk]), {"reason": "Nhầm"})
    assert response.status_code == 404
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


def test_apply_pays_the_notice_and_moves_the_money_out_of_suspense(
    finance_client: Client, finance: Officer, notice: PaymentRequest, agency: Agency
):
    review = _review_for(TOTAL + 50_000, notice)
    assert review.reason == ReviewReason.WRONG_AMOUNT
    response = finance_client.post(
        reverse("backoffice:transfer_apply", args=[review.pk]), {"notice": notice.number, "note": "Chuyển thừa"}
    )
    assert response.status_code == 302

    settle_due()
    review.refresh_from_db()
    notice.refresh_from_db()
    assert review.status == ReviewStatus.APPLIED and review.resolved_by == finance.user
    assert review.refund_amount == 50_000
    assert notice.status == PaymentRequestStatus.PAID
    assert Dossier.objects.get(pk=notice.owner_id).fee_status == FeeStatus.PAID
    paid_by = review.applied_payment
    assert paid_by is not None and paid_by.status == PaymentStatus.SUCCESS and paid_by.provider == "vietqr"
    assert paid_by.provider_transaction_no == review.transfer.bank_transaction_id
    balances = ledger_balances()
    code = agency.code
    assert balances[f"suspense:{code}"] == 0
    assert balances["clearing:vietqr"] == TOTAL + 50_000
    assert balances[f"revenue:{code}:charge"] == -200_000 and balances[f"revenue:{code}:fee"] == -100_000
    assert balances[f"refund_due:{code}"] == -50_000
    assert sum(balances.values()) == 0
    entry = audit_trail(review).get(action="transfer_review.applied")
    assert entry.actor == finance.user and entry.after["payment"] == paid_by.reference
    page = finance_client.get(reverse("backoffice:transfer_item", args=[review.pk])).content.decode()
    assert "Đã ghi nhận cho khoản thu" in page and paid_by.reference in page


def test_apply_refuses_a_transfer_that_does_not_cover_the_notice(finance_client: Client, notice: PaymentRequest):
    review = _review_for(TOTAL - 1_000, notice)
    response = finance_client.post(reverse("backoffice:transfer_apply", args=[review.pk]), {"notice": notice.number})
    assert response.status_code == 400
    assert "không đủ cho khoản thu" in response.content.decode()
    review.refresh_from_db()
    notice.refresh_from_db()
    assert review.status == ReviewStatus.OPEN and notice.status == PaymentRequestStatus.ISSUED
    assert Payment.objects.filter(status=PaymentStatus.SUCCESS).count() == 0


def test_apply_refuses_an_unknown_notice(finance_client: Client, notice: PaymentRequest):
    review = _review_for(TOTAL, memo="Nop phi")
    response = finance_client.post(reverse("backoffice:transfer_apply", args=[review.pk]), {"notice": "TB000"})
    assert response.status_code == 400
    assert "Không tìm thấy khoản thu" in response.content.decode()


def test_an_unattributed_transfer_is_taken_by_the_agency_that_applies_it(
    finance_client: Client, notice: PaymentRequest, agency: Agency
):
    review = _review_for(TOTAL, memo="")
    assert review.agency_code == "" and review.reason == ReviewReason.NO_CODE
    assert review.transfer.bank_transaction_id in finance_client.get(QUEUE).content.decode()
    response = finance_client.post(
        reverse("backoffice:transfer_apply", args=[review.pk]), {"notice": notice.owner_reference}
    )
    assert response.status_code == 302
    settle_due()
    review.refresh_from_db()
    notice.refresh_from_db()
    assert review.agency_code == agency.code and notice.status == PaymentRequestStatus.PAID
    assert ledger_balances()[review.suspense_account] == 0


def test_refund_moves_suspense_to_refund_due_with_the_reason(
    finance_client: Client, finance: Officer, notice: PaymentRequest, agency: Agency
):
    payment = _vietqr_payment(notice)
    assert post_notification(Client(), bank_notification(amount=TOTAL, payment=payment)) == "00"  # pays it
    assert post_notification(Client(), bank_notification(amount=TOTAL, payment=payment)) == "00"  # paid again
    duplicate = TransferReview.objects.get()
    assert duplicate.reason == ReviewReason.DUPLICATE

    empty = finance_client.post(reverse("backoffice:transfer_refund", args=[duplicate.pk]), {"reason": " "})
    assert empty.status_code == 400 and "Nhập lý do hoàn trả" in empty.content.decode()

    response = finance_client.post(
        reverse("backoffice:transfer_refund", args=[duplicate.pk]), {"reason": "Nộp trùng, hoàn lại người nộp"}
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == ReviewStatus.REFUND_DUE and duplicate.refund_amount == TOTAL
    assert duplicate.resolution_note == "Nộp trùng, hoàn lại người nộp"
    balances = ledger_balances()
    assert balances[f"refund_due:{agency.code}"] == -TOTAL
    assert balances[duplicate.suspense_account] == 0
    entry = audit_trail(duplicate).get(action="transfer_review.refund_due")
    assert entry.actor == finance.user

    again = finance_client.post(reverse("backoffice:transfer_refund", args=[duplicate.pk]), {"reason": "Lần nữa"})
    assert again.status_code == 400 and "đã được xử lý" in again.content.decode()
    assert ledger_balances()[f"refund_due:{agency.code}"] == -TOTAL
