"""The portal's demo step gives the demo organisation several dossiers to pay at once (seed 002 §I.2)."""

from __future__ import annotations

import pytest

from civicpay.accounts.models import User
from civicpay.directory.demo import load_demo_data
from civicpay.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def test_demo_organisation_has_several_dossiers_to_pay_once():
    report = load_demo_data()
    assert report.created["organisation dossiers"] == 2
    org_user = User.objects.get(email="org@civicpay.local")
    payable = Dossier.objects.filter(organisation__memberships__user=org_user, fee_status="awaiting")
    assert payable.count() == 3 and {d.agency.code for d in payable} == {"H34.05"}
    assert load_demo_data().created["organisation dossiers"] == 0
