"""The dossier state machine: one table. Services call ``check_transition`` before every move.

The fee status (none → awaiting → paid; awaiting → none when a request is cancelled or expires) is
tracked beside the status because a dossier may be received before it is paid (seed 000).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from civicpay.dossiers.errors import IllegalTransition
from civicpay.dossiers.models import DossierStatus, FeeStatus

S = DossierStatus

TRANSITIONS: dict[DossierStatus, set[DossierStatus]] = {
    # Waiting for the agency: it may ask for payment, receive first (seed 000), or refuse.
    S.SUBMITTED: {S.AWAITING_PAYMENT, S.RECEIVED, S.REJECTED, S.WITHDRAWN},
    # A fee notice is out: paid, cancelled/expired (back to submitted), or received before payment.
    S.AWAITING_PAYMENT: {S.PAID, S.SUBMITTED, S.RECEIVED, S.REJECTED, S.WITHDRAWN},
    # Paid before reception: the officer receives it (seed 001 "sau khi thanh toán … tiếp nhận").
    S.PAID: {S.RECEIVED, S.REJECTED},
    S.RECEIVED: {S.PROCESSING, S.ADDITIONAL_INFO_REQUESTED, S.REJECTED},
    S.PROCESSING: {S.ADDITIONAL_INFO_REQUESTED, S.RESULT_READY, S.REJECTED},
    # The applicant answers (back to where the request came from), withdraws, or the agency refuses.
    S.ADDITIONAL_INFO_REQUESTED: {S.RECEIVED, S.PROCESSING, S.REJECTED, S.WITHDRAWN},
    S.RESULT_READY: {S.COMPLETED},
    S.COMPLETED: set(),
    S.REJECTED: set(),
    S.WITHDRAWN: set(),
}

FEE_TRANSITIONS: dict[FeeStatus, set[FeeStatus]] = {
    FeeStatus.NONE: {FeeStatus.AWAITING},
    FeeStatus.AWAITING: {FeeStatus.PAID, FeeStatus.NONE},
    FeeStatus.PAID: set(),
}

TERMINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)

# Where an officer may issue a payment request (only while no fee is awaiting or paid).
PAYMENT_REQUEST_FROM = frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.ADDITIONAL_INFO_REQUESTED})


def can_transition(from_status: str, to_status: str) -> bool:
    return DossierStatus(to_status) in TRANSITIONS[DossierStatus(from_status)]


def check_transition(from_status: str, to_status: str) -> None:
    """Raise ``IllegalTransition`` unless the table allows ``from_status → to_status``."""
    if not can_transition(from_status, to_status):
        raise IllegalTransition(
            _("Không thể chuyển hồ sơ từ trạng thái “%(from)s” sang “%(to)s”.")
            % {"from": DossierStatus(from_status).label, "to": DossierStatus(to_status).label}
        )


def check_fee_transition(from_status: str, to_status: str) -> None:
    if FeeStatus(to_status) not in FEE_TRANSITIONS[FeeStatus(from_status)]:
        raise IllegalTransition(
            _("Không thể chuyển trạng thái phí từ “%(from)s” sang “%(to)s”.")
            % {"from": FeeStatus(from_status).label, "to": FeeStatus(to_status).label}
        )
