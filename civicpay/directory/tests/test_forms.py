from __future__ import annotations

from django import forms

from civicpay.directory.forms import ProvinceWardFieldsMixin


class AddressForm(ProvinceWardFieldsMixin, forms.Form):
    street = forms.CharField(label="Số nhà, đường")


def test_a_ward_of_the_chosen_province_is_accepted_as_ints():
    form = AddressForm(data={"street": "12 Trần Phú", "province_code": "56", "ward_code": "22366"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["province_code"] == 56
    assert form.cleaned_data["ward_code"] == 22366


def test_a_ward_of_another_province_is_refused_with_a_clear_message():
    # Phường Thành Sen is in Hà Tĩnh, not Khánh Hòa.
    form = AddressForm(data={"street": "12 Trần Phú", "province_code": "56", "ward_code": "18073"})
    assert not form.is_valid()
    assert form.errors["ward_code"] == ["Phường/xã đã chọn không thuộc tỉnh/thành phố đã chọn. Hãy chọn lại phường/xã."]


def test_missing_answers_are_named_and_the_given_ones_kept():
    form = AddressForm(data={"street": "12 Trần Phú", "province_code": "", "ward_code": ""})
    assert not form.is_valid()
    assert form.errors["province_code"] == ["Chọn tỉnh/thành phố"]
    assert form.errors["ward_code"] == ["Chọn phường/xã"]
    assert 'value="12 Trần Phú"' in str(form["street"])


def test_ward_list_follows_the_submitted_or_initial_province():
    bound = AddressForm(data={"province_code": "42"})
    ward_labels = [label for _value, label in bound.fields["ward_code"].choices]  # type: ignore[attr-defined]
    assert "Phường Thành Sen" in ward_labels
    assert "Phường Nha Trang" not in ward_labels

    unbound = AddressForm(initial={"province_code": 56})
    ward_labels = [label for _value, label in unbound.fields["ward_code"].choices]  # type: ignore[attr-defined]
    assert "Phường Nha Trang" in ward_labels

    html = str(unbound["province_code"])
    assert 'data-ward-select="id_ward_code"' in html
    assert 'data-wards-url="/dia-gioi/phuong-xa/"' in html
