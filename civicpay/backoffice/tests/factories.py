"""A dossier factory for the back-office tests: dossiers as the queue sees them, in any state.

Dossiers are normally created by ``dossier_submit``; here we write rows directly so a test can start from
"paid" or "received" without walking the whole journey, and so a queue test can make thirty in a blink.
"""

from __future__ import annotations

from datetime import timedelta

import factory

from civicpay.accounts.tests.factories import UserFactory
from civicpay.core import clock
from civicpay.directory.tests.factories import ProcedureFactory
from civicpay.dossiers.models import Dossier


class DossierFactory(factory.django.DjangoModelFactory[Dossier]):
    class Meta:
        model = Dossier

    procedure = factory.SubFactory(ProcedureFactory)
    agency = factory.SelfAttribute("procedure.agency")
    applicant = factory.SubFactory(UserFactory)
    code = factory.Sequence(lambda n: f"G22.45-261122-{n:04d}")
    applicant_name = factory.SelfAttribute("applicant.full_name")
    applicant_email = factory.SelfAttribute("applicant.email")
    applicant_phone = factory.SelfAttribute("applicant.phone")
    applicant_id_number = factory.SelfAttribute("applicant.id_number")
    applicant_address = "12 Trần Phú, Phường Nha Trang, Tỉnh Khánh Hòa"
    details = factory.LazyFunction(lambda: {"summary": "Cấp phiếu lý lịch tư pháp số 1", "notes": ""})
    submitted_at = factory.Sequence(lambda n: clock.now() - timedelta(hours=1000 - n))
