"""Payment requests on their own, with a test owner registered through the same registry dossiers use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicpay.accounts.tests.factories import UserFactory
from civicpay.billing.errors import AlreadyPaid, BillingError, IllegalTransition
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.registry import handler_for, register_owner
from civicpay.billing.selectors import payment_request_current_for_owner, payment_requests_for_owner
from civicpay.billing.services import (
    payment_request_cancel,
    payment_request_expire_overdue,
    payment_request_issue,
    payment_request_mark_paid,
)
from civicpay.billing.types import LineInput
from civicpay.core import clock
from civicpay.core.audit import audit_trail
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


class RecordingOwner:
    """A second owner kind: proves billing works for any owner, not only dossiers."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def lock_owner(self, request: PaymentRequest) -> None:
        self.events.append(("lock", request.number))

    def on_paid(self, request: PaymentRequest) -> None:
        assert transaction.get_connection().in_atomic_block
        self.events.append(("paid", request.number))

    def on_cancelled(self, request: PaymentRequest) -> None:
        self.events.append(("cancelled", request.number))

    def on_expired(self, request: PaymentRequest) -> None:
        self.events.append(("expired", request.number))

    def url_for_payer(self, request: PaymentRequest) -> str:
        return f"/orders/{request.owner_id}/"


@pytest.fixture
def owner():
    handler = RecordingOwner()
    register_owner("test_order", handler)
    return handler


@pytest.fixture
def issue(owner):
    agency = AgencyFactory.create()
    officer = UserFactory.create()
    payer = UserFactory.create()

    def _issue(owner_id: int = 1, lines=None, **overrides) -> PaymentRequest:
        args: dict[str, Any] = dict(  # noqa: C408
            owner_kind="test_order",
            owner_id=owner_id,
            owner_reference=f"DH-{owner_id}",
            agency=agency,
            payer_user=payer,
            payer_organisation=None,
            payer_name=payer.full_name,
            payer_email=payer.email,
            payer_phone=payer.phone,
            description="Đơn hàng",
            lines=lines
            if lines is not None
            else [
                LineInput(kind=FeeKind.FEE, description="Phí thẩm định", amount=150_000),
                LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp", amount=50_000),
                LineInput(kind=FeeKind.FEE, description="Phí sao y", amount=10_000),
            ],
            due_date=None,
            issued_by=officer,
        )
        args.update(overrides)
        return payment_request_issue(**args)

    return _issue


def test_issue_numbers_totals_and_groups_lines_by_kind(issue):
    first, second = issue(1), issue(2)
    today = clock.local_today()
    assert first.number == f"TB{today:%y%m%d}0001" and second.number == f"TB{today:%y%m%d}0002"
    assert first.total == 210_000 and first.status == PaymentRequestStatus.ISSUED
    assert first.due_date == today + timedelta(days=15)
    groups = first.lines_by_kind
    assert [(g.label, g.subtotal, len(g.lines)) for g in groups] == [("Phí", 160_000, 2), ("Lệ phí", 50_000, 1)]
    assert audit_trail(first).get().action == "payment_request.issued"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "ít nhất một khoản"),
        ([LineInput(kind=FeeKind.FEE, description="Miễn phí", amount=0)], "lớn hơn 0"),
    ],
)
def test_issue_refuses_empty_or_zero(issue, lines, message):
    with pytest.raises(BillingError, match=message):
        issue(lines=lines)


def test_line_input_validation():
    with pytest.raises(BillingError, match="số nguyên"):
        LineInput(kind=FeeKind.FEE, description="Phí", amount=-1)
    with pytest.raises(BillingError, match="số nguyên"):
        LineInput(kind=FeeKind.FEE, description="Phí", amount=1.5)  # type: ignore[arg-type]
    with pytest.raises(BillingError, match="Loại khoản thu"):
        LineInput(kind="tip", description="Phí", amount=1)
    with pytest.raises(BillingError, match="Nhập lý do thay đổi số tiền"):
        LineInput(kind=FeeKind.FEE, description="Phí", amount=2, schedule_amount=1)


def test_issue_refuses_past_due_date(issue):
    with pytest.raises(BillingError, match="Hạn thanh toán"):
        issue(due_date=clock.local_today() - timedelta(days=1))


def test_one_live_request_per_owner_is_enforced_by_the_database(issue):
    issue(7)
    with pytest.raises(IntegrityError), transaction.atomic():
        issue(7)


def test_mark_paid_once_then_already_paid(issue, owner):
    request = issue()
    paid = payment_request_mark_paid(request=request, paid_at=timezone.now(), payment_reference="VNP1")
    assert paid.status == PaymentRequestStatus.PAID and paid.payment_reference == "VNP1"
    assert owner.events == [("lock", request.number), ("paid", request.number)]
    with pytest.raises(AlreadyPaid):
        payment_request_mark_paid(request=request, paid_at=timezone.now(), payment_reference="VNP2")
    assert PaymentRequest.objects.get(pk=request.pk).payment_reference == "VNP1"
    with pytest.raises(IllegalTransition):
        payment_request_cancel(request=request, by=UserFactory.create(), reason="Hủy")


def test_cancelled_request_cannot_be_paid(issue, owner):
    request = issue()
    payment_request_cancel(request=request, by=UserFactory.create(), reason="Nhầm")
    assert ("cancelled", request.number) in owner.events
    with pytest.raises(IllegalTransition):
        payment_request_mark_paid(request=request, paid_at=timezone.now(), payment_reference="late")
    assert payment_request_current_for_owner(owner_kind="test_order", owner_id=1) is None


def test_replace_cancels_old_without_telling_owner(issue, owner):
    old = issue(3)
    new = issue(3, replaces=old, replace_reason="Sửa số tiền")
    old.refresh_from_db()
    assert old.status == PaymentRequestStatus.CANCELLED and old.cancel_reason == "Sửa số tiền"
    assert not [e for e in owner.events if e[0] == "cancelled"]
    assert payment_request_current_for_owner(owner_kind="test_order", owner_id=3) == new
    assert list(payment_requests_for_owner(owner_kind="test_order", owner_id=3)) == [new, old]


def test_expire_overdue_only_issued_past_due(issue, owner):
    today = clock.local_today()
    overdue = issue(1, due_date=today)
    paid = issue(2, due_date=today)
    payment_request_mark_paid(request=paid, paid_at=timezone.now(), payment_reference="P")
    later = issue(3, due_date=today + timedelta(days=5))

    assert payment_request_expire_overdue(today=today + timedelta(days=1)) == 1

    statuses = {r.pk: r.status for r in PaymentRequest.objects.all()}
    assert statuses == {overdue.pk: "expired", paid.pk: "paid", later.pk: "issued"}
    assert ("expired", overdue.number) in owner.events


def test_unknown_owner_kind_is_an_error():
    with pytest.raises(LookupError):
        handler_for("nothing")
