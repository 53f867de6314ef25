"""Address fields for any form: a province select and a ward select limited to that province.

Usage::

    class ProfileForm(ProvinceWardFieldsMixin, forms.Form):
        street = forms.CharField(label=_("Số nhà, đường"))

The form gains ``province_code`` and ``ward_code`` (ints once cleaned). The ward list shows the wards of
the province chosen (from the submitted data or ``initial``); ``directory/wards.js`` refreshes it when
the province changes, and the server checks on submit that the ward belongs to the province — so the
form works with JavaScript off too (the person picks the province, submits, then picks the ward).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicpay.directory.places import provinces, ward_province_code, wards

_CHOOSE_PROVINCE = _("— Chọn tỉnh/thành phố —")
_CHOOSE_WARD = _("— Chọn phường/xã —")
_WARD_NOT_IN_PROVINCE = _("Phường/xã đã chọn không thuộc tỉnh/thành phố đã chọn. Hãy chọn lại phường/xã.")


def province_choices() -> list[tuple[str, str]]:
    return [("", str(_CHOOSE_PROVINCE))] + [(str(p.code), p.name) for p in provinces()]


def ward_choices(province_code: int | None) -> list[tuple[str, str]]:
    options = wards(province_code) if province_code is not None else []
    return [("", str(_CHOOSE_WARD))] + [(str(w.code), w.name) for w in options]


def province_choice_field(*, required: bool = True, label: Any = None) -> forms.TypedChoiceField:
    """A select of the 34 provinces, cleaned to an ``int`` code."""
    return forms.TypedChoiceField(
        label=label or _("Tỉnh/thành phố"),
        choices=province_choices,
        coerce=int,
        empty_value=None,
        required=required,
        error_messages={
            "required": _("Chọn tỉnh/thành phố"),
            "invalid_choice": _("Chọn một tỉnh/thành phố trong danh sách"),
        },
    )


def ward_choice_field(*, province_code: int | None, required: bool = True, label: Any = None) -> forms.TypedChoiceField:
    """A select of one province's wards, cleaned to an ``int`` code."""
    return forms.TypedChoiceField(
        label=label or _("Phường/xã"),
        choices=ward_choices(province_code),
        coerce=int,
        empty_value=None,
        required=required,
        error_messages={"required": _("Chọn phường/xã"), "invalid_choice": _WARD_NOT_IN_PROVINCE},
    )


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class ProvinceWardFieldsMixin(forms.BaseForm):
    """Adds ``province_code`` and ``ward_code`` to a form and validates that they agree."""

    province_field_name = "province_code"
    ward_field_name = "ward_code"
    address_required = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province_code = self._chosen_province()
        province = province_choice_field(required=self.address_required)
        ward = ward_choice_field(province_code=province_code, required=self.address_required)
        self.fields[self.province_field_name] = province
        self.fields[self.ward_field_name] = ward
        province.widget.attrs.update(
            {
                "data-ward-select": self[self.ward_field_name].auto_id,
                "data-wards-url": reverse("directory:wards"),
                "autocomplete": "off",
            }
        )

    def _chosen_province(self) -> int | None:
        if self.is_bound:
            return _as_int(self.data.get(self.add_prefix(self.province_field_name)))
        return _as_int(self.initial.get(self.province_field_name))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        province_code = cleaned.get(self.province_field_name)
        ward_code = cleaned.get(self.ward_field_name)
        if province_code is not None and ward_code is not None and ward_province_code(ward_code) != province_code:
            self.add_error(self.ward_field_name, _WARD_NOT_IN_PROVINCE)
        return cleaned
