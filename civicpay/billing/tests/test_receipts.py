"""Receipts (biên lai): issued with the payment's success, once; numbered without gaps per agency and
series, also under concurrent successes (run on SQLite and on PostgreSQL with DATABASE_URL); printable
only when the owner allows it (a dossier: once received); rendered to a PDF that says what it is."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, transaction
from pypdf import PdfReader

from civicpay.accounts.tests.factories import UserFactory
from civicpay.billing.errors import BillingError
from civicpay.billing.models import PaymentRequest, Receipt
from civicpay.billing.payables import payables_for_requests
from civicpay.billing.receipts import receipt_issue, receipt_pdf, receipt_printable, receipt_series
from civicpay.billing.registry import register_owner
from civicpay.billing.services import payment_request_issue
from civicpay.billing.types import LineInput
from civicpay.core import clock
from civicpay.core.audit import audit_trail
from civicpay.core.tests.locks import attempt_while_held, skip_without_row_locks
from civicpay.directory.models import Agency, FeeKind
from civicpay.directory.tests.factories import AgencyFactory
from civicpay.payments.models import Payment
from civicpay.payments.providers.base import Outcome
from civicpay.payments.services import ApplyResult, payment_create, payment_record_outcome, payment_start
from civicpay.payments.settlement import payment_settle
from civicpay.payments.states import PaymentStatus

OWNER_KIND = "test_receipts_owner"


class Owner:
    """An owner that allows printing (no ``receipt_printable``): billing's default."""

    def lock_owner(self, request: PaymentRequest) -> None:
        pass

    def on_paid(self, request: PaymentRequest) -> None:
        pass

    def on_cancelled(self, request: PaymentRequest) -> None:
        pass

    def on_expired(self, request: PaymentRequest) -> None:
        pass

    def url_for_payer(self, request: PaymentRequest) -> str:
        return "/"


class GatedOwner(Owner):
    allowed = False

    def receipt_printable(self, request: PaymentRequest) -> tuple[bool, str]:
        return (True, "") if self.allowed else (False, "Chưa tiếp nhận")


@pytest.fixture(autouse=True)
def owner() -> None:
    register_owner(OWNER_KIND, Owner())


def issue(agency: Agency, owner_id: int) -> PaymentRequest:
    payer = UserFactory.create()
    return payment_request_issue(
        owner_kind=OWNER_KIND,
        owner_id=owner_id,
        owner_reference=f"HS-{owner_id:06d}",
        agency=agency,
        payer_user=payer,
        payer_organisation=None,
        payer_name="Nguyễn Văn An",
        payer_email=payer.email,
        payer_phone="0912345678",
        description="Cấp phiếu lý lịch tư pháp",
        lines=[
            LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=200_000),
            LineInput(kind=FeeKind.FEE, description="Phí thẩm định", amount=150_000),
        ],
        due_date=None,
        issued_by=payer,
    )


def start(request: PaymentRequest) -> Payment:
    payment = payment_create(
        items=payables_for_requests([request]),
        provider="vnpay",
        payer_user=request.payer_user,
        payer_name=request.payer_name,
        payer_phone=request.payer_phone,
        return_url="/thanh-toan/ket-qua/",
    )
    payment_start(payment=payment)
    payment.refresh_from_db()
    return payment


def succeed(payment: Payment, transaction_no: str = "14000001") -> ApplyResult:
    outcome = Outcome(
        provider="vnpay",
        reference=payment.reference,
        amount=payment.amount,
        status=PaymentStatus.SUCCESS,
        code="00",
        transaction_no=transaction_no,
        bank_code="NCB",
        paid_at=clock.now(),
    )
    result = payment_record_outcome(payment=payment, outcome=outcome, source="ipn")
    payment_settle(payment_id=payment.pk)  # the worker's part: the receipt is numbered here
    return result


@pytest.mark.django_db
def test_success_issues_one_receipt_with_everything_printed_copied() -> None:
    request = issue(AgencyFactory.create(code="G22.45"), 1)
    payment = start(request)
    assert succeed(payment) == ApplyResult.APPLIED
    assert succeed(payment) == ApplyResult.DUPLICATE  # a second IPN issues nothing
    receipt = Receipt.objects.get()
    year = clock.local(receipt.issued_at).year
    assert receipt.payment_request == request
    assert (receipt.template_code, receipt.series, receipt.number) == ("01BLP0-001", f"AA-{year % 100:02d}E", 1)
    assert receipt.number_display == "0000001"
    assert receipt.amount == 350_000 and receipt.payer_name == "Nguyễn Văn An"
    assert receipt.owner_reference == "HS-000001"
    assert (receipt.payment_reference, receipt.provider_transaction_no) == (payment.reference, "14000001")
    assert receipt.payment_method == "Thanh toán trực tuyến qua VNPay (NCB)"
    # Lines in the notice's order (phí before lệ phí), with their kind labels.
    assert [(line["kind"], line["description"], line["amount"]) for line in receipt.lines] == [
        ("fee", "Phí thẩm định", 150_000),
        ("charge", "Lệ phí cấp phiếu", 200_000),
    ]
    assert audit_trail(receipt).filter(action="receipt.issued").count() == 1


