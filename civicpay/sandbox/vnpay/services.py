"""What the VNPay sandbox does, as functions the thin views call: open, walk and finish a transaction.

Protocol rules come from ``vnpay_protocol`` (the only ``civicpay.payments`` module the sandbox may use,
as a merchant's client library would); everything else here is the gateway's own behaviour.
Every state change locks the transaction row, so a double-clicked button finishes a payment once.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicpay.core import clock
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.sandbox.models import VnpayIpn, VnpayStep, VnpayTransaction
from civicpay.sandbox.vnpay import cards
from civicpay.sandbox.vnpay.tasks import enqueue_ipn, url_with_params

IPN_PATH: Final = "/thanh-toan/vnpay/ipn/"
TRANSACTION_NO_BASE: Final = 14_000_000  # VNPay's vnp_TransactionNo look like 14422574
REFUND_NO_BASE: Final = 15_000_000

# Codes of VNPay's payment error page (paymentv2/Payment/Error.html?code=…), as merchants see them.
ERROR_MESSAGES: Final[Mapping[str, Promise]] = {
    "01": _("Giao dịch đã tồn tại"),
    "03": _("Dữ liệu gửi sang không đúng định dạng"),
    "15": _("Giao dịch đã quá thời gian chờ thanh toán"),
    "70": _("Sai chữ ký"),
    "72": _("Không tìm thấy mã website (vnp_TmnCode)"),
    "76": _("Ngân hàng thanh toán không được hỗ trợ"),
}

REQUIRED_PAY_FIELDS: Final = (
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_OrderType",
    "vnp_Locale",
    "vnp_ReturnUrl",
    "vnp_IpAddr",
    "vnp_CreateDate",
    "vnp_ExpireDate",
)


class PayRequestRejected(Exception):
    """The merchant's pay URL is not acceptable; the payer sees VNPay's error page with ``code``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    @property
    def message(self) -> Promise:
        return ERROR_MESSAGES[self.code]


def merchant_secret(tmn_code: object) -> str | None:
    """The hash secret of a merchant the sandbox knows (one demo merchant, from settings)."""
    if isinstance(tmn_code, str) and tmn_code and tmn_code == settings.SANDBOX_VNPAY_TMN_CODE:
        return str(settings.SANDBOX_VNPAY_HASH_SECRET)
    return None


def ipn_url_for(origin: str) -> str:
    """Where the IPN goes: the configured URL, else the origin the payer's browser came from + IPN path."""
    return settings.SANDBOX_VNPAY_IPN_URL or origin.rstrip("/") + IPN_PATH


# --- opening a transaction (paymentv2/vpcpay.html) --------------------------------------------------


def _check_pay_fields(params: Mapping[str, str]) -> tuple[int, str]:
    """Validate the signed fields; returns (amount in VND, bank code). Raises ``PayRequestRejected("03")``."""
    missing = [name for name in REQUIRED_PAY_FIELDS if not params.get(name)]
    if missing:
        raise PayRequestRejected("03", f"thiếu {', '.join(missing)}")
    expected = {"vnp_Version": vnp.VERSION, "vnp_Command": "pay", "vnp_CurrCode": vnp.CURRENCY}
    for name, value in expected.items():
        if params[name] != value:
            raise PayRequestRejected("03", f"{name} phải là {value}")
    amount = params["vnp_Amount"]
    if not amount.isascii() or not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
        raise PayRequestRejected("03", "vnp_Amount phải là số nguyên dương, bằng số tiền × 100")
    if len(params["vnp_TxnRef"]) > 100:
        raise PayRequestRejected("03", "vnp_TxnRef dài quá 100 ký tự")
    if params["vnp_Locale"] not in vnp.LOCALES:
        raise PayRequestRejected("03", "vnp_Locale phải là vn hoặc en")
    return_url = urlsplit(params["vnp_ReturnUrl"])
    if return_url.scheme not in ("http", "https") or not return_url.netloc:
        raise PayRequestRejected("03", "vnp_ReturnUrl phải là địa chỉ http(s) đầy đủ")
    for name in ("vnp_CreateDate", "vnp_ExpireDate"):
        try:
            vnp.parse_date(params[name])
        except ValueError:
            raise PayRequestRejected("03", f"{name} phải có dạng yyyyMMddHHmmss") from None
    if vnp.parse_date(params["vnp_ExpireDate"]) <= vnp.parse_date(params["vnp_CreateDate"]):
        raise PayRequestRejected("03", "vnp_ExpireDate phải sau vnp_CreateDate")
    bank_code = params.get("vnp_BankCode", "")
    known = {cards.DOMESTIC_METHOD, *cards.SIMULATED_AS_DOMESTIC, *cards.BANKS_BY_CODE}
    if bank_code and bank_code not in known:
        raise PayRequestRejected("76", f"vnp_BankCode={bank_code}")
    return int(amount) // 100, bank_code


