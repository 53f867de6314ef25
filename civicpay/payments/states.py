"""The payment state machine: one table of allowed moves, checked before every status change.

Kept free of Django so the table can be tested edge by edge and read by anyone reviewing money flows.
The diagram it encodes is in ARCHITECTURE.md ("Payment requests and payments").
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class PaymentStatus(StrEnum):
    """Where one attempt to pay stands. Values are what the database stores, so never rename them."""

    CREATED = "created"
    STARTED = "started"  # the payer was sent to the provider
    SUBMITTED = "submitted"  # the provider has the payment but no final outcome yet
    SUCCESS = "success"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ERROR = "error"


_S = PaymentStatus
_UNSUCCESSFUL_ENDS = frozenset({_S.FAILED, _S.CANCELLED, _S.EXPIRED, _S.ERROR})

TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = MappingProxyType(
    {
        _S.CREATED: frozenset({_S.STARTED}) | _UNSUCCESSFUL_ENDS,
        _S.STARTED: frozenset({_S.SUBMITTED, _S.SUCCESS}) | _UNSUCCESSFUL_ENDS,
        _S.SUBMITTED: frozenset({_S.SUCCESS}) | _UNSUCCESSFUL_ENDS,
        _S.SUCCESS: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
        # A second partial refund keeps the payment partially refunded until the last one empties it.
        _S.PARTIALLY_REFUNDED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
        _S.FAILED: frozenset(),
        _S.CANCELLED: frozenset(),
        _S.EXPIRED: frozenset(),
        _S.ERROR: frozenset(),
        _S.REFUNDED: frozenset(),
    }
)
"""Every allowed move, and only those. ``success → success`` is absent on purpose: a duplicate
notification must change nothing, so the caller treats it as "already confirmed", not as a move."""

TERMINAL: frozenset[PaymentStatus] = frozenset(status for status, targets in TRANSITIONS.items() if not targets)

# error included: a payment we closed after a technical fault may still have been paid at the provider.
_LATE_SUCCESS_FROM = frozenset({_S.FAILED, _S.EXPIRED, _S.CANCELLED, _S.ERROR})


class IllegalPaymentTransition(Exception):
    """A status change the table does not allow. Raised, never silently ignored, so bugs surface."""

    def __init__(self, current: PaymentStatus, target: PaymentStatus) -> None:
        self.current = current
        self.target = target
        hint = " (a late success: store it and flag it for reconciliation)" if is_late_success(current, target) else ""
        super().__init__(f"payment cannot move from {current} to {target}{hint}")


def can_transition(current: PaymentStatus, target: PaymentStatus) -> bool:
    """Whether ``current → target`` is in the table."""
    return target in TRANSITIONS[current]


def check_transition(current: PaymentStatus, target: PaymentStatus) -> None:
    """Raise :class:`IllegalPaymentTransition` unless ``current → target`` is allowed."""
    if not can_transition(current, target):
        raise IllegalPaymentTransition(current, target)


def is_late_success(current: PaymentStatus, target: PaymentStatus) -> bool:
    """Whether a provider reports success for a payment we already closed as failed, expired, cancelled or error.

    This is not a legal move (``check_transition`` still raises): the payment keeps its terminal
    status. But the payer's money *has* moved at the provider, so the caller must not drop the
    outcome: it stores the callback, flags the payment for reconciliation, and finance then either
    settles the payment request with it or refunds the payer. Dropping it would lose citizens' money.
    """
    return target == PaymentStatus.SUCCESS and current in _LATE_SUCCESS_FROM
