"""The payer's journey (issue 4, seeds 000 and 001): fee notice → "Thông tin thanh toán" → choose the
intermediary → the gateway (or a QR code, or printable instructions) → the result page → the receipt.

Who may see a notice: its payer (logged in, through ``billing.selectors``), or the browser session that
proved the dossier code *and* the phone number registered on it ("Thanh toán trực tuyến" without an
account). Who may see a payment: ``payments.access`` (its payer, or the session that created it). Anyone
else gets a 404, never a 403, so nobody learns that a notice or a payment exists.

The result page never trusts the gateway's redirect: it shows what ``payments`` knows (only an IPN or a
status query changes that) and polls ``payments:status`` until the outcome is final.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

import segno
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from civicpay.accounts.validators import normalize_phone
from civicpay.billing.errors import BillingError
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus, Receipt
from civicpay.billing.payables import PAYABLE_KIND, payables_for_requests
from civicpay.billing.receipt_xml import receipt_xml_bytes
from civicpay.billing.receipts import receipt_for_request, receipt_pdf, receipt_printable
from civicpay.billing.registry import handler_for
from civicpay.billing.selectors import payment_request_get_for_payer
from civicpay.core import clock
from civicpay.core.money import format_vnd, vnd_in_words
from civicpay.core.ratelimit import client_ip, rate_limit
from civicpay.dossiers.models import Dossier
from civicpay.payments.access import SESSION_KEY as PAYMENT_SESSION_KEY
from civicpay.payments.access import payment_get_for_viewer, remember_payment
from civicpay.payments.errors import PaymentError
from civicpay.payments.models import PENDING_STATUSES, Payment
from civicpay.payments.providers.base import ProviderError, provider_get
from civicpay.payments.selectors import ProviderChoice, payment_status_view, payments_for_payable
from civicpay.payments.selectors import provider_choices_for_agency as payment_provider_choices
from civicpay.payments.services import payment_create, payment_start
from civicpay.payments.states import PaymentStatus
from civicpay.portal.payment_forms import PayByCodeForm, ProviderChoiceForm, choice_value

# Notices this browser session may pay without an account (proved code + phone), newest last.
GUEST_SESSION_KEY = "portal.guest_notices"
GUEST_REMEMBERED = 10
# What payment_start returned for QR and instruction payments, by payment reference (the pages that
# show them are GET pages, so a refresh or a back button does not start another payment).
START_SESSION_KEY = "portal.payment_starts"
START_REMEMBERED = 5
# Pay by code: enough for a person with a few dossiers and typos, far too few to guess phone numbers.
GUEST_LIMIT = 10
GUEST_PERIOD_SECONDS = 600

NEUTRAL_NOT_FOUND = gettext_lazy(
    "Không tìm thấy khoản phí cần thanh toán với mã hồ sơ và số điện thoại này. Kiểm tra lại mã hồ sơ và "
    "số điện thoại đã đăng ký trên hồ sơ. Hồ sơ đã thanh toán không cần thanh toán lại."
)

# A logo-like mark per intermediary, drawn in CSS (no external images). Unknown providers get their
# initials on the default colour, so a newly registered adapter shows up without touching this file.
PROVIDER_MARKS: dict[str, tuple[str, str]] = {
    "vnpay": ("VNPAY", "vnpay"),
    "momo": ("MoMo", "momo"),
    "viettelpay": ("Viettel Pay", "viettelpay"),
    "vietinbank": ("VietinBank", "vietinbank"),
    "vietqr": ("VietQR", "vietqr"),
    "dvcqg": ("DVC QG", "national"),
    "national": ("DVC QG", "national"),
    "paygov": ("DVC QG", "national"),
    "national_platform": ("DVC QG", "national"),
}


# --- access ---------------------------------------------------------------------------------------


def _guest_numbers(session: SessionBase) -> list[str]:
    return [str(number) for number in session.get(GUEST_SESSION_KEY, [])]


def _remember_guest_notice(session: SessionBase, notice: PaymentRequest) -> None:
    numbers = [number for number in _guest_numbers(session) if number != notice.number]
    session[GUEST_SESSION_KEY] = [*numbers, notice.number][-GUEST_REMEMBERED:]


def notice_get_for_viewer(request: HttpRequest, number: str) -> PaymentRequest:
    """The notice if the viewer is its payer or proved code + phone in this session; else 404."""
    if request.user.is_authenticated:
        try:
            return payment_request_get_for_payer(user=request.user, number=number)
        except PaymentRequest.DoesNotExist:
            pass
    if number in _guest_numbers(request.session):
        notice = PaymentRequest.objects.select_related("agency").prefetch_related("lines").filter(number=number).first()
        if notice is not None:
            return notice
    raise Http404(_("Không tìm thấy thông báo thu phí"))


def _payment_for_viewer(request: HttpRequest, reference: str) -> Payment:
    try:
        return payment_get_for_viewer(reference=reference, user=request.user, session=request.session)
    except Payment.DoesNotExist:
        raise Http404(_("Không tìm thấy giao dịch")) from None


def payable_notice_for_code(*, code: str, phone: str) -> PaymentRequest | None:
    """The issued notice of the dossier ``code`` if ``phone`` is the phone registered on it.

    Wrong code, wrong phone and "nothing to pay" all answer ``None``, so the caller shows one neutral
    message whichever it was. The phone is compared in constant time.
    """
    notice = (
        PaymentRequest.objects.filter(owner_reference=code, status=PaymentRequestStatus.ISSUED)
        .select_related("agency")
        .first()
    )
    registered = normalize_phone(notice.payer_phone) if notice is not None else None
    if notice is None or registered is None:
        hmac.compare_digest(phone, phone)  # same work either way
        return None
    return notice if hmac.compare_digest(registered, phone) else None


# --- what the pages show --------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodOption:
    value: str
    label: str
    input_id: str


@dataclass(frozen=True)
class ProviderOption:
    code: str
    name: str
    mark_text: str
    mark_class: str
    methods: list[MethodOption] = field(default_factory=list)
    notice: str = ""


def _mark(choice: ProviderChoice) -> tuple[str, str]:
    if choice.code in PROVIDER_MARKS:
        return PROVIDER_MARKS[choice.code]
    initials = "".join(word[0] for word in choice.name.split() if word)[:4].upper() or choice.code[:4].upper()
    return initials, "default"


def _provider_options(choices: list[ProviderChoice], *, field_id: str) -> list[ProviderOption]:
    """Every provider and method the registry offers the agency. The first radio gets the field's own
    id, so the error summary's link lands on it."""
    options: list[ProviderOption] = []
    counter = 0
    for choice in choices:
        text, css = _mark(choice)
        methods = []
        for method in choice.methods:
            methods.append(
                MethodOption(
                    value=choice_value(choice.code, method.code),
                    label=str(method.label),
                    input_id=field_id if counter == 0 else f"{field_id}_{counter}",
                )
            )
            counter += 1
        if methods:
            options.append(ProviderOption(choice.code, choice.name, text, css, methods, choice.notice))
    return options


