"""Every (from, to) pair of the dossier state machine: allowed moves succeed through the service that
makes them, every other move raises IllegalTransition (from the table and from the services)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from civicpay.accounts.tests.factories import OfficerFactory, UserFactory
from civicpay.billing.selectors import payment_request_current_for_owner
from civicpay.billing.services import payment_request_issue, payment_request_mark_paid
from civicpay.directory.tests.factories import ProcedureFactory
from civicpay.dossiers import services
from civicpay.dossiers.errors import IllegalTransition
from civicpay.dossiers.models import Dossier, DossierStatus, DossierStatusChange, FeeStatus
from civicpay.dossiers.services import DossierAction, dossier_officer_actions
from civicpay.dossiers.states import FEE_TRANSITIONS, TRANSITIONS, check_fee_transition, check_transition
from civicpay.dossiers.tests.factories import DossierFactory
from civicpay.dossiers.tests.helpers import PDF_BYTES, lines, upload

pytestmark = pytest.mark.django_db
S = DossierStatus
ALL_PAIRS = list(itertools.product(S, S))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


class World:
    def __init__(self) -> None:
        self.procedure = ProcedureFactory.create()
        self.officer = OfficerFactory.create(agency=self.procedure.agency)
        self.citizen = UserFactory.create()

    def dossier_in(self, status: S, *, asked_from: S = S.RECEIVED) -> Dossier:
        """A dossier in ``status`` with a consistent fee state (awaiting payment has a live notice)."""
        fee = {S.AWAITING_PAYMENT: FeeStatus.AWAITING, S.PAID: FeeStatus.PAID}.get(status, FeeStatus.NONE)
        dossier = DossierFactory.create(procedure=self.procedure, applicant=self.citizen, status=status, fee_status=fee)
        if status == S.AWAITING_PAYMENT:
            payment_request_issue(
                owner_kind="dossier",
                owner_id=dossier.pk,
                owner_reference=dossier.code,
                agency=dossier.agency,
                payer_user=self.citizen,
                payer_organisation=None,
                payer_name=dossier.applicant_name,
                payer_email=dossier.applicant_email,
                payer_phone=dossier.applicant_phone,
                description="Lệ phí",
                lines=lines(100_000),
                due_date=None,
                issued_by=self.officer.user,
            )
        if status == S.ADDITIONAL_INFO_REQUESTED:
            DossierStatusChange.objects.create(
                dossier=dossier, from_status=asked_from, to_status=status, at=timezone.now()
            )
        return dossier


def by_target(w: World, d: Dossier, to: S) -> Any:
    """The service an officer or applicant uses to move a dossier to ``to`` (None: no direct service)."""
    calls: dict[S, Callable[[], Any]] = {
        S.AWAITING_PAYMENT: lambda: services.dossier_request_payment(dossier=d, officer=w.officer, lines=lines(5_000)),
        S.SUBMITTED: lambda: services.dossier_cancel_payment_request(dossier=d, officer=w.officer, reason="Sai"),
        S.RECEIVED: lambda: services.dossier_receive(dossier=d, officer=w.officer),
        S.PROCESSING: lambda: services.dossier_start_processing(dossier=d, officer=w.officer),
        S.ADDITIONAL_INFO_REQUESTED: lambda: services.dossier_request_additional_info(
            dossier=d, officer=w.officer, reason="Thiếu giấy tờ"
        ),
        S.REJECTED: lambda: services.dossier_reject(dossier=d, officer=w.officer, reason="Không đủ điều kiện"),
        S.RESULT_READY: lambda: services.dossier_return_result(
            dossier=d, officer=w.officer, result_file=upload("ket-qua.pdf", PDF_BYTES), note="Đã ký"
        ),
        S.COMPLETED: lambda: services.dossier_complete(dossier=d, officer=w.officer),
        S.WITHDRAWN: lambda: services.dossier_withdraw(dossier=d, user=w.citizen, reason="Không cần nữa"),
    }
    return calls.get(to)


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_edge_succeeds_through_its_service(from_status: S, to_status: S) -> None:
    w = World()
    dossier = w.dossier_in(from_status, asked_from=to_status if to_status in (S.RECEIVED, S.PROCESSING) else S.RECEIVED)
    check_transition(from_status, to_status)

    if (from_status, to_status) == (S.AWAITING_PAYMENT, S.PAID):
        request = payment_request_current_for_owner(owner_kind="dossier", owner_id=dossier.pk)
        assert request is not None
        payment_request_mark_paid(request=request, paid_at=timezone.now(), payment_reference="REF")
    elif from_status == S.ADDITIONAL_INFO_REQUESTED and to_status in (S.RECEIVED, S.PROCESSING):
        services.dossier_provide_additional_info(dossier=dossier, user=w.citizen, note="Đã bổ sung", attachments=[])
    else:
        by_target(w, dossier, to_status)()

    dossier.refresh_from_db()
    assert dossier.status == to_status
    last = dossier.status_changes.order_by("-at", "-id").first()
    assert last is not None and (last.from_status, last.to_status) == (from_status, to_status)


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_forbidden_edge_raises(from_status: S, to_status: S) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(from_status, to_status)
    w = World()
    dossier = w.dossier_in(from_status)
    call = by_target(w, dossier, to_status)
    if call is None:
        return
    if to_status in FEE_ONLY_TARGETS and from_status in FEE_ONLY_FROM[to_status]:
        call()  # the payment-request services work here but leave the status where it is
    else:
        with pytest.raises(IllegalTransition):
            call()
    dossier.refresh_from_db()
    assert dossier.status == from_status


# Requesting / cancelling a payment on a dossier already received changes the fee status only.
FEE_ONLY_TARGETS = {S.AWAITING_PAYMENT}
FEE_ONLY_FROM = {S.AWAITING_PAYMENT: {S.RECEIVED, S.PROCESSING, S.ADDITIONAL_INFO_REQUESTED}}


@pytest.mark.parametrize(("from_fee", "to_fee"), list(itertools.product(FeeStatus, FeeStatus)), ids=lambda v: str(v))
def test_fee_status_machine(from_fee: FeeStatus, to_fee: FeeStatus) -> None:
    allowed = {
        (FeeStatus.NONE, FeeStatus.AWAITING),
        (FeeStatus.AWAITING, FeeStatus.PAID),
        (FeeStatus.AWAITING, FeeStatus.NONE),
    }
    assert (to_fee in FEE_TRANSITIONS[from_fee]) == ((from_fee, to_fee) in allowed)
    if (from_fee, to_fee) in allowed:
        check_fee_transition(from_fee, to_fee)
    else:
        with pytest.raises(IllegalTransition):
            check_fee_transition(from_fee, to_fee)


ACTION_CALLS: dict[DossierAction, Callable[[World, Dossier], Any]] = {
    DossierAction.REQUEST_PAYMENT: lambda w, d: services.dossier_request_payment(
        dossier=d, officer=w.officer, lines=lines(5_000)
    ),
    DossierAction.RESEND_PAYMENT_NOTICE: lambda w, d: services.dossier_resend_payment_notice(
        dossier=d, officer=w.officer
    ),
    DossierAction.CANCEL_PAYMENT_REQUEST: lambda w, d: services.dossier_cancel_payment_request(
        dossier=d, officer=w.officer, reason="Sai"
    ),
    DossierAction.RECEIVE: lambda w, d: services.dossier_receive(dossier=d, officer=w.officer),
    DossierAction.START_PROCESSING: lambda w, d: services.dossier_start_processing(dossier=d, officer=w.officer),
    DossierAction.REQUEST_ADDITIONAL_INFO: lambda w, d: services.dossier_request_additional_info(
        dossier=d, officer=w.officer, reason="Thiếu"
    ),
    DossierAction.REJECT: lambda w, d: services.dossier_reject(dossier=d, officer=w.officer, reason="Sai"),
    DossierAction.RETURN_RESULT: lambda w, d: services.dossier_return_result(
        dossier=d, officer=w.officer, result_file=upload("kq.pdf", PDF_BYTES), note=""
    ),
    DossierAction.COMPLETE: lambda w, d: services.dossier_complete(dossier=d, officer=w.officer),
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(DossierAction))
def test_offered_actions_are_exactly_the_ones_that_work(status: S, action: DossierAction) -> None:
    """The back office shows ``dossier_officer_actions``; each shown action works, each hidden one raises."""
    w = World()
    dossier = w.dossier_in(status)
    offered = action in dossier_officer_actions(dossier=dossier)
    if offered:
        ACTION_CALLS[action](w, dossier)
    else:
        with pytest.raises(IllegalTransition):
            ACTION_CALLS[action](w, dossier)


def test_received_dossier_with_awaiting_fee_cannot_get_its_result_until_paid() -> None:
    w = World()
    dossier = w.dossier_in(S.PROCESSING)
    dossier.fee_status = FeeStatus.AWAITING
    dossier.save()
    assert DossierAction.RETURN_RESULT not in dossier_officer_actions(dossier=dossier)
    assert DossierAction.REQUEST_ADDITIONAL_INFO in dossier_officer_actions(dossier=dossier)
