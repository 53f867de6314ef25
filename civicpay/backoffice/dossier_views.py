"""The officer's dossier page, its actions and attachment downloads.

Every view goes through ``dossier_get_for_officer`` / ``attachment_get_for_officer``: a dossier of another
agency is a 404, exactly like one that does not exist. The page offers only what
``dossier_officer_actions`` allows now; the action view checks that again, so a forged POST for an action the
state machine does not allow shows an error and changes nothing (and the service would refuse it anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from civicpay.accounts.decorators import officer_required
from civicpay.accounts.models import Officer
from civicpay.backoffice.forms import EmptyActionForm, ReasonForm, ReceiveForm, ReturnResultForm
from civicpay.backoffice.queue_views import officer_of
from civicpay.billing.errors import BillingError
from civicpay.billing.selectors import payment_request_current_for_owner
from civicpay.core.audit import audit_trail
from civicpay.dossiers.errors import DossierError, UploadRejected
from civicpay.dossiers.models import Dossier, DossierAttachment
from civicpay.dossiers.selectors import attachment_get_for_officer, dossier_get_for_officer
from civicpay.dossiers.services import (
    dossier_cancel_payment_request,
    dossier_complete,
    dossier_officer_actions,
    dossier_receive,
    dossier_reject,
    dossier_request_additional_info,
    dossier_resend_payment_notice,
    dossier_return_result,
    dossier_start_processing,
)
from civicpay.dossiers.types import DossierAction

Runner = Callable[[Dossier, Officer, dict[str, Any]], str]


def _resend(dossier: Dossier, officer: Officer, data: dict[str, Any]) -> str:
    dossier_resend_payment_notice(dossier=dossier, officer=officer)
    return _("Đã gửi lại thông báo thu phí của hồ sơ %(code)s cho người nộp.") % {"code": dossier.code}


def _cancel(dossier: Dossier, officer: Officer, data: dict[str, Any]) -> str:
    dossier_cancel_payment_request(dossier=dossier, officer=officer, reason=data["reason"])
    return _("Đã hủy yêu cầu thanh toán của hồ sơ %(code)s.") % {"code": dossier.code}


def _receive(dossier: Dossier, officer: Officer, data: dict[str, Any]) -> str:
    received = dossier_receive(dossier=dossier, officer=officer, appointment_date=data.get("appointment_date"))
    return _("Đã tiếp nhận hồ sơ %(code)s. Số biên nhận: %(receipt)s. Hẹn trả kết quả ngày %(date)s.") % {
        "code": received.code,
        "receipt": received.receipt_number,
        "date": date_format(received.appointment_date, "d/m/Y") if received.appointment_date else "—",
    }


def _start(dossier: Dossier, officer: Officer, data: dict[str, Any]) -> str:
    dossier_start_processing(dossier=dossier, officer=officer)
    return _("Hồ sơ %(code)s đã chuyển sang “Đang giải quyết”.") % {"code": dossier.code}


def _additional(dossier: Dossier, officer: Officer, data: dict[str, Any]) -> str:
    dossier_request_additional_info(dossier=dossier, officer=officer, reason=data["reason"])
    return _("Đã gửi yêu cầu bổ sung hồ sơ %(code)s cho người nộp.") % {"code": dossier.code}


def _reject(dossier: Dossier, officer: Officer, data: dict[str, Any]) -> str:
    dossier_reject(dossier=dossier, officer=officer, reason=data["reason"])
    return _("Đã từ chối hồ sơ %(code)s.") % {"code": dossier.code}


def _return_result(dossier: Dossier, officer: Officer, data: dict[str, Any]) -> str:
    dossier_return_result(dossier=dossier, officer=officer, result_file=data["result_file"], note=data.get("note", ""))
    return _("Đã trả kết quả hồ sơ %(code)s; người nộp đã được thông báo.") % {"code": dossier.code}


def _complete(dossier: Dossier, officer: Officer, data: dict[str, Any]) -> str:
    dossier_complete(dossier=dossier, officer=officer)
    return _("Hồ sơ %(code)s đã hoàn thành (đã trả kết quả).") % {"code": dossier.code}


@dataclass(frozen=True)
class ActionSpec:
    """How the page offers one officer action: its button, its form, and the service it calls."""

    action: DossierAction
    button: str | Promise
    run: Runner
    form_class: type[forms.Form] = EmptyActionForm
    field_label: str | Promise = ""
    warning: bool = False

    def make_form(self, data: Any = None, files: Any = None) -> forms.Form:
        form = self.form_class(data, files, prefix=str(self.action))
        if self.field_label and "reason" in form.fields:
            form.fields["reason"].label = str(self.field_label)
        return form


# The order the page lists them in. REQUEST_PAYMENT is not here: it is the two-step request-payment journey.
ACTIONS: dict[DossierAction, ActionSpec] = {
    spec.action: spec
    for spec in (
        ActionSpec(DossierAction.RECEIVE, gettext_lazy("Tiếp nhận hồ sơ"), _receive, ReceiveForm),
        ActionSpec(DossierAction.RESEND_PAYMENT_NOTICE, gettext_lazy("Gửi lại thông báo"), _resend),
        ActionSpec(
            DossierAction.CANCEL_PAYMENT_REQUEST,
            gettext_lazy("Hủy yêu cầu thanh toán"),
            _cancel,
            ReasonForm,
            gettext_lazy("Lý do hủy yêu cầu thanh toán"),
            warning=True,
        ),
        ActionSpec(DossierAction.START_PROCESSING, gettext_lazy("Chuyển giải quyết"), _start),
        ActionSpec(
            DossierAction.REQUEST_ADDITIONAL_INFO,
            gettext_lazy("Yêu cầu bổ sung hồ sơ"),
            _additional,
            ReasonForm,
            gettext_lazy("Nội dung cần bổ sung"),
        ),
        ActionSpec(DossierAction.RETURN_RESULT, gettext_lazy("Trả kết quả"), _return_result, ReturnResultForm),
        ActionSpec(DossierAction.COMPLETE, gettext_lazy("Hoàn thành, đã trao kết quả"), _complete),
        ActionSpec(
            DossierAction.REJECT,
            gettext_lazy("Từ chối hồ sơ"),
            _reject,
            ReasonForm,
            gettext_lazy("Lý do từ chối"),
            True,
        ),
    )
}


def _get_dossier(officer: Officer, pk: int) -> Dossier:
    try:
        return dossier_get_for_officer(officer=officer, pk=pk)
    except Dossier.DoesNotExist:
        raise Http404(_("Không tìm thấy hồ sơ")) from None


def _render_dossier(
    request: HttpRequest,
    dossier: Dossier,
    *,
    bound: forms.Form | None = None,
    bound_action: str = "",
    status: int = 200,
) -> HttpResponse:
    allowed = dossier_officer_actions(dossier=dossier)
    offered = [
        (spec, bound if bound is not None and bound_action == str(spec.action) else spec.make_form())
        for action, spec in ACTIONS.items()
        if action in allowed
    ]
    payment_request = payment_request_current_for_owner(owner_kind="dossier", owner_id=dossier.pk)
    request_payment_url = ""
    replace_payment_url = ""
    if DossierAction.REQUEST_PAYMENT in allowed:
        request_payment_url = f"{reverse('backoffice:request_payment')}?{urlencode({'ids': dossier.pk})}"
    if DossierAction.CANCEL_PAYMENT_REQUEST in allowed:
        replace_payment_url = f"{reverse('backoffice:request_payment')}?{urlencode({'ids': dossier.pk, 'replace': 1})}"
    return render(
        request,
        "backoffice/dossier.html",
        {
            "dossier": dossier,
            "attachments": dossier.attachments.order_by("uploaded_at", "pk"),
            "payment_request": payment_request,
            "payment_lines": payment_request.lines.order_by("position", "pk") if payment_request else [],
            "offered": offered,
            "form": bound,  # for the error summary
            "request_payment_url": request_payment_url,
            "replace_payment_url": replace_payment_url,
            "audit_entries": audit_trail(dossier).select_related("actor").order_by("at", "pk"),
        },
        status=status,
    )


@officer_required
@require_GET
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_dossier(request, _get_dossier(officer_of(request), pk))


@officer_required
@require_POST
def dossier_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one officer action on one dossier, if the state machine allows it now."""
    officer = officer_of(request)
    dossier = _get_dossier(officer, pk)
    try:
        spec = ACTIONS[DossierAction(action)]
    except (ValueError, KeyError):
        raise Http404(_("Không có thao tác này")) from None
    if spec.action not in dossier_officer_actions(dossier=dossier):
        messages.error(
            request,
            _("Không thể thực hiện “%(action)s”: hồ sơ %(code)s đang ở trạng thái “%(status)s”. Hồ sơ không thay đổi.")
            % {"action": spec.button, "code": dossier.code, "status": dossier.status_label},
        )
        return redirect("backoffice:dossier", pk=dossier.pk)
    form = spec.make_form(request.POST, request.FILES)
    if form.is_valid():
        try:
            message = spec.run(dossier, officer, form.cleaned_data)
        except UploadRejected as error:
            form.add_error("result_file" if "result_file" in form.fields else None, error.message)
        except (DossierError, BillingError) as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, message)
            return redirect("backoffice:dossier", pk=dossier.pk)
    dossier.refresh_from_db()
    return _render_dossier(request, dossier, bound=form, bound_action=str(spec.action), status=400)


@officer_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A dossier file, as a download, only for officers of the dossier's agency."""
    # officer_required is typed for HttpResponse; a FileResponse streams, which is what we want here.
    return cast(HttpResponse, _attachment_response(request, pk))


def _attachment_response(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = attachment_get_for_officer(officer=officer_of(request), pk=pk)
    except DossierAttachment.DoesNotExist:
        raise Http404(_("Không tìm thấy tệp")) from None
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