def vnpay_transaction_open(*, params: Mapping[str, str], origin: str) -> VnpayTransaction:
    """Accept a merchant's pay request, in VNPay's order: merchant → signature → fields → expiry.

    Reopening the same pay URL (same TmnCode, TxnRef and CreateDate) while the payment is still open
    resumes it, as a payer pressing Back would; once it has ended, the same request is refused (``01``).
    """
    params = {key: params[key] for key in params}
    tmn_code = params.get("vnp_TmnCode", "")
    secret = merchant_secret(tmn_code)
    if secret is None:
        raise PayRequestRejected("72", f"vnp_TmnCode={tmn_code}" if tmn_code else "thiếu vnp_TmnCode")
    if not vnp.verify(params, secret):
        raise PayRequestRejected("70")
    amount_vnd, bank_code = _check_pay_fields(params)
    expire_at = vnp.parse_date(params["vnp_ExpireDate"])
    if expire_at <= clock.now():
        raise PayRequestRejected("15")

    key = {"tmn_code": tmn_code, "txn_ref": params["vnp_TxnRef"], "vnp_create_date": params["vnp_CreateDate"]}
    existing = VnpayTransaction.objects.filter(**key).first()
    if existing is not None:
        if existing.is_finished or existing.amount_vnd != amount_vnd:
            raise PayRequestRejected("01", f"vnp_TxnRef={params['vnp_TxnRef']}")
        return existing
    chosen = bank_code in cards.BANKS_BY_CODE
    try:
        with transaction.atomic():
            return VnpayTransaction.objects.create(
                **key,
                token=secrets.token_urlsafe(32),
                amount_vnd=amount_vnd,
                order_info=params["vnp_OrderInfo"][:255],
                order_type=params["vnp_OrderType"][:100],
                locale=params["vnp_Locale"],
                return_url=params["vnp_ReturnUrl"],
                ipn_url=ipn_url_for(origin),
                ip_addr=params["vnp_IpAddr"][:64],
                expire_at=expire_at,
                request_params=params,
                step=VnpayStep.CARD if chosen else VnpayStep.METHOD,
                bank_code=bank_code if chosen else "",
                bank_chosen_by_merchant=chosen,
            )
    except IntegrityError:  # the same request twice at once: the first one wins
        raise PayRequestRejected("01", f"vnp_TxnRef={params['vnp_TxnRef']}") from None


# --- the payer's steps ----------------------------------------------------------------------------


def _locked(txn: VnpayTransaction) -> VnpayTransaction:
    return VnpayTransaction.objects.select_for_update().get(pk=txn.pk)


def vnpay_transaction_expire_if_due(*, txn: VnpayTransaction) -> VnpayTransaction:
    """Past ``vnp_ExpireDate`` an open transaction ends with ``11`` (the payer is told the time ran out)."""
    if not txn.is_finished and txn.expire_at <= clock.now():
        return vnpay_transaction_finish(txn=txn, response_code=cards.TIMED_OUT)
    return txn


def vnpay_transaction_choose_bank(*, txn: VnpayTransaction, bank_code: str) -> VnpayTransaction:
    with transaction.atomic():
        txn = _locked(txn)
        if txn.step in (VnpayStep.METHOD, VnpayStep.CARD) and not txn.bank_chosen_by_merchant:
            txn.bank_code, txn.step = bank_code, VnpayStep.CARD
            txn.save(update_fields=["bank_code", "step", "updated_at"])
        return txn


def vnpay_transaction_enter_card(*, txn: VnpayTransaction, card: cards.TestCard) -> VnpayTransaction:
    """Card details matched a test card: the bank "sends" the OTP and the payer is asked for it."""
    with transaction.atomic():
        txn = _locked(txn)
        if txn.step == VnpayStep.CARD:
            txn.card_number, txn.card_holder, txn.step = card.number, card.holder, VnpayStep.OTP
            txn.save(update_fields=["card_number", "card_holder", "step", "updated_at"])
        return txn


@dataclass(frozen=True, slots=True)
class OtpCheck:
    txn: VnpayTransaction
    accepted: bool
    attempts_left: int