def _procedure_name(notice: PaymentRequest) -> str:
    """The procedure of a dossier's notice (billing knows only the description)."""
    if notice.owner_kind != "dossier":
        return ""
    return str(Dossier.objects.filter(pk=notice.owner_id).values_list("procedure__name", flat=True).first() or "")


def _notice_context(notice: PaymentRequest) -> dict[str, Any]:
    return {
        "notice": notice,
        "agency": notice.agency,
        "procedure_name": _procedure_name(notice),
        "groups": notice.lines_by_kind,
        "total": format_vnd(notice.total),
        "total_in_words": vnd_in_words(notice.total),
    }


def _visible_pending_payment(request: HttpRequest, notice: PaymentRequest) -> Payment | None:
    """A payment of this notice still in progress that the viewer started (to avoid paying twice)."""
    refs = [str(ref) for ref in request.session.get(PAYMENT_SESSION_KEY, [])]
    mine = Q(reference__in=refs)
    if request.user.is_authenticated:
        mine |= Q(payer_user=request.user)
    return (
        payments_for_payable(kind=PAYABLE_KIND, payable_id=str(notice.pk))
        .filter(mine, status__in=PENDING_STATUSES, expires_at__gt=clock.now())
        .first()
    )


def _settling_payment(notice: PaymentRequest) -> Payment | None:
    """A payment of this notice that succeeded and whose settlement (notice paid, receipt numbered) the
    worker has not finished yet — a moment, normally: the notice must not be paid again meanwhile."""
    return (
        payments_for_payable(kind=PAYABLE_KIND, payable_id=str(notice.pk))
        .filter(status=PaymentStatus.SUCCESS, settled_at__isnull=True)
        .first()
    )


