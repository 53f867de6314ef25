"""Dossier test data. ``DossierFactory`` writes rows directly (any status, for access and queue tests);
to go through the real life cycle use the services, e.g. ``submit_dossier`` in ``helpers``."""

from __future__ import annotations

import factory
from django.utils import timezone

from civicpay.accounts.tests.factories import UserFactory
from civicpay.directory.tests.factories import ProcedureFactory
from civicpay.dossiers.models import Dossier, DossierStatus, FeeStatus


class DossierFactory(factory.django.DjangoModelFactory[Dossier]):
    class Meta:
        model = Dossier

    procedure = factory.SubFactory(ProcedureFactory)
    agency = factory.SelfAttribute("procedure.agency")
    applicant = factory.SubFactory(UserFactory)
    code = factory.Sequence(lambda n: f"T00.{n:02d}-261122-{n:04d}")
    applicant_name = factory.SelfAttribute("applicant.full_name")
    applicant_email = factory.SelfAttribute("applicant.email")
    applicant_phone = factory.LazyAttribute(lambda o: o.applicant.phone or "")
    applicant_id_number = factory.SelfAttribute("applicant.id_number")
    applicant_address = "5 Lê Lợi, Phường Nha Trang, Tỉnh Khánh Hòa"
    details = factory.LazyFunction(lambda: {"summary": "Cấp phiếu lý lịch tư pháp số 1", "notes": ""})
    status = DossierStatus.SUBMITTED
    fee_status = FeeStatus.NONE
    submitted_at = factory.LazyFunction(timezone.now)
