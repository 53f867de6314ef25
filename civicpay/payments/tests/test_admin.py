"""The platform admin finds a payment by the dossier code a citizen quotes ("tiền không về")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.tests.factories import UserFactory
from civicpay.payments.models import Payment, ProviderAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def test_payments_are_found_by_dossier_code_and_cannot_be_edited(admin_client_: Client, payable) -> None:
    from civicpay.payments.tests.helpers import make_payment  # the payments suite's own builder

    payment = make_payment(start=False)
    code = payment.items.get().reference
    listing = admin_client_.get(reverse("admin:payments_payment_changelist"), {"q": code}).content.decode()
    assert payment.reference in listing
    change = admin_client_.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    assert change.status_code == 200 and b'name="amount"' not in change.content  # read-only
    assert (
        admin_client_.post(reverse("admin:payments_payment_delete", args=[payment.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_an_agencys_intermediaries_are_chosen_in_the_admin(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("admin:payments_provideraccount_add"),
        {"agency_code": "H34.15", "provider": "momo", "is_enabled": "on", "display_order": "1"},
    )
    assert response.status_code == 302
    assert ProviderAccount.objects.get(agency_code="H34.15").provider == "momo"
