"""The officer's dossier page: what it shows, the actions it offers, and what those actions do."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import Officer
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.billing.types import LineInput
from civicpay.core.models import AuditEntry
from civicpay.directory.models import FeeKind, Procedure
from civicpay.dossiers.models import Dossier, DossierStatus, FeeStatus
from civicpay.dossiers.services import dossier_request_payment
from civicpay.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def page(client: Client, dossier: Dossier) -> str:
    response = client.get(reverse("backoffice:dossier", args=[dossier.pk]))
    assert response.status_code == 200
    return response.content.decode()


def act(client: Client, dossier: Dossier, action: str, data: dict | None = None, **kwargs):
    return client.post(reverse("backoffice:dossier_action", args=[dossier.pk, action]), data or {}, **kwargs)


def test_page_shows_the_applicant_and_offers_only_allowed_actions(officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure, applicant_name="Lê Thị Hoa")

    html = page(officer_client, dossier)

    assert "Lê Thị Hoa" in html and dossier.applicant_phone in html
    assert "Cấp phiếu lý lịch tư pháp" in html
    assert "Yêu cầu thanh toán" in html and "Tiếp nhận hồ sơ" in html and "Từ chối hồ sơ" in html
    assert "Trả kết quả</button>" not in html
    assert "Gửi lại thông báo" not in html  # nothing to re-send yet


def test_receive_assigns_a_receipt_number_shown_on_the_page(officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure, status=DossierStatus.PAID, fee_status=FeeStatus.PAID)

    response = act(officer_client, dossier, "receive", {"receive-appointment_date": ""}, follow=True)

    dossier.refresh_from_db()
    html = response.content.decode()
    assert dossier.status == DossierStatus.RECEIVED
    assert dossier.receipt_number
    assert f"Số biên nhận: {dossier.receipt_number}" in html
    assert "Chuyển giải quyết" in html  # the next step is offered now
    assert "dossier.received" in html or "Đã tiếp nhận" in html


def test_receive_with_a_past_appointment_date_is_refused(officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure)

    response = act(officer_client, dossier, "receive", {"receive-appointment_date": "2020-01-01"})

    assert response.status_code == 400
    assert "Ngày hẹn trả kết quả không được trước hôm nay" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED and dossier.receipt_number is None


def test_reject_needs_a_reason_and_is_recorded_in_the_audit_log(officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure)

    empty = act(officer_client, dossier, "reject", {"reject-reason": ""})
    assert empty.status_code == 400
    assert "Nhập lý do" in empty.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED

    done = act(officer_client, dossier, "reject", {"reject-reason": "Hồ sơ không đúng thẩm quyền"}, follow=True)

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.REJECTED
    html = done.content.decode()
    assert "Đã từ chối hồ sơ" in html
    assert "Hồ sơ không đúng thẩm quyền" in html
    assert "Nhật ký xử lý" in html and "Trần Thị Tiếp Nhận" in html
    assert "Không còn thao tác nào" in html


def test_return_result_uploads_the_file_and_notifies_the_applicant(officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure, status=DossierStatus.PROCESSING, fee_status=FeeStatus.PAID)
    outbox_before = OutboxMessage.objects.count()

    response = act(
        officer_client,
        dossier,
        "return_result",
        {
            "return_result-result_file": SimpleUploadedFile("ket-qua.pdf", PDF, content_type="application/pdf"),
            "return_result-note": "Nhận bản giấy tại bộ phận một cửa",
        },
        follow=True,
    )

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RESULT_READY
    html = response.content.decode()
    assert "ket-qua.pdf" in html
    assert OutboxMessage.objects.count() > outbox_before
    attachment = dossier.attachments.get(purpose="result")
    download = officer_client.get(reverse("backoffice:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert download.getvalue() == PDF
    assert "attachment" in download["Content-Disposition"]


def test_return_result_refuses_a_file_that_is_not_a_document(officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure, status=DossierStatus.PROCESSING, fee_status=FeeStatus.PAID)

    response = act(
        officer_client,
        dossier,
        "return_result",
        {"return_result-result_file": SimpleUploadedFile("ket-qua.pdf", b"MZ\x90\x00 not a pdf")},
    )

    assert response.status_code == 400
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING


def test_a_forged_illegal_action_shows_an_error_and_changes_nothing(officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure)
    audit_before = AuditEntry.objects.count()

    response = act(officer_client, dossier, "complete", follow=True)

    assert "Không thể thực hiện “Hoàn thành, đã trao kết quả”" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED
    assert AuditEntry.objects.count() == audit_before


def test_an_unknown_action_is_not_found(officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure)
    assert act(officer_client, dossier, "delete_everything").status_code == 404


def test_resend_and_cancel_an_unpaid_request(officer: Officer, officer_client: Client, procedure: Procedure):
    dossier = DossierFactory.create(procedure=procedure)
    dossier_request_payment(
        dossier=dossier, officer=officer, lines=[LineInput(kind=FeeKind.CHARGE, description="Lệ phí", amount=200_000)]
    )
    sms_count = OutboxMessage.objects.filter(channel="sms", to=dossier.applicant_phone).count()

    html = page(officer_client, dossier)
    assert "Gửi lại thông báo" in html and "Hủy yêu cầu thanh toán" in html and "200.000 ₫" in html

    act(officer_client, dossier, "resend_payment_notice")
    assert OutboxMessage.objects.filter(channel="sms", to=dossier.applicant_phone).count() == sms_count + 1

    act(officer_client, dossier, "cancel_payment_request", {"cancel_payment_request-reason": "Sai đối tượng miễn phí"})
    dossier.refresh_from_db()
    assert dossier.fee_status == FeeStatus.NONE and dossier.status == DossierStatus.SUBMITTED
    assert PaymentRequest.objects.get(owner_id=dossier.pk).status == PaymentRequestStatus.CANCELLED
