"""Who may see which dossier: tested hard, once, here. Every view goes through these selectors."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from civicpay.accounts.tests.factories import OfficerFactory, OrganisationMemberFactory, UserFactory
from civicpay.billing.models import PaymentRequest
from civicpay.billing.selectors import payment_request_get_for_payer, payment_request_list_for_payer
from civicpay.directory.tests.factories import ProcedureFactory
from civicpay.dossiers.models import Dossier, DossierAttachment
from civicpay.dossiers.selectors import (
    attachment_get_for_applicant,
    attachment_get_for_officer,
    dossier_get_for_applicant,
    dossier_get_for_officer,
    dossier_list_for_applicant,
    dossier_list_for_officer,
    dossier_public_status,
)
from civicpay.dossiers.services import dossier_request_payment
from civicpay.dossiers.tests.helpers import lines, submit_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    procedure = ProcedureFactory.create()
    other_procedure = ProcedureFactory.create()  # another agency
    citizen = UserFactory.create(full_name="Lê Văn Công", phone="0911222333", email="cong@example.vn")
    membership = OrganisationMemberFactory.create()
    co_representative = OrganisationMemberFactory.create(organisation=membership.organisation).user
    officer = OfficerFactory.create(agency=procedure.agency)
    other_officer = OfficerFactory.create(agency=other_procedure.agency)
    own = submit_dossier(citizen, procedure)
    org = submit_dossier(membership.user, procedure, organisation=membership.organisation)
    elsewhere = submit_dossier(UserFactory.create(), other_procedure)
    notice = dossier_request_payment(dossier=own, officer=officer, lines=lines(10_000))
    org_notice = dossier_request_payment(dossier=org, officer=officer, lines=lines(20_000))
    return SimpleNamespace(
        citizen=citizen,
        representative=membership.user,
        co_representative=co_representative,
        officer=officer,
        officer_user=officer.user,
        other_officer=other_officer,
        stranger=UserFactory.create(),
        own=own,
        org=org,
        elsewhere=elsewhere,
        notice=notice,
        org_notice=org_notice,
    )


def codes(queryset):
    return {d.code for d in queryset}


def test_applicant_lists(world):
    assert codes(dossier_list_for_applicant(user=world.citizen)) == {world.own.code}
    assert codes(dossier_list_for_applicant(user=world.representative)) == {world.org.code}
    assert codes(dossier_list_for_applicant(user=world.co_representative)) == {world.org.code}
    assert codes(dossier_list_for_applicant(user=world.stranger)) == set()
    assert codes(dossier_list_for_applicant(user=world.officer.user)) == set()


def test_applicant_list_shows_amount_due_without_a_query_per_row(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = [(d.code, d.amount_due) for d in dossier_list_for_applicant(user=world.citizen)]
    assert rows == [(world.own.code, 10_000)]


@pytest.mark.parametrize(
    ("who", "dossier", "allowed"),
    [
        ("citizen", "own", True),
        ("citizen", "org", False),
        ("citizen", "elsewhere", False),
        ("representative", "org", True),
        ("co_representative", "org", True),
        ("representative", "own", False),
        ("stranger", "own", False),
        ("stranger", "org", False),
        ("officer_user", "own", False),  # officers use the officer selectors, not the portal's
    ],
)
def test_applicant_get_by_code_and_attachment(world, who, dossier, allowed):
    user, target = getattr(world, who), getattr(world, dossier)
    attachment = target.attachments.first()
    if allowed:
        assert dossier_get_for_applicant(user=user, code=target.code) == target
        assert attachment_get_for_applicant(user=user, pk=attachment.pk) == attachment
    else:
        with pytest.raises(Dossier.DoesNotExist):
            dossier_get_for_applicant(user=user, code=target.code)
        with pytest.raises(DossierAttachment.DoesNotExist):
            attachment_get_for_applicant(user=user, pk=attachment.pk)


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not dossier_list_for_applicant(user=AnonymousUser()).exists()
    with pytest.raises(DossierAttachment.DoesNotExist):
        attachment_get_for_applicant(user=AnonymousUser(), pk=world.own.attachments.first().pk)


def test_officer_sees_only_own_agency(world):
    assert codes(dossier_list_for_officer(officer=world.officer)) == {world.own.code, world.org.code}
    assert codes(dossier_list_for_officer(officer=world.other_officer)) == {world.elsewhere.code}
    assert codes(dossier_list_for_officer(officer=None)) == set()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("who", "dossier", "allowed"),
    [
        ("officer", "own", True),
        ("officer", "org", True),
        ("officer", "elsewhere", False),
        ("other_officer", "own", False),
        ("other_officer", "elsewhere", True),
    ],
)
def test_officer_get_by_pk_and_attachment(world, who, dossier, allowed):
    officer, target = getattr(world, who), getattr(world, dossier)
    attachment = target.attachments.first()
    if allowed:
        assert dossier_get_for_officer(officer=officer, pk=target.pk) == target
        assert attachment_get_for_officer(officer=officer, pk=attachment.pk) == attachment
    else:
        with pytest.raises(Dossier.DoesNotExist):
            dossier_get_for_officer(officer=officer, pk=target.pk)
        with pytest.raises(DossierAttachment.DoesNotExist):
            attachment_get_for_officer(officer=officer, pk=attachment.pk)


def test_officer_filters_and_search(world):
    officer = world.officer
    assert codes(dossier_list_for_officer(officer=officer, q=world.own.code[:8])) == {world.own.code, world.org.code}
    assert codes(dossier_list_for_officer(officer=officer, q=world.own.code)) == {world.own.code}
    assert codes(dossier_list_for_officer(officer=officer, q="0911222333")) == {world.own.code}
    assert codes(dossier_list_for_officer(officer=officer, q="văn công")) == {world.own.code}
    assert codes(dossier_list_for_officer(officer=officer, q=world.elsewhere.code)) == set()
    assert codes(dossier_list_for_officer(officer=officer, status="awaiting_payment")) == {
        world.own.code,
        world.org.code,
    }
    assert codes(dossier_list_for_officer(officer=officer, status="received")) == set()
    assert codes(dossier_list_for_officer(officer=officer, fee_status="awaiting")) == {world.own.code, world.org.code}
    today = world.own.submitted_at.date()
    from datetime import timedelta

    assert (
        len(
            dossier_list_for_officer(
                officer=officer, date_from=today - timedelta(days=1), date_to=today + timedelta(days=1)
            )
        )
        == 2
    )
    assert not dossier_list_for_officer(officer=officer, date_from=today + timedelta(days=2)).exists()
    assert codes(dossier_list_for_officer(officer=officer, procedure_id=world.elsewhere.procedure_id)) == set()


def test_public_status_has_no_personal_data(world):
    public = dossier_public_status(code=world.own.code)
    assert public is not None
    assert public.code == world.own.code and public.status_label == "Chờ thanh toán"
    assert public.agency_name == world.own.agency.name and not public.paid and not public.received
    text = repr(dataclasses.asdict(public))
    for secret in ("Lê Văn Công", "0911222333", "cong@example.vn", world.citizen.id_number):
        assert secret not in text
    assert dossier_public_status(code="KHONG-CO") is None


@pytest.mark.parametrize(
    ("who", "notice", "allowed"),
    [
        ("citizen", "notice", True),
        ("citizen", "org_notice", False),
        ("representative", "org_notice", True),
        ("co_representative", "org_notice", True),
        ("stranger", "notice", False),
        ("officer_user", "notice", False),
    ],
)
def test_fee_notices_only_for_their_payer(world, who, notice, allowed):
    user, target = getattr(world, who), getattr(world, notice)
    assert (target in payment_request_list_for_payer(user=user)) == allowed
    if allowed:
        assert payment_request_get_for_payer(user=user, number=target.number) == target
    else:
        with pytest.raises(PaymentRequest.DoesNotExist):
            payment_request_get_for_payer(user=user, number=target.number)
