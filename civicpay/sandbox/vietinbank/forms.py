"""The simulated VietinBank's forms, worded as the seed shows the bank's pages (seed 002 §II.2)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.core.clock import local_today
from civicpay.sandbox.vietinbank import bank

_HOLDER = re.compile(r"[A-Z]+(?: [A-Z]+)*")
_ISSUE_DATE = re.compile(r"(\d{2})/(\d{2})")


class IssuingBankForm(forms.Form):
    bank_code = forms.ChoiceField(
        label=_("Ngân hàng phát hành thẻ"),
        choices=[(issuer.code, issuer.name) for issuer in bank.ISSUING_BANKS],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Chọn ngân hàng phát hành của thẻ dùng để thanh toán."),
            "invalid_choice": _("Chọn ngân hàng phát hành của thẻ dùng để thanh toán."),
        },
    )


class CardForm(forms.Form):
    card_number = forms.CharField(
        label=_("Số thẻ"),
        help_text=_("16 chữ số viết liền, như in trên thẻ."),
        max_length=40,
        error_messages={"required": _("Nhập số thẻ.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number", "spellcheck": "false"}),
    )
    card_holder = forms.CharField(
        label=_("Tên chủ thẻ"),
        help_text=_("Chữ in hoa không dấu, ví dụ NGUYEN VAN A."),
        max_length=100,
        error_messages={"required": _("Nhập tên chủ thẻ.")},
        widget=forms.TextInput(attrs={"autocomplete": "cc-name", "spellcheck": "false"}),
    )
    issue_date = forms.CharField(
        label=_("Ngày phát hành"),
        help_text=_("Tháng/năm phát hành in trên thẻ (mm/yy), ví dụ 07/15."),
        max_length=10,
        error_messages={"required": _("Nhập ngày phát hành thẻ.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "mm/yy", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, bank_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bank_code = bank_code
        self.card: bank.TestCard | None = None

    def clean_card_number(self) -> str:
        number = self.cleaned_data["card_number"].strip()
        if not re.fullmatch(r"\d{16}", number):
            raise forms.ValidationError(_("Số thẻ gồm 16 chữ số viết liền, không có dấu cách."), code="format")
        return number

    def clean_card_holder(self) -> str:
        holder = " ".join(self.cleaned_data["card_holder"].split())
        if not holder.isascii():
            raise forms.ValidationError(_("Tên chủ thẻ viết không dấu, ví dụ NGUYEN VAN A."), code="diacritics")
        if not _HOLDER.fullmatch(holder):
            raise forms.ValidationError(_("Tên chủ thẻ viết chữ in hoa, chỉ gồm chữ cái và dấu cách."), code="format")
        return holder

    def clean_issue_date(self) -> str:
        value = self.cleaned_data["issue_date"].strip()
        match = _ISSUE_DATE.fullmatch(value)
        if match is None:
            raise forms.ValidationError(_("Ngày phát hành có dạng mm/yy, ví dụ 07/15."), code="format")
        month, year = int(match[1]), 2000 + int(match[2])
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Tháng phát hành phải từ 01 đến 12."), code="month")
        if date(year, month, 1) > local_today().replace(day=1):
            raise forms.ValidationError(_("Ngày phát hành không thể sau tháng hiện tại."), code="future")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        self.card = bank.find_card(
            bank_code=self.bank_code,
            number=data["card_number"],
            holder=data["card_holder"],
            issue_date=data["issue_date"],
        )
        if self.card is None:
            raise forms.ValidationError(
                _("Thông tin thẻ không đúng hoặc thẻ không do ngân hàng đã chọn phát hành."), code="unknown_card"
            )
        return data


class OtpForm(forms.Form):
    otp = forms.CharField(
        label=_("Mã OTP"),
        help_text=_("Mã gồm 6 chữ số ngân hàng đã gửi đến điện thoại đăng ký."),
        max_length=10,
        error_messages={"required": _("Nhập mã OTP.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def clean_otp(self) -> str:
        otp = self.cleaned_data["otp"].strip()
        if not re.fullmatch(r"\d{6}", otp):
            raise forms.ValidationError(_("Mã OTP gồm 6 chữ số."), code="format")
        return otp


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do từ chối"),
        max_length=500,
        error_messages={"required": _("Nhập lý do từ chối.")},
    )


class CollectForm(forms.Form):
    code = forms.CharField(
        label=_("Mã thanh toán"),
        help_text=_("Mã in trên Chỉ dẫn thanh toán dịch vụ công trực tuyến của khách hàng."),
        max_length=64,
        error_messages={"required": _("Nhập mã thanh toán.")},
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
