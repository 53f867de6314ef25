"""Back-office forms: the queue filters, the fee lines of a payment request, and the officer's actions.

Forms only validate what the officer typed; the rules of the dossier and of billing live in their services,
which the views call. Amounts on a fee line are compared with the procedure's fee schedule *as the server
computes it* (``FeeLinesFormSet.schedule``), never with a value posted back by the browser.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicpay.billing.types import LineInput
from civicpay.core.clock import local_today
from civicpay.core.money import format_vnd
from civicpay.directory.models import Agency, FeeKind, Procedure
from civicpay.dossiers.models import DossierStatus, FeeStatus

MAX_LINE_AMOUNT = 100_000_000_000  # 100 billion VND: far above any fee, far below BigInteger limits


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class QueueFilterForm(forms.Form):
    """The filters above the online-dossier queue. Always valid enough to show a page: bad values are dropped."""

    q = forms.CharField(
        label=_("Mã hồ sơ hoặc người nộp"),
        required=False,
        max_length=100,
        help_text=_("Nhập đầu mã hồ sơ, họ tên, số điện thoại hoặc số giấy tờ của người nộp"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(label=_("Trạng thái"), required=False)
    fee_status = forms.ChoiceField(label=_("Tình trạng phí"), required=False)
    procedure = forms.ModelChoiceField(
        label=_("Thủ tục"), required=False, queryset=Procedure.objects.none(), empty_label=_("Tất cả thủ tục")
    )
    date_from = forms.DateField(label=_("Nộp từ ngày"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Đến ngày"), required=False, widget=DateInput())

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status_field = self.fields["status"]
        fee_field = self.fields["fee_status"]
        procedure_field = self.fields["procedure"]
        assert isinstance(status_field, forms.ChoiceField)
        assert isinstance(fee_field, forms.ChoiceField)
        assert isinstance(procedure_field, forms.ModelChoiceField)
        status_field.choices = [("", _("Tất cả trạng thái")), *DossierStatus.choices]
        fee_field.choices = [("", _("Tất cả")), *FeeStatus.choices]
        procedure_field.queryset = Procedure.objects.filter(agency=agency).order_by("code")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", gettext("“Đến ngày” phải sau hoặc bằng “Nộp từ ngày”"))
        return cleaned

    def selector_filters(self) -> dict[str, Any]:
        """Keyword arguments for ``dossier_list_for_officer`` from the valid part of the filters."""
        data = self.cleaned_data if self.is_bound else {}
        errors = self.errors if self.is_bound else {}
        procedure = data.get("procedure") if "procedure" not in errors else None
        return {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "fee_status": data.get("fee_status") or "",
            "procedure_id": procedure.pk if procedure else None,
            "date_from": data.get("date_from") if "date_from" not in errors else None,
            "date_to": data.get("date_to") if "date_to" not in errors else None,
        }


class FeeLineForm(forms.Form):
    """One fee line of a payment request. ``schedule`` is the server's fee-schedule line it started from."""

    kind = forms.ChoiceField(label=_("Loại"), choices=FeeKind.choices)
    description = forms.CharField(label=_("Nội dung"), max_length=255)
    amount = forms.IntegerField(
        label=_("Số tiền (₫)"),
        min_value=0,
        max_value=MAX_LINE_AMOUNT,
        error_messages={
            "required": _("Nhập số tiền"),
            "invalid": _("Số tiền phải là số nguyên đồng, không có dấu chấm hay phẩy"),
            "min_value": _("Số tiền không được âm"),
            "max_value": _("Số tiền quá lớn"),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
    )
    change_reason = forms.CharField(label=_("Lý do thay đổi số tiền"), required=False, max_length=255)

    def __init__(self, *args: Any, schedule: LineInput | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schedule = schedule
        self.fields["description"].error_messages["required"] = gettext("Nhập nội dung khoản thu")

    def has_changed(self) -> bool:
        """An added line counts as filled only once it has text or an amount (the kind select always posts)."""
        if self.schedule is None:
            return any(self[name].data not in (None, "") for name in ("description", "amount", "change_reason"))
        return super().has_changed()

    @property
    def schedule_amount(self) -> int | None:
        """The amount the fee schedule sets for this line, or ``None`` (added line, or set by the officer)."""
        if self.schedule is None or self.schedule.set_by_officer:
            return None
        if self.schedule.schedule_amount is not None:
            return self.schedule.schedule_amount
        return self.schedule.amount

    @property
    def set_by_officer(self) -> bool:
        return self.schedule is not None and self.schedule.set_by_officer

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount = cleaned.get("amount")
        if amount is None:
            return cleaned
        if self.set_by_officer and amount <= 0:
            self.add_error("amount", gettext("Nhập số tiền cho khoản thu do cán bộ xác định"))
        scheduled = self.schedule_amount
        if scheduled is not None and amount != scheduled and not (cleaned.get("change_reason") or "").strip():
            self.add_error(
                "change_reason",
                gettext("Nhập lý do thay đổi số tiền (biểu phí: %(amount)s)") % {"amount": format_vnd(scheduled)},
            )
        return cleaned

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            kind=data["kind"],
            description=data["description"].strip(),
            amount=data["amount"],
            schedule_amount=self.schedule_amount,
            change_reason=(data.get("change_reason") or "").strip(),
            set_by_officer=self.set_by_officer,
        )


class BaseFeeLinesFormSet(forms.BaseFormSet[FeeLineForm]):
    """The lines of one dossier. Form *i* below ``len(schedule)`` started from schedule line *i*.

    Removing a line only ticks its delete box, so the indices — and the mapping to the schedule — never shift.
    """

    def __init__(self, *args: Any, schedule: list[LineInput], **kwargs: Any) -> None:
        self.schedule = schedule
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < len(self.schedule):
            kwargs["schedule"] = self.schedule[index]
        return kwargs

    def is_removed(self, form: FeeLineForm) -> bool:
        """The officer ticked "Bỏ dòng" on this line."""
        return bool(getattr(form, "cleaned_data", {}).get("DELETE", False))

    def kept_forms(self) -> list[FeeLineForm]:
        """The valid, non-deleted, non-empty lines."""
        return [
            form
            for form in self.forms
            if (form.schedule is not None or form.has_changed()) and not self.is_removed(form)
        ]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if sum(form.cleaned_data["amount"] for form in self.kept_forms()) <= 0:
            raise forms.ValidationError(gettext("Yêu cầu thanh toán cần ít nhất một khoản thu lớn hơn 0 ₫"))

    def line_inputs(self) -> list[LineInput]:
        return [form.line_input() for form in self.kept_forms()]


FeeLinesFormSet = cast(
    type[BaseFeeLinesFormSet],
    forms.formset_factory(FeeLineForm, formset=BaseFeeLinesFormSet, extra=0, can_delete=True),
)


def fee_lines_formset(*, dossier_pk: int, schedule: list[LineInput], data: Any = None) -> BaseFeeLinesFormSet:
    """The lines formset of one dossier, pre-filled from ``schedule`` (the server's fee schedule)."""
    initial = [
        {
            "kind": line.kind,
            "description": line.description,
            "amount": line.amount,
            "change_reason": line.change_reason,
        }
        for line in schedule
    ]
    return FeeLinesFormSet(data, initial=initial, prefix=f"d{dossier_pk}", schedule=schedule)


class PaymentBatchForm(forms.Form):
    """What applies to every request of the batch: the due date (and, when replacing, the reason)."""

    due_date = forms.DateField(
        label=_("Hạn thanh toán"),
        required=False,
        help_text=_("Để trống để dùng hạn mặc định"),
        widget=DateInput(),
        error_messages={"invalid": _("Nhập ngày theo dạng ngày/tháng/năm")},
    )
    reason = forms.CharField(
        label=_("Lý do thay thế yêu cầu thanh toán"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, replacing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replacing = replacing
        if replacing:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = gettext("Nhập lý do thay thế yêu cầu thanh toán")
        else:
            del self.fields["reason"]

    def clean_due_date(self) -> date | None:
        due: date | None = self.cleaned_data.get("due_date")
        if due is not None and due < local_today():
            raise forms.ValidationError(gettext("Hạn thanh toán không được trước hôm nay"))
        return due


class ConfirmPaymentRequestForm(forms.Form):
    confirmed = forms.BooleanField(
        label=_("Tôi đã kiểm tra nội dung thu phí và lệ phí"),
        error_messages={"required": _("Đánh dấu vào ô xác nhận đã kiểm tra nội dung thu phí và lệ phí")},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Nhập lý do")},
    )


class ReceiveForm(forms.Form):
    appointment_date = forms.DateField(
        label=_("Ngày hẹn trả kết quả"),
        required=False,
        help_text=_("Để trống để hệ thống tính theo thời hạn giải quyết của thủ tục"),
        widget=DateInput(),
        error_messages={"invalid": _("Nhập ngày hẹn theo dạng ngày/tháng/năm")},
    )

    def clean_appointment_date(self) -> date | None:
        appointment: date | None = self.cleaned_data.get("appointment_date")
        if appointment is not None and appointment < local_today():
            raise forms.ValidationError(gettext("Ngày hẹn trả kết quả không được trước hôm nay"))
        return appointment


class ReturnResultForm(forms.Form):
    result_file = forms.FileField(
        label=_("Tệp kết quả"),
        help_text=_("PDF, JPG hoặc PNG, tối đa 10 MB"),
        error_messages={"required": _("Chọn tệp kết quả"), "empty": _("Tệp kết quả đang trống")},
    )
    note = forms.CharField(
        label=_("Ghi chú cho người nộp"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class EmptyActionForm(forms.Form):
    """Actions that need nothing but the officer's click (and the CSRF token)."""
