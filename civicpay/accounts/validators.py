"""Vietnamese identifiers: phone numbers, citizen ID numbers, tax codes (MST)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PHONE = re.compile(r"^0[35789]\d{8}$")


def normalize_phone(value: str) -> str | None:
    """``+84 912 345 678`` / ``0912.345.678`` → ``0912345678``; ``None`` if it is not a mobile number."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if _PHONE.match(digits) else None


def validate_phone(value: str) -> None:
    if normalize_phone(value) is None:
        raise ValidationError(_("Số điện thoại di động không hợp lệ (10 chữ số, ví dụ 0912345678)."), code="phone")


def validate_citizen_id(value: str) -> None:
    """CCCD: 12 digits; old CMND: 9 digits; passport: a letter and 7 digits."""
    v = (value or "").strip().upper()
    if re.fullmatch(r"\d{12}", v) or re.fullmatch(r"\d{9}", v) or re.fullmatch(r"[A-Z]\d{7}", v):
        return
    raise ValidationError(
        _("Số giấy tờ không hợp lệ: CCCD có 12 chữ số, CMND có 9 chữ số, hộ chiếu gồm 1 chữ cái và 7 chữ số."),
        code="id_number",
    )


_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def validate_tax_code(value: str) -> None:
    """MST: 10 digits whose 10th is a check digit, optionally ``-NNN`` for a branch (13 digits)."""
    v = (value or "").strip()
    m = re.fullmatch(r"(\d{10})(?:-?(\d{3}))?", v)
    if m:
        base = m.group(1)
        check = 10 - sum(int(d) * w for d, w in zip(base[:9], _MST_WEIGHTS, strict=True)) % 11
        if check == int(base[9]):
            return
    raise ValidationError(
        _("Mã số thuế không hợp lệ (10 chữ số, hoặc 13 chữ số cho đơn vị phụ thuộc, ví dụ 0100109106-001)."),
        code="tax_code",
    )


def normalize_tax_code(value: str) -> str:
    v = re.sub(r"\s", "", value or "")
    if re.fullmatch(r"\d{13}", v):
        return f"{v[:10]}-{v[10:]}"
    return v
