from __future__ import annotations

import pytest
from django.test import Client

from civicpay.accounts.models import Officer
from civicpay.accounts.tests.factories import OfficerFactory
from civicpay.directory.models import Agency, FeeKind, Procedure
from civicpay.directory.tests.factories import AgencyFactory, FeeScheduleLineFactory, ProcedureFactory


@pytest.fixture
def agency(db) -> Agency:
    return AgencyFactory.create(code="G22.45", name="Sở Tư pháp tỉnh Khánh Hòa")


@pytest.fixture
def procedure(agency: Agency) -> Procedure:
    """A procedure with a fixed charge and a fee the officer sets case by case."""
    procedure = ProcedureFactory.create(agency=agency, name="Cấp phiếu lý lịch tư pháp")
    FeeScheduleLineFactory.create(
        procedure=procedure, kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=200_000, position=1
    )
    FeeScheduleLineFactory.create(
        procedure=procedure, kind=FeeKind.FEE, description="Phí cung cấp thông tin", amount=100_000, position=2
    )
    return procedure


@pytest.fixture
def officer(agency: Agency) -> Officer:
    return OfficerFactory.create(agency=agency, user__full_name="Trần Thị Tiếp Nhận")


@pytest.fixture
def officer_client(officer: Officer) -> Client:
    client = Client()
    client.force_login(officer.user)
    return client
