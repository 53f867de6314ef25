from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.tests.factories import UserFactory
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import FeeScheduleLineFactory

pytestmark = pytest.mark.django_db


def test_platform_admin_sees_procedures_with_their_fee_schedule(client: Client):
    admin = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(admin)
    line = FeeScheduleLineFactory.create(kind=FeeKind.FEE, description="Phí chứng thực", amount=2_000, unit="trang")
    procedure = line.procedure

    changelist = client.get(reverse("admin:directory_procedure_changelist"), {"q": "ly lich"})
    assert changelist.status_code == 200
    assert procedure.name in changelist.text
    assert "Phí 2.000 ₫/trang" in changelist.text

    change = client.get(reverse("admin:directory_procedure_change", args=[procedure.pk]))
    assert change.status_code == 200
    assert "Phí chứng thực" in change.text  # the fee line inline

    agencies = client.get(reverse("admin:directory_agency_changelist"), {"tinh": "56"})
    assert agencies.status_code == 200
    assert procedure.agency.name in agencies.text
    assert "Tỉnh Khánh Hòa" in agencies.text
