"""The VNPay sandbox's forms: bank choice, domestic card, OTP — with the messages a Vietnamese payer reads.

Format checks live in the fields (``civicpay.sandbox.card_fields``, with VNPay's rules: 16 or 19 digits,
spaces and dashes ignored, lower-case holder names forgiven); whether the details belong to a test card
is decided by ``cards.find_card`` in the card form's ``clean`` so that "thông tin thẻ không đúng" appears
in the error summary with the payer's answers kept, exactly like a format error.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.sandbox.card_fields import (
    CARD_16_OR_19,
    BankCardForm,
    CardHolderField,
    CardNumberField,
    IssueDateField,
    OtpField,
)
from civicpay.sandbox.vnpay import cards


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


class CardForm(BankCardForm[cards.TestCard]):
    card_number = CardNumberField(
        help_text=_("16 hoặc 19 chữ số in trên mặt trước thẻ."),
        digits=CARD_16_OR_19,
        invalid=_("Số thẻ gồm 16 hoặc 19 chữ số."),
        separators=True,
    )
    card_holder = CardHolderField(
        help_text=_("Viết in hoa, không dấu, như in trên thẻ, ví dụ NGUYEN VAN A."),
        diacritics=_("Tên chủ thẻ viết không dấu, như in trên thẻ, ví dụ NGUYEN VAN A."),
        invalid=_("Tên chủ thẻ chỉ gồm chữ cái và dấu cách."),
        upper=True,
    )
    issue_date = IssueDateField(
        help_text=_("Tháng/năm phát hành in trên thẻ (MM/YY), ví dụ 07/15."),
        placeholder="MM/YY",
        invalid=_("Ngày phát hành có dạng MM/YY, ví dụ 07/15."),
    )

    unknown_card = _(
        "Thông tin thẻ không đúng hoặc thẻ không thuộc ngân hàng đã chọn. Kiểm tra lại số thẻ, tên chủ thẻ và ngày phát hành."
    )

    def find_card(self, **details: str) -> cards.TestCard | None:
        return cards.find_card(**details)


class OtpForm(forms.Form):
    otp = OtpField(help_text=_("Mã gồm 6 chữ số ngân hàng đã gửi qua SMS đến số điện thoại đăng ký thẻ."))
