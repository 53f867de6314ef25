from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import Organisation, OrganisationMember, User
from civicpay.accounts.tests.factories import OrganisationFactory, UserFactory
from civicpay.accounts.tests.helpers import emails_to, link_on_own_line, path_of
from civicpay.core.models import AuditEntry
from civicpay.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

VALID_TAX_CODE = "0100109106"  # check digit verified by validators.validate_tax_code


def citizen_data(**overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Trần Thị Bích Ngọc",
        "email": "ngoc.tran@example.vn",
        "phone": "0912 345 678",
        "id_number": "079190012345",
        "password1": "Hoa-sen-no-2026",
        "password2": "Hoa-sen-no-2026",
    }
    data.update(overrides)
    return data


def organisation_data(**overrides: str) -> dict[str, str]:
    data = {
        "organisation_name": "Công ty TNHH Sao Mai",
        "tax_code": VALID_TAX_CODE,
        "address": "5 Lê Lợi, Phường Bến Thành, TP Hồ Chí Minh",
        **citizen_data(),
    }
    data.update(overrides)
    return data


def test_choice_page_offers_both_kinds_of_account(client: Client) -> None:
    page = client.get(reverse("accounts:register")).content.decode()
    assert "Cá nhân" in page
    assert "Tổ chức, doanh nghiệp" in page
    assert reverse("accounts:register_citizen") in page
    assert reverse("accounts:register_organisation") in page


def test_citizen_registers_and_is_sent_an_activation_link(client: Client) -> None:
    form_page = client.get(reverse("accounts:register_citizen")).content.decode()
    for label in ("Họ và tên", "Email", "Số điện thoại", "Số CCCD/CMND/Hộ chiếu", "Mật khẩu", "Nhập lại mật khẩu"):
        assert label in form_page
    assert "Đăng ký" in form_page

    response = client.post(reverse("accounts:register_citizen"), citizen_data(), follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:register_done")
    assert "Kiểm tra hộp thư của bạn" in response.content.decode()
    assert "ngoc.tran@example.vn" in response.content.decode()
    user = User.objects.get(email="ngoc.tran@example.vn")
    assert user.is_active is False
    assert user.phone == "0912345678"
    assert user.full_name == "Trần Thị Bích Ngọc"
    assert user.check_password("Hoa-sen-no-2026")
    [mail] = emails_to("ngoc.tran@example.vn")
    assert mail.subject == "Kích hoạt tài khoản CivicPay"
    link = link_on_own_line(mail)
    assert link.startswith("http://testserver/tai-khoan/kich-hoat/")
    assert AuditEntry.objects.filter(action="user.register", target_id=str(user.pk)).exists()


def test_organisation_registers_with_its_legal_representative(client: Client) -> None:
    response = client.post(
        reverse("accounts:register_organisation"), organisation_data(tax_code="0100109106 001"), follow=True
    )

    assert "Kiểm tra hộp thư của bạn" in response.content.decode()
    organisation = Organisation.objects.get()
    assert organisation.name == "Công ty TNHH Sao Mai"
    assert organisation.tax_code == "0100109106-001"
    member = OrganisationMember.objects.get(organisation=organisation)
    assert member.user.email == "ngoc.tran@example.vn"
    assert member.is_legal_representative is True
    assert member.user.is_active is False
    assert len(emails_to("ngoc.tran@example.vn")) == 1


def _assert_refused(client: Client, url: str, data: dict[str, str], message: str) -> str:
    """Post ``data``; the page shows ``message``, keeps the answers, and nothing is created or sent."""
    users_before, organisations_before = User.objects.count(), Organisation.objects.count()
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Có lỗi cần sửa" in page
    assert message in page
    assert User.objects.count() == users_before
    assert Organisation.objects.count() == organisations_before
    assert not OutboxMessage.objects.exists()
    assert f'value="{data["email"]}"' in page
    assert f'value="{data["password1"]}"' not in page
    return page


@pytest.mark.parametrize(
    ("overrides", "message", "existing_account"),
    [
        ({"email": "NGOC.TRAN@example.vn", "phone": "0987654321"}, "Email này đã được dùng", True),
        ({"email": "khac@example.vn", "phone": "+84 912 345 678"}, "Số điện thoại này đã được dùng", True),
        ({"phone": "012345"}, "Số điện thoại di động không hợp lệ", False),
        ({"id_number": "07919"}, "Số giấy tờ không hợp lệ", False),
        ({"email": "ngoc-at-example.vn"}, "Nhập địa chỉ email đúng định dạng", False),
        ({"password1": "abc12", "password2": "abc12"}, "Mật khẩu quá ngắn", False),
        ({"password1": "password123", "password2": "password123"}, "Mật khẩu này quá phổ biến, dễ bị đoán", False),
        ({"password1": "83920174625", "password2": "83920174625"}, "Mật khẩu không được chỉ gồm chữ số", False),
        ({"password2": "Hoa-sen-no-2027"}, "Hai mật khẩu không khớp nhau", False),
        ({"full_name": ""}, "Nhập họ và tên", False),
    ],
)
def test_citizen_registration_bad_input_changes_nothing(
    client: Client, overrides: dict[str, str], message: str, existing_account: bool
) -> None:
    if existing_account:
        UserFactory.create(email="ngoc.tran@example.vn", phone="0912345678")
    data = citizen_data(**overrides)
    page = _assert_refused(client, reverse("accounts:register_citizen"), data, message)
    assert data["full_name"] in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tax_code": "0100109107"}, "Mã số thuế không hợp lệ"),
        ({"tax_code": "12345"}, "Mã số thuế không hợp lệ"),
        ({"tax_code": "0100109106"}, "Mã số thuế này đã được đăng ký"),
        ({"id_number": "X12"}, "Số giấy tờ không hợp lệ"),
        ({"organisation_name": ""}, "Nhập tên tổ chức"),
    ],
)
def test_organisation_registration_bad_input_changes_nothing(
    client: Client, overrides: dict[str, str], message: str
) -> None:
    if "đã được đăng ký" in message:
        OrganisationFactory.create(tax_code="0100109106")
    data = organisation_data(**overrides)
    page = _assert_refused(client, reverse("accounts:register_organisation"), data, message)
    assert "5 Lê Lợi, Phường Bến Thành" in page


def test_service_rechecks_uniqueness_so_a_late_duplicate_creates_nothing() -> None:
    from django.core.exceptions import ValidationError

    from civicpay.accounts.services import PersonDetails, organisation_register

    UserFactory.create(email="ngoc.tran@example.vn")
    person = PersonDetails(
        full_name="Trần Thị Bích Ngọc",
        email="Ngoc.Tran@example.vn",
        phone="0912345678",
        id_number="079190012345",
        password="Hoa-sen-no-2026",
    )
    with pytest.raises(ValidationError) as caught:
        organisation_register(person=person, name="Sao Mai", tax_code=VALID_TAX_CODE, address="Huế")
    assert "email" in caught.value.error_dict
    assert not Organisation.objects.exists()
    assert User.objects.count() == 1


def test_registration_link_goes_through_to_activation(client: Client) -> None:
    client.post(reverse("accounts:register_citizen"), citizen_data())
    [mail] = emails_to("ngoc.tran@example.vn")
    response: Any = client.get(path_of(link_on_own_line(mail)))
    assert "Tài khoản đã được kích hoạt" in response.content.decode()
    assert User.objects.get(email="ngoc.tran@example.vn").is_active
