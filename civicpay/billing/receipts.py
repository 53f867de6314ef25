"""Receipts (biên lai thu phí, lệ phí): issued when a payment request is paid, printed on demand.

Issuing happens inside the payment's success transaction (``BillingPayable.on_success`` calls
:func:`receipt_issue` right after the request is marked paid), so "paid" and "has a receipt number"
commit together or not at all. The number comes from ``core.sequences.next_value`` in that same
transaction: the counter row stays locked until the commit, concurrent successes queue on it, and a
rolled-back payment rolls its number back, so numbers within an agency's series have no gaps.

Printing follows the owner's rule (seed 000): a dossier's receipt can be printed only once the
agency has received the dossier (it has a *số biên nhận*). Billing asks the owner through an
optional ``receipt_printable(request) -> (bool, reason)`` method on its registered handler; an
owner without that method lets every receipt be printed.

The PDF is issued through ``civicpay.documents`` when that app offers its issuing service (signed,
stored once, with a lookup code); otherwise it is rendered with WeasyPrint, like the fee notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.template import Template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint import HTML

from civicpay.billing.errors import BillingError
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus, Receipt
from civicpay.billing.registry import handler_for
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.money import format_vnd, vnd_in_words
from civicpay.core.sequences import next_value

if TYPE_CHECKING:
    from civicpay.payments.models import Payment

# Mẫu số and the letters of the ký hiệu, as registered by the agencies with the tax authority.
# Overridable per deployment (settings.RECEIPT_TEMPLATE_CODE / RECEIPT_SERIES_PREFIX).
DEFAULT_TEMPLATE_CODE = "01BLP0-001"
DEFAULT_SERIES_PREFIX = "AA"


@runtime_checkable
class ReceiptPrintableOwner(Protocol):
    """The optional owner hook (see ``billing.registry.OwnerHandler``)."""

    def receipt_printable(self, request: PaymentRequest) -> tuple[bool, str]:
        """``(True, "")`` when the receipt of ``request`` may be printed, else ``(False, why)`` in Vietnamese."""
        ...


def receipt_template_code() -> str:
    return str(getattr(settings, "RECEIPT_TEMPLATE_CODE", DEFAULT_TEMPLATE_CODE))


def receipt_series(*, year: int) -> str:
    """Ký hiệu for receipts issued in ``year``: ``AA-26E`` (prefix, two-digit year, E = electronic)."""
    prefix = str(getattr(settings, "RECEIPT_SERIES_PREFIX", DEFAULT_SERIES_PREFIX))
    return f"{prefix}-{year % 100:02d}E"


def _payment_method_label(payment: Payment) -> str:
    """ "Thanh toán trực tuyến qua VNPay (NCB)": the provider's display name and the bank, if any."""
    from civicpay.payments.providers.base import provider_get

    try:
        name = provider_get(payment.provider).name
    except LookupError:  # the provider was switched off since; the receipt still names it
        name = payment.provider
    label = _("Thanh toán trực tuyến qua %(provider)s") % {"provider": name}
    return f"{label} ({payment.bank_code})" if payment.bank_code else label


def receipt_issue(*, request: PaymentRequest, payment: Payment) -> Receipt:
    """The receipt of the paid ``request``, issued once: a second call (a duplicate notification, a
    retry) returns the existing receipt. Call inside the transaction that marked the request paid."""
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().select_related("agency").get(pk=request.pk)
        existing = Receipt.objects.filter(payment_request=locked).first()
        if existing is not None:
            return existing
        if locked.status != PaymentRequestStatus.PAID:
            raise BillingError(_("Chỉ phát hành biên lai cho thông báo thu phí đã thanh toán."))
        issued_at = clock.now()
        paid_at = locked.paid_at or payment.paid_at or issued_at
        series = receipt_series(year=clock.local(issued_at).year)
        number = next_value(scope=f"billing.receipt:{locked.agency_id}:{series}")
        lines = [
            {"kind": group.kind, "label": group.label, "description": line.description, "amount": line.amount}
            for group in locked.lines_by_kind
            for line in group.lines
        ]
        receipt = Receipt.objects.create(
            agency=locked.agency,
            payment_request=locked,
            template_code=receipt_template_code(),
            series=series,
            number=number,
            payer_name=locked.payer_name,
            owner_reference=locked.owner_reference,
            description=locked.description,
            amount=locked.total,
            lines=lines,
            payment_reference=payment.reference,
            payment_provider=payment.provider,
            payment_method=_payment_method_label(payment)[:255],
            provider_transaction_no=payment.provider_transaction_no,
            paid_at=paid_at,
            issued_at=issued_at,
        )
        audit_record(
            actor=None,
            action="receipt.issued",
            target=receipt,
            after={
                "payment_request": locked.number,
                "template_code": receipt.template_code,
                "series": series,
                "number": number,
                "amount": receipt.amount,
                "payment_reference": payment.reference,
            },
        )
    return receipt


