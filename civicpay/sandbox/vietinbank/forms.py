"""The simulated VietinBank's forms, worded as the seed shows the bank's pages (seed 002 §II.2).

The card fields are the shared ones (``civicpay.sandbox.card_fields``) with VietinBank's rules: 16 digits
typed as one run, the holder in capitals as typed, the issue date written ``mm/yy``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.sandbox.card_fields import (
    CARD_16,
    BankCardForm,
    CardHolderField,
    CardNumberField,
    IssueDateField,
    OtpField,
)
from civicpay.sandbox.vietinbank import bank


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


class CardForm(BankCardForm[bank.TestCard]):
    card_number = CardNumberField(
        help_text=_("16 chữ số viết liền, như in trên thẻ."),
        digits=CARD_16,
        invalid=_("Số thẻ gồm 16 chữ số viết liền, không có dấu cách."),
        separators=False,
    )
    card_holder = CardHolderField(
        help_text=_("Chữ in hoa không dấu, ví dụ NGUYEN VAN A."),
        diacritics=_("Tên chủ thẻ viết không dấu, ví dụ NGUYEN VAN A."),
        invalid=_("Tên chủ thẻ viết chữ in hoa, chỉ gồm chữ cái và dấu cách."),
    )
    issue_date = IssueDateField(
        help_text=_("Tháng/năm phát hành in trên thẻ (mm/yy), ví dụ 07/15."),
        placeholder="mm/yy",
        invalid=_("Ngày phát hành có dạng mm/yy, ví dụ 07/15."),
    )

    unknown_card = _("Thông tin thẻ không đúng hoặc thẻ không do ngân hàng đã chọn phát hành.")

    def find_card(self, **details: str) -> bank.TestCard | None:
        return bank.find_card(**details)


class OtpForm(forms.Form):
    otp = OtpField(help_text=_("Mã gồm 6 chữ số ngân hàng đã gửi đến điện thoại đăng ký."))


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
