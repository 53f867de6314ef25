"""The printable fee notice (thông báo nộp phí, lệ phí): a PaymentRequest issued as a signed PDF.

The notice is an ordinary Django template (billing/notice_pdf.html, extending documents/print_base.html)
issued once per payment request through the documents service: rendered by WeasyPrint with the bundled
font, stamped with a lookup code (mã tra cứu) and the QR code of the public verification page, signed
PAdES with the agency's certificate and stored. Every later print returns the same stored bytes.
"""

from __future__ import annotations

from django.conf import settings

from civicpay.billing.models import PaymentRequest
from civicpay.core import clock
from civicpay.core.money import format_vnd, vnd_in_words
from civicpay.documents.models import DocumentKind, IssuedDocument
from civicpay.documents.services import document_issue_once, document_read
from civicpay.documents.types import DocumentSummary

# How the documents app knows a fee notice's owner (documents never imports billing).
NOTICE_OWNER_KIND = "billing.paymentrequest"


def fee_notice_context(request: PaymentRequest) -> dict[str, object]:
    """What the notice prints; separate from rendering so a test or an e-mail can reuse it."""
    groups: list[dict[str, object]] = []
    number = 0  # lines are numbered through the whole notice, not per kind
    for group in request.lines_by_kind:
        lines = []
        for line in group.lines:
            number += 1
            lines.append({"number": number, "description": line.description, "amount": format_vnd(line.amount)})
        groups.append({"label": group.label, "lines": lines, "subtotal": format_vnd(group.subtotal)})
    return {
        "notice": request,
        "agency": request.agency,
        "groups": groups,
        "total": format_vnd(request.total),
        "total_in_words": vnd_in_words(request.total),
        "issued_on": clock.local(request.issued_at).date(),
        "printed_at": clock.local(clock.now()),
        "portal_url": settings.BASE_URL,
        "hotline": settings.SUPPORT_HOTLINE,
        "site_name": settings.SITE_NAME,
    }


def fee_notice_document(request: PaymentRequest) -> IssuedDocument:
    """The issued (signed, stored) fee notice of ``request``, issuing it on first use."""
    issued_on = clock.local(request.issued_at).date()
    return document_issue_once(
        kind=DocumentKind.FEE_NOTICE,
        owner_kind=NOTICE_OWNER_KIND,
        owner_id=request.pk,
        template_name="billing/notice_pdf.html",
        context=fee_notice_context(request),
        issuer_agency_code=request.agency.code,
        summary=DocumentSummary(
            title=f"Thông báo nộp phí, lệ phí số {request.number}",
            issuer_name=request.agency.name,
            document_date=issued_on,
            amount=request.total,
            reference=request.number,
        ),
    )


def render_fee_notice_pdf(request: PaymentRequest) -> bytes:
    """The fee notice of ``request`` as PDF bytes (A4, signed): the same stored document on every call."""
    return document_read(fee_notice_document(request))