def _back_url(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return reverse("portal:fee_notices")
    return reverse("portal:payment_by_code")


# --- pages ----------------------------------------------------------------------------------------


@never_cache
def payment_info(request: HttpRequest, number: str) -> HttpResponse:
    """ "Thông tin thanh toán": what is paid, to whom, by whom, before choosing how (check your answers)."""
    notice = notice_get_for_viewer(request, number)
    settling = _settling_payment(notice) if notice.is_payable else None
    context = {
        **_notice_context(notice),
        "payable": notice.is_payable and settling is None,
        "settling": settling,
        "pending": _visible_pending_payment(request, notice) if notice.is_payable else None,
        "receipt": receipt_for_request(notice) if notice.status == PaymentRequestStatus.PAID else None,
        "back_url": _back_url(request),
    }
    return render(request, "portal/payments/info.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def payment_choose(request: HttpRequest, number: str) -> HttpResponse:
    """Choose the intermediary and method, then "Thanh toán": create and start the payment.

    Errors (amount outside the provider's limits, the provider refusing or unreachable, the notice
    paid meanwhile) come back to this page in the error summary, with the choice kept.
    """
    notice = notice_get_for_viewer(request, number)
    if not notice.is_payable or _settling_payment(notice) is not None:
        return redirect("portal:payment_info", number=notice.number)
    choices = payment_provider_choices(agency_code=notice.agency.code)
    options = _provider_options(choices, field_id="id_choice")
    values = [(method.value, method.label) for option in options for method in option.methods]
    form = ProviderChoiceForm(request.POST if request.method == "POST" else None, values=values)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            provider, method = form.provider_and_method
            try:
                return _pay(request, notice, provider=provider, method=method)
            except (PaymentError, BillingError) as exc:
                form.add_error(None, exc.message)
            except ProviderError:
                form.add_error(
                    None, _("Đơn vị thanh toán từ chối giao dịch. Vui lòng chọn đơn vị khác hoặc thử lại sau.")
                )
        status = 400
    context = {**_notice_context(notice), "form": form, "options": options, "selected": form["choice"].value()}
    return render(request, "portal/payments/choose.html", context, status=status)


def _payer_contact(request: HttpRequest, notice: PaymentRequest) -> tuple[str, str]:
    """Where the payment's SMS and e-mail go: the logged-in payer's account (seed 000: "số điện thoại
    khách hàng khi đăng ký tài khoản và email"), else what the notice holds."""
    user = request.user
    if user.is_authenticated:
        return (getattr(user, "email", "") or notice.payer_email, getattr(user, "phone", "") or notice.payer_phone)
    return notice.payer_email, notice.payer_phone


def _pay(request: HttpRequest, notice: PaymentRequest, *, provider: str, method: str) -> HttpResponse:
    ip = client_ip(request)
    email, phone = _payer_contact(request, notice)
    payment = payment_create(
        items=payables_for_requests([notice]),
        provider=provider,
        method=method,
        payer_user=request.user if request.user.is_authenticated else None,
        payer_name=notice.payer_name,
        payer_email=email,
        payer_phone=phone,
        return_url=reverse("portal:payment_result"),
        client_ip=None if ip == "unknown" else ip,
    )
    remember_payment(request.session, payment)
    start = payment_start(payment=payment, client_ip=ip, site_url=request.build_absolute_uri("/"))
    if start.redirect_url:
        return HttpResponseRedirect(start.redirect_url)
    starts = {k: v for k, v in request.session.get(START_SESSION_KEY, {}).items() if k != payment.reference}
    starts[payment.reference] = {"qr": start.qr_payload, "instructions": start.instructions}
    request.session[START_SESSION_KEY] = dict(list(starts.items())[-START_REMEMBERED:])
    page = "portal:payment_qr" if start.qr_payload else "portal:payment_instructions"
    return redirect(page, reference=payment.reference)


def _started(request: HttpRequest, payment: Payment) -> dict[str, str]:
    started = request.session.get(START_SESSION_KEY, {}).get(payment.reference)
    if not started:
        raise Http404(_("Không tìm thấy giao dịch"))
    return dict(started)


def _payment_notice(payment: Payment) -> PaymentRequest | None:
    ids = [int(item.payable_id) for item in payment.items.all() if item.payable_kind == PAYABLE_KIND]
    return PaymentRequest.objects.select_related("agency").filter(pk__in=ids).first()


def _provider_name(code: str) -> str:
    try:
        return provider_get(code).name
    except LookupError:
        return code


def emv_purpose(payload: str) -> str:
    """The transfer memo (tag 62, sub-tag 08) of an EMVCo/VietQR payload, or "" if there is none."""

    def fields(data: str) -> dict[str, str]:
        found: dict[str, str] = {}
        position = 0
        while position + 4 <= len(data):
            tag, size = data[position : position + 2], data[position + 2 : position + 4]
            if not size.isdigit():
                return found
            end = position + 4 + int(size)
            found[tag] = data[position + 4 : end]
            position = end
        return found

    if not payload.startswith("000201"):
        return ""
    return fields(fields(payload).get("62", "")).get("08", "")


def qr_svg(payload: str, *, title: str) -> SafeString:
    """The QR code as inline SVG (segno), scalable and printable, with an accessible title."""
    svg = segno.make(payload, error="m").svg_inline(scale=6, border=4, dark="#000", light="#fff", title=title)
    return mark_safe(svg)  # noqa: S308 - segno escapes the title; the rest is generated markup


@never_cache
def payment_qr(request: HttpRequest, reference: str) -> HttpResponse:
    """Pay by scanning: the QR, the amount and the memo, and the status poll."""
    payment = _payment_for_viewer(request, reference)
    payload = _started(request, payment).get("qr", "")
    if not payload:
        raise Http404(_("Không tìm thấy giao dịch"))
    context = {
        "payment": payment,
        "provider_name": _provider_name(payment.provider),
        "amount": format_vnd(payment.amount),
        "memo": emv_purpose(payload),
        "qr": qr_svg(payload, title=_("Mã QR thanh toán %(ref)s") % {"ref": payment.reference}),
        "status": payment_status_view(payment),
        "notice": _payment_notice(payment),
        "result_url": f"{reverse('portal:payment_result')}?ref={payment.reference}",
    }
    return render(request, "portal/payments/qr.html", context)


@never_cache
def payment_instructions(request: HttpRequest, reference: str) -> HttpResponse:
    """Pay at a counter or by transfer: the provider's instructions, printable."""
    payment = _payment_for_viewer(request, reference)
    instructions = _started(request, payment).get("instructions", "")
    if not instructions:
        raise Http404(_("Không tìm thấy giao dịch"))
    context = {
        "payment": payment,
        "provider_name": _provider_name(payment.provider),
        "amount": format_vnd(payment.amount),
        "instructions": instructions,
        "notice": _payment_notice(payment),
        "result_url": f"{reverse('portal:payment_result')}?ref={payment.reference}",
    }
    return render(request, "portal/payments/instructions.html", context)


@never_cache
def payment_result(request: HttpRequest) -> HttpResponse:
    """The payment's ``return_url``: "Đang xử lý giao dịch" until payments knows the outcome, then
    success (amount, gateway transaction number, time) or the reason and "Thanh toán lại"."""
    reference = request.GET.get("ref", "").strip()[:32]
    if not reference:
        raise Http404(_("Không tìm thấy giao dịch"))
    payment = _payment_for_viewer(request, reference)
    notice = _payment_notice(payment)
    view = payment_status_view(payment)
    owner_url = ""
    if notice is not None and request.user.is_authenticated:
        try:
            owner_url = handler_for(notice.owner_kind).url_for_payer(notice)
        except LookupError:
            owner_url = ""
    confirmed_at = payment.paid_at or payment.completed_at
    context = {
        "payment": payment,
        "status": view,
        "provider_name": _provider_name(payment.provider),
        "amount": format_vnd(payment.amount),
        "paid_at": clock.local(confirmed_at) if confirmed_at and view.state == "success" else None,
        "notice": notice,
        "can_retry": notice is not None and notice.is_payable and view.state == "failed",
        "owner_url": owner_url,
    }
    return render(request, "portal/payments/result.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def payment_by_code(request: HttpRequest) -> HttpResponse:
    """Seed 001: "Thanh toán trực tuyến" with the dossier code and the phone registered on it."""
    form = PayByCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if rate_limit(request, scope="payment-by-code", limit=GUEST_LIMIT, period_seconds=GUEST_PERIOD_SECONDS):
            refused = render(
                request, "portal/payments/by_code_limited.html", {"retry_after": GUEST_PERIOD_SECONDS}, status=429
            )
            refused["Retry-After"] = str(GUEST_PERIOD_SECONDS)
            return refused
        if form.is_valid():
            notice = payable_notice_for_code(code=form.cleaned_data["code"], phone=form.cleaned_data["phone"])
            if notice is not None:
                _remember_guest_notice(request.session, notice)
                return redirect("portal:payment_info", number=notice.number)
            form.add_error(None, str(NEUTRAL_NOT_FOUND))
        status = 400
    return render(request, "portal/payments/by_code.html", {"form": form}, status=status)


def _receipt_available(notice: PaymentRequest, receipt: Receipt | None) -> tuple[bool, str]:
    """Whether the payer may have the receipt now (PDF or XML), and if not, why (seed 000's rule)."""
    if receipt is None and _settling_payment(notice) is not None:
        return False, str(_("Giao dịch đã thành công; biên lai đang được lập. Vui lòng tải lại trang sau ít giây."))
    if receipt is None:
        return False, str(_("Thông báo thu phí chưa được thanh toán nên chưa có biên lai."))
    printable, reason = receipt_printable(receipt)
    return printable, str(reason)


def _receipt_unavailable(
    request: HttpRequest, notice: PaymentRequest, receipt: Receipt | None, reason: str
) -> HttpResponse:
    context = {"notice": notice, "receipt": receipt, "reason": reason}
    return render(request, "portal/payments/receipt_unavailable.html", context)


@never_cache
def receipt_print(request: HttpRequest, number: str) -> HttpResponse:
    """ "In biên lai": the receipt PDF, or why it cannot be printed yet (seed 000: not before the
    agency has received the dossier)."""
    notice = notice_get_for_viewer(request, number)
    receipt: Receipt | None = receipt_for_request(notice)
    printable, reason = _receipt_available(notice, receipt)
    if receipt is None or not printable:
        return _receipt_unavailable(request, notice, receipt, reason)
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    filename = f"bien-lai-{receipt.series}-{receipt.number_display}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
def receipt_xml_download(request: HttpRequest, number: str) -> HttpResponse:
    """The XML e-receipt (signed XMLDSig by the agency), under the same rule as the PDF: the payer only
    (anyone else gets 404), and only once the receipt is printable.

    A cancelled receipt still downloads its e-receipt (the record of what was issued). Its cancellation
    notice, and the e-receipt of a receipt it replaced, are offered beside it: the ``Link`` header lists
    them (``rel="related"``) and ``?ma=<lookup code>`` downloads one of them."""
    from civicpay.billing.receipt_xml import receipt_xml_related
    from civicpay.documents.services import document_read

    notice = notice_get_for_viewer(request, number)
    receipt: Receipt | None = receipt_for_request(notice)
    printable, reason = _receipt_available(notice, receipt)
    data = b""
    if receipt is not None and printable:
        try:
            data = receipt_xml_bytes(receipt)
        except BillingError as error:
            printable, reason = False, str(error)
    if receipt is None or not printable:
        return _receipt_unavailable(request, notice, receipt, reason)
    filename = f"bien-lai-{receipt.series}-{receipt.number_display}.xml"
    related = receipt_xml_related(receipt)
    selected = request.GET.get("ma", "")
    if selected:
        chosen = next((file for file in related if file.matches(selected)), None)
        if chosen is None:
            raise Http404(_("Không tìm thấy tài liệu"))
        data, filename = document_read(chosen.document), chosen.filename
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    url = reverse("portal:receipt_xml", args=[notice.number])
    links = [f'<{url}?ma={file.document.lookup_code}>; rel="related"; type="application/xml"' for file in related]
    if links:
        response["Link"] = ", ".join(links)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
