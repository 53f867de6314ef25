"""Forms of the payer's journey: choose the intermediary, and pay by dossier code without an account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.accounts.validators import normalize_phone

CHOICE_SEPARATOR = ":"


def choice_value(provider: str, method: str) -> str:
    """One radio's value: ``vnpay:`` (VNPay, method chosen at VNPay), ``vnpay:VNBANK`` …"""
    return f"{provider}{CHOICE_SEPARATOR}{method}"


class ProviderChoiceForm(forms.Form):
    """Seed 000 step 3, "Chọn đơn vị trung gian thanh toán": one radio per provider method the
    agency offers. The template renders the radios itself (grouped by provider, with a mark)."""

    choice = forms.ChoiceField(
        label=_("Chọn đơn vị trung gian thanh toán"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Chọn đơn vị trung gian thanh toán"),
            "invalid_choice": _("Chọn một đơn vị trung gian thanh toán trong danh sách"),
        },
    )

    def __init__(self, *args: Any, values: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = values  # type: ignore[attr-defined]

    @property
    def provider_and_method(self) -> tuple[str, str]:
        provider, _sep, method = self.cleaned_data["choice"].partition(CHOICE_SEPARATOR)
        return provider, method


class PayByCodeForm(forms.Form):
    """Seed 001 "Thanh toán trực tuyến" by dossier code. The phone number registered on the dossier is
    the second factor: the code alone is printed on paper and shared, the pair is not."""

    code = forms.CharField(
        label=_("Mã hồ sơ"),
        max_length=48,
        help_text=_("In trên giấy biên nhận hoặc thông báo thu phí, ví dụ G22.45-261122-0001."),
        error_messages={"required": _("Nhập mã hồ sơ")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        label=_("Số điện thoại đăng ký trên hồ sơ"),
        max_length=20,
        help_text=_("Số điện thoại di động người nộp đã khai khi nộp hồ sơ, ví dụ 0912345678."),
        error_messages={"required": _("Nhập số điện thoại đăng ký trên hồ sơ")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data["phone"])
        if phone is None:
            raise forms.ValidationError(
                _("Số điện thoại di động không hợp lệ (10 chữ số, ví dụ 0912345678)."), code="phone"
            )
        return phone
