"""Thông báo thu phí: the list and the printable PDF notice; in-portal notifications."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from civicpay.billing.notice import render_fee_notice_pdf
from civicpay.core.money import vnd_in_words
from civicpay.notifications.models import Channel, OutboxMessage
from civicpay.portal.tests.helpers import World

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_list_shows_dossier_code_agency_amount_due_date_and_print_link(client: Client, world: World) -> None:
    notice = world.issue_notice(world.org_dossier)
    client.force_login(world.colleague)  # a representative of the paying organisation
    page = client.get(reverse("portal:fee_notices")).content.decode()
    assert "<h1>Thông báo thu phí</h1>" in page
    for expected in (
        world.org_dossier.code,
        notice.number,
        world.agency.name,
        "1.005.000 ₫",
        notice.due_date.strftime("%d/%m/%Y"),
        "Chờ thanh toán",
        reverse("portal:fee_notice_pdf", args=[notice.number]),
    ):
        assert expected in page
    assert "Thanh toán</button>" not in page  # paying arrives with the payments issue


def test_pdf_notice_content(world: World) -> None:
    notice = world.issue_notice(world.own)
    data = render_fee_notice_pdf(notice)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = _pdf_text(data)
    assert "THÔNG BÁO NỘP PHÍ, LỆ PHÍ" in text
    assert world.own.code in text
    assert world.agency.name in text
    assert world.owner.full_name in text
    assert "Lệ phí" in text and "Phí" in text
    assert "Phí thẩm định hồ sơ" in text and "Lệ phí cấp phiếu" in text
    assert "1.005.000 ₫" in text
    assert vnd_in_words(1_005_000) in " ".join(text.split())  # words may wrap across lines
    assert notice.due_date.strftime("%d/%m/%Y") in text
    assert "1900 1023" in text  # the support hotline


def test_pdf_download_through_the_portal(client: Client, world: World) -> None:
    notice = world.issue_notice(world.org_dossier)
    client.force_login(world.colleague)
    response = client.get(reverse("portal:fee_notice_pdf", args=[notice.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"thong-bao-thu-phi-{notice.number}.pdf" in response["Content-Disposition"]
    text = _pdf_text(response.content)
    assert world.org_dossier.code in text and world.org.name in text


def test_unknown_notice_number_is_404(client: Client, world: World) -> None:
    client.force_login(world.owner)
    assert client.get(reverse("portal:fee_notice_pdf", args=["TB0000000000"])).status_code == 404


def test_notifications_list_and_mark_read(client: Client, world: World) -> None:
    world.issue_notice(world.own)
    client.force_login(world.owner)
    page = client.get(reverse("portal:notifications")).content.decode()
    assert world.own.code in page
    unread = OutboxMessage.objects.filter(user=world.owner, channel=Channel.PORTAL, read_at__isnull=True)
    assert unread.count() >= 2  # submitted ×2, payment requested
    first = unread.first()
    assert first is not None
    client.post(reverse("portal:notification_read", args=[first.pk]))
    first.refresh_from_db()
    assert first.is_read
    client.post(reverse("portal:notifications_read_all"))
    assert not unread.exists()
    assert "Đánh dấu đã đọc" not in client.get(reverse("portal:notifications")).content.decode()
