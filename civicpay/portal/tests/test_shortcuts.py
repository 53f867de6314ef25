"""The home page's dossier shortcuts (the partial included in portal/home.html)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.portal.tests.helpers import World

pytestmark = pytest.mark.django_db


def test_citizen_home_links_to_dossier_pages_with_counts(client: Client, world: World) -> None:
    world.issue_notice(world.org_dossier)
    client.force_login(world.colleague)  # sees the organisation's dossier and its notice
    page = client.get(reverse("portal:home")).content.decode()
    for name in ("dossier_new", "dossier_list", "fee_notices", "notifications"):
        assert reverse(f"portal:{name}") in page
    assert "1 hồ sơ" in page
    assert "1 thông báo chờ thanh toán" in page


def test_visitor_home_offers_the_public_lookup(client: Client) -> None:
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:lookup") in page
    assert reverse("portal:dossier_list") not in page


def test_organisation_representatives_reach_debit_registration_and_multi_dossier_payment(
    client: Client, world: World
) -> None:
    client.force_login(world.colleague)  # a representative of the organisation
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:org_dossiers") in page
    assert reverse("portal:debit_registrations") in page


def test_citizens_without_an_organisation_are_not_offered_organisation_pages(client: Client, world: World) -> None:
    client.force_login(world.stranger)
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:org_dossiers") not in page


def test_visitors_can_start_paying_by_dossier_code(client: Client) -> None:
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:payment_by_code") in page
