from datetime import timedelta

import pytest

from civicpay.accounts.tests.factories import UserFactory
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.core import clock
from civicpay.core.worker import periodic_jobs, run_periodic_jobs
from civicpay.directory.tests.factories import FeeScheduleLineFactory
from civicpay.dossiers.tests.helpers import lines, officer_for, submit_dossier

pytestmark = pytest.mark.django_db


def test_the_worker_expires_overdue_fee_notices() -> None:
    from civicpay.dossiers.services import dossier_request_payment

    procedure = FeeScheduleLineFactory.create().procedure
    dossier = submit_dossier(UserFactory.create(), procedure)
    request = dossier_request_payment(
        dossier=dossier,
        officer=officer_for(procedure),
        lines=lines(150_000),
        due_date=clock.local_today(),
    )
    # A day passes: the notice is now past its due date.
    PaymentRequest.objects.filter(pk=request.pk).update(due_date=clock.local_today() - timedelta(days=1))
    assert "billing.expire_overdue_requests" in {job.name for job in periodic_jobs()}

    run_periodic_jobs(force=True)

    assert PaymentRequest.objects.get(pk=request.pk).status == PaymentRequestStatus.EXPIRED
