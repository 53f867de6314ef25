"""The back-office menu offers each officer what their roles allow."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import Officer, OfficerRole


def test_finance_officers_see_the_transfer_review_queue(officer: Officer, officer_client: Client) -> None:
    officer.roles = [OfficerRole.FINANCE.value]
    officer.save()
    page = officer_client.get(reverse("backoffice:home")).content.decode()
    assert reverse("backoffice:transfer_queue") in page


def test_reception_officers_do_not(officer: Officer, officer_client: Client) -> None:
    officer.roles = [OfficerRole.RECEPTION.value]
    officer.save()
    page = officer_client.get(reverse("backoffice:home")).content.decode()
    assert reverse("backoffice:queue") in page
    assert reverse("backoffice:transfer_queue") not in page
