from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.tests.factories import PASSWORD, UserFactory
from civicpay.accounts.tests.helpers import emails_to, link_on_own_line, path_of
from civicpay.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Bien-xanh-Nha-Trang-9"


def test_login_page_links_to_reset(client: Client) -> None:
    page = client.get(reverse("accounts:password_reset")).content.decode()
    assert "Quên mật khẩu" in page
    assert "Email" in page


def test_reset_email_is_queued_and_the_link_sets_a_new_password(client: Client) -> None:
    user = UserFactory.create(email="quen@example.vn")

    response = client.post(reverse("accounts:password_reset"), {"email": "Quen@example.vn"}, follow=True)

    assert "Kiểm tra hộp thư của bạn" in response.content.decode()
    [mail] = emails_to("quen@example.vn")
    assert mail.subject == "Đặt lại mật khẩu CivicPay"
    assert mail.user == user
    link = link_on_own_line(mail)
    assert link.startswith("http://testserver/tai-khoan/dat-lai-mat-khau/")

    form_page = client.get(path_of(link), follow=True)
    assert "Đặt mật khẩu mới" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Đã đổi mật khẩu" in done.content.decode()

    assert (
        client.post(reverse("accounts:login"), {"username": "quen@example.vn", "password": PASSWORD}).status_code == 200
    )
    assert (
        client.post(reverse("accounts:login"), {"username": "quen@example.vn", "password": NEW_PASSWORD}).status_code
        == 302
    )
    # The link works once.
    reused = client.get(path_of(link), follow=True)
    assert "Liên kết đặt lại mật khẩu không dùng được" in reused.content.decode()


def test_unknown_address_gets_the_same_answer_and_no_email(client: Client) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "khong.co@example.vn"}, follow=True)
    assert "Kiểm tra hộp thư của bạn" in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_weak_new_password_is_refused_in_vietnamese(client: Client) -> None:
    UserFactory.create(email="quen@example.vn")
    client.post(reverse("accounts:password_reset"), {"email": "quen@example.vn"})
    [mail] = emails_to("quen@example.vn")
    form_page = client.get(path_of(link_on_own_line(mail)), follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "12345", "new_password2": "12345"})
    page = response.content.decode()
    assert "Mật khẩu quá ngắn" in page
    assert "Có lỗi cần sửa" in page


def test_resetting_the_password_lifts_a_lockout(client: Client) -> None:
    UserFactory.create(email="khoa@example.vn")
    for _attempt in range(5):
        last = client.post(reverse("accounts:login"), {"username": "khoa@example.vn", "password": "doan-bua"})
    assert last.status_code == 429

    client.post(reverse("accounts:password_reset"), {"email": "khoa@example.vn"})
    [mail] = emails_to("khoa@example.vn")
    form_page = client.get(path_of(link_on_own_line(mail)), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.post(reverse("accounts:login"), {"username": "khoa@example.vn", "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_reset_is_recorded_in_the_audit_log(client: Client) -> None:
    from civicpay.core.models import AuditEntry

    user = UserFactory.create(email="quen@example.vn")
    client.post(reverse("accounts:password_reset"), {"email": "quen@example.vn"})
    [mail] = emails_to("quen@example.vn")
    form_page = client.get(path_of(link_on_own_line(mail)), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert AuditEntry.objects.filter(action="user.password_reset", target_id=str(user.pk)).count() == 1
