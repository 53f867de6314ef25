from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from civicpay.accounts.models import Officer, OfficerRole, Organisation, User
from civicpay.accounts.validators import validate_tax_code
from civicpay.directory.demo import DEMO_ACCOUNTS, DEMO_AGENCIES, DEMO_ORGANISATION, DEMO_PASSWORD
from civicpay.directory.models import Agency, FeeKind, FeeScheduleLine, Procedure
from civicpay.directory.places import is_province
from civicpay.directory.selectors import agency_list, procedure_search

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "agencies": Agency.objects.count(),
        "procedures": Procedure.objects.count(),
        "fee lines": FeeScheduleLine.objects.count(),
        "users": User.objects.count(),
        "officers": Officer.objects.count(),
        "organisations": Organisation.objects.count(),
    }


def _load() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def test_loading_twice_changes_nothing_and_prints_the_same_accounts():
    first = _load()
    counts = _counts()
    second = _load()
    assert _counts() == counts
    assert "already present" in second
    table = first[first.index("Demo accounts") :]
    assert table == second[second.index("Demo accounts") :]
    for account in DEMO_ACCOUNTS:
        assert account.email in table
    assert DEMO_PASSWORD in table


def test_every_demo_account_logs_in_with_the_printed_password():
    _load()
    request = RequestFactory().post("/tai-khoan/dang-nhap/")  # django-axes needs the request
    for account in DEMO_ACCOUNTS:
        user = authenticate(request, username=account.email, password=DEMO_PASSWORD)
        assert user is not None, account.email
    citizen = authenticate(request, username="0901234567", password=DEMO_PASSWORD)
    assert citizen is not None and citizen.email == "citizen@civicpay.local"
    admin = User.objects.get(email="admin@civicpay.local")
    assert admin.is_staff and admin.is_superuser


def test_each_agency_has_a_reception_and_a_finance_officer():
    _load()
    for spec in DEMO_AGENCIES:
        roles = sorted(role for officer in Officer.objects.filter(agency__code=spec.code) for role in officer.roles)
        assert roles == sorted([OfficerRole.FINANCE.value, OfficerRole.RECEPTION.value]), spec.code
    reception = Officer.objects.get(user__email="tiepnhan.stp-khanhhoa@civicpay.local")
    assert reception.agency.name == "Sở Tư pháp tỉnh Khánh Hòa"
    assert reception.has_role(OfficerRole.RECEPTION)


def test_the_demo_organisation_has_a_valid_tax_code_and_its_representative():
    validate_tax_code(DEMO_ORGANISATION.tax_code)
    _load()
    organisation = Organisation.objects.get(tax_code=DEMO_ORGANISATION.tax_code)
    membership = organisation.memberships.get()
    assert membership.user.email == "org@civicpay.local"
    assert membership.is_legal_representative


def test_catalogue_is_realistic_enough_to_demo():
    _load()
    assert Procedure.objects.count() >= 20
    assert {a.province_code for a in Agency.objects.all()} == {56, 42, 48}
    assert all(is_province(a.province_code) for a in Agency.objects.all())
    assert set(FeeScheduleLine.objects.values_list("kind", flat=True)) == set(FeeKind.values)
    amounts = list(FeeScheduleLine.objects.values_list("amount", flat=True))
    assert all(a is None or (type(a) is int and a >= 0) for a in amounts)
    assert None in amounts  # land: financial obligations set by the officer

    criminal_record = Procedure.objects.get(agency__code="H34.15", code="2.000488")
    assert [(line.kind, line.amount) for line in criminal_record.fee_lines.all()] == [(FeeKind.FEE, 200_000)]
    company = Procedure.objects.filter(agency__code="H34.05", name__startswith="Đăng ký thành lập").first()
    assert company is not None
    assert sorted((line.kind, line.amount) for line in company.fee_lines.all()) == [
        (FeeKind.CHARGE, 50_000),
        (FeeKind.FEE, 100_000),
    ]


def test_demo_data_is_findable_the_way_people_type():
    _load()
    assert procedure_search(q="chung thuc ban sao").count() == 3  # one per demo ward
    assert [a.name for a in agency_list(q="quang nam")] == [
        "Sở Tư pháp thành phố Đà Nẵng",
        "Ủy ban nhân dân phường Tam Kỳ",
    ]
