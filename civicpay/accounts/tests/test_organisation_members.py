from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import OrganisationMember
from civicpay.accounts.tests.factories import OrganisationFactory, OrganisationMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def representative(client: Client) -> OrganisationMember:
    membership = OrganisationMemberFactory.create(organisation=OrganisationFactory.create(name="Công ty CP Biển Đông"))
    client.force_login(membership.user)
    return membership


def url_for(membership: OrganisationMember) -> str:
    return reverse("accounts:organisation_add_member", kwargs={"organisation_id": membership.organisation_id})


def test_legal_representative_adds_an_existing_active_account(client: Client, representative) -> None:
    colleague = UserFactory.create(email="ke.toan@example.vn", full_name="Võ Thị Kế Toán")

    response = client.post(url_for(representative), {"email": "Ke.Toan@example.vn"}, follow=True)

    page = response.content.decode()
    assert "Đã thêm Võ Thị Kế Toán làm người đại diện của Công ty CP Biển Đông." in page
    membership = OrganisationMember.objects.get(organisation=representative.organisation, user=colleague)
    assert membership.is_legal_representative is False
    # The new representative sees the organisation on their own page.
    client.force_login(colleague)
    assert "Công ty CP Biển Đông" in client.get(reverse("portal:home")).content.decode()


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("khong.co@example.vn", "Không tìm thấy tài khoản đã kích hoạt"),
        ("chua.kich.hoat@example.vn", "Không tìm thấy tài khoản đã kích hoạt"),
        ("", "Nhập email của người cần thêm"),
    ],
)
def test_bad_input_adds_no_one(client: Client, representative, email: str, message: str) -> None:
    UserFactory.create(email="chua.kich.hoat@example.vn", is_active=False)

    response = client.post(url_for(representative), {"email": email})

    assert message in response.content.decode()
    assert OrganisationMember.objects.filter(organisation=representative.organisation).count() == 1


def test_adding_someone_twice_is_refused(client: Client, representative) -> None:
    response = client.post(url_for(representative), {"email": representative.user.email})
    assert "đã là người đại diện của tổ chức" in response.content.decode()
    assert OrganisationMember.objects.filter(organisation=representative.organisation).count() == 1


def test_only_a_legal_representative_of_that_organisation_may_add(client: Client) -> None:
    authorised = OrganisationMemberFactory.create(is_legal_representative=False)
    other = OrganisationMemberFactory.create()
    client.force_login(authorised.user)

    assert client.post(url_for(authorised), {"email": other.user.email}).status_code == 404
    assert client.get(url_for(other)).status_code == 404
    assert not OrganisationMember.objects.filter(organisation=authorised.organisation, user=other.user).exists()


def test_visitors_are_sent_to_log_in(client: Client) -> None:
    membership = OrganisationMemberFactory.create()
    response = client.get(url_for(membership))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
