"""The national payment platform ("Cổng DVC Quốc gia") as an intermediary (seed 001).

An aggregator hop: the payer is sent to the platform, which shows its own list of banks and
e-wallets, takes the money through the one chosen and then notifies us. The platform offers no
public API, so the adapter speaks our documented signed protocol (docs/protocols/signed-gateway.md).
There is one method: the choice of bank or wallet happens on the platform's page, not ours.
``payer_notice`` is the seed's rule, shown on our payment page.
"""

from __future__ import annotations

from typing import Final

from django.utils.translation import gettext_lazy as _

from civicpay.payments.providers.base import MethodChoice
from civicpay.payments.providers.signed_gateway import SignedGatewayProvider

CODE: Final = "national"


class NationalPlatformProvider(SignedGatewayProvider):
    code = CODE
    name = "Cổng DVC Quốc gia"
    settings_prefix = "NATIONAL"
    methods = (MethodChoice("", str(_("Chọn ngân hàng hoặc ví điện tử tại Cổng DVC Quốc gia"))),)
    payer_notice = _("Tại ô “Chọn hình thức thanh toán” phải là “Cổng DVC Quốc Gia”")
