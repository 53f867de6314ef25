"""ViettelPay over the signed gateway protocol: the wallet, BankPlus and domestic ATM cards (seed 000).

ViettelPay publishes no merchant protocol we can build against; the adapter speaks our documented
signed protocol (docs/protocols/signed-gateway.md), so a real integration is this class with another
``SignedGatewayProvider`` codec underneath. The three methods are the seed's three options, in order.
"""

from __future__ import annotations

from typing import Final

from django.utils.translation import gettext_lazy as _

from civicpay.payments.providers.base import MethodChoice
from civicpay.payments.providers.signed_gateway import SignedGatewayProvider

CODE: Final = "viettelpay"
METHOD_WALLET: Final = "wallet"
METHOD_BANKPLUS: Final = "bankplus"
METHOD_ATM: Final = "atm"


class ViettelPayProvider(SignedGatewayProvider):
    code = CODE
    name = "ViettelPay"
    settings_prefix = "VIETTELPAY"
    methods = (
        MethodChoice(METHOD_WALLET, str(_("Ví ViettelPay"))),
        MethodChoice(METHOD_BANKPLUS, str(_("BankPlus"))),
        MethodChoice(METHOD_ATM, str(_("Thẻ ATM nội địa"))),
    )
    payer_notice = _(
        "Tài khoản ViettelPay có thể đăng ký, tải ứng dụng, liên kết tài khoản và nạp tiền tại https://viettelpay.vn/"
    )
