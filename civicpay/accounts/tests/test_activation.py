from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import User
from civicpay.accounts.tests.factories import UserFactory
from civicpay.accounts.tests.helpers import emails_to, link_on_own_line, path_of
from civicpay.accounts.tokens import activation_token_make
from civicpay.core import clock
from civicpay.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def activation_url(user: User, *, age: timedelta = timedelta(0)) -> str:
    token = activation_token_make(user=user, issued_at=clock.now() - age)
    return reverse("accounts:activate", kwargs={"token": token})


def test_link_activates_the_account_once(client: Client) -> None:
    user = UserFactory.create(is_active=False)

    response = client.get(activation_url(user))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Tài khoản đã được kích hoạt" in page
    assert reverse("accounts:login") in page
    user.refresh_from_db()
    assert user.is_active
    assert user.activated_at is not None
    assert AuditEntry.objects.filter(action="user.activate", target_id=str(user.pk)).count() == 1

    again = client.get(activation_url(user))
    assert again.status_code == 200
    assert "đã được kích hoạt trước đó" in again.content.decode()
    assert AuditEntry.objects.filter(action="user.activate", target_id=str(user.pk)).count() == 1


def test_link_still_works_just_before_48_hours(client: Client) -> None:
    user = UserFactory.create(is_active=False)
    response = client.get(activation_url(user, age=timedelta(hours=47, minutes=59)))
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_active


def test_expired_link_explains_and_offers_a_new_one(client: Client) -> None:
    user = UserFactory.create(is_active=False, email="het.han@example.vn")

    response = client.get(activation_url(user, age=timedelta(hours=48, minutes=1)))

    page = response.content.decode()
    assert response.status_code == 410
    assert "Liên kết kích hoạt đã hết hạn" in page
    assert 'value="het.han@example.vn"' in page
    assert "Gửi lại thư kích hoạt" in page
    user.refresh_from_db()
    assert not user.is_active


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),  # signature altered
        lambda token: token[: len(token) // 2],  # cut short when copied
        lambda token: "khong-phai-token",
    ],
)
def test_garbled_link_is_refused(client: Client, mangle) -> None:
    user = UserFactory.create(is_active=False)
    token = activation_token_make(user=user)

    response = client.get(reverse("accounts:activate", kwargs={"token": mangle(token)}))

    assert response.status_code == 400
    assert "Liên kết kích hoạt không hợp lệ" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active


def test_token_signed_for_another_purpose_is_refused(client: Client) -> None:
    user = UserFactory.create(is_active=False)
    forged = signing.TimestampSigner(salt="some.other.purpose").sign_object({"u": user.pk, "e": user.email})

    response = client.get(reverse("accounts:activate", kwargs={"token": forged}))

    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_link_for_an_old_email_address_is_refused(client: Client) -> None:
    user = UserFactory.create(is_active=False, email="cu@example.vn")
    url = activation_url(user)
    User.objects.filter(pk=user.pk).update(email="moi@example.vn")

    assert client.get(url).status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_resend_sends_a_fresh_link_that_works(client: Client) -> None:
    user = UserFactory.create(is_active=False, email="chua.kich.hoat@example.vn")

    response = client.post(reverse("accounts:resend_activation"), {"email": "Chua.Kich.Hoat@example.vn"})

    assert response.status_code == 200
    assert "Kiểm tra hộp thư của bạn" in response.content.decode()
    [mail] = emails_to("chua.kich.hoat@example.vn")
    assert mail.subject == "Kích hoạt tài khoản CivicPay"
    client.get(path_of(link_on_own_line(mail)))
    user.refresh_from_db()
    assert user.is_active


def test_resend_does_not_reveal_whether_an_address_exists(client: Client) -> None:
    UserFactory.create(is_active=True, email="da.kich.hoat@example.vn")

    unknown = client.post(reverse("accounts:resend_activation"), {"email": "khong.co@example.vn"})
    active = client.post(reverse("accounts:resend_activation"), {"email": "da.kich.hoat@example.vn"})

    def strip_email(page: bytes, email: str) -> str:
        main = page.decode().split("<main", 1)[1].split("</main>", 1)[0]
        return main.replace(email, "")

    assert unknown.status_code == active.status_code == 200
    assert strip_email(unknown.content, "khong.co@example.vn") == strip_email(active.content, "da.kich.hoat@example.vn")
    assert emails_to("khong.co@example.vn") == []
    assert emails_to("da.kich.hoat@example.vn") == []


def test_resend_form_rejects_a_malformed_address(client: Client) -> None:
    response = client.post(reverse("accounts:resend_activation"), {"email": "khong-phai-email"})
    assert "Nhập địa chỉ email đúng định dạng" in response.content.decode()


def test_resend_waits_a_minute_between_links(client: Client) -> None:
    from civicpay.notifications.models import OutboxMessage

    UserFactory.create(is_active=False, email="voi.va@example.vn")
    url = reverse("accounts:resend_activation")

    client.post(url, {"email": "voi.va@example.vn"})
    client.post(url, {"email": "voi.va@example.vn"})
    assert len(emails_to("voi.va@example.vn")) == 1

    OutboxMessage.objects.filter(to="voi.va@example.vn").update(created_at=clock.now() - timedelta(seconds=61))
    client.post(url, {"email": "voi.va@example.vn"})
    assert len(emails_to("voi.va@example.vn")) == 2
