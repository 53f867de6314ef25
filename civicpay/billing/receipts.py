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

Correcting a receipt never edits or deletes anything (docs/documents.md, "Cancelling and replacing"):

- :func:`receipt_cancel` marks the receipt cancelled and issues a cancellation PDF and a signed XML
  cancellation notice, each ``replaces=`` the receipt's own document with ``replacement=CANCEL``;
- :func:`receipt_replace` (wrong payer name or address) issues a *new receipt with a new number* in the
  series (like a replacement e-invoice, Decree 123/2020/NĐ-CP art. 19: "Thay thế cho hóa đơn Mẫu số…
  ký hiệu… số… ngày…"), whose PDF and XML replace the old receipt's (``replacement=REPLACE``).

Every document of a payment request's receipts (PDF and XML, originals, replacements, cancellations) is
owned by its first receipt (:func:`receipt_original`): the documents app lets a document replace only
one of the same kind and owner, and one owner has one current document per kind, so the chain
original → replacement → cancellation is one line of documents. Which receipt a document belongs to is
its ``reference`` (mẫu số, ký hiệu, số: :func:`receipt_reference`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template import Template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from weasyprint import HTML

from civicpay.billing.errors import BillingError
from civicpay.billing.models import PaymentRequest, PaymentRequestLine, PaymentRequestStatus, Receipt, lines_by_kind
from civicpay.billing.registry import handler_for
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.core.db.statements import Insert, Select
from civicpay.core.money import format_vnd, vnd_in_words
from civicpay.core.sequences import next_value

if TYPE_CHECKING:
    from civicpay.directory.models import Agency
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


def _number_scope(*, agency_id: int, series: str) -> str:
    """The counter of an agency's series: receipts and their replacements share it (no gaps)."""
    return f"billing.receipt:{agency_id}:{series}"


# Compiled once (core/db/statements.py): every settled fee notice runs them.
_RECEIPTS_OF_REQUEST = Select(Receipt, where=("payment_request",), order_by=("-issued_at", "-id"))  # its ordering
_LINES = Select(PaymentRequestLine, where=("request",), order_by=("position", "id"))  # its ordering
_INSERT = Insert(Receipt, [field.name for field in Receipt._meta.concrete_fields if not field.primary_key])


def receipt_issue(*, request: PaymentRequest, payment: Payment, already_locked: bool = False) -> Receipt:
    """The receipt of the paid ``request``, issued once: a second call (a duplicate notification, a
    retry) returns the existing receipt. Call inside the transaction that marked the request paid;
    ``already_locked``: ``request`` is the row that transaction locked (``services._lock``), current, with
    its agency, so it is not read again, and that transaction owns what happens on an error: no savepoint
    of its own (an error marks the caller's block for rollback, so a half-issued receipt never commits)."""
    if already_locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("already_locked needs the transaction that took the lock")
    with transaction.atomic(savepoint=not already_locked):
        # of=("self",): the request's row only, not its agency's (every receipt of the agency would queue on it).
        locked = (
            request
            if already_locked
            else PaymentRequest.objects.select_for_update(of=("self",)).select_related("agency").get(pk=request.pk)
        )
        existing = next((r for r in _RECEIPTS_OF_REQUEST.all(locked.pk) if r.replaced_at is None), None)
        if existing is not None:
            return existing
        if locked.status != PaymentRequestStatus.PAID:
            raise BillingError(_("Chỉ phát hành biên lai cho thông báo thu phí đã thanh toán."))
        issued_at = clock.now()
        paid_at = locked.paid_at or payment.paid_at or issued_at
        series = receipt_series(year=clock.local(issued_at).year)
        number = next_value(scope=_number_scope(agency_id=locked.agency_id, series=series))
        lines = [
            {"kind": group.kind, "label": group.label, "description": line.description, "amount": line.amount}
            for group in lines_by_kind(_LINES.all(locked.pk))
            for line in group.lines
        ]
        receipt = Receipt(
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
        _INSERT.add(receipt)
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
    """The receipt of ``request`` that counts: the latest replacement, if the first was replaced (a
    cancelled receipt is still returned: it stays the payer's record, marked cancelled)."""
    return (
        Receipt.objects.filter(payment_request=request, replaced_at__isnull=True)
        .select_related("agency", "payment_request")
        .first()
    )


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
    return document_read(receipt_pdf_document(receipt))


# --- Which documents belong to which receipt ------------------------------------------------------


def receipt_original(receipt: Receipt) -> Receipt:
    """The first receipt of ``receipt``'s payment request: the owner of the documents of every receipt
    of that request (see the module docstring)."""
    if receipt.replaces_id is None:
        return receipt
    return Receipt.objects.get(payment_request_id=receipt.payment_request_id, replaces__isnull=True)


def receipt_reference(receipt: Receipt) -> str:
    """``01BLP0-001 AA-26E 0000042``: mẫu số, ký hiệu, số, as the documents' ``reference`` records it."""
    return str(receipt)[:64]


def receipt_versions(receipt: Receipt) -> list[Receipt]:
    """Every receipt of ``receipt``'s payment request, oldest first: the first, then its replacements."""
    return list(
        Receipt.objects.filter(payment_request_id=receipt.payment_request_id)
        .select_related("agency", "payment_request", "cancelled_by", "issued_by")
        .order_by("issued_at", "id")
    )


def _chain(receipt: Receipt, *, owner_kind: str) -> Any:
    from civicpay.documents.models import DocumentKind, IssuedDocument

    return IssuedDocument.objects.filter(
        kind=DocumentKind.RECEIPT, owner_kind=owner_kind, owner_id=receipt_original(receipt).pk
    ).order_by("issued_at", "id")


def receipt_chain_documents(receipt: Receipt, *, owner_kind: str) -> list[Any]:
    """The documents of ``owner_kind`` (``billing.receipt`` PDFs or ``billing.receipt_xml``) of every
    receipt of ``receipt``'s payment request, oldest first."""
    return list(_chain(receipt, owner_kind=owner_kind))


def receipt_version_document(receipt: Receipt, *, owner_kind: str) -> Any:
    """``receipt``'s own document of ``owner_kind`` (not a cancellation notice), or ``None`` if it has
    not been issued yet."""
    from civicpay.documents.models import ReplacementKind

    return (
        _chain(receipt, owner_kind=owner_kind)
        .filter(reference=receipt_reference(receipt))
        .exclude(replacement_kind=ReplacementKind.CANCEL)
        .first()
    )


def receipt_document_filename(document: Any) -> str:
    """``bien-lai-AA-26E-0000042.pdf`` (``.xml`` for an e-receipt), ``huy-bien-lai-…`` for a cancellation."""
    from civicpay.documents.models import ReplacementKind

    series, number = [*document.reference.split(), "", ""][1:3]
    prefix = "huy-bien-lai" if document.replacement_kind == ReplacementKind.CANCEL else "bien-lai"
    extension = "xml" if document.media_type == "application/xml" else "pdf"
    return f"{prefix}-{series}-{number}.{extension}"


def receipt_documents(receipt: Receipt) -> list[Any]:
    """Every PDF document of ``receipt``'s payment request, oldest first (the original, replacements,
    a cancellation)."""
    return receipt_chain_documents(receipt, owner_kind=RECEIPT_OWNER_KIND)


# --- The PDF ---------------------------------------------------------------------------------------


def _receipt_summary(receipt: Receipt, *, title: str) -> Any:
    from civicpay.documents.types import DocumentSummary

    return DocumentSummary(
        title=title,
        issuer_name=receipt.agency.name,
        document_date=clock.local(receipt.issued_at).date(),
        amount=receipt.amount,
        reference=receipt_reference(receipt),
    )


# A box at the top of the first page (the receipt template fills the ``content`` block, so the banners
# go in just before it): "replacement for receipt …", "cancelled".
_BANNERS = (
    "{% for banner in banners %}"
    '<div style="border: 1.5pt solid {{ banner.colour }}; color: {{ banner.colour }}; padding: 2mm 3mm; margin-bottom: 4mm;">'
    "<strong>{{ banner.title }}</strong>"
    "{% for line in banner.lines %}{% if forloop.first %} — {% else %}<br>{% endif %}{{ line }}{% endfor %}"
    "</div>{% endfor %}"
)


def _print_base(banners: list[dict[str, Any]]) -> Any:
    """documents/print_base.html, with ``banners`` at the top of the first page if there are any."""
    if not banners:
        return "documents/print_base.html"
    from django.template.loader import get_template

    source = get_template("documents/print_base.html").template.source  # type: ignore[attr-defined]
    # The last "{% block content %}": the first is in the layout's own comment.
    head, marker, tail = source.rpartition("{% block content %}")
    return Template(head + _BANNERS + marker + tail if marker else source)


def _replacement_banner(receipt: Receipt) -> dict[str, Any]:
    """ "Thay thế cho biên lai Mẫu số … ký hiệu … số … ngày …", as a replacement e-invoice must say."""
    old = receipt.replaces
    assert old is not None
    day = clock.local(old.issued_at)
    previous = receipt_version_document(old, owner_kind=RECEIPT_OWNER_KIND)
    line = _("Thay thế cho biên lai Mẫu số %(template_code)s, ký hiệu %(series)s, số %(number)s, ngày %(day)s") % {
        "template_code": old.template_code,
        "series": old.series,
        "number": old.number_display,
        "day": date_format(day, "d/m/Y"),
    }
    if previous is not None:
        line += " " + _("(mã tra cứu %(code)s)") % {"code": previous.lookup_code_display}
    lines = [line + ".", _("Lý do: %(reason)s.") % {"reason": receipt.replace_reason}]
    if receipt.payer_address:
        lines.append(_("Địa chỉ người nộp: %(address)s.") % {"address": receipt.payer_address})
    return {"title": _("BIÊN LAI THAY THẾ"), "lines": lines, "colour": "#000"}


def _cancellation_banner(*, cancelled_at: Any, reason: str, cancelled: Any) -> dict[str, Any]:
    lines = [
        _("Thời điểm hủy: %(time)s.") % {"time": date_format(clock.local(cancelled_at), "H:i d/m/Y")},
        _("Lý do: %(reason)s.") % {"reason": reason},
        _("Hủy tài liệu có mã tra cứu %(code)s.") % {"code": cancelled.lookup_code_display},
    ]
    return {"title": _("BIÊN LAI ĐÃ BỊ HỦY"), "lines": lines, "colour": "#b00020"}


def _print_context(receipt: Receipt, *, cancellation: dict[str, Any] | None = None) -> dict[str, Any]:
    banners = [cancellation] if cancellation is not None else []
    if receipt.replaces is not None:
        banners.append(_replacement_banner(receipt))
    return {**receipt_context(receipt), "print_base": _print_base(banners), "banners": banners}


def _title(receipt: Receipt) -> str:
    return _("Biên lai thu phí, lệ phí %(series)s số %(number)s") % {
        "series": receipt.series,
        "number": receipt.number_display,
    }


def receipt_pdf_document(receipt: Receipt) -> Any:
    """``receipt``'s own PDF document (kind ``receipt``), issued now if it never was: the first receipt
    of a request on first print (once, also under concurrency); a replacement's PDF replaces the PDF of
    the receipt it corrects (issued with the replacement, see :func:`receipt_replace`)."""
    from civicpay.documents.errors import DocumentAlreadyReplaced
    from civicpay.documents.models import ReplacementKind
    from civicpay.documents.services import document_issue, document_issue_once

    existing = receipt_version_document(receipt, owner_kind=RECEIPT_OWNER_KIND)
    if existing is not None:
        return existing
    with translation.override("vi"):  # documents are always in Vietnamese, whoever triggers them
        issue: dict[str, Any] = {
            "kind": "receipt",
            "owner_kind": RECEIPT_OWNER_KIND,
            "owner_id": receipt_original(receipt).pk,
            "template_name": RECEIPT_TEMPLATE,
            "issuer_agency_code": receipt.agency.code,
            "summary": _receipt_summary(receipt, title=_title(receipt)),
        }
        if receipt.replaces is None:
            return document_issue_once(**issue, context=_print_context(receipt))
        previous = receipt_pdf_document(receipt.replaces)
        try:
            return document_issue(
                **issue,
                context=_print_context(receipt),
                replaces=previous,
                replacement=ReplacementKind.REPLACE,
                reason=receipt.replace_reason,
                by=receipt.issued_by,
            )
        except DocumentAlreadyReplaced:  # a concurrent first print issued it
            twin = receipt_version_document(receipt, owner_kind=RECEIPT_OWNER_KIND)
            if twin is None:
                raise
            return twin


# --- Cancelling and replacing ----------------------------------------------------------------------

REASON_MAX = 500  # Receipt.cancel_reason / replace_reason, IssuedDocument.replacement_reason
PAYER_NAME_MAX = 255
PAYER_ADDRESS_MAX = 255


def _user(by: Any) -> Any:
    return by if getattr(by, "pk", None) is not None else None


def _require_documents(message: str) -> None:
    if not apps.is_installed("civicpay.documents"):
        raise BillingError(message)


def _reload(receipt: Receipt, *, lock: bool = False) -> Receipt:
    receipts = Receipt.objects.select_related("agency", "payment_request", "replaces")
    return (receipts.select_for_update(of=("self",)) if lock else receipts).get(pk=receipt.pk)


def receipt_check_changeable(receipt: Receipt) -> None:
    """Raise ``BillingError`` (saying why) unless ``receipt`` can be cancelled or replaced: only the
    receipt that counts can, not a cancelled one, not one already replaced."""
    if receipt.cancelled_at is not None:
        raise BillingError(_("Biên lai %(receipt)s đã bị hủy trước đó.") % {"receipt": str(receipt)})
    if receipt.replaced_at is not None:
        newer = Receipt.objects.filter(replaces=receipt).first()
        raise BillingError(
            _(
                "Biên lai %(receipt)s đã được thay thế bằng biên lai %(newer)s; "
                "chỉ hủy hoặc điều chỉnh được biên lai đang có hiệu lực."
            )
            % {"receipt": str(receipt), "newer": str(newer) if newer else "—"}
        )


def _ensure_documents(receipt: Receipt) -> bool:
    """Issue ``receipt``'s PDF and, if its agency can (it has a tax code), its XML, if they never were,
    so that a cancellation or replacement can reference them. Slow and idempotent: call it before the
    transaction. True when the receipt has an XML e-receipt."""
    from civicpay.billing.receipt_xml import receipt_xml_document

    receipt_pdf_document(receipt)
    if not receipt.agency.tax_code:
        return False
    receipt_xml_document(receipt)
    return True


def receipt_cancel(*, receipt: Receipt, reason: str, by: Any) -> Receipt:
    """Cancel ``receipt`` (e.g. after a refund): mark it cancelled and issue a cancellation PDF and a
    signed XML cancellation notice (``<HuyBienLai>``), each referencing the receipt's own document
    (``replacement=CANCEL``); audited. Nothing is deleted: the receipt row, its number (no gap) and its
    documents stay. A second cancel, or cancelling a receipt that was replaced, raises ``BillingError``."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(_("Phải nêu lý do hủy biên lai."))
    _require_documents(_("Không hủy được biên lai khi chưa có dịch vụ phát hành tài liệu."))
    from civicpay.billing.receipt_xml import receipt_xml_cancellation_document
    from civicpay.documents.models import ReplacementKind
    from civicpay.documents.services import document_issue

    current = _reload(receipt)
    receipt_check_changeable(current)  # a clear message before any slow work
    with_xml = _ensure_documents(current)
    with transaction.atomic():
        locked = _reload(receipt, lock=True)
        receipt_check_changeable(locked)
        cancelled = receipt_version_document(locked, owner_kind=RECEIPT_OWNER_KIND)
        assert cancelled is not None  # _ensure_documents issued it
        cancelled_at = clock.now()
        with translation.override("vi"):
            banner = _cancellation_banner(cancelled_at=cancelled_at, reason=reason, cancelled=cancelled)
            title = _("Hủy biên lai thu phí, lệ phí %(series)s số %(number)s") % {
                "series": locked.series,
                "number": locked.number_display,
            }
            document = document_issue(
                kind="receipt",
                owner_kind=RECEIPT_OWNER_KIND,
                owner_id=receipt_original(locked).pk,
                template_name=RECEIPT_TEMPLATE,
                context=_print_context(locked, cancellation=banner),
                issuer_agency_code=locked.agency.code,
                summary=_receipt_summary(locked, title=title),
                replaces=cancelled,
                replacement=ReplacementKind.CANCEL,
                reason=reason[:REASON_MAX],
                by=by,
            )
            xml = (
                receipt_xml_cancellation_document(locked, cancelled_at=cancelled_at, reason=reason[:REASON_MAX], by=by)
                if with_xml
                else None
            )
        locked.cancelled_at = cancelled_at
        locked.cancel_reason = reason[:REASON_MAX]
        locked.cancelled_by = _user(by)
        locked.save(update_fields=["cancelled_at", "cancel_reason", "cancelled_by"])
        audit_record(
            actor=by,
            action="receipt.cancelled",
            target=locked,
            before={"cancelled": False, "document": cancelled.lookup_code},
            after={
                "cancelled": True,
                "document": document.lookup_code,
                "xml_document": xml.lookup_code if xml is not None else None,
            },
            note=reason,
        )
    return locked


# What a replacement copies from the receipt it replaces: everything but the number and the payer.
_COPIED_ON_REPLACE = (
    "agency",
    "payment_request",
    "owner_reference",
    "description",
    "amount",
    "lines",
    "payment_reference",
    "payment_provider",
    "payment_method",
    "provider_transaction_no",
    "paid_at",
)


def receipt_replace(*, receipt: Receipt, payer_name: str, payer_address: str, reason: str, by: Any) -> Receipt:
    """Replace ``receipt`` whose payer name or address was wrong: a new receipt with the corrected payer,
    a **new number** in the agency's current series (a replacement e-receipt is a new receipt, like a
    replacement e-invoice, and says "Thay thế cho biên lai Mẫu số… ký hiệu… số… ngày…"), everything
    else copied; its PDF and XML replace the old receipt's (``replacement=REPLACE``). The old receipt
    stays, marked replaced (``replaced_at``), with its number and documents; audited on both. Returns
    the new receipt. Only the receipt that counts can be replaced (not a cancelled or replaced one)."""
    payer_name = (payer_name or "").strip()
    payer_address = (payer_address or "").strip()
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(_("Phải nêu lý do điều chỉnh biên lai."))
    if not payer_name:
        raise BillingError(_("Nhập họ tên hoặc tên tổ chức của người nộp."))
    if len(payer_name) > PAYER_NAME_MAX or len(payer_address) > PAYER_ADDRESS_MAX:
        raise BillingError(_("Tên và địa chỉ người nộp dài tối đa 255 ký tự."))
    _require_documents(_("Không điều chỉnh được biên lai khi chưa có dịch vụ phát hành tài liệu."))
    from civicpay.billing.receipt_xml import receipt_xml_document

    current = _reload(receipt)
    receipt_check_changeable(current)
    if (payer_name, payer_address) == (current.payer_name, current.payer_address):
        raise BillingError(_("Tên và địa chỉ người nộp không thay đổi: không cần điều chỉnh biên lai."))
    with_xml = _ensure_documents(current)
    with transaction.atomic():
        locked = _reload(receipt, lock=True)
        receipt_check_changeable(locked)
        issued_at = clock.now()
        # The old one stops counting first: at most one receipt per request is not replaced (constraint).
        locked.replaced_at = issued_at
        locked.save(update_fields=["replaced_at"])
        series = receipt_series(year=clock.local(issued_at).year)
        replacement = Receipt.objects.create(
            **{name: getattr(locked, name) for name in _COPIED_ON_REPLACE},
            template_code=receipt_template_code(),
            series=series,
            number=next_value(scope=_number_scope(agency_id=locked.agency_id, series=series)),
            payer_name=payer_name,
            payer_address=payer_address,
            issued_at=issued_at,
            replaces=locked,
            replace_reason=reason[:REASON_MAX],
            issued_by=_user(by),
        )
        # Rendered and signed while the series counter is locked: replacements are rare, and a failure
        # rolls the number back with everything else (no gap, no receipt without its documents).
        pdf = receipt_pdf_document(replacement)
        xml = receipt_xml_document(replacement) if with_xml else None
        audit_record(
            actor=by,
            action="receipt.replaced",
            target=locked,
            before={"payer_name": locked.payer_name, "payer_address": locked.payer_address},
            after={"replaced_by": str(replacement), "payer_name": payer_name, "payer_address": payer_address},
            note=reason,
        )
        audit_record(
            actor=by,
            action="receipt.issued",
            target=replacement,
            after={
                "replaces": str(locked),
                "template_code": replacement.template_code,
                "series": series,
                "number": replacement.number,
                "amount": replacement.amount,
                "document": pdf.lookup_code,
                "xml_document": xml.lookup_code if xml is not None else None,
            },
            note=reason,
        )
    return replacement


# --- For the back office ---------------------------------------------------------------------------

_NUMBER = re.compile(r"(?:(?:\S+\s+)?(?P<series>\S+?)[\s/]+)?(?P<number>\d{1,7})")


def receipt_search_for_agency(*, agency: Agency, query: str, limit: int = 50) -> list[Receipt]:
    """The agency's receipts matching ``query``: a dossier code (mã hồ sơ) or fee notice number, or a
    receipt number (``42``, ``0000042``, ``AA-26E 0000042``, ``01BLP0-001 AA-26E 0000042``); every
    version (replaced and cancelled ones too), newest first. Without a query: the latest ``limit``."""
    receipts = Receipt.objects.filter(agency=agency).select_related("payment_request", "replaces")
    text = " ".join(query.split())
    if text:
        condition = Q(owner_reference__iexact=text) | Q(payment_request__number__iexact=text)
        match = _NUMBER.fullmatch(text)
        if match:
            by_number = Q(number=int(match["number"]))
            if match["series"]:
                by_number &= Q(series__iexact=match["series"])
            condition |= by_number
        receipts = receipts.filter(condition)
    return list(receipts.order_by("-issued_at", "-id")[:limit])


def receipt_get_for_agency(*, agency: Agency, pk: int) -> Receipt:
    """One receipt of ``agency``; another agency's is ``Receipt.DoesNotExist``, like a missing one."""
    return Receipt.objects.select_related("agency", "payment_request", "replaces", "cancelled_by", "issued_by").get(
        agency=agency, pk=pk
    )


def _render_pdf(receipt: Receipt) -> bytes:
    with translation.override("vi"):
        context = {**receipt_context(receipt), "print_base": Template(_FALLBACK_BASE)}
        html = render_to_string(RECEIPT_TEMPLATE, context)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf
