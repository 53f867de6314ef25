"""The public verification page (no log-in) and the root certificate download.

Anyone holding a document can type its lookup code (or scan its QR) to see what we issued under that
code, and upload their copy to learn whether it is byte-identical to ours and validly signed. The page
shows only what is printed on the document. Rate limited per client: lookups to stop enumeration of
codes, uploads more tightly because validating a signature costs CPU.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from civicpay.core.money import format_vnd
from civicpay.core.ratelimit import rate_limit
from civicpay.documents import ca
from civicpay.documents.forms import LookupForm, UploadForm
from civicpay.documents.models import IssuedDocument
from civicpay.documents.selectors import document_get_by_lookup_code, document_public_view
from civicpay.documents.verification import Outcome, check_document_upload, is_xml

LOOKUP_LIMIT = 30
UPLOAD_LIMIT = 10
PERIOD_SECONDS = 60


def _reasons() -> dict[str, str]:
    return {
        Outcome.MODIFIED: _("Tài liệu đã bị sửa đổi sau khi ký."),
        Outcome.SIGNATURE_INVALID: _("Chữ ký số không hợp lệ."),
        Outcome.NOT_OURS: _("Chữ ký số không do hệ thống cấp: chứng thư ký không thuộc chứng thư gốc của hệ thống."),
        Outcome.UNSIGNED: _("Tệp không có chữ ký số: không phải tài liệu do hệ thống phát hành."),
        Outcome.NOT_PDF: _("Tệp không phải là tệp PDF đọc được."),
        Outcome.NOT_XML: _("Tệp không phải là tệp XML đọc được."),
        Outcome.DIFFERENT_FILE: _("Tệp có chữ ký số của hệ thống nhưng không phải tài liệu có mã tra cứu này."),
    }


def _limited(request: HttpRequest) -> HttpResponse:
    response = render(request, "documents/limited.html", {"retry_after": PERIOD_SECONDS}, status=429)
    response["Retry-After"] = str(PERIOD_SECONDS)
    return response


def _document_page(
    request: HttpRequest, document: IssuedDocument, upload_form: UploadForm, result: dict[str, Any] | None
) -> HttpResponse:
    public = document_public_view(document)
    context = {
        "doc": public,
        "amount": format_vnd(public.amount) if public.amount is not None else "",
        "upload_form": upload_form,
        "form": upload_form,  # for includes/error_summary.html
        "result": result,
        "code": document.lookup_code,
        "is_xml": is_xml(document),
    }
    return render(request, "documents/document.html", context)


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """Enter a lookup code."""
    form = LookupForm(request.GET or None)
    not_found = False
    if form.is_bound:
        if rate_limit(request, scope="documents-lookup", limit=LOOKUP_LIMIT, period_seconds=PERIOD_SECONDS):
            return _limited(request)
        if form.is_valid():
            document = document_get_by_lookup_code(form.cleaned_data["code"])
            if document is not None:
                return _document_page(request, document, UploadForm(xml=is_xml(document)), None)
            not_found = True
    return render(
        request, "documents/verify.html", {"form": form, "not_found": not_found}, status=404 if not_found else 200
    )


@require_http_methods(["GET", "POST"])
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """The document behind a lookup code (the QR code's target), and the upload check."""
    if rate_limit(request, scope="documents-lookup", limit=LOOKUP_LIMIT, period_seconds=PERIOD_SECONDS):
        return _limited(request)
    document = document_get_by_lookup_code(code)
    if document is None:
        form = LookupForm(initial={"code": code})
        return render(request, "documents/verify.html", {"form": form, "not_found": True}, status=404)
    if request.method != "POST":
        return _document_page(request, document, UploadForm(xml=is_xml(document)), None)
    if rate_limit(request, scope="documents-upload", limit=UPLOAD_LIMIT, period_seconds=PERIOD_SECONDS):
        return _limited(request)
    upload_form = UploadForm(request.POST, request.FILES, xml=is_xml(document))
    if not upload_form.is_valid():
        return _document_page(request, document, upload_form, None)
    check = check_document_upload(document=document, data=upload_form.cleaned_data["file"])
    result = {"ok": check.ok, "reason": "" if check.ok else _reasons()[check.outcome], "outcome": check.outcome}
    return _document_page(request, document, UploadForm(xml=is_xml(document)), result)


@require_GET
def root_certificate(request: HttpRequest, encoding: str) -> HttpResponse:
    """The platform's root certificate, to check our signatures offline (PEM or DER)."""
    if encoding not in {"pem", "der"}:
        return HttpResponse(status=404)
    cert = ca.load_certificate(ca.root_certificate())
    if encoding == "pem":
        body = cert.public_bytes(serialization.Encoding.PEM)
        response = HttpResponse(body, content_type="application/x-pem-file")
        filename = "civicpay-root-ca.pem"
    else:
        body = cert.public_bytes(serialization.Encoding.DER)
        response = HttpResponse(body, content_type="application/pkix-cert")
        filename = "civicpay-root-ca.cer"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response
