"""A small world for the portal tests, built through the real services (no dossier is faked).

- ``owner`` submits a personal dossier (``own``) and, as a member of ``org``, one for it (``org_dossier``);
- ``colleague`` is another representative of ``org``; ``other_rep`` represents ``other_org``;
- ``stranger`` is a citizen with nothing; ``officer`` works at the dossiers' agency.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from civicpay.accounts.tests.factories import (
    OfficerFactory,
    OrganisationFactory,
    OrganisationMemberFactory,
    UserFactory,
)
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import AgencyFactory, FeeScheduleLineFactory, ProcedureFactory
from civicpay.dossiers.services import dossier_submit
from civicpay.portal.tests.helpers import World, pdf_upload


@pytest.fixture(autouse=True)
def _private_root(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def world(db: None) -> World:
    agency = AgencyFactory.create(code="G22.45", name="Sở Tư pháp tỉnh Khánh Hòa")
    procedure = ProcedureFactory.create(agency=agency, code="1.000656", name="Cấp phiếu lý lịch tư pháp")
    FeeScheduleLineFactory.create(procedure=procedure, kind=FeeKind.CHARGE, amount=200_000)
    owner = UserFactory.create(full_name="Trần Thị Bích Ngọc", phone="0912345678")
    colleague = UserFactory.create(full_name="Lê Văn Đồng Nghiệp")
    other_rep = UserFactory.create(full_name="Phạm Quốc Khác")
    stranger = UserFactory.create(full_name="Hoàng Văn Lạ")
    org = OrganisationFactory.create(name="Công ty TNHH Sao Mai")
    other_org = OrganisationFactory.create(name="Công ty CP Hải Đăng")
    OrganisationMemberFactory.create(organisation=org, user=owner)
    OrganisationMemberFactory.create(organisation=org, user=colleague)
    OrganisationMemberFactory.create(organisation=other_org, user=other_rep)
    officer = OfficerFactory.create(agency=agency)
    own = dossier_submit(
        user=owner,
        procedure=procedure,
        details={"summary": "Cấp 2 bản phiếu số 1", "notes": ""},
        attachments=[pdf_upload("cccd.pdf")],
    )
    org_dossier = dossier_submit(
        user=owner,
        procedure=procedure,
        details={"summary": "Phiếu cho giám đốc công ty", "notes": ""},
        attachments=[pdf_upload("giay-uy-quyen.pdf")],
        organisation=org,
    )
    return World(
        agency=agency,
        procedure=procedure,
        owner=owner,
        colleague=colleague,
        other_rep=other_rep,
        stranger=stranger,
        officer=officer,
        org=org,
        other_org=other_org,
        own=own,
        org_dossier=org_dossier,
    )
