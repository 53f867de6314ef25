"""Quản lý hồ sơ: the list, one dossier's page, answering a request for documents, withdrawing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from civicpay.dossiers.models import AttachmentPurpose, Dossier, DossierStatus
from civicpay.dossiers.services import dossier_receive, dossier_request_additional_info
from civicpay.portal.tests.helpers import World, pdf_upload

pytestmark = pytest.mark.django_db


def test_list_shows_code_procedure_agency_local_date_status_and_amount_due(client: Client, world: World) -> None:
    # 18:30 UTC on 21 November is 01:30 on 22 November in Việt Nam: the list shows the Vietnamese day.
    Dossier.objects.filter(pk=world.own.pk).update(submitted_at=datetime(2026, 11, 21, 18, 30, tzinfo=UTC))
    world.issue_notice(world.own)
    client.force_login(world.owner)
    page = client.get(reverse("portal:dossier_list")).content.decode()
    assert "<h1>Quản lý hồ sơ</h1>" in page
    for expected in (world.own.code, world.org_dossier.code, world.procedure.name, world.agency.name):
        assert expected in page
    assert "22/11/2026 01:30" in page
    assert "Chờ thanh toán" in page
    assert "1.005.000 ₫" in page  # 1.000.000 phí + 5.000 lệ phí
    assert world.org.name in page  # the organisation's dossier is marked as such


def test_detail_shows_timeline_receipt_number_appointment_and_notice(client: Client, world: World) -> None:
    notice = world.issue_notice(world.own)
    dossier = dossier_receive(dossier=world.own, officer=world.officer)
    client.force_login(world.owner)
    response = client.get(reverse("portal:dossier_detail", args=[dossier.code]))
    page = response.content.decode()
    assert dossier.receipt_number and dossier.receipt_number in page
    assert dossier.appointment_date and dossier.appointment_date.strftime("%d/%m/%Y") in page
    assert "Chờ tiếp nhận" in page and "Chờ thanh toán" in page  # the timeline
    assert notice.number in page and "1.005.000 ₫" in page
    assert reverse("portal:fee_notice_pdf", args=[notice.number]) in page
    assert "cccd.pdf" in page


def test_answering_a_request_for_documents(client: Client, world: World) -> None:
    received = dossier_receive(dossier=world.own, officer=world.officer)
    dossier_request_additional_info(dossier=received, officer=world.officer, reason="Thiếu bản sao CCCD")
    client.force_login(world.owner)
    page = client.get(reverse("portal:dossier_detail", args=[world.own.code])).content.decode()
    assert "Thiếu bản sao CCCD" in page and "Gửi bổ sung" in page

    url = reverse("portal:dossier_provide_info", args=[world.own.code])
    bad = SimpleUploadedFile("cccd.pdf", b"GIF89a not a pdf", content_type="application/pdf")
    response = client.post(url, {"note": "Gửi bản sao", "attachments": [bad]})
    assert response.status_code == 400
    assert "phải là PDF, JPEG hoặc PNG" in response.content.decode()
    assert "Gửi bản sao" in response.content.decode()

    response = client.post(url, {"note": "Gửi bản sao", "attachments": [pdf_upload("cccd-sao.pdf")]})
    assert response.status_code == 302
    world.own.refresh_from_db()
    assert world.own.status == DossierStatus.RECEIVED
    added = world.own.attachments.get(purpose=AttachmentPurpose.ADDITIONAL)
    assert added.original_name == "cccd-sao.pdf"


def test_provide_info_form_is_not_offered_when_nothing_was_asked(client: Client, world: World) -> None:
    client.force_login(world.owner)
    page = client.get(reverse("portal:dossier_detail", args=[world.own.code])).content.decode()
    assert "Gửi bổ sung" not in page
    response = client.post(reverse("portal:dossier_provide_info", args=[world.own.code]), {"note": "x"})
    assert response.status_code == 400
    world.own.refresh_from_db()
    assert world.own.status == DossierStatus.SUBMITTED


def test_withdraw_needs_a_reason_then_withdraws(client: Client, world: World) -> None:
    client.force_login(world.owner)
    url = reverse("portal:dossier_withdraw", args=[world.own.code])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Nhập lý do rút hồ sơ" in response.content.decode()

    response = client.post(url, {"reason": "Nộp nhầm thủ tục"}, follow=True)
    page = response.content.decode()
    assert f"Đã rút hồ sơ {world.own.code}." in page
    assert ">Đã rút</span>" in page  # the status tag
    assert "Rút hồ sơ khi bạn không muốn" not in page  # no longer offered
