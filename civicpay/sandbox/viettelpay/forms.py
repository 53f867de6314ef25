"""The ViettelPay sandbox's forms, with the messages a Vietnamese payer reads (format checks only;
whether an account exists is decided in ``clean``, so the answer shows in the error summary). The card
and OTP fields are the shared ones (``civicpay.sandbox.card_fields``) with ViettelPay's wording."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.sandbox.card_fields import CARD_16_OR_19, CardHolderField, CardNumberField, IssueDateField, OtpField
from civicpay.sandbox.viettelpay import data

_PHONE = re.compile(r"0\d{9}")
_DIGITS6 = re.compile(r"\d{6}")


class MethodForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Chọn hình thức thanh toán"),
        choices=[(code, data.METHOD_LABELS[code]) for code in data.METHODS],
        widget=forms.RadioSelect,
        error_messages={"required": _("Chọn hình thức thanh toán."), "invalid_choice": _("Chọn hình thức thanh toán.")},
    )


class WalletForm(forms.Form):
    phone = forms.CharField(
        label=_("Số điện thoại"),
        help_text=_("Số điện thoại đăng ký ví ViettelPay, ví dụ 0987000001."),
        max_length=15,
        error_messages={"required": _("Nhập số điện thoại đăng ký ví ViettelPay.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "spellcheck": "false"}),
    )
    pin = forms.CharField(
        label=_("Mã PIN"),
        help_text=_("Mã PIN 6 chữ số của ví."),
        max_length=10,
        error_messages={"required": _("Nhập mã PIN.")},
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_phone(self) -> str:
        phone = re.sub(r"[\s.-]", "", self.cleaned_data["phone"])
        if phone.startswith("+84"):
            phone = "0" + phone[3:]
        if not _PHONE.fullmatch(phone):
            raise forms.ValidationError(_("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0."), code="format")
        if phone not in data.WALLETS_BY_PHONE:
            raise forms.ValidationError(_("Số điện thoại chưa đăng ký ví ViettelPay."), code="unknown")
        return phone

    def clean_pin(self) -> str:
        pin = self.cleaned_data["pin"].strip()
        if not _DIGITS6.fullmatch(pin):
            raise forms.ValidationError(_("Mã PIN gồm 6 chữ số."), code="format")
        return pin


class BankForm(forms.Form):
    bank_code = forms.ChoiceField(
        label=_("Ngân hàng của tài khoản BankPlus"),
        choices=[(bank.code, f"{bank.short_name} – {bank.name}") for bank in data.BANKPLUS_BANKS],
        widget=forms.RadioSelect,
        error_messages={"required": _("Chọn ngân hàng."), "invalid_choice": _("Chọn ngân hàng.")},
    )


class CardForm(forms.Form):
    card_number = CardNumberField(
        help_text=_("16 hoặc 19 chữ số in trên mặt trước thẻ."),
        digits=CARD_16_OR_19,
        invalid=_("Số thẻ gồm 16 hoặc 19 chữ số."),
        separators=True,
    )
    card_holder = CardHolderField(
        help_text=_("Viết in hoa, không dấu, như in trên thẻ, ví dụ NGUYEN VAN A."),
        diacritics=_("Tên chủ thẻ viết không dấu, như in trên thẻ, ví dụ NGUYEN VAN A."),
        invalid=_("Tên chủ thẻ viết in hoa, chỉ gồm chữ cái và dấu cách, ví dụ NGUYEN VAN A."),
    )
    issue_date = IssueDateField(
        help_text=_("Tháng/năm phát hành in trên thẻ (MM/YY), ví dụ 03/18."),
        placeholder="MM/YY",
        invalid=_("Ngày phát hành có dạng MM/YY, ví dụ 03/18."),
    )


class OtpForm(forms.Form):
    otp = OtpField(help_text=_("Mã gồm 6 chữ số đã gửi qua SMS đến số điện thoại đăng ký."))