def receipt_for_request(request: PaymentRequest) -> Receipt | None:
    return Receipt.objects.filter(payment_request=request).select_related("agency", "payment_request").first()


def receipt_printable(receipt: Receipt) -> tuple[bool, str]:
    """May the payer print ``receipt`` now? Asks the owner of its payment request (seed 000)."""
    request = receipt.payment_request
    try:
        handler = handler_for(request.owner_kind)
    except LookupError:
        return True, ""
    if isinstance(handler, ReceiptPrintableOwner):
        return handler.receipt_printable(request)
    return True, ""


def receipt_context(receipt: Receipt) -> dict[str, Any]:
    """What the receipt prints; separate from rendering so tests and other channels can reuse it."""
    groups: list[dict[str, Any]] = []
    by_kind: dict[str, dict[str, Any]] = {}
    for position, line in enumerate(receipt.lines, start=1):
        group = by_kind.get(line["kind"])
        if group is None:
            group = {"label": line["label"], "lines": [], "subtotal": 0}
            by_kind[line["kind"]] = group
            groups.append(group)
        group["lines"].append(
            {"number": position, "description": line["description"], "amount": format_vnd(int(line["amount"]))}
        )
        group["subtotal"] += int(line["amount"])
    for group in groups:
        group["subtotal"] = format_vnd(group["subtotal"])
    return {
        "receipt": receipt,
        "agency": receipt.agency,
        "groups": groups,
        "total": format_vnd(receipt.amount),
        "total_in_words": vnd_in_words(receipt.amount),
        "issued_at": clock.local(receipt.issued_at),
        "paid_at": clock.local(receipt.paid_at),
        "site_name": settings.SITE_NAME,
        "hotline": settings.SUPPORT_HOTLINE,
    }


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as PDF bytes. Refuses (``BillingError``) while the owner says it is not printable.

    Through ``civicpay.documents`` when installed: the first print issues the signed document (kind
    ``receipt``, owned by the receipt) and every later print returns the same stored bytes.
    """
    printable, reason = receipt_printable(receipt)
    if not printable:
        raise BillingError(reason)
    issued = _issue_document(receipt)
    return issued if issued is not None else _render_pdf(receipt)


RECEIPT_OWNER_KIND = "billing.receipt"
RECEIPT_TEMPLATE = "billing/receipt_pdf.html"

# The stand-in for documents/print_base.html when that app is absent: the same blocks, the fonts the
# fee notice uses, no lookup code (there is nothing to verify it against).
_FALLBACK_BASE = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<style>@page { size: A4; margin: 16mm; } html { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.4; }
{% block print_style %}{% endblock %}</style></head><body>{% block content %}{% endblock %}</body></html>"""


def _issue_document(receipt: Receipt) -> bytes | None:
    if not apps.is_installed("civicpay.documents"):
        return None
    try:
        from civicpay.documents.services import document_read
    except ImportError:  # an older documents app without the issuing service
        return None
    document = _original_document(receipt)
    return document_read(document)


def _receipt_summary(receipt: Receipt, *, title: str) -> Any:
    from civicpay.documents.types import DocumentSummary

    return DocumentSummary(
        title=title,
        issuer_name=receipt.agency.name,
        document_date=clock.local(receipt.issued_at).date(),
        amount=receipt.amount,
        reference=f"{receipt.template_code} {receipt.series} {receipt.number_display}",
    )


def _original_document(receipt: Receipt) -> Any:
    """The receipt's first PDF document (kind ``receipt``), issued now if it never was."""
    from civicpay.documents.models import IssuedDocument
    from civicpay.documents.services import document_issue_once

    first = (
        IssuedDocument.objects.filter(
            kind="receipt", owner_kind=RECEIPT_OWNER_KIND, owner_id=receipt.pk, replaces__isnull=True
        )
        .order_by("issued_at", "id")
        .first()
    )
    if first is not None:
        return first
    title = _("Biên lai thu phí, lệ phí %(series)s số %(number)s") % {
        "series": receipt.series,
        "number": receipt.number_display,
    }
    return document_issue_once(
        kind="receipt",
        owner_kind=RECEIPT_OWNER_KIND,
        owner_id=receipt.pk,
        template_name=RECEIPT_TEMPLATE,
        context={**receipt_context(receipt), "print_base": "documents/print_base.html"},
        issuer_agency_code=receipt.agency.code,
        summary=_receipt_summary(receipt, title=title),
    )


