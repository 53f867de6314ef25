"""The ViettelPay sandbox's forms, with the messages a Vietnamese payer reads (format checks only;
whether an account exists is decided in ``clean``, so the answer shows in the error summary)."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.core.clock import local_today
from civicpay.sandbox.viettelpay import data

_PHONE = re.compile(r"0\d{9}")
_CARD_NUMBER = re.compile(r"\d{16}|\d{19}")
_HOLDER = re.compile(r"[A-Z]+(?: [A-Z]+)*")
_ISSUE_DATE = re.compile(r"(\d{2})/(\d{2})")
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
    card_number = forms.CharField(
        label=_("Số thẻ"),
        help_text=_("16 hoặc 19 chữ số in trên mặt trước thẻ."),
        max_length=40,
        error_messages={"required": _("Nhập số thẻ.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number", "spellcheck": "false"}),
    )
    card_holder = forms.CharField(
        label=_("Tên chủ thẻ"),
        help_text=_("Viết in hoa, không dấu, như in trên thẻ, ví dụ NGUYEN VAN A."),
        max_length=100,
        error_messages={"required": _("Nhập tên chủ thẻ.")},
        widget=forms.TextInput(attrs={"autocomplete": "cc-name", "spellcheck": "false"}),
    )
    issue_date = forms.CharField(
        label=_("Ngày phát hành"),
        help_text=_("Tháng/năm phát hành in trên thẻ (MM/YY), ví dụ 03/18."),
        max_length=10,
        error_messages={"required": _("Nhập ngày phát hành thẻ.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "MM/YY", "spellcheck": "false"}),
    )

    def clean_card_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not _CARD_NUMBER.fullmatch(number):
            raise forms.ValidationError(_("Số thẻ gồm 16 hoặc 19 chữ số."), code="format")
        return number

    def clean_card_holder(self) -> str:
        holder = " ".join(self.cleaned_data["card_holder"].split())
        if not holder.isascii():
            raise forms.ValidationError(
                _("Tên chủ thẻ viết không dấu, như in trên thẻ, ví dụ NGUYEN VAN A."), code="diacritics"
            )
        if not _HOLDER.fullmatch(holder):
            raise forms.ValidationError(
                _("Tên chủ thẻ viết in hoa, chỉ gồm chữ cái và dấu cách, ví dụ NGUYEN VAN A."), code="format"
            )
        return holder

    def clean_issue_date(self) -> str:
        value = self.cleaned_data["issue_date"].strip()
        match = _ISSUE_DATE.fullmatch(value)
        if match is None:
            raise forms.ValidationError(_("Ngày phát hành có dạng MM/YY, ví dụ 03/18."), code="format")
        month, year = int(match[1]), 2000 + int(match[2])
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Tháng phát hành phải từ 01 đến 12."), code="month")
        if date(year, month, 1) > local_today().replace(day=1):
            raise forms.ValidationError(_("Ngày phát hành không thể sau tháng hiện tại."), code="future")
        return value


class OtpForm(forms.Form):
    otp = forms.CharField(
        label=_("Mã OTP"),
        help_text=_("Mã gồm 6 chữ số đã gửi qua SMS đến số điện thoại đăng ký."),
        max_length=10,
        error_messages={"required": _("Nhập mã OTP.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def clean_otp(self) -> str:
        otp = self.cleaned_data["otp"].strip()
        if not _DIGITS6.fullmatch(otp):
            raise forms.ValidationError(_("Mã OTP gồm 6 chữ số."), code="format")
        return otp
