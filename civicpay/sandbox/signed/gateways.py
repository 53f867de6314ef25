"""The gateways the signed-protocol sandbox simulates, and the demo merchant each one knows.

A gateway is only a code, a display name and a settings prefix: the protocol is the same for all
(``signed_protocol``), the payer's pages differ (``civicpay/sandbox/<code>/``). VietinBank's sandbox
registers itself the same way (``register_gateway``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True, slots=True)
class Gateway:
    code: str
    name: str
    settings_prefix: str  # SANDBOX_<prefix>_MERCHANT_ID / SANDBOX_<prefix>_SECRET
    first_step: str = "method"  # the step of a new transaction whose method the merchant did not choose
    transaction_prefix: str = "SB"  # transaction ids look like VTP26112200000012

    def merchant_secret(self, merchant_id: object) -> str | None:
        """The secret of the demo merchant the gateway knows; ``None`` for any other merchant."""
        known = str(getattr(settings, f"SANDBOX_{self.settings_prefix}_MERCHANT_ID", ""))
        if isinstance(merchant_id, str) and merchant_id and merchant_id == known:
            return str(getattr(settings, f"SANDBOX_{self.settings_prefix}_SECRET", ""))
        return None


_gateways: dict[str, Gateway] = {}


def register_gateway(gateway: Gateway) -> Gateway:
    _gateways[gateway.code] = gateway
    return gateway


def gateway_get(code: str) -> Gateway:
    try:
        return _gateways[code]
    except KeyError:
        raise LookupError(f"no signed sandbox gateway {code!r}") from None


VIETTELPAY = register_gateway(
    Gateway(code="viettelpay", name="ViettelPay", settings_prefix="VIETTELPAY", transaction_prefix="VTP")
)
NATIONAL = register_gateway(
    Gateway(
        code="national",
        name="Cổng DVC Quốc gia",
        settings_prefix="NATIONAL",
        first_step="bank",
        transaction_prefix="DVCQG",
    )
)
