from __future__ import annotations

import pytest

from civicpay.accounts.models import User
from civicpay.billing.models import PaymentRequest
from civicpay.directory.demo import load_demo_data
from civicpay.dossiers.models import Dossier, DossierStatus
from civicpay.dossiers.selectors import dossier_list_for_applicant

pytestmark = pytest.mark.django_db


def test_demo_dossiers_are_created_once():
    report = load_demo_data()
    assert report.created["dossiers"] == 5 and report.created["fee notices"] == 2

    citizen = User.objects.get(email="citizen@civicpay.local")
    statuses = sorted(d.status for d in dossier_list_for_applicant(user=citizen))
    assert statuses == sorted([DossierStatus.SUBMITTED, DossierStatus.AWAITING_PAYMENT, DossierStatus.PROCESSING])
    org_user = User.objects.get(email="org@civicpay.local")
    assert {d.amount_due > 0 for d in dossier_list_for_applicant(user=org_user)} == {True, False}
    # The portal's demo step (civicpay/portal/demo.py) adds the organisation's "org-debit-*" dossiers.
    theirs = [d.pk for d in Dossier.objects.filter(details__demo_key__startswith="org-debit-")]
    assert PaymentRequest.objects.exclude(owner_id__in=theirs).count() == 2

    again = load_demo_data()
    assert again.created["dossiers"] == 0 and Dossier.objects.exclude(pk__in=theirs).count() == 5
