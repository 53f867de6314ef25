"""The payer's fee notices (Thông báo thu phí), the printable notice, and in-portal notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicpay.accounts.models import User
from civicpay.billing.models import PaymentRequest
from civicpay.billing.notice import render_fee_notice_pdf
from civicpay.billing.selectors import payment_request_get_for_payer, payment_request_list_for_payer
from civicpay.notifications.selectors import portal_notifications_for
from civicpay.notifications.services import notification_mark_all_read, notification_mark_read

PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def fee_notices(request: HttpRequest) -> HttpResponse:
    """Every payment request addressed to the user or to an organisation they represent."""
    notices = payment_request_list_for_payer(user=_user(request)).select_related("agency")
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/notices/list.html", {"page": page, "notices": page.object_list})


@login_required
def fee_notice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The notice as a PDF to print (shown in the browser, saved under a readable name)."""
    try:
        notice = payment_request_get_for_payer(user=_user(request), number=number)
    except PaymentRequest.DoesNotExist:
        raise Http404(_("Không tìm thấy thông báo thu phí")) from None
    response = HttpResponse(render_fee_notice_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(False, f"thong-bao-thu-phi-{notice.number}.pdf") or "inline"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = portal_notifications_for(user=_user(request))
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/notices/notifications.html", {"page": page, "items": page.object_list})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    message = portal_notifications_for(user=user).filter(pk=pk).first()
    if message is None:
        raise Http404(_("Không tìm thấy thông báo"))
    notification_mark_read(message=message, user=user)
    return redirect("portal:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    changed = notification_mark_all_read(user=_user(request))
    if changed:
        messages.success(request, _("Đã đánh dấu tất cả thông báo là đã đọc."))
    return redirect("portal:notifications")
