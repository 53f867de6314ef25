"""Who may open which portal page: every view, every role, by code and by id.

Roles: the owner (submitted both dossiers), a colleague representing the same organisation, a
representative of another organisation, a stranger citizen, an officer of the dossiers' agency (who
works in the back office, not here) and an anonymous visitor. A refusal is always a 404, so a
stranger cannot tell "not yours" from "does not exist"; anonymous visitors go to the log-in page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import User
from civicpay.dossiers.models import Dossier, DossierStatus
from civicpay.notifications.models import Channel, OutboxMessage
from civicpay.portal.tests.helpers import World

ROLES = ["owner", "colleague", "other_rep", "stranger", "officer", "anonymous"]
# Who sees what: the personal dossier only its owner; the organisation's dossier all its representatives.
PERSONAL_ALLOWED = {"owner"}
ORGANISATION_ALLOWED = {"owner", "colleague"}


def _user(world: World, role: str) -> User | None:
    return {
        "owner": world.owner,
        "colleague": world.colleague,
        "other_rep": world.other_rep,
        "stranger": world.stranger,
        "officer": world.officer.user,
        "anonymous": None,
    }[role]


def _client_as(world: World, role: str) -> Client:
    client = Client()
    user = _user(world, role)
    if user is not None:
        client.force_login(user)
    return client


def _expect(response_status: int, location: str, role: str, allowed: set[str], ok: int = 200) -> None:
    if role == "anonymous":
        assert response_status == 302
        assert location.startswith(reverse("accounts:login"))
    elif role in allowed:
        assert response_status == ok
    else:
        assert response_status == 404


def _dossier(world: World, which: str) -> tuple[Dossier, set[str]]:
    if which == "own":
        return world.own, PERSONAL_ALLOWED
    return world.org_dossier, ORGANISATION_ALLOWED


URL_BY_CODE: dict[str, Callable[[Dossier], str]] = {
    "dossier_detail": lambda d: reverse("portal:dossier_detail", args=[d.code]),
    "dossier_submitted": lambda d: reverse("portal:dossier_submitted", args=[d.code]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "org"])
@pytest.mark.parametrize("view", sorted(URL_BY_CODE))
def test_dossier_pages_by_code(world: World, role: str, which: str, view: str) -> None:
    dossier, allowed = _dossier(world, which)
    response = _client_as(world, role).get(URL_BY_CODE[view](dossier))
    _expect(response.status_code, response.get("Location", ""), role, allowed)
    if response.status_code == 200:
        assert dossier.code in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_dossier_by_database_id_is_never_found(world: World, role: str) -> None:
    """The portal addresses dossiers by code only; a numeric id in its place finds nothing, for anyone."""
    response = _client_as(world, role).get(reverse("portal:dossier_detail", args=[str(world.own.pk)]))
    _expect(response.status_code, response.get("Location", ""), role, allowed=set())


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "org"])
def test_attachment_by_id(world: World, role: str, which: str) -> None:
    dossier, allowed = _dossier(world, which)
    attachment = dossier.attachments.get()
    response = _client_as(world, role).get(reverse("portal:attachment", args=[attachment.pk]))
    _expect(response.status_code, response.get("Location", ""), role, allowed)
    if response.status_code == 200:
        assert response["Content-Disposition"].startswith("attachment;")
        assert attachment.original_name in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "org"])
def test_fee_notice_pdf_by_number(world: World, role: str, which: str) -> None:
    dossier, allowed = _dossier(world, which)
    notice = world.issue_notice(dossier)
    response = _client_as(world, role).get(reverse("portal:fee_notice_pdf", args=[notice.number]))
    _expect(response.status_code, response.get("Location", ""), role, allowed)
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "org"])
def test_withdraw_only_by_those_who_may_see(world: World, role: str, which: str) -> None:
    dossier, allowed = _dossier(world, which)
    url = reverse("portal:dossier_withdraw", args=[dossier.code])
    response = _client_as(world, role).post(url, {"reason": "Nộp nhầm thủ tục"})
    _expect(response.status_code, response.get("Location", ""), role, allowed, ok=302)
    dossier.refresh_from_db()
    expected = DossierStatus.WITHDRAWN if role in allowed else DossierStatus.SUBMITTED
    assert dossier.status == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["colleague", "other_rep", "stranger", "officer", "anonymous"])
def test_provide_info_refused_to_others(world: World, role: str) -> None:
    """Nobody but the applicant can post documents to a personal dossier (state aside)."""
    response = _client_as(world, role).post(
        reverse("portal:dossier_provide_info", args=[world.own.code]), {"note": "Bổ sung"}
    )
    _expect(response.status_code, response.get("Location", ""), role, PERSONAL_ALLOWED)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_notification_mark_read_only_own(world: World, role: str) -> None:
    message = OutboxMessage.objects.filter(user=world.owner, channel=Channel.PORTAL).first()
    assert message is not None, "dossier_submit notifies the applicant in the portal"
    response = _client_as(world, role).post(reverse("portal:notification_read", args=[message.pk]))
    _expect(response.status_code, response.get("Location", ""), role, {"owner"}, ok=302)
    message.refresh_from_db()
    assert message.is_read is (role == "owner")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["dossier_new", "dossier_new_details", "dossier_new_check", "dossier_list", "fee_notices", "notifications"],
)
def test_personal_pages_need_log_in(client: Client, name: str) -> None:
    response = client.get(reverse(f"portal:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_what_the_role_may_see(world: World, role: str) -> None:
    world.issue_notice(world.own)
    world.issue_notice(world.org_dossier)
    client = _client_as(world, role)
    dossiers = client.get(reverse("portal:dossier_list"))
    notices = client.get(reverse("portal:fee_notices"))
    if role == "anonymous":
        assert dossiers.status_code == notices.status_code == 302
        return
    for dossier, allowed in ((world.own, PERSONAL_ALLOWED), (world.org_dossier, ORGANISATION_ALLOWED)):
        assert (dossier.code in dossiers.content.decode()) is (role in allowed)
        assert (dossier.code in notices.content.decode()) is (role in allowed)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_public_lookup_open_to_everyone(world: World, role: str) -> None:
    response = _client_as(world, role).get(reverse("portal:lookup"), {"code": world.own.code})
    assert response.status_code == 200
    # The header names whoever is logged in; the page's own content never names the applicant.
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    assert world.own.code in main
    assert world.owner.full_name not in main
