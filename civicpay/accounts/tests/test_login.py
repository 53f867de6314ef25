from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import OfficerRole
from civicpay.accounts.tests.factories import (
    PASSWORD,
    OfficerFactory,
    OrganisationMemberFactory,
    UserFactory,
)
from civicpay.directory.tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def log_in(client: Client, username: str, password: str = PASSWORD, **extra: str):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_login_page_has_the_expected_fields_and_links(client: Client) -> None:
    page = client.get(LOGIN).content.decode()
    assert "Email hoặc số điện thoại" in page
    assert 'name="username"' in page
    assert "Mật khẩu" in page
    assert "Đăng nhập" in page
    assert "Quên mật khẩu?" in page
    assert reverse("accounts:password_reset") in page


def test_citizen_logs_in_by_email_and_lands_on_their_page(client: Client) -> None:
    user = UserFactory.create(email="lan.pham@example.vn", full_name="Phạm Thị Lan")
    OrganisationMemberFactory.create(user=user, organisation__name="Hợp tác xã Rau sạch Đà Lạt")

    response = log_in(client, "Lan.Pham@Example.vn")

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    page = client.get(reverse("portal:home")).content.decode()
    assert "Xin chào, Phạm Thị Lan" in page
    assert "lan.pham@example.vn" in page
    assert str(user.phone) in page
    assert "Hợp tác xã Rau sạch Đà Lạt" in page


def test_citizen_logs_in_by_phone_in_any_usual_spelling(client: Client) -> None:
    UserFactory.create(phone="0987654321", full_name="Lê Văn Hùng")

    response = log_in(client, "+84 987 654 321")

    assert response.status_code == 302
    assert "Xin chào, Lê Văn Hùng" in client.get(reverse("portal:home")).content.decode()


def test_login_honours_a_safe_next_and_ignores_an_outside_one(client: Client) -> None:
    UserFactory.create(email="a@example.vn")
    assert log_in(client, "a@example.vn", next="/tai-khoan/dang-ky/")["Location"] == "/tai-khoan/dang-ky/"
    client.post(reverse("accounts:logout"))
    assert log_in(client, "a@example.vn", next="https://evil.example/")["Location"] == reverse("portal:home")


def test_wrong_password_says_so_without_saying_which_part(client: Client) -> None:
    UserFactory.create(email="b@example.vn")
    response = log_in(client, "b@example.vn", "sai-mat-khau")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Email/số điện thoại hoặc mật khẩu không đúng." in page
    assert 'value="b@example.vn"' in page
    assert "_auth_user_id" not in client.session


def test_account_not_yet_activated_cannot_log_in_and_is_offered_a_new_link(client: Client) -> None:
    UserFactory.create(email="moi@example.vn", is_active=False)

    response = log_in(client, "moi@example.vn")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Tài khoản chưa được kích hoạt" in page
    assert reverse("accounts:resend_activation") in page
    assert "Gửi lại thư kích hoạt" in page
    assert "_auth_user_id" not in client.session


def test_not_activated_is_only_revealed_with_the_right_password(client: Client) -> None:
    UserFactory.create(email="moi@example.vn", is_active=False)
    page = log_in(client, "moi@example.vn", "doan-bua").content.decode()
    assert "chưa được kích hoạt" not in page
    assert "Email/số điện thoại hoặc mật khẩu không đúng." in page


def test_five_wrong_passwords_lock_the_account_but_not_another(client: Client) -> None:
    UserFactory.create(email="victim@example.vn", phone="0911111111")
    UserFactory.create(email="neighbour@example.vn")

    for _attempt in range(4):
        assert log_in(client, "victim@example.vn", "doan-bua").status_code == 200
    locked = log_in(client, "0911111111", "doan-bua")  # another spelling of the same account counts too

    page = locked.content.decode()
    assert locked.status_code == 429
    assert "Tài khoản tạm thời bị khóa" in page
    assert "15 phút" in page
    # Even the right password is refused while the lock lasts.
    assert log_in(client, "victim@example.vn").status_code == 429
    assert "_auth_user_id" not in client.session
    # Someone else on the same machine and address is not affected.
    assert log_in(client, "neighbour@example.vn").status_code == 302


def test_officer_lands_on_the_back_office(client: Client) -> None:
    agency = AgencyFactory.create(name="Sở Tư pháp tỉnh Khánh Hòa")
    officer = OfficerFactory.create(
        agency=agency, roles=[OfficerRole.RECEPTION.value, OfficerRole.FINANCE.value], user__email="canbo@example.vn"
    )

    response = log_in(client, "canbo@example.vn")

    assert response["Location"] == reverse("backoffice:home")
    page = client.get(reverse("backoffice:home")).content.decode()
    assert "Sở Tư pháp tỉnh Khánh Hòa" in page
    assert "Cán bộ tiếp nhận" in page
    assert "Cán bộ tài chính" in page
    assert "Tiếp nhận - Trả kết quả" in page
    assert officer.user.full_name in page


def test_officer_visiting_the_portal_home_is_sent_to_the_back_office(client: Client) -> None:
    officer = OfficerFactory.create()
    client.force_login(officer.user)
    assert client.get(reverse("portal:home"))["Location"] == reverse("backoffice:home")


def test_back_office_refuses_citizens_and_sends_visitors_to_log_in(client: Client) -> None:
    anonymous = client.get(reverse("backoffice:home"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(LOGIN + "?next=")

    client.force_login(UserFactory.create())
    forbidden = client.get(reverse("backoffice:home"))
    assert forbidden.status_code == 403
    assert "Không có quyền truy cập" in forbidden.content.decode()


def test_logout_is_a_post_and_ends_the_session(client: Client) -> None:
    client.force_login(UserFactory.create())
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
