"""Test helpers for signed-gateway providers: notifications as the gateway signs them, and posting them."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.test import Client

from civicpay.core import clock
from civicpay.payments.models import Payment
from civicpay.payments.providers import signed_protocol as sp

SECRETS = {"viettelpay": "VIETTELPAY", "national": "NATIONAL", "vietinbank": "VIETINBANK"}


def secret_of(provider: str) -> str:
    return str(getattr(settings, f"{SECRETS[provider]}_SECRET"))


def merchant_of(provider: str) -> str:
    return str(getattr(settings, f"{SECRETS[provider]}_MERCHANT_ID"))


def notification(payment: Payment, *, secret: str | None = None, **overrides: Any) -> dict[str, str]:
    """A signed success notification for ``payment`` (fields overridden before signing)."""
    fields: dict[str, Any] = {
        "merchant_id": merchant_of(payment.provider),
        "order_id": payment.reference,
        "amount": payment.amount,
        "status": "success",
        "result_code": "00",
        "message": "Giao dịch thành công",
        "transaction_id": "26112200000042",
        "method": "wallet",
        "bank_code": "",
        "card_masked": "",
        "paid_at": clock.local(clock.now()).isoformat(timespec="seconds"),
    }
    fields.update(overrides)
    return sp.signed(fields, secret or secret_of(payment.provider))


def post_notification(client: Client, provider: str, body: dict[str, str] | str) -> dict[str, str]:
    payload = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = client.post(f"/thanh-toan/{provider}/ipn/", payload, content_type="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()