_CANCEL_BANNER = (
    '<div style="border: 1.5pt solid #b00020; color: #b00020; padding: 2mm 3mm; margin-bottom: 4mm;">'
    "<strong>{% load i18n %}{% translate 'BIÊN LAI ĐÃ BỊ HỦY' %}</strong> — "
    "{% translate 'Thời điểm hủy' %}: {{ cancellation.cancelled_at|date:'H:i d/m/Y' }}. "
    "{% translate 'Lý do' %}: {{ cancellation.reason }}. "
    "{% translate 'Thay thế tài liệu có mã tra cứu' %} {{ cancellation.replaces }}.</div>"
)


def _cancellation_base() -> Template:
    """documents/print_base.html with a "cancelled" banner at the top of the first page (the receipt
    template fills the ``content`` block, so the banner goes in just before it)."""
    from django.template.loader import get_template

    source = get_template("documents/print_base.html").template.source  # type: ignore[attr-defined]
    marker = "{% block content %}"
    if marker in source:
        source = source.replace(marker, _CANCEL_BANNER + marker, 1)
    return Template(source)


def receipt_cancel(*, receipt: Receipt, reason: str, by: Any) -> Receipt:
    """Cancel ``receipt`` (e.g. after a refund): mark it cancelled and issue a cancellation document that
    references the receipt's original document (``replacement=CANCEL``); audited. Nothing is deleted: the
    receipt row, its number (no gap) and its documents stay. A second cancel raises ``BillingError``."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(_("Phải nêu lý do hủy biên lai."))
    if not apps.is_installed("civicpay.documents"):
        raise BillingError(_("Không hủy được biên lai khi chưa có dịch vụ phát hành tài liệu."))
    from civicpay.documents.models import ReplacementKind
    from civicpay.documents.selectors import document_current_for_owner
    from civicpay.documents.services import document_issue

    with transaction.atomic():
        locked = Receipt.objects.select_for_update().select_related("agency", "payment_request").get(pk=receipt.pk)
        if locked.cancelled_at is not None:
            raise BillingError(_("Biên lai %(receipt)s đã bị hủy trước đó.") % {"receipt": str(locked)})
        _original_document(locked)
        current = document_current_for_owner(kind="receipt", owner_kind=RECEIPT_OWNER_KIND, owner_id=locked.pk)
        assert current is not None
        cancelled_at = clock.now()
        title = _("Hủy biên lai thu phí, lệ phí %(series)s số %(number)s") % {
            "series": locked.series,
            "number": locked.number_display,
        }
        context = {
            **receipt_context(locked),
            "print_base": _cancellation_base(),
            "cancellation": {
                "cancelled_at": clock.local(cancelled_at),
                "reason": reason,
                "replaces": current.lookup_code_display,
            },
        }
        document = document_issue(
            kind="receipt",
            owner_kind=RECEIPT_OWNER_KIND,
            owner_id=locked.pk,
            template_name=RECEIPT_TEMPLATE,
            context=context,
            issuer_agency_code=locked.agency.code,
            summary=_receipt_summary(locked, title=title),
            replaces=current,
            replacement=ReplacementKind.CANCEL,
            reason=reason[:500],
            by=by,
        )
        locked.cancelled_at = cancelled_at
        locked.cancel_reason = reason[:500]
        locked.cancelled_by = by if getattr(by, "pk", None) is not None else None
        locked.save(update_fields=["cancelled_at", "cancel_reason", "cancelled_by"])
        audit_record(
            actor=by,
            action="receipt.cancelled",
            target=locked,
            before={"cancelled": False, "document": current.lookup_code},
            after={"cancelled": True, "document": document.lookup_code},
            note=reason,
        )
    return locked


def receipt_documents(receipt: Receipt) -> list[Any]:
    """Every PDF document of ``receipt``, oldest first (the original, then any cancellation)."""
    from civicpay.documents.models import IssuedDocument

    return list(
        IssuedDocument.objects.filter(kind="receipt", owner_kind=RECEIPT_OWNER_KIND, owner_id=receipt.pk).order_by(
            "issued_at", "id"
        )
    )


def _render_pdf(receipt: Receipt) -> bytes:
    with translation.override("vi"):
        context = {**receipt_context(receipt), "print_base": Template(_FALLBACK_BASE)}
        html = render_to_string(RECEIPT_TEMPLATE, context)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf
