"""The VietQR bank-transfer adapter: a QR code for the agency's account, the exact amount and a memo.

Unlike a card gateway there is no redirect and no browser return: the payer scans the code in any
Vietnamese banking app, and the receiving bank tells us about each incoming transfer (a signed
notification, ``civicpay.payments.transfers``). The memo carries the payment's unique code, which is
how a transfer finds its payment; anything that does not match exactly goes to the agency's finance
officer (docs/protocols/vietqr.md).

Receiving accounts come from settings: ``VIETQR_BANK_BIN``/``VIETQR_ACCOUNT_NO``/``VIETQR_ACCOUNT_NAME``
for every agency, overridden per agency by ``VIETQR_AGENCY_ACCOUNTS``. :func:`vietqr_account_for_agency`
is the only place that reads them, so moving them to per-agency data changes one function.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers import vietqr
from civicpay.payments.providers.base import (
    Ack,
    FinalProviderError,
    InvalidSignature,
    MalformedMessage,
    MethodChoice,
    Outcome,
    PaymentProvider,
    RefundResult,
    StartResult,
)
from civicpay.payments.states import PaymentStatus

if TYPE_CHECKING:
    from civicpay.payments.models import Payment

CODE: Final = "vietqr"
MEMO_PREFIX: Final = "CP"
# A payment reference is "PAY" + yymmdd + 10 characters of services._REFERENCE_ALPHABET.
_REFERENCE_PREFIX: Final = "PAY"
_CODE_PATTERN: Final = re.compile(r"(?=CP(\d{6}[A-HJ-NP-Z2-9]{10}))")
NOTIFICATION_FIELDS: Final = (
    "bank_transaction_id",
    "account",
    "amount",
    "memo",
    "transferred_at",
    "sender_name",
    "sender_account",
)

# The bank's reply codes (the signed gateway protocol's, docs/protocols/signed-gateway.md).
REPLY_OK: Final = "00"
REPLY_NOT_FOUND: Final = "01"
REPLY_ALREADY: Final = "02"
REPLY_INVALID_AMOUNT: Final = "04"
REPLY_BAD_SIGNATURE: Final = "97"
REPLY_STALE: Final = "98"
REPLY_ERROR: Final = "99"
_ACK_CODES: Final[Mapping[Ack, str]] = {
    Ack.OK: REPLY_OK,
    Ack.ALREADY_CONFIRMED: REPLY_ALREADY,
    Ack.NOT_FOUND: REPLY_NOT_FOUND,
    Ack.INVALID_AMOUNT: REPLY_INVALID_AMOUNT,
    Ack.INVALID_SIGNATURE: REPLY_BAD_SIGNATURE,
    Ack.ERROR: REPLY_ERROR,
}
REPLY_MESSAGES: Final[Mapping[str, str]] = {
    REPLY_OK: "Confirm Success",
    REPLY_NOT_FOUND: "Account not found",
    REPLY_ALREADY: "Transaction already recorded",
    REPLY_INVALID_AMOUNT: "Invalid amount",
    REPLY_BAD_SIGNATURE: "Invalid signature",
    REPLY_STALE: "Stale or replayed message",
    REPLY_ERROR: "Unknown error",
}


@dataclass(frozen=True, slots=True)
class VietqrAccount:
    """An account that receives transfers: bank BIN, account number, holder name as the bank prints it."""

    bank_bin: str
    account: str
    name: str
    bank_name: str


def vietqr_account_for_agency(agency_code: str) -> VietqrAccount:
    """The account ``agency_code`` collects on: its ``VIETQR_AGENCY_ACCOUNTS`` entry, else the default.

    Next step (docs/protocols/vietqr.md): a per-agency table edited by the agency admin; only this
    function and :func:`vietqr_agencies_for_account` read the configuration.
    """
    override: Mapping[str, str] = dict(settings.VIETQR_AGENCY_ACCOUNTS).get(agency_code) or {}
    account = VietqrAccount(
        bank_bin=str(override.get("bin") or settings.VIETQR_BANK_BIN),
        account=str(override.get("account") or settings.VIETQR_ACCOUNT_NO),
        name=str(override.get("name") or settings.VIETQR_ACCOUNT_NAME),
        bank_name=str(override.get("bank_name") or settings.VIETQR_BANK_NAME),
    )
    if not (account.bank_bin and account.account):
        raise FinalProviderError("VietQR is not configured (VIETQR_BANK_BIN, VIETQR_ACCOUNT_NO)")
    return account


def vietqr_agencies_for_account(account: str) -> tuple[list[str], bool]:
    """Which agencies collect on ``account``: ``(agency codes with an override, is_default_account)``.

    A transfer to the shared default account that names no payment cannot be given to one agency:
    it is shown to the finance officers of every agency collecting there (``transfers`` selectors).
    """
    agencies = [
        code for code, spec in dict(settings.VIETQR_AGENCY_ACCOUNTS).items() if str(spec.get("account")) == account
    ]
    return agencies, account == settings.VIETQR_ACCOUNT_NO


def transfer_memo(reference: str) -> str:
    """The memo for ``reference``: ``CP`` + the reference without ``PAY`` (18 characters, ASCII)."""
    code = reference.removeprefix(_REFERENCE_PREFIX)
    memo = f"{MEMO_PREFIX}{code}"
    if len(memo) > vietqr.MAX_PURPOSE or not memo.isalnum() or not memo.isascii():
        raise ValueError(f"payment reference {reference!r} does not make a VietQR memo")
    return memo


def references_in_memo(memo: str) -> list[str]:
    """Payment references whose code appears in ``memo``, first first.

    Banking apps upper-case, drop punctuation and add their own prefixes or suffixes
    ("MBVCB.3301.CP261122K7QX2M9HVA.CT tu 0123…"), so we compare letters and digits only.
    """
    normalised = re.sub(r"[^A-Z0-9]", "", memo.upper())
    seen: list[str] = []
    for match in _CODE_PATTERN.finditer(normalised):
        reference = f"{_REFERENCE_PREFIX}{match.group(1)}"
        if reference not in seen:
            seen.append(reference)
    return seen


@dataclass(frozen=True, slots=True)
class BankTransfer:
    """One incoming transfer as the bank reported it (verified, fresh, well-formed)."""

    bank_transaction_id: str
    account: str
    amount: int
    memo: str
    transferred_at: datetime
    sender_name: str
    sender_account: str
    nonce: str


def _secret() -> str:
    secret = str(settings.VIETQR_NOTIFY_SECRET)
    if not secret:
        raise FinalProviderError("VietQR is not configured (VIETQR_NOTIFY_SECRET)")
    return secret


def parse_transfer(params: Mapping[str, object], *, now: int | None = None) -> BankTransfer:
    """Verify and read a bank notification. Raises, in this order: ``InvalidSignature`` (97),
    ``signed_protocol.StaleMessage`` (98; the caller then also checks the nonce), ``MalformedMessage``."""
    if not sp.verify(params, _secret()):
        raise InvalidSignature("bank notification signature missing or wrong")
    sp.check_fresh(params, now=now)
    values = {name: str(params.get(name) or "").strip() for name in (*NOTIFICATION_FIELDS, sp.NONCE_FIELD)}
    for required in ("bank_transaction_id", "account", "amount", "transferred_at", sp.NONCE_FIELD):
        if not values[required]:
            raise MalformedMessage(f"{required} missing")
    if not values["amount"].isdigit() or int(values["amount"]) <= 0:
        raise MalformedMessage(f"amount {values['amount']!r} is not a positive whole number of VND")
    try:
        transferred_at = datetime.fromisoformat(values["transferred_at"])
    except ValueError:
        raise MalformedMessage(f"transferred_at {values['transferred_at']!r} is not ISO 8601") from None
    if transferred_at.tzinfo is None:
        raise MalformedMessage("transferred_at has no UTC offset")
    if len(values["bank_transaction_id"]) > 64:
        raise MalformedMessage("bank_transaction_id longer than 64 characters")
    return BankTransfer(
        bank_transaction_id=values["bank_transaction_id"],
        account=values["account"],
        amount=int(values["amount"]),
        memo=values["memo"][:255],
        transferred_at=transferred_at,
        sender_name=values["sender_name"][:255],
        sender_account=values["sender_account"][:64],
        nonce=values[sp.NONCE_FIELD],
    )


def reply(code: str) -> JsonResponse:
    """What the bank reads: HTTP 200 with ``{"code", "message"}`` (it retries on anything but 00/02)."""
    return JsonResponse({"code": code, "message": REPLY_MESSAGES.get(code, REPLY_MESSAGES[REPLY_ERROR])})


class VietqrTransferProvider(PaymentProvider):
    """Bank transfer by VietQR. ``start`` gives a QR payload; outcomes arrive as bank notifications,
    handled by ``civicpay.payments.transfers`` (exact match → success, anything else → review)."""

    code = CODE
    name = "VietQR"
    methods = (MethodChoice("", str(_("Chuyển khoản ngân hàng bằng mã VietQR"))),)
    min_amount = 1_000
    # NAPAS 24/7 transfers are limited to under 500 million VND each.
    max_amount = 499_999_999

    def start(self, payment: Payment, *, return_url: str, notify_url: str, client_ip: str, locale: str) -> StartResult:
        """The QR payload: the agency's account, the exact amount, the memo ``CP…`` (no network call)."""
        account = vietqr_account_for_agency(payment.agency_code)
        try:
            payload = vietqr.build(
                bank_bin=account.bank_bin,
                account=account.account,
                amount=payment.amount,
                purpose=transfer_memo(payment.reference),
            )
        except ValueError as exc:
            raise FinalProviderError(str(exc)) from exc
        return StartResult(qr_payload=payload)

    def notification_params(self, request: HttpRequest) -> dict[str, str]:
        """The JSON body as text values (what is signed); an unreadable body is kept under ``_body``."""
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {"_body": request.body[:2000].decode("utf-8", "replace")}
        if not isinstance(data, dict):
            return {"_body": str(data)[:2000]}
        return {str(key): "" if value is None else str(value) for key, value in data.items()}

    def parse_notification(self, request: HttpRequest) -> Outcome:
        """A verified transfer as an outcome for the payment its memo names (``reference`` may be empty:
        matching, amounts and reviews are decided by ``transfers.transfer_notification_receive``)."""
        try:
            transfer = parse_transfer(self.notification_params(request))
        except sp.StaleMessage as exc:
            raise InvalidSignature(f"stale notification: {exc}") from exc
        references = references_in_memo(transfer.memo)
        return Outcome(
            provider=CODE,
            reference=references[0] if references else "",
            amount=transfer.amount,
            status=PaymentStatus.SUCCESS,
            code=REPLY_OK,
            transaction_no=transfer.bank_transaction_id,
            paid_at=transfer.transferred_at,
            raw=self.notification_params(request),
        )

    def parse_return(self, query: Mapping[str, str]) -> Outcome:
        """A bank transfer has no browser return; the QR page links back to the result page itself."""
        raise MalformedMessage("VietQR has no browser return")

    def return_reference(self, query: Mapping[str, str]) -> str:
        return str(query.get("ref", ""))

    def acknowledge(self, ack: Ack) -> HttpResponse:
        return reply(_ACK_CODES[ack])

    def reply_code(self, ack: Ack) -> str:
        return _ACK_CODES[ack]

    def query(self, payment: Payment) -> Outcome:
        """Banks offer no status query for an awaited transfer: nothing to learn, nothing changes."""
        return Outcome(
            provider=CODE,
            reference=payment.reference,
            amount=payment.amount,
            status=None,
            code="awaiting_transfer",
            raw={"reference": payment.reference, "status": "awaiting_transfer"},
        )

    def refund(self, payment: Payment, *, amount: int, reason: str, by: str) -> RefundResult:
        """Transfers are refunded by the agency's accountant with an outgoing transfer; there is no API.
        The finance pages record the refund as due (ledger ``refund_due:``) and who decided it."""
        return RefundResult(
            accepted=False,
            code="manual",
            message=str(_("Hoàn trả chuyển khoản do kế toán cơ quan thực hiện bằng lệnh chuyển tiền")),
        )
