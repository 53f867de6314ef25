"""Who may open each back-office view: its agency's officers only. Tried with every other role, by pk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from civicpay.accounts.tests.factories import OfficerFactory, UserFactory
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.core.models import AuditEntry
from civicpay.directory.models import Procedure
from civicpay.directory.tests.factories import AgencyFactory
from civicpay.dossiers.models import Dossier, DossierAttachment, DossierStatus

pytestmark = pytest.mark.django_db


@dataclass
class World:
    dossier: Dossier
    attachment: DossierAttachment


@pytest.fixture
def world(procedure: Procedure) -> World:
    dossier = DossierFactory.create(procedure=procedure)
    attachment = DossierAttachment(
        dossier=dossier,
        purpose="application",
        original_name="don-de-nghi.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=dossier.applicant,
    )
    attachment.file.save("don-de-nghi.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    attachment.save()
    return World(dossier=dossier, attachment=attachment)


# (name, url builder) — pk-scoped views answer 404 to an officer of another agency.
PK_VIEWS: list[tuple[str, Callable[[World], str]]] = [
    ("dossier", lambda w: reverse("backoffice:dossier", args=[w.dossier.pk])),
    ("attachment", lambda w: reverse("backoffice:attachment", args=[w.attachment.pk])),
]
LIST_VIEWS: list[tuple[str, Callable[[World], str]]] = [
    ("queue", lambda w: reverse("backoffice:queue")),
    ("request_payment", lambda w: reverse("backoffice:request_payment") + f"?ids={w.dossier.pk}"),
    ("request_payment_confirm", lambda w: reverse("backoffice:request_payment_confirm")),
]
ALL_VIEWS = PK_VIEWS + LIST_VIEWS


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(("name", "url"), ALL_VIEWS, ids=[n for n, _ in ALL_VIEWS])
def test_officer_of_the_agency_gets_in(name, url, world: World, officer_client: Client):
    response = officer_client.get(url(world))
    # The confirmation step without a draft sends the officer back to the queue.
    assert response.status_code == (302 if name == "request_payment_confirm" else 200)


@pytest.mark.parametrize(("name", "url"), PK_VIEWS, ids=[n for n, _ in PK_VIEWS])
def test_officer_of_another_agency_gets_404(name, url, world: World):
    stranger = OfficerFactory.create(agency=AgencyFactory.create(code="H10.01"))
    assert client_for(stranger.user).get(url(world)).status_code == 404


def test_officer_of_another_agency_neither_sees_nor_selects_the_dossier(world: World):
    stranger = client_for(OfficerFactory.create(agency=AgencyFactory.create(code="H10.01")).user)

    queue = stranger.get(reverse("backoffice:queue"), {"q": world.dossier.code}).content.decode()
    selected = stranger.get(reverse("backoffice:request_payment"), {"ids": world.dossier.pk}).content.decode()

    assert reverse("backoffice:dossier", args=[world.dossier.pk]) not in queue
    assert world.dossier.applicant_name not in queue
    assert "0 hồ sơ." in queue
    assert world.dossier.code not in selected
    assert "Không tìm thấy hồ sơ trong cơ quan của bạn" in selected


@pytest.mark.parametrize(("name", "url"), ALL_VIEWS, ids=[n for n, _ in ALL_VIEWS])
def test_citizen_is_forbidden(name, url, world: World):
    citizen = world.dossier.applicant  # even the dossier's own applicant
    assert client_for(citizen).get(url(world)).status_code == 403


@pytest.mark.parametrize(("name", "url"), ALL_VIEWS, ids=[n for n, _ in ALL_VIEWS])
def test_anonymous_is_sent_to_log_in(name, url, world: World):
    response = client_for(None).get(url(world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("receive", {}),
        ("reject", {"reject-reason": "Giả mạo"}),
        ("request_additional_info", {"request_additional_info-reason": "Giả mạo"}),
    ],
)
def test_forged_actions_on_another_agencys_dossier_change_nothing(action: str, data: dict, world: World):
    stranger = client_for(OfficerFactory.create(agency=AgencyFactory.create(code="H10.01")).user)
    audit_before = AuditEntry.objects.count()

    response = stranger.post(reverse("backoffice:dossier_action", args=[world.dossier.pk, action]), data)

    assert response.status_code == 404
    world.dossier.refresh_from_db()
    assert world.dossier.status == DossierStatus.SUBMITTED
    assert world.dossier.receipt_number is None
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("who", ["citizen", "anonymous"])
def test_actions_refuse_citizens_and_strangers(who: str, world: World):
    user = UserFactory.create() if who == "citizen" else None
    response = client_for(user).post(
        reverse("backoffice:dossier_action", args=[world.dossier.pk, "reject"]), {"reject-reason": "x"}
    )
    assert response.status_code == (403 if who == "citizen" else 302)
    world.dossier.refresh_from_db()
    assert world.dossier.status == DossierStatus.SUBMITTED


def test_another_agencys_dossier_in_a_payment_draft_is_refused(world: World, officer_client: Client):
    """A session draft can only name dossiers the officer passed the check for; a forged id is refused too."""
    stranger_agency = AgencyFactory.create(code="H10.01")
    foreign = DossierFactory.create(procedure__agency=stranger_agency)
    response = officer_client.post(
        reverse("backoffice:request_payment"),
        {
            "ids": str(foreign.pk),
            f"d{foreign.pk}-TOTAL_FORMS": "1",
            f"d{foreign.pk}-INITIAL_FORMS": "0",
            f"d{foreign.pk}-0-kind": "fee",
            f"d{foreign.pk}-0-description": "Giả mạo",
            f"d{foreign.pk}-0-amount": "1000",
        },
    )
    assert response.status_code == 200
    assert "Không tìm thấy hồ sơ trong cơ quan của bạn" in response.content.decode()
    assert not officer_client.session.get("backoffice.payment_request_draft")
