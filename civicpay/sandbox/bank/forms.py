"""The sandbox bank's "send a transfer" form: any account, amount and memo, as a payer's app allows.

A pasted VietQR payload (what a banking app reads from the code) fills in account, amount and memo,
like scanning; typed values win where both are given.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.payments.providers import vietqr

MAX_AMOUNT_DIGITS = 13
MAX_MEMO = 140  # NAPAS 24/7 memos are cut around 140–210 characters depending on the bank


class TransferForm(forms.Form):
    qr_payload = forms.CharField(
        label=_("Nội dung mã VietQR"),
        required=False,
        max_length=512,
        help_text=_("Dán nội dung mã QR để điền sẵn tài khoản, số tiền và nội dung, như khi quét mã."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    account = forms.RegexField(
        label=_("Số tài khoản nhận"),
        regex=r"^[0-9A-Za-z]{1,19}$",
        required=False,
        error_messages={"invalid": _("Số tài khoản nhận gồm tối đa 19 chữ hoặc số, không có dấu cách.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    amount = forms.CharField(
        label=_("Số tiền (VNĐ)"),
        required=False,
        max_length=20,
        help_text=_("Số nguyên đồng; có thể viết 150.000 hoặc 150000."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    memo = forms.CharField(label=_("Nội dung chuyển khoản"), required=False, max_length=MAX_MEMO)
    sender_name = forms.CharField(
        label=_("Tên người chuyển"),
        max_length=100,
        error_messages={"required": _("Nhập tên người chuyển.")},
    )
    sender_account = forms.RegexField(
        label=_("Số tài khoản chuyển"),
        regex=r"^[0-9]{6,19}$",
        error_messages={
            "required": _("Nhập số tài khoản chuyển."),
            "invalid": _("Số tài khoản chuyển gồm 6 đến 19 chữ số."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_amount(self) -> int | None:
        """VND has no decimals: dots, commas and spaces are thousands separators."""
        text = re.sub(r"[\s.,]", "", self.cleaned_data.get("amount") or "")
        if not text:
            return None
        if not text.isdigit() or len(text) > MAX_AMOUNT_DIGITS:
            raise forms.ValidationError(_("Nhập số tiền bằng chữ số, ví dụ 150.000."))
        if int(text) <= 0:
            raise forms.ValidationError(_("Số tiền phải lớn hơn 0."))
        return int(text)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        payload = (data.get("qr_payload") or "").strip()
        if payload:
            try:
                code = vietqr.parse(payload)
            except vietqr.InvalidPayload:
                self.add_error("qr_payload", _("Nội dung mã QR không phải mã VietQR hợp lệ."))
                return data
            data["account"] = data.get("account") or code.account
            data["amount"] = data.get("amount") or code.amount
            data["memo"] = data.get("memo") or code.purpose
        if not data.get("account") and "account" not in self.errors:
            self.add_error("account", _("Nhập số tài khoản nhận."))
        if not data.get("amount") and "amount" not in self.errors:
            self.add_error("amount", _("Nhập số tiền."))
        return data
