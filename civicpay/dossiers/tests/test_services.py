"""The dossier life cycle through its services, as an applicant and an officer would notice it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from civicpay.accounts.tests.factories import OfficerFactory, OrganisationMemberFactory, UserFactory
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.services import payment_request_expire_overdue, payment_request_mark_paid
from civicpay.billing.types import LineInput
from civicpay.core import clock
from civicpay.core.audit import audit_trail
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import AgencyFactory, ProcedureFactory
from civicpay.dossiers.errors import DossierError, IllegalTransition
from civicpay.dossiers.models import DossierStatus, FeeStatus
from civicpay.dossiers.services import (
    DossierAction,
    add_working_days,
    dossier_cancel_payment_request,
    dossier_officer_actions,
    dossier_provide_additional_info,
    dossier_receive,
    dossier_reject,
    dossier_replace_payment_request,
    dossier_request_additional_info,
    dossier_request_payment,
    dossier_resend_payment_notice,
    dossier_start_processing,
    dossier_withdraw,
)
from civicpay.dossiers.tests.helpers import PDF_BYTES, lines, officer_for, submit_dossier, upload
from civicpay.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedure():
    return ProcedureFactory.create(agency=AgencyFactory.create(code="G22.45"), processing_days=3)


@pytest.fixture
def citizen():
    return UserFactory.create(full_name="Trần Thị Bình", phone="0905123456", email="binh@example.vn")


def test_submit_gives_vietnamese_code_in_daily_sequence_and_copies_applicant(procedure, citizen):
    first = submit_dossier(citizen, procedure)
    second = submit_dossier(citizen, procedure)

    today = clock.local_today()
    assert first.code == f"G22.45-{today:%y%m%d}-0001"
    assert second.code == f"G22.45-{today:%y%m%d}-0002"
    assert first.status == DossierStatus.SUBMITTED and first.fee_status == FeeStatus.NONE
    assert first.applicant_name == "Trần Thị Bình" and first.applicant_phone == "0905123456"
    assert [c.to_status for c in first.status_changes.all()] == [DossierStatus.SUBMITTED]
    assert first.attachments.get().content_type == "application/pdf"
    assert audit_trail(first).filter(action="dossier.submitted").exists()
    assert OutboxMessage.objects.filter(key=f"dossier:{first.pk}:submitted:email", to="binh@example.vn").exists()


def test_codes_restart_per_agency(procedure, citizen):
    other = ProcedureFactory.create(agency=AgencyFactory.create(code="G22.46"))
    submit_dossier(citizen, procedure)
    assert submit_dossier(citizen, other).code.endswith("-0001")


def test_submit_for_organisation_requires_membership(procedure, citizen):
    membership = OrganisationMemberFactory.create()
    with pytest.raises(DossierError, match="không phải người đại diện"):
        submit_dossier(citizen, procedure, organisation=membership.organisation)

    dossier = submit_dossier(membership.user, procedure, organisation=membership.organisation)
    assert dossier.applicant_name == membership.organisation.name
    assert dossier.applicant_id_number == membership.organisation.tax_code


def test_submit_refuses_inactive_procedure_and_empty_summary(procedure, citizen):
    from civicpay.dossiers.services import dossier_submit

    with pytest.raises(DossierError, match="Nhập nội dung đề nghị"):
        dossier_submit(user=citizen, procedure=procedure, details={"summary": "  "}, attachments=[])
    procedure.is_active = False
    procedure.save()
    with pytest.raises(DossierError, match="không tiếp nhận"):
        submit_dossier(citizen, procedure)


def test_request_payment_issues_notice_and_notifies_payer_on_three_channels(procedure, citizen):
    dossier = submit_dossier(citizen, procedure)
    officer = officer_for(procedure)

    request = dossier_request_payment(dossier=dossier, officer=officer, lines=lines(200_000, 50_000))

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.AWAITING_PAYMENT and dossier.fee_status == FeeStatus.AWAITING
    assert dossier.amount_due == 250_000
    assert request.total == 250_000 and request.status == PaymentRequestStatus.ISSUED
    assert request.number.startswith(f"TB{clock.local_today():%y%m%d}")
    assert request.payer_user == citizen and request.owner_reference == dossier.code
    sent = OutboxMessage.objects.filter(key__startswith=f"payment_request:{request.pk}:issued")
    assert {(m.channel, m.to) for m in sent} == {
        ("sms", "0905123456"),
        ("email", "binh@example.vn"),
        ("portal", "binh@example.vn"),
    }
    assert "250.000 ₫" in sent.get(channel="sms").body
    assert DossierAction.REQUEST_PAYMENT not in dossier_officer_actions(dossier=dossier)
    with pytest.raises(IllegalTransition):
        dossier_request_payment(dossier=dossier, officer=officer, lines=lines(1_000))


def test_resend_sends_again_with_new_keys(procedure, citizen):
    dossier = submit_dossier(citizen, procedure)
    officer = officer_for(procedure)
    request = dossier_request_payment(dossier=dossier, officer=officer, lines=lines(100_000))
    before = OutboxMessage.objects.filter(channel="sms", to="0905123456").count()

    dossier_resend_payment_notice(dossier=dossier, officer=officer)
    dossier_resend_payment_notice(dossier=dossier, officer=officer)

    assert OutboxMessage.objects.filter(channel="sms", to="0905123456").count() == before + 2
    assert audit_trail(dossier).filter(action="dossier.payment_notice_resent").count() == 2
    assert PaymentRequest.objects.get(pk=request.pk).status == PaymentRequestStatus.ISSUED


def test_cancel_returns_dossier_to_waiting_and_allows_a_new_request(procedure, citizen):
    dossier = submit_dossier(citizen, procedure)
    officer = officer_for(procedure)
    request = dossier_request_payment(dossier=dossier, officer=officer, lines=lines(100_000))

    with pytest.raises(DossierError, match="lý do"):
        dossier_cancel_payment_request(dossier=dossier, officer=officer, reason=" ")
    dossier_cancel_payment_request(dossier=dossier, officer=officer, reason="Sai số tiền")

    dossier.refresh_from_db()
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.CANCELLED and request.cancel_reason == "Sai số tiền"
    assert dossier.status == DossierStatus.SUBMITTED and dossier.fee_status == FeeStatus.NONE
    assert dossier.amount_due == 0
    assert DossierAction.REQUEST_PAYMENT in dossier_officer_actions(dossier=dossier)
    assert dossier_request_payment(dossier=dossier, officer=officer, lines=lines(90_000)).total == 90_000


def test_replace_cancels_old_and_issues_new_without_leaving_awaiting_payment(procedure, citizen):
    dossier = submit_dossier(citizen, procedure)
    officer = officer_for(procedure)
    old = dossier_request_payment(dossier=dossier, officer=officer, lines=lines(100_000))

    new = dossier_replace_payment_request(
        dossier=dossier, officer=officer, lines=lines(120_000), due_date=None, reason="Bổ sung lệ phí"
    )

    old.refresh_from_db()
    dossier.refresh_from_db()
    assert old.status == PaymentRequestStatus.CANCELLED and new.replaces == old
    assert dossier.status == DossierStatus.AWAITING_PAYMENT and dossier.amount_due == 120_000
    assert OutboxMessage.objects.filter(key=f"payment_request:{new.pk}:issued:sms").exists()


def test_changed_amount_needs_reason():
    from civicpay.billing.errors import BillingError

    with pytest.raises(BillingError, match="Nhập lý do thay đổi số tiền"):
        LineInput(kind=FeeKind.FEE, description="Phí thẩm định", amount=150_000, schedule_amount=100_000)
    assert LineInput(
        kind=FeeKind.FEE,
        description="Phí thẩm định",
        amount=150_000,
        schedule_amount=100_000,
        change_reason="Hồ sơ lớn",
    )


def test_paying_awaiting_dossier_marks_it_paid_and_tells_the_payer(procedure, citizen):
    dossier = submit_dossier(citizen, procedure)
    request = dossier_request_payment(dossier=dossier, officer=officer_for(procedure), lines=lines(100_000))

    payment_request_mark_paid(request=request, paid_at=timezone.now(), payment_reference="VNP14422574")

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PAID and dossier.is_paid and dossier.amount_due == 0
    assert OutboxMessage.objects.filter(key=f"payment_request:{request.pk}:paid:portal", user=citizen).exists()
    assert DossierAction.RECEIVE in dossier_officer_actions(dossier=dossier)


def test_received_before_payment_keeps_status_when_paid(procedure, citizen):
    """Seed 000: a dossier may be paid before or after it has a receipt number."""
    dossier = submit_dossier(citizen, procedure)
    officer = officer_for(procedure)
    request = dossier_request_payment(dossier=dossier, officer=officer, lines=lines(100_000))
    dossier_receive(dossier=dossier, officer=officer)
    dossier_start_processing(dossier=dossier, officer=officer)

    payment_request_mark_paid(request=request, paid_at=timezone.now(), payment_reference="MOMO1")

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and dossier.fee_status == FeeStatus.PAID
    last = dossier.status_changes.last()
    assert last is not None and last.note.startswith("Đã thanh toán 100.000 ₫")


def test_expired_notice_releases_the_dossier(procedure, citizen):
    dossier = submit_dossier(citizen, procedure)
    due = clock.local_today() + timedelta(days=1)
    request = dossier_request_payment(dossier=dossier, officer=officer_for(procedure), lines=lines(1_000), due_date=due)

    assert payment_request_expire_overdue(today=due) == 0
    assert payment_request_expire_overdue(today=due + timedelta(days=1)) == 1

    dossier.refresh_from_db()
    request.refresh_from_db()
    assert request.status == PaymentRequestStatus.EXPIRED
    assert dossier.status == DossierStatus.SUBMITTED and dossier.fee_status == FeeStatus.NONE


def test_receive_assigns_receipt_number_per_agency_and_year_and_working_day_appointment(procedure, citizen):
    officer = officer_for(procedure)
    first = dossier_receive(dossier=submit_dossier(citizen, procedure), officer=officer)
    second = dossier_receive(
        dossier=submit_dossier(citizen, procedure), officer=officer, appointment_date=date(2099, 1, 2)
    )

    year = clock.local_today().year
    assert (first.receipt_number, second.receipt_number) == (f"{year}-000001", f"{year}-000002")
    assert first.receipt_year == year and first.received_by == officer.user
    assert first.appointment_date == add_working_days(clock.local_today(), 3)
    assert first.appointment_date.weekday() < 5
    assert second.appointment_date == date(2099, 1, 2)
    with pytest.raises(DossierError, match="Ngày hẹn"):
        dossier_receive(dossier=submit_dossier(citizen, procedure), officer=officer, appointment_date=date(2000, 1, 1))


def test_add_working_days_skips_weekends():
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)
    assert add_working_days(friday, 5) == date(2026, 11, 27)


def test_additional_info_round_trip_returns_to_previous_status(procedure, citizen):
    officer = officer_for(procedure)
    dossier = dossier_receive(dossier=submit_dossier(citizen, procedure), officer=officer)
    dossier_start_processing(dossier=dossier, officer=officer)
    dossier_request_additional_info(dossier=dossier, officer=officer, reason="Thiếu bản sao CCCD")
    assert OutboxMessage.objects.filter(channel="sms", body__contains="Thiếu bản sao CCCD").exists()

    with pytest.raises(DossierError):
        dossier_provide_additional_info(dossier=dossier, user=UserFactory.create(), note="x", attachments=[])
    dossier = dossier_provide_additional_info(
        dossier=dossier, user=citizen, note="Đã bổ sung", attachments=[upload("cccd.pdf", PDF_BYTES)]
    )

    assert dossier.status == DossierStatus.PROCESSING
    assert dossier.attachments.filter(purpose="additional").count() == 1


def test_officer_of_other_agency_or_without_reception_role_cannot_act(procedure, citizen):
    dossier = submit_dossier(citizen, procedure)
    stranger = OfficerFactory.create()
    finance = OfficerFactory.create(agency=procedure.agency, roles=["finance"])
    for officer in (stranger, finance):
        with pytest.raises(DossierError):
            dossier_receive(dossier=dossier, officer=officer)
        with pytest.raises(DossierError):
            dossier_request_payment(dossier=dossier, officer=officer, lines=lines(1_000))
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED


def test_reject_and_withdraw_cancel_the_unpaid_notice(procedure, citizen):
    officer = officer_for(procedure)
    rejected = submit_dossier(citizen, procedure)
    notice = dossier_request_payment(dossier=rejected, officer=officer, lines=lines(1_000))
    dossier_reject(dossier=rejected, officer=officer, reason="Không thuộc thẩm quyền")
    withdrawn = submit_dossier(citizen, procedure)
    notice2 = dossier_request_payment(dossier=withdrawn, officer=officer, lines=lines(1_000))
    dossier_withdraw(dossier=withdrawn, user=citizen, reason="Nộp nhầm thủ tục")

    for dossier, request, status in ((rejected, notice, "rejected"), (withdrawn, notice2, "withdrawn")):
        dossier.refresh_from_db()
        request.refresh_from_db()
        assert dossier.status == status and dossier.fee_status == FeeStatus.NONE
        assert request.status == PaymentRequestStatus.CANCELLED
        assert [c.to_status for c in dossier.status_changes.all()][-1] == status


def test_paid_dossier_cannot_be_withdrawn(procedure, citizen):
    officer = officer_for(procedure)
    dossier = submit_dossier(citizen, procedure)
    request = dossier_request_payment(dossier=dossier, officer=officer, lines=lines(1_000))
    payment_request_mark_paid(request=request, paid_at=timezone.now(), payment_reference="X")
    dossier.refresh_from_db()
    with pytest.raises(IllegalTransition):
        dossier_withdraw(dossier=dossier, user=citizen, reason="Đổi ý")


def test_failed_submission_leaves_no_file_behind(procedure, citizen, private_root):
    from civicpay.dossiers.errors import UploadRejected
    from civicpay.dossiers.tests.helpers import EXE_BYTES

    with pytest.raises(UploadRejected):
        from civicpay.dossiers.services import dossier_submit

        dossier_submit(
            user=citizen,
            procedure=procedure,
            details={"summary": "x"},
            attachments=[upload("a.pdf", PDF_BYTES), upload("b.pdf", EXE_BYTES)],
        )
    assert not [p for p in private_root.rglob("*") if p.is_file()]
