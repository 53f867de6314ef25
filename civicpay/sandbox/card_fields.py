"""The card-entry fields the simulated gateways share: card number, holder name, issue date, OTP.

Each field carries its own format check, so a gateway's form only declares the fields with its rules
and its wording (the gateways differ on purpose: 16 digits or 16-or-19, spaces allowed or not, the
help texts and the error messages a payer reads). What every gateway says alike — the label, "Nhập …"
when the field is empty, the month and "not in the future" checks of the issue date, the OTP's six
digits — is written once here. A check fails with a ``ValidationError`` coded ``format``,
``diacritics``, ``month`` or ``future``, shown under the field like any format error.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from civicpay.core.clock import local_today

CARD_16 = re.compile(r"\d{16}")
CARD_16_OR_19 = re.compile(r"\d{16}|\d{19}")
_HOLDER = re.compile(r"[A-Z]+(?: [A-Z]+)*")
_ISSUE_DATE = re.compile(r"(\d{2})/(\d{2})")
_OTP = re.compile(r"\d{6}")
_SEPARATORS = re.compile(r"[\s-]")


class CardNumberField(forms.CharField):
    """The card number: ``digits`` (a pattern the whole number matches) or ``invalid``. With
    ``separators`` spaces and dashes are dropped first; without, the number must be typed as one run."""

    def __init__(
        self, *, help_text: StrOrPromise, digits: re.Pattern[str], invalid: StrOrPromise, separators: bool
    ) -> None:
        super().__init__(
            label=_("Số thẻ"),
            help_text=help_text,
            max_length=40,
            error_messages={"required": _("Nhập số thẻ.")},
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number", "spellcheck": "false"}),
        )
        self.digits, self.invalid, self.separators = digits, invalid, separators

    def clean(self, value: Any) -> str:
        text = str(super().clean(value))
        number = _SEPARATORS.sub("", text) if self.separators else text.strip()
        if not self.digits.fullmatch(number):
            raise forms.ValidationError(self.invalid, code="format")
        return number


class CardHolderField(forms.CharField):
    """The holder's name as printed on the card: ASCII letters and single spaces, in capitals (runs of
    white space folded). ``diacritics`` and ``invalid`` are the gateway's messages; with ``upper`` lower
    case is forgiven (upper-cased before the check)."""

    def __init__(
        self, *, help_text: StrOrPromise, diacritics: StrOrPromise, invalid: StrOrPromise, upper: bool = False
    ) -> None:
        super().__init__(
            label=_("Tên chủ thẻ"),
            help_text=help_text,
            max_length=100,
            error_messages={"required": _("Nhập tên chủ thẻ.")},
            widget=forms.TextInput(attrs={"autocomplete": "cc-name", "spellcheck": "false"}),
        )
        self.diacritics, self.invalid, self.upper = diacritics, invalid, upper

    def clean(self, value: Any) -> str:
        holder = " ".join(str(super().clean(value)).split())
        if not holder.isascii():
            raise forms.ValidationError(self.diacritics, code="diacritics")
        if self.upper:
            holder = holder.upper()  # the card prints capitals; lower-case typing is forgiven
        if not _HOLDER.fullmatch(holder):
            raise forms.ValidationError(self.invalid, code="format")
        return holder


class IssueDateField(forms.CharField):
    """The issue date printed on the card, ``mm/yy``: a month 01–12, not after the current month.
    ``placeholder`` and ``invalid`` spell the format the gateway's way (``mm/yy`` or ``MM/YY``)."""

    def __init__(self, *, help_text: StrOrPromise, placeholder: str, invalid: StrOrPromise) -> None:
        super().__init__(
            label=_("Ngày phát hành"),
            help_text=help_text,
            max_length=10,
            error_messages={"required": _("Nhập ngày phát hành thẻ.")},
            widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": placeholder, "spellcheck": "false"}),
        )
        self.invalid = invalid

    def clean(self, value: Any) -> str:
        text = str(super().clean(value)).strip()
        match = _ISSUE_DATE.fullmatch(text)
        if match is None:
            raise forms.ValidationError(self.invalid, code="format")
        month, year = int(match[1]), 2000 + int(match[2])
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Tháng phát hành phải từ 01 đến 12."), code="month")
        if date(year, month, 1) > local_today().replace(day=1):
            raise forms.ValidationError(_("Ngày phát hành không thể sau tháng hiện tại."), code="future")
        return text


class BankCardForm[Card](forms.Form):
    """A card form of a gateway whose bank keeps test cards: once every field is well formed, the details
    must describe one of the chosen bank's test cards (``find_card``), else ``unknown_card`` — in the
    error summary, the payer's answers kept, exactly like a format error. Subclasses declare the
    ``card_number``, ``card_holder`` and ``issue_date`` fields."""

    unknown_card: ClassVar[StrOrPromise]

    def __init__(self, *args: Any, bank_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bank_code = bank_code
        self.card: Card | None = None

    def find_card(self, *, bank_code: str, number: str, holder: str, issue_date: str) -> Card | None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        self.card = self.find_card(
            bank_code=self.bank_code,
            number=data["card_number"],
            holder=data["card_holder"],
            issue_date=data["issue_date"],
        )
        if self.card is None:
            raise forms.ValidationError(self.unknown_card, code="unknown_card")
        return data


class OtpField(forms.CharField):
    """The six-digit one-time code; ``help_text`` says where the gateway sent it."""

    def __init__(self, *, help_text: StrOrPromise) -> None:
        super().__init__(
            label=_("Mã OTP"),
            help_text=help_text,
            max_length=10,
            error_messages={"required": _("Nhập mã OTP.")},
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
            ),
        )

    def clean(self, value: Any) -> str:
        otp = str(super().clean(value)).strip()
        if not _OTP.fullmatch(otp):
            raise forms.ValidationError(_("Mã OTP gồm 6 chữ số."), code="format")
        return otp
