from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import User
from civicpay.accounts.tests.factories import OfficerFactory, OrganisationMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["user", "organisation", "organisationmember", "officer"])
def test_platform_admin_can_list_search_and_open_accounts(client: Client, model: str) -> None:
    OfficerFactory.create()
    membership = OrganisationMemberFactory.create()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))

    listing = client.get(reverse(f"admin:accounts_{model}_changelist"), {"q": "Nguyễn"})
    assert listing.status_code == 200
    assert client.get(reverse(f"admin:accounts_{model}_add")).status_code == 200
    obj = {"user": membership.user, "organisation": membership.organisation, "organisationmember": membership}.get(
        model
    )
    if obj is not None:
        assert client.get(reverse(f"admin:accounts_{model}_change", args=[obj.pk])).status_code == 200


def test_admin_creates_a_user_by_email(client: Client) -> None:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "moi.tao@example.vn",
            "full_name": "Đỗ Minh Tạo",
            "phone": "0933333333",
            "usable_password": "true",
            "password1": "Mat-khau-quan-tri-2026",
            "password2": "Mat-khau-quan-tri-2026",
            "officer-TOTAL_FORMS": "0",
            "officer-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="moi.tao@example.vn").check_password("Mat-khau-quan-tri-2026")
