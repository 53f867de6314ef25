"""Typed values that cross the payments boundary: what a domain app asks payments to collect.

A domain app (billing) describes each thing to be paid as a :class:`PayableSpec`; payments never
imports the domain app, it only stores ``(payable_kind, payable_id)`` and calls the handler
registered for the kind (``civicpay.payments.registry``) once the money is confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from civicpay.core.money import check_amount


@dataclass(frozen=True, slots=True)
class RevenueLine:
    """Where part of a payable's money goes in the ledger, e.g. ``revenue:G22.01:fee`` 150 000 VND."""

    account_code: str
    amount: int
    label: str = ""

    def __post_init__(self) -> None:
        check_amount(self.amount)
        if not self.account_code.startswith("revenue:"):
            raise ValueError(f"revenue lines credit a revenue:… account, not {self.account_code!r}")


@dataclass(frozen=True, slots=True)
class PayableSpec:
    """One thing to pay in a payment: a payment request, later a store invoice.

    ``reference`` is what the payer recognises (notice number, dossier code) and goes into messages;
    ``revenue_lines`` split ``amount`` by fee kind and must add up to it exactly.
    """

    kind: str
    payable_id: str
    reference: str
    description: str
    amount: int
    agency_code: str
    revenue_lines: Sequence[RevenueLine] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        check_amount(self.amount)
        if not self.kind or not self.payable_id:
            raise ValueError("a payable needs a kind and an id")
        if not self.agency_code:
            raise ValueError("a payable belongs to an agency")
        if not self.revenue_lines:
            raise ValueError(f"payable {self.kind}:{self.payable_id} has no revenue lines")
        allocated = sum(line.amount for line in self.revenue_lines)
        if allocated != self.amount:
            raise ValueError(
                f"revenue lines of {self.kind}:{self.payable_id} add up to {allocated}, not {self.amount} VND"
            )
