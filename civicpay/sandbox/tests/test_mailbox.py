from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from django.urls import clear_url_caches, reverse

from civicpay.notifications.models import Channel, DevMessage
from civicpay.sandbox.text import render_message_text

pytestmark = pytest.mark.django_db


def test_mailbox_lists_email_and_sms_newest_first_with_links_and_codes(client):
    email = DevMessage.objects.create(
        channel=Channel.EMAIL,
        to="cong.dan@example.vn",
        subject="Kích hoạt tài khoản",
        body="Mở liên kết https://civicpay.example/kich-hoat/abc?x=1&y=2 để kích hoạt.",
    )
    DevMessage.objects.filter(pk=email.pk).update(created_at=datetime(2026, 3, 1, 17, 30, tzinfo=UTC))
    DevMessage.objects.create(channel=Channel.SMS, to="0912345678", body="Mã OTP: 654321. Không chia sẻ mã.")

    response = client.get(reverse("sandbox:mailbox"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Hộp thư thử nghiệm" in html
    assert html.index('data-channel="sms"') < html.index('data-channel="email"')
    assert '<article class="mailbox-message" data-channel="email" data-to="cong.dan@example.vn"' in html
    assert (
        '<a href="https://civicpay.example/kich-hoat/abc?x=1&amp;y=2">https://civicpay.example/kich-hoat/abc?x=1&amp;y=2</a> để'
        in html
    )
    assert '<strong class="otp">654321</strong>' in html
    # 17:30 UTC is 00:30 the next day in Việt Nam.
    assert "00:30:00 02/03/2026" in html


def test_mailbox_filters_by_recipient(client):
    DevMessage.objects.create(channel=Channel.EMAIL, to="a@example.vn", subject="Cho A", body="a")
    DevMessage.objects.create(channel=Channel.EMAIL, to="b@example.vn", subject="Cho B", body="b")

    html = client.get(reverse("sandbox:mailbox"), {"to": "A@example.vn"}).content.decode()

    assert "Cho A" in html
    assert "Cho B" not in html


def test_message_text_escapes_markup_and_links_only_http_urls():
    rendered = render_message_text(
        "<script>alert(1)</script> javascript:alert(1) https://ok.example/a?b=1. Mã 123456, số 1234567."
    )

    assert "<script>" not in rendered
    assert "&lt;script&gt;" in rendered
    assert 'href="javascript' not in rendered
    assert '<a href="https://ok.example/a?b=1">https://ok.example/a?b=1</a>.' in rendered
    assert '<strong class="otp">123456</strong>' in rendered
    assert '<strong class="otp">1234567' not in rendered  # seven digits are not a one-time code


def test_codes_inside_links_are_not_highlighted():
    rendered = render_message_text("https://civicpay.example/xac-thuc/123456")

    assert "otp" not in rendered


def test_latest_json_returns_the_newest_message_for_a_recipient(client):
    DevMessage.objects.create(channel=Channel.SMS, to="0912345678", body="Mã OTP: 111111")
    DevMessage.objects.create(channel=Channel.SMS, to="0912345678", body="Mã OTP mới: 222222, xem https://a.example/x")
    DevMessage.objects.create(channel=Channel.SMS, to="0987654321", body="Mã OTP: 333333")

    data = client.get(reverse("sandbox:mailbox_latest"), {"to": "0912345678"}).json()["message"]

    assert data["codes"] == ["222222"]
    assert data["links"] == ["https://a.example/x"]
    assert data["channel"] == "sms"


def test_latest_json_is_404_when_nothing_arrived(client):
    response = client.get(reverse("sandbox:mailbox_latest"), {"to": "nobody@example.vn"})

    assert response.status_code == 404
    assert response.json() == {"message": None}


@pytest.fixture
def urlconf_without_sandbox() -> Iterator[str]:
    """civicpay/urls.py executed afresh with SANDBOX_ENABLED off, as a production process would build it."""
    name = "civicpay_urls_without_sandbox"
    with override_settings(SANDBOX_ENABLED=False):
        origin = importlib.util.find_spec("civicpay.urls").origin  # type: ignore[union-attr]
        spec = importlib.util.spec_from_file_location(name, origin)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    sys.modules[name] = module
    clear_url_caches()
    try:
        yield name
    finally:
        del sys.modules[name]
        clear_url_caches()


def test_mailbox_is_not_there_when_the_sandbox_is_off(client, urlconf_without_sandbox):
    DevMessage.objects.create(channel=Channel.SMS, to="0912345678", body="Mã OTP: 654321")

    with override_settings(ROOT_URLCONF=urlconf_without_sandbox):
        assert client.get("/sandbox/mailbox/").status_code == 404
        assert client.get("/sandbox/mailbox/latest.json").status_code == 404
        assert client.post("/sandbox/sms/api/send").status_code == 404
    assert client.get("/sandbox/mailbox/").status_code == 200  # the normal urlconf still has it
