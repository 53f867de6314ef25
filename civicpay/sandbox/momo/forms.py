"""The simulated MoMo app's one question: which test wallet confirms the payment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.sandbox.momo.services import WALLETS


class AppConfirmForm(forms.Form):
    wallet = forms.ChoiceField(
        label=_("Tài khoản ví MoMo"),
        help_text=_("Chọn ví thử nghiệm dùng để thanh toán."),
        choices=[(wallet.phone, wallet.label) for wallet in WALLETS],
        initial=WALLETS[0].phone,
        widget=forms.RadioSelect,
        error_messages={"required": _("Chọn ví MoMo thử nghiệm"), "invalid_choice": _("Chọn ví MoMo thử nghiệm")},
    )
