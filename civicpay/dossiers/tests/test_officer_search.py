"""The officer's search box: codes, phone numbers, ID numbers and names each find the dossier."""

from __future__ import annotations

import pytest

from civicpay.accounts.tests.factories import OfficerFactory, UserFactory
from civicpay.directory.tests.factories import ProcedureFactory
from civicpay.dossiers.selectors import dossier_list_for_officer
from civicpay.dossiers.tests.helpers import submit_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossiers():
    procedure = ProcedureFactory.create()
    officer = OfficerFactory.create(agency=procedure.agency)
    lan = submit_dossier(
        UserFactory.create(full_name="Nguyễn Thị Lan", phone="0901234567", id_number="079123456789"), procedure
    )
    binh = submit_dossier(UserFactory.create(full_name="Trần Văn Bình", phone="0987654321"), procedure)
    return officer, lan, binh


def found(officer, q: str) -> set[str]:
    return set(dossier_list_for_officer(officer=officer, q=q).values_list("code", flat=True))


def test_a_code_or_its_prefix_in_any_case_finds_the_dossier(dossiers) -> None:
    officer, lan, binh = dossiers
    assert found(officer, lan.code) == {lan.code}
    assert found(officer, lan.code[:-2].lower()) >= {lan.code}
    assert found(officer, lan.code.split("-")[0] + "-") == {lan.code, binh.code}


def test_phone_in_any_spelling_and_id_number_find_the_applicant(dossiers) -> None:
    officer, lan, _ = dossiers
    assert found(officer, "0901234567") == {lan.code}
    assert found(officer, "+84901234567") == {lan.code}
    assert found(officer, "079123456789") == {lan.code}
    assert found(officer, "0900000000") == set()


def test_part_of_a_name_finds_the_applicant(dossiers) -> None:
    officer, _, binh = dossiers
    assert found(officer, "Văn Bình") == {binh.code}
    assert found(officer, "bình") == {binh.code}