@pytest.mark.django_db
def test_issuing_again_returns_the_same_receipt_and_unpaid_requests_get_none() -> None:
    request = issue(AgencyFactory.create(), 1)
    payment = start(request)
    with pytest.raises(BillingError):
        receipt_issue(request=request, payment=payment)
    succeed(payment)
    request.refresh_from_db()
    first = Receipt.objects.get()
    assert receipt_issue(request=request, payment=payment) == first
    assert Receipt.objects.count() == 1


@pytest.mark.django_db
def test_numbers_run_per_agency_and_series_without_gaps() -> None:
    north, south = AgencyFactory.create(code="N1"), AgencyFactory.create(code="S1")
    for owner_id, agency in enumerate([north, south, north, north, south], start=1):
        succeed(start(issue(agency, owner_id)))
    numbers = {
        code: list(Receipt.objects.filter(agency__code=code).order_by("number").values_list("number", flat=True))
        for code in ("N1", "S1")
    }
    assert numbers == {"N1": [1, 2, 3], "S1": [1, 2]}


@pytest.mark.django_db
def test_a_rolled_back_success_gives_its_number_back() -> None:
    agency = AgencyFactory.create()
    first, second = start(issue(agency, 1)), start(issue(agency, 2))
    with pytest.raises(RuntimeError), transaction.atomic():
        succeed(first)
        assert Receipt.objects.get().number == 1
        raise RuntimeError("the IPN's transaction fails after the receipt was numbered")
    assert not Receipt.objects.exists()
    succeed(second)
    succeed(Payment.objects.get(pk=first.pk))
    assert sorted(Receipt.objects.values_list("number", flat=True)) == [1, 2]


def test_series_is_per_year() -> None:
    assert receipt_series(year=2026) == "AA-26E"
    assert receipt_series(year=2031) == "AA-31E"


CONCURRENT = 12


@pytest.mark.django_db(transaction=True)
def test_concurrent_successes_get_unique_gap_free_numbers() -> None:
    """Twelve payments of one agency succeed at the same time, each in its own thread and connection."""
    agency = AgencyFactory.create()
    payments = [start(issue(agency, owner_id)) for owner_id in range(1, CONCURRENT + 1)]

    def run(payment: Payment) -> ApplyResult:
        try:
            return succeed(payment, transaction_no=f"1400{payment.pk:04d}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        results = list(pool.map(run, payments))
    assert results == [ApplyResult.APPLIED] * CONCURRENT
    numbers = sorted(Receipt.objects.filter(agency=agency).values_list("number", flat=True))
    assert numbers == list(range(1, CONCURRENT + 1))


@pytest.mark.django_db(transaction=True)
def test_issuing_a_receipt_leaves_the_agency_row_free() -> None:
    """The receipt locks its payment request, not the agency: on PostgreSQL anything else that needs the
    agency's row (its settings, another service locking it) goes ahead while a settlement is in flight."""
    skip_without_row_locks()
    from django.db import DatabaseError, transaction

    agency = AgencyFactory.create()
    payment = start(issue(agency, 1))

    def lock_agency() -> bool:
        with transaction.atomic():
            try:
                Agency.objects.select_for_update(nowait=True).get(pk=agency.pk)
            except DatabaseError:
                return False
            return True

    # The settlement's transaction, held open after the receipt, while something else locks the agency.
    assert attempt_while_held(lambda: succeed(payment), lock_agency, timeout=20)
    assert Receipt.objects.filter(agency=agency).count() == 1


@pytest.mark.django_db
def test_printable_asks_the_owner() -> None:
    gated = GatedOwner()
    register_owner("test_receipts_gated", gated)
    request = issue(AgencyFactory.create(), 1)
    PaymentRequest.objects.filter(pk=request.pk).update(owner_kind="test_receipts_gated")
    succeed(start(PaymentRequest.objects.get(pk=request.pk)))
    receipt = Receipt.objects.select_related("payment_request").get()
    assert receipt_printable(receipt) == (False, "Chưa tiếp nhận")
    with pytest.raises(BillingError, match="Chưa tiếp nhận"):
        receipt_pdf(receipt)
    gated.allowed = True
    assert receipt_printable(receipt) == (True, "")


@pytest.mark.django_db
def test_receipt_pdf_says_what_it_is(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_ROOT = tmp_path
    settings.MEDIA_ROOT = tmp_path
    succeed(start(issue(AgencyFactory.create(name="Sở Tư pháp tỉnh Khánh Hòa"), 1)))
    receipt = Receipt.objects.select_related("agency", "payment_request").get()
    pdf = receipt_pdf(receipt)
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("BIÊN LAI THU PHÍ, LỆ PHÍ", "01BLP0-001", receipt.series, "0000001", "350.000", "HS-000001"):
        assert expected in text, expected
    assert "Mã tra cứu" in text  # issued through civicpay.documents: signed, with a lookup code
    assert receipt_pdf(receipt) == pdf  # printed again: the same stored document


@pytest.mark.django_db
def test_without_the_documents_service_the_receipt_is_rendered_directly() -> None:
    """The WeasyPrint fallback (a deployment without civicpay.documents) prints the same receipt."""
    from civicpay.billing.receipts import _render_pdf

    succeed(start(issue(AgencyFactory.create(), 1)))
    receipt = Receipt.objects.select_related("agency", "payment_request").get()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(_render_pdf(receipt))).pages)
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text and "0000001" in text
    assert "Mã tra cứu" not in text
