"""The VNPay sandbox's forms: bank choice, domestic card, OTP — with the messages a Vietnamese payer reads.

Format checks live here; whether the details belong to a test card is decided by ``cards.find_card``
in the card form's ``clean`` so that "thông tin thẻ không đúng" appears in the error summary with the
payer's answers kept, exactly like a format error.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.core.clock import local_today
from civicpay.sandbox.vnpay import cards

_CARD_NUMBER = re.compile(r"\d{16}|\d{19}")
_HOLDER = re.compile(r"[A-Z]+(?: [A-Z]+)*")
_ISSUE_DATE = re.compile(r"(\d{2})/(\d{2})")


class BankChoiceForm(forms.Form):
    bank_code = forms.ChoiceField(
        label=_("Ngân hàng"),
        choices=[(bank.code, bank.name) for bank in cards.BANKS],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Chọn ngân hàng phát hành thẻ."),
            "invalid_choice": _("Chọn ngân hàng phát hành thẻ."),
        },
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
        help_text=_("Tháng/năm phát hành in trên thẻ (MM/YY), ví dụ 07/15."),
        max_length=10,
        error_messages={"required": _("Nhập ngày phát hành thẻ.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "MM/YY", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, bank_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bank_code = bank_code
        self.card: cards.TestCard | None = None

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
        holder = holder.upper()  # the card prints capitals; lower-case typing is forgiven
        if not _HOLDER.fullmatch(holder):
            raise forms.ValidationError(_("Tên chủ thẻ chỉ gồm chữ cái và dấu cách."), code="format")
        return holder

    def clean_issue_date(self) -> str:
        value = self.cleaned_data["issue_date"].strip()
        match = _ISSUE_DATE.fullmatch(value)
        if match is None:
            raise forms.ValidationError(_("Ngày phát hành có dạng MM/YY, ví dụ 07/15."), code="format")
        month, year = int(match[1]), 2000 + int(match[2])
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Tháng phát hành phải từ 01 đến 12."), code="month")
        today = local_today()
        if date(year, month, 1) > today.replace(day=1):
            raise forms.ValidationError(_("Ngày phát hành không thể sau tháng hiện tại."), code="future")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        self.card = cards.find_card(
            bank_code=self.bank_code,
            number=data["card_number"],
            holder=data["card_holder"],
            issue_date=data["issue_date"],
        )
        if self.card is None:
            raise forms.ValidationError(
                _(
                    "Thông tin thẻ không đúng hoặc thẻ không thuộc ngân hàng đã chọn. Kiểm tra lại số thẻ, tên chủ thẻ và ngày phát hành."
                ),
                code="unknown_card",
            )
        return data


class OtpForm(forms.Form):
    otp = forms.CharField(
        label=_("Mã OTP"),
        help_text=_("Mã gồm 6 chữ số ngân hàng đã gửi qua SMS đến số điện thoại đăng ký thẻ."),
        max_length=10,
        error_messages={"required": _("Nhập mã OTP.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def clean_otp(self) -> str:
        otp = self.cleaned_data["otp"].strip()
        if not re.fullmatch(r"\d{6}", otp):
            raise forms.ValidationError(_("Mã OTP gồm 6 chữ số."), code="format")
        return otp
