"""The double-entry ledger: every movement of money is one balanced journal entry.

Accounts are named by code (docs/payments.md):

| code | kind | holds |
|---|---|---|
| ``clearing:<provider>`` | asset | money the provider owes us (settled by the provider's payout) |
| ``revenue:<agency>:fee|charge|financial_obligation`` | revenue | fees collected, by fee kind |
| ``refund_due:<agency>`` | liability | overpayments to give back to payers |
| ``suspense:<agency>`` | liability | late successes awaiting reconciliation (apply or refund) |

Balances are ``debit − credit``; the sum over all accounts is always zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum

from civicpay.core import clock
from civicpay.core.db.statements import Insert, Select
from civicpay.payments.errors import LedgerImbalance
from civicpay.payments.models import AccountKind, LedgerAccount, LedgerEntry, LedgerLine, Payment

_KIND_BY_PREFIX = {
    "clearing": AccountKind.ASSET,
    "revenue": AccountKind.REVENUE,
    "refund_due": AccountKind.LIABILITY,
    "suspense": AccountKind.LIABILITY,
}
_NAMES = {
    "clearing": "Tiền chờ đối soát với đơn vị trung gian {rest}",
    "revenue": "Thu {rest}",
    "refund_due": "Thanh toán thừa phải hoàn trả – {rest}",
    "suspense": "Tiền chờ xử lý (thanh toán muộn) – {rest}",
}


def clearing_account(provider: str) -> str:
    return f"clearing:{provider}"


def refund_due_account(agency_code: str) -> str:
    return f"refund_due:{agency_code}"


def suspense_account(agency_code: str) -> str:
    return f"suspense:{agency_code}"


def revenue_account(agency_code: str, fee_kind: str) -> str:
    return f"revenue:{agency_code}:{fee_kind}"


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: exactly one of ``debit``/``credit`` is a positive whole VND amount."""

    account_code: str
    debit: int = 0
    credit: int = 0


def ledger_account_get(code: str) -> LedgerAccount:
    """The account ``code``, created on first use (its kind comes from the code's prefix)."""
    prefix, _, rest = code.partition(":")
    if prefix not in _KIND_BY_PREFIX or not rest:
        raise LedgerImbalance(f"unknown ledger account code {code!r}")
    account = LedgerAccount.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():  # a savepoint: losing the creation race must not break the caller
            return LedgerAccount.objects.create(
                code=code, kind=_KIND_BY_PREFIX[prefix], name=_NAMES[prefix].format(rest=rest)
            )
    except IntegrityError:
        return LedgerAccount.objects.get(code=code)


def _check(postings: Sequence[Posting]) -> None:
    if len(postings) < 2:
        raise LedgerImbalance("an entry needs at least two lines")
    for posting in postings:
        for value in (posting.debit, posting.credit):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise LedgerImbalance(f"amounts are whole non-negative VND: {posting!r}")
        if (posting.debit > 0) == (posting.credit > 0):
            raise LedgerImbalance(f"a line has exactly one side: {posting!r}")
    debits = sum(p.debit for p in postings)
    credits = sum(p.credit for p in postings)
    if debits != credits:
        raise LedgerImbalance(f"entry does not balance: debits {debits} ≠ credits {credits}")


def ledger_post(
    *, key: str, kind: str, description: str, postings: Sequence[Posting], payment: Payment | None = None
) -> LedgerEntry:
    """Write one balanced entry, once per ``key`` (a second call returns the first entry unchanged).

    Call inside the transaction of the change it records. Unbalanced or malformed lines raise
    :class:`LedgerImbalance` before anything is written.
    """
    _check(postings)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_post must run inside the transaction of the change it records")
    entry = LedgerEntry(key=key, kind=kind, description=description[:500], posted_at=clock.now(), payment=payment)
    if not _ENTRY_INSERT.add(entry):  # the unique key: this entry was posted before
        return LedgerEntry.objects.get(key=key)
    accounts = _accounts([p.account_code for p in postings])
    _LINE_INSERT.many([(entry.pk, accounts[p.account_code], p.debit, p.credit) for p in postings])
    return entry


_ENTRY_INSERT = Insert(LedgerEntry, ["key", "kind", "description", "posted_at", "payment"], skip_on_conflict="key")
_LINE_INSERT = Insert(LedgerLine, ["entry", "account", "debit", "credit"])
_ACCOUNT_IDS = Select(LedgerAccount, where=("code",), fields=("code", "id"))


def _accounts(codes: Sequence[str]) -> dict[str, int]:
    """``code → id`` for ``codes`` in one query, creating the accounts never used before."""
    found = dict(_ACCOUNT_IDS.rows(tuple(sorted(set(codes)))))
    for code in codes:
        if code not in found:
            found[code] = ledger_account_get(code).pk
    return found


def ledger_balances() -> dict[str, int]:
    """Every account's balance (debit − credit), by code."""
    rows = LedgerLine.objects.values("account__code").annotate(debit=Sum("debit"), credit=Sum("credit"))
    return {row["account__code"]: (row["debit"] or 0) - (row["credit"] or 0) for row in rows}


def ledger_unbalanced_entries() -> list[str]:
    """Keys of entries whose lines do not balance (always empty unless someone bypassed ``ledger_post``)."""
    rows = LedgerLine.objects.values("entry__key").annotate(debit=Sum("debit"), credit=Sum("credit"))
    return [row["entry__key"] for row in rows if row["debit"] != row["credit"]]
