"""Forms of the citizen's dossier pages. They validate input only; the work is done by services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicpay.accounts.models import Organisation, User
from civicpay.directory.models import Procedure
from civicpay.dossiers.errors import UploadRejected
from civicpay.dossiers.uploads import validate_upload

SUMMARY_MAX = 4000
NOTES_MAX = 2000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files from one ``<input type=file multiple>``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        single_clean = super().clean
        return [f for f in (single_clean(item, initial) for item in items) if f]


class UploadsMixin:
    """Checks each uploaded file by its content and keeps the good ones even when another is bad.

    After ``is_valid()``: ``accepted`` holds ``(file, content_type)`` for every acceptable file, so the
    view can keep them whatever else is wrong with the form; rejected files become field errors.
    """

    accepted: list[tuple[UploadedFile, str]]

    def check_uploads(self, files: list[UploadedFile]) -> list[str]:
        self.accepted = []
        errors: list[str] = []
        for upload in files:
            try:
                content_type = validate_upload(upload)
            except UploadRejected as exc:
                errors.append(exc.message)  # already names the file
                continue
            upload.seek(0)
            self.accepted.append((upload, content_type))
        return errors


class ProcedureChoiceForm(forms.Form):
    """Step 1: which procedure (and so which agency) the dossier is for."""

    procedure = forms.ModelChoiceField(
        label=_("Thủ tục hành chính"),
        queryset=Procedure.objects.none(),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Chọn thủ tục hành chính bạn muốn nộp hồ sơ"),
            "invalid_choice": _("Thủ tục đã chọn không còn áp dụng, hãy chọn thủ tục khác"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedure"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Procedure.objects.filter(is_active=True, agency__is_active=True).select_related("agency")


class DossierDetailsForm(UploadsMixin, forms.Form):
    """Step 2: for whom, what is asked, and the documents. Applicant details come from the account."""

    on_behalf = forms.ChoiceField(
        label=_("Nộp cho"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Chọn nộp hồ sơ cho bản thân hay cho tổ chức")},
    )
    summary = forms.CharField(
        label=_("Nội dung yêu cầu"),
        help_text=_("Ví dụ: số lượng bản, mục đích sử dụng, thông tin riêng của thủ tục."),
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Nhập nội dung yêu cầu"),
            "max_length": _("Nội dung yêu cầu không được dài quá %(limit_value)d ký tự"),
        },
    )
    notes = forms.CharField(
        label=_("Ghi chú"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Ghi chú không được dài quá %(limit_value)d ký tự")},
    )
    attachments = MultipleFileField(
        label=_("Tệp hồ sơ đính kèm"),
        required=False,
        help_text=_("Tệp PDF, JPEG hoặc PNG, mỗi tệp tối đa 10 MB. Có thể chọn nhiều tệp một lúc."),
    )

    def __init__(
        self, *args: Any, user: User, organisations: list[Organisation], held_count: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.held_count = held_count
        self.accepted = []
        choices = [("self", gettext("Bản thân tôi (%(name)s)") % {"name": user.full_name})]
        choices += [(f"org:{org.pk}", org.name) for org in organisations]
        field = self.fields["on_behalf"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        if held_count == 0:
            # Shown as required (no "không bắt buộc"); enforced in clean(), counting held files too.
            self.fields["attachments"].required = True
        if not organisations:
            # Nothing to choose: a citizen without organisations always submits for themself.
            field.widget = forms.HiddenInput()
            field.initial = "self"

    def clean_attachments(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        errors = self.check_uploads(files)
        if errors:
            raise forms.ValidationError(errors)
        return files

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "attachments" not in self.errors and self.held_count + len(self.accepted) == 0:
            self.add_error("attachments", gettext("Chọn ít nhất một tệp hồ sơ đính kèm"))
        return cleaned


class ProvideInfoForm(UploadsMixin, forms.Form):
    """The applicant's answer to a request for additional documents."""

    note = forms.CharField(
        label=_("Nội dung bổ sung"),
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Nhập nội dung bổ sung")},
    )
    attachments = MultipleFileField(
        label=_("Tệp bổ sung"),
        required=False,
        help_text=_("Tệp PDF, JPEG hoặc PNG, mỗi tệp tối đa 10 MB."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accepted = []

    def clean_attachments(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        errors = self.check_uploads(files)
        if errors:
            raise forms.ValidationError(errors)
        return files


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do rút hồ sơ"),
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Nhập lý do rút hồ sơ")},
    )


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("Mã hồ sơ"),
        max_length=40,
        help_text=_("Ví dụ: G22.45-261122-0001"),
        error_messages={"required": _("Nhập mã hồ sơ")},
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()
