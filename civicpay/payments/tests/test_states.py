"""Every edge of the payment state machine (ARCHITECTURE.md): the 10 × 10 grid, allowed or raising."""

from itertools import product

import pytest

from civicpay.payments.states import (
    TERMINAL,
    TRANSITIONS,
    IllegalPaymentTransition,
    PaymentStatus,
    check_transition,
    is_late_success,
)

S = PaymentStatus

# Written out again on purpose, from the diagram, so a typo in the table cannot hide in both places.
EXPECTED: dict[PaymentStatus, set[PaymentStatus]] = {
    S.CREATED: {S.STARTED, S.FAILED, S.CANCELLED, S.EXPIRED, S.ERROR},
    S.STARTED: {S.SUBMITTED, S.SUCCESS, S.FAILED, S.CANCELLED, S.EXPIRED, S.ERROR},
    S.SUBMITTED: {S.SUCCESS, S.FAILED, S.CANCELLED, S.EXPIRED, S.ERROR},
    S.SUCCESS: {S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.PARTIALLY_REFUNDED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.FAILED: set(),
    S.CANCELLED: set(),
    S.EXPIRED: set(),
    S.ERROR: set(),
    S.REFUNDED: set(),
}

GRID = list(product(PaymentStatus, PaymentStatus))
ALLOWED = [(a, b) for a, b in GRID if b in EXPECTED[a]]
FORBIDDEN = [(a, b) for a, b in GRID if b not in EXPECTED[a]]


def test_grid_is_complete() -> None:
    assert len(PaymentStatus) == 10
    assert len(ALLOWED) + len(FORBIDDEN) == 100
    assert set(TRANSITIONS) == set(PaymentStatus)


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_move_passes(current: PaymentStatus, target: PaymentStatus) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_forbidden_move_raises(current: PaymentStatus, target: PaymentStatus) -> None:
    with pytest.raises(IllegalPaymentTransition) as excinfo:
        check_transition(current, target)
    assert (excinfo.value.current, excinfo.value.target) == (current, target)


def test_terminal_states_are_the_ones_without_exits() -> None:
    assert {S.FAILED, S.CANCELLED, S.EXPIRED, S.ERROR, S.REFUNDED} == TERMINAL


def test_duplicate_success_is_not_a_move() -> None:
    """A second IPN for a paid payment must change nothing: the caller answers "already confirmed"."""
    with pytest.raises(IllegalPaymentTransition):
        check_transition(S.SUCCESS, S.SUCCESS)


@pytest.mark.parametrize("current", [S.FAILED, S.EXPIRED, S.CANCELLED, S.ERROR])
def test_late_success_is_flagged_not_allowed(current: PaymentStatus) -> None:
    assert is_late_success(current, S.SUCCESS)
    with pytest.raises(IllegalPaymentTransition, match="reconciliation"):
        check_transition(current, S.SUCCESS)


@pytest.mark.parametrize(("current", "target"), GRID, ids=[f"{a}->{b}" for a, b in GRID])
def test_late_success_only_for_success_after_an_unsuccessful_end(current: PaymentStatus, target: PaymentStatus) -> None:
    expected = target == S.SUCCESS and current in {S.FAILED, S.EXPIRED, S.CANCELLED, S.ERROR}
    assert is_late_success(current, target) is expected


def test_statuses_are_stored_as_plain_strings() -> None:
    assert S.PARTIALLY_REFUNDED == "partially_refunded"
    check_transition(PaymentStatus("created"), PaymentStatus("started"))