def vnpay_transaction_check_otp(*, txn: VnpayTransaction, otp: str) -> OtpCheck:
    """The right OTP ends the payment with the card's outcome; the third wrong one ends it with ``13``."""
    with transaction.atomic():
        txn = _locked(txn)
        if txn.step != VnpayStep.OTP:
            return OtpCheck(txn=txn, accepted=False, attempts_left=0)
        if secrets.compare_digest(otp, cards.TEST_OTP):
            card = cards.card_by_number(txn.card_number)
            outcome = card.outcome if card is not None else cards.SUCCESS
            return OtpCheck(
                txn=vnpay_transaction_finish(txn=txn, response_code=outcome), accepted=True, attempts_left=0
            )
        txn.otp_failures += 1
        txn.save(update_fields=["otp_failures", "updated_at"])
        left = cards.MAX_OTP_FAILURES - txn.otp_failures
        if left <= 0:
            txn = vnpay_transaction_finish(txn=txn, response_code=cards.WRONG_OTP)
        return OtpCheck(txn=txn, accepted=False, attempts_left=max(left, 0))


def vnpay_transaction_cancel(*, txn: VnpayTransaction) -> VnpayTransaction:
    """ "Hủy thanh toán": ends the payment with ``24``."""
    return vnpay_transaction_finish(txn=txn, response_code=cards.CANCELLED)


# --- the outcome ----------------------------------------------------------------------------------


def _result_params(txn: VnpayTransaction, secret: str) -> dict[str, str]:
    """The signed ``vnp_*`` fields of the return URL and the IPN (identical in both, like VNPay)."""
    success = txn.response_code == cards.SUCCESS
    params = {
        "vnp_Amount": str(txn.amount_vnd * 100),
        "vnp_BankCode": txn.bank_code or "VNPAY",
        "vnp_BankTranNo": f"VNP{txn.transaction_no}" if success else "",
        "vnp_CardType": "ATM" if txn.card_number else "",
        "vnp_OrderInfo": txn.order_info,
        "vnp_PayDate": vnp.format_date(txn.pay_date or clock.now()),
        "vnp_ResponseCode": txn.response_code,
        "vnp_TmnCode": txn.tmn_code,
        "vnp_TransactionNo": txn.transaction_no,
        "vnp_TransactionStatus": vnp.SUCCESS_CODE if success else "02",
        "vnp_TxnRef": txn.txn_ref,
    }
    params = {key: value for key, value in params.items() if value}  # VNPay leaves out what does not apply
    params[vnp.HASH_FIELD] = vnp.sign(params, secret)
    return params


def vnpay_transaction_finish(*, txn: VnpayTransaction, response_code: str) -> VnpayTransaction:
    """End the payment once: record the outcome, sign the result, and queue its IPN(s) for the worker.

    The IPN rows and their tasks are written in this transaction; nothing is sent from here (see tasks.py).
    A test card may ask for two identical IPNs or for one sent ``ipn_delay_seconds`` after the redirect.
    """
    secret = merchant_secret(txn.tmn_code)
    if secret is None:  # the merchant was removed from settings since the payment opened
        raise PayRequestRejected("72", f"vnp_TmnCode={txn.tmn_code}")
    with transaction.atomic():
        txn = _locked(txn)
        if txn.is_finished:
            return txn
        now = clock.now()
        txn.step, txn.response_code, txn.pay_date = VnpayStep.DONE, response_code, now
        # A payment cancelled before any card was entered never reached a bank: VNPay sends TransactionNo 0.
        cancelled_early = response_code == cards.CANCELLED and not txn.card_number
        txn.transaction_no = "0" if cancelled_early else str(TRANSACTION_NO_BASE + txn.pk)
        txn.result_params = _result_params(txn, secret)
        txn.save()

        card = cards.card_by_number(txn.card_number)
        shaped = card is not None and card.outcome == response_code
        copies = card.ipn_copies if shaped and card else 1
        delay = timedelta(seconds=card.ipn_delay_seconds if shaped and card else 0)
        for copy in range(1, copies + 1):
            ipn = VnpayIpn.objects.create(
                transaction=txn, copy=copy, url=txn.ipn_url, next_attempt_at=now + delay if delay else None
            )
            enqueue_ipn(ipn.pk, run_after=ipn.next_attempt_at)
        return txn


def return_url_for(txn: VnpayTransaction) -> str:
    """``vnp_ReturnUrl`` with the same signed parameters as the IPN: where the payer's browser goes."""
    return url_with_params(txn.return_url, txn.result_params)


def vnpay_ipn_resend(*, txn: VnpayTransaction) -> VnpayIpn:
    """Send the finished transaction's IPN once more (the transactions page's button, for investigations)."""
    with transaction.atomic():
        txn = _locked(txn)
        if not txn.is_finished:
            raise ValueError("the transaction has no outcome yet")
        copy = txn.ipns.count() + 1
        ipn = VnpayIpn.objects.create(transaction=txn, copy=copy, url=txn.ipn_url)
        enqueue_ipn(ipn.pk)
        return ipn
