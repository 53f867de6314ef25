from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicpay.documents.codes import normalize_lookup_code

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("Mã tra cứu"),
        max_length=40,
        help_text=_("12 ký tự in dưới mã QR của tài liệu, ví dụ: ABCD-2345-EFGH"),
        error_messages={"required": _("Nhập mã tra cứu")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        code = normalize_lookup_code(str(self.cleaned_data["code"]))
        if code is None:
            raise forms.ValidationError(_("Mã tra cứu gồm 12 chữ cái và chữ số, ví dụ: ABCD-2345-EFGH"))
        return code


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp PDF của tài liệu"),
        help_text=_("Tải lên tệp bạn nhận được để kiểm tra tệp còn nguyên vẹn và chữ ký số hợp lệ. Tối đa 10 MB."),
        error_messages={"required": _("Chọn tệp PDF cần kiểm tra")},
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args: Any, xml: bool = False, **kwargs: Any) -> None:
        """``xml``: the document is an XML file (the e-receipt and its cancellation notice), not a PDF."""
        super().__init__(*args, **kwargs)
        if xml:
            field = self.fields["file"]
            field.label = _("Tệp XML của tài liệu")
            field.error_messages["required"] = _("Chọn tệp XML cần kiểm tra")
            field.widget.attrs["accept"] = "application/xml,text/xml,.xml"

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Tệp lớn hơn 10 MB"))
        return bytes(upload.read())
