"""What the MoMo sandbox does, as functions the thin views call: open, finish and look up payments.

Protocol rules come from ``momo_protocol`` (the only ``civicpay.payments`` module the sandbox may use,
as a merchant's client library would); everything else here is the gateway's own behaviour.
Every state change locks the transaction row, so a double-clicked button finishes a payment once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Final
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction

from civicpay.core import clock
from civicpay.payments.providers import momo_protocol as momo
from civicpay.sandbox.models import MomoIpn, MomoTransaction
from civicpay.sandbox.momo.tasks import enqueue_ipn

TRANS_ID_BASE: Final = 4_000_000_000  # MoMo's transId look like 4088878653
REFUND_TRANS_ID_BASE: Final = 4_100_000_000
PAY_TYPE: Final = "qr"


@dataclass(frozen=True, slots=True)
class TestWallet:
    """A MoMo account of the simulated app and the outcome confirming with it gives."""

    phone: str
    label: str
    result_code: int


WALLETS: Final = (
    TestWallet("0912345678", "Ví thử nghiệm 0912 345 678 – đủ số dư", momo.SUCCESS),
    TestWallet("0987654321", "Ví thử nghiệm 0987 654 321 – không đủ số dư", momo.INSUFFICIENT_FUNDS),
)
WALLETS_BY_PHONE: Final = {wallet.phone: wallet for wallet in WALLETS}


@dataclass(frozen=True, slots=True)
class MerchantKeys:
    partner_code: str
    access_key: str
    secret_key: str


def merchant_keys(partner_code: object) -> MerchantKeys | None:
    """The keys of a merchant the sandbox knows (one demo merchant, from settings)."""
    if isinstance(partner_code, str) and partner_code and partner_code == settings.SANDBOX_MOMO_PARTNER_CODE:
        return MerchantKeys(
            partner_code=partner_code,
            access_key=str(settings.SANDBOX_MOMO_ACCESS_KEY),
            secret_key=str(settings.SANDBOX_MOMO_SECRET_KEY),
        )
    return None


def pay_timeout() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "SANDBOX_MOMO_PAY_TIMEOUT_MINUTES", 30)))


def deeplink(txn: MomoTransaction, *, scan: bool = False) -> str:
    """The app link MoMo returns (``deeplink``; ``qrCodeUrl`` is the scanned variant)."""
    service = "qr" if scan else "app"
    return (
        f"momo://app?action=payWithApp&isScanQR={'true' if scan else 'false'}"
        f"&serviceType={service}&sid={txn.token}&v=3.0"
    )


def momo_transaction_open(*, keys: MerchantKeys, body: dict[str, object], amount: int) -> MomoTransaction:
    """Store a checked create request (the API did the checks, api.py)."""
    return MomoTransaction.objects.create(
        token=secrets.token_urlsafe(32),
        partner_code=keys.partner_code,
        request_id=str(body["requestId"]),
        order_id=str(body["orderId"]),
        amount=amount,
        order_info=str(body["orderInfo"])[:255],
        redirect_url=str(body.get("redirectUrl") or ""),
        ipn_url=str(body["ipnUrl"]),
        extra_data=str(body.get("extraData") or ""),
        lang=str(body.get("lang") or "vi"),
        request_params=body,
        expire_at=clock.now() + pay_timeout(),
    )


def _locked(txn: MomoTransaction) -> MomoTransaction:
    return MomoTransaction.objects.select_for_update().get(pk=txn.pk)


def _result_params(txn: MomoTransaction, keys: MerchantKeys) -> dict[str, object]:
    """The signed IPN body; the redirect carries the same fields as a query string."""
    code = txn.result_code if txn.result_code is not None else momo.INITIATED
    return momo.result_params(
        partner_code=txn.partner_code,
        access_key=keys.access_key,
        secret=keys.secret_key,
        order_id=txn.order_id,
        request_id=txn.request_id,
        amount=txn.amount,
        order_info=txn.order_info,
        trans_id=txn.trans_id or 0,
        result_code=code,
        message=momo.message_for(code),
        pay_type=PAY_TYPE,
        response_time_ms=int((txn.finished_at or clock.now()).timestamp() * 1000),
        extra_data=txn.extra_data,
    )


def momo_transaction_finish(*, txn: MomoTransaction, result_code: int, wallet_phone: str = "") -> MomoTransaction:
    """End the payment once: record the outcome, sign the result and queue its IPN for the worker."""
    keys = merchant_keys(txn.partner_code)
    if keys is None:
        raise LookupError(f"merchant {txn.partner_code} is no longer configured")
    with transaction.atomic():
        txn = _locked(txn)
        if txn.is_finished:
            return txn
        txn.result_code, txn.wallet_phone, txn.finished_at = result_code, wallet_phone, clock.now()
        txn.trans_id = TRANS_ID_BASE + txn.pk
        txn.result_params = _result_params(txn, keys)
        txn.save()
        ipn = MomoIpn.objects.create(transaction=txn, url=txn.ipn_url)
        enqueue_ipn(ipn.pk)
        return txn


def momo_transaction_confirm(*, txn: MomoTransaction, wallet_phone: str) -> MomoTransaction:
    """ "Xác nhận thanh toán" in the app: the wallet decides (success, or 1001 without balance)."""
    wallet = WALLETS_BY_PHONE[wallet_phone]
    return momo_transaction_finish(txn=txn, result_code=wallet.result_code, wallet_phone=wallet_phone)


def momo_transaction_decline(*, txn: MomoTransaction, wallet_phone: str = "") -> MomoTransaction:
    """ "Từ chối" in the app: 1006, the payer declined."""
    return momo_transaction_finish(txn=txn, result_code=momo.USER_DECLINED, wallet_phone=wallet_phone)


def momo_transaction_expire_if_due(*, txn: MomoTransaction) -> MomoTransaction:
    """An open payment past its expiry ends with 1005 (and its IPN), on the next look at it."""
    if not txn.is_finished and txn.expire_at <= clock.now():
        return momo_transaction_finish(txn=txn, result_code=momo.EXPIRED)
    return txn


def redirect_url_for(txn: MomoTransaction) -> str:
    """``redirectUrl`` + the signed result fields as a query string (where the browser goes)."""
    if not txn.redirect_url:
        return ""
    query = urlencode({key: "" if value is None else str(value) for key, value in txn.result_params.items()})
    return f"{txn.redirect_url}{'&' if '?' in txn.redirect_url else '?'}{query}"


def momo_ipn_resend(*, txn: MomoTransaction) -> MomoIpn:
    """Send a finished payment's IPN once more (the transactions page's button)."""
    with transaction.atomic():
        txn = _locked(txn)
        if not txn.is_finished:
            raise ValueError("the transaction has no outcome yet")
        ipn = MomoIpn.objects.create(transaction=txn, copy=txn.ipns.count() + 1, url=txn.ipn_url)
        enqueue_ipn(ipn.pk)
        return ipn
