"""The printable fee notice (thông báo nộp phí, lệ phí): a PaymentRequest rendered to an A4 PDF.

WeasyPrint renders a Django template, so the notice is ordinary HTML/CSS reviewed like any page. The
font is asked for by family name ("DejaVu Sans", Debian's fonts-dejavu-core), which has every
Vietnamese glyph; a later issue vendors a font with the application so the output does not depend
on the machine.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from civicpay.billing.models import PaymentRequest
from civicpay.core import clock
from civicpay.core.money import format_vnd, vnd_in_words


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


def render_fee_notice_pdf(request: PaymentRequest) -> bytes:
    """The fee notice of ``request`` as PDF bytes (A4), always in Vietnamese: it is an official form."""
    with translation.override("vi"):
        html = render_to_string("billing/notice_pdf.html", fee_notice_context(request))
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf
