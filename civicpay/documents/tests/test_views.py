"""The public verification page: by lookup code, no log-in; upload checks; rate limit; root certificate."""

from __future__ import annotations

import pytest
from cryptography import x509
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from civicpay.documents import ca
from civicpay.documents.models import ReplacementKind
from civicpay.documents.services import document_read
from civicpay.documents.tests.conftest import AGENCY_NAME, IssueFn, flip_one_signed_byte, foreign_signed_pdf
from civicpay.documents.views import LOOKUP_LIMIT, UPLOAD_LIMIT

pytestmark = pytest.mark.django_db

VALID = "Hợp lệ: tài liệu nguyên vẹn, chữ ký số hợp lệ"
INVALID = "Không hợp lệ"


def _upload(client: Client, code: str, data: bytes, name: str = "tai-lieu.pdf") -> str:
    response = client.post(
        reverse("documents:verify_code", args=[code]),
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )
    assert response.status_code == 200
    return response.content.decode()


def test_verify_page_is_public_and_accessible_form(client: Client) -> None:
    response = client.get(reverse("documents:verify"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Kiểm tra tài liệu</h1>" in page
    assert '<label class="label" for="id_code">Mã tra cứu' in page
    assert reverse("documents:root_certificate", args=["pem"]) in page


def test_lookup_by_code_shows_what_is_printed_and_nothing_personal(client: Client, issue: IssueFn) -> None:
    document = issue(context={"issuer": AGENCY_NAME, "body": "Người nộp: Trần Thị Bích Ngọc", "amount": "1.005.000 ₫"})

    typed = document.lookup_code_display.lower()
    page = client.get(reverse("documents:verify"), {"code": typed}).content.decode()

    for expected in (
        "Chỉ dẫn thanh toán",
        AGENCY_NAME,
        "22/11/2026",
        "1.005.000 ₫",
        document.reference,
        document.lookup_code_display,
        "Còn hiệu lực",
    ):
        assert expected in page
    assert "Trần Thị Bích Ngọc" not in page


def test_qr_link_opens_the_document_without_log_in(client: Client, issue: IssueFn) -> None:
    document = issue()
    response = client.get(reverse("documents:verify_code", args=[document.lookup_code]))
    assert response.status_code == 200
    assert document.reference in response.content.decode()


def test_exact_file_is_valid(client: Client, issue: IssueFn) -> None:
    document = issue()
    page = _upload(client, document.lookup_code, document_read(document))
    assert VALID in page
    assert INVALID not in page


def test_tampered_file_is_invalid_modified_after_signing(client: Client, issue: IssueFn) -> None:
    document = issue()
    page = _upload(client, document.lookup_code, flip_one_signed_byte(document_read(document)))
    assert INVALID in page and VALID not in page
    assert "Tài liệu đã bị sửa đổi sau khi ký." in page


def test_content_appended_after_signing_is_invalid(client: Client, issue: IssueFn) -> None:
    import io

    document = issue()
    writer = IncrementalPdfFileWriter(io.BytesIO(document_read(document)))
    writer.root["/Lang"] = generic.pdf_string("en")  # an incremental update after the signature
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    page = _upload(client, document.lookup_code, out.getvalue())
    assert INVALID in page and "Tài liệu đã bị sửa đổi sau khi ký." in page


def test_a_file_signed_by_someone_else_is_invalid(client: Client, issue: IssueFn) -> None:
    document = issue()
    page = _upload(client, document.lookup_code, foreign_signed_pdf())
    assert INVALID in page and "Chữ ký số không do hệ thống cấp" in page


def test_another_of_our_documents_under_this_code_is_invalid(client: Client, issue: IssueFn) -> None:
    first, second = issue(), issue()
    page = _upload(client, first.lookup_code, document_read(second))
    assert INVALID in page and "không phải tài liệu có mã tra cứu này" in page


def test_not_a_pdf_and_unsigned_pdf_are_invalid(client: Client, issue: IssueFn) -> None:
    from weasyprint import HTML

    document = issue()
    assert "Tệp không phải là tệp PDF đọc được." in _upload(client, document.lookup_code, b"hello, not a pdf")
    unsigned = HTML(string="<p>Không ký</p>").write_pdf()
    assert unsigned is not None
    assert "Tệp không có chữ ký số" in _upload(client, document.lookup_code, unsigned)


def test_missing_file_shows_the_error_summary(client: Client, issue: IssueFn) -> None:
    document = issue()
    response = client.post(reverse("documents:verify_code", args=[document.lookup_code]), {})
    page = response.content.decode()
    assert "Có lỗi cần sửa" in page and "Chọn tệp PDF cần kiểm tra" in page


def test_unknown_code_says_so_clearly(client: Client, db: None) -> None:
    response = client.get(reverse("documents:verify_code", args=["ABCD2345EFGH"]))
    assert response.status_code == 404
    assert "Không tìm thấy tài liệu với mã tra cứu này" in response.content.decode()

    response = client.get(reverse("documents:verify"), {"code": "ABCD-2345-EFGH"})
    assert response.status_code == 404
    assert "Không tìm thấy tài liệu với mã tra cứu này" in response.content.decode()

    malformed = client.get(reverse("documents:verify"), {"code": "12"}).content.decode()
    assert "Mã tra cứu gồm 12 chữ cái và chữ số" in malformed


def test_replaced_and_cancelled_documents_say_so(client: Client, issue: IssueFn) -> None:
    replaced = issue(owner_id=1)
    issue(owner_id=1, replaces=replaced, reason="Sửa nội dung")
    cancelled = issue(owner_id=2)
    issue(owner_id=2, replaces=cancelled, replacement=ReplacementKind.CANCEL, reason="Hoàn phí")

    assert (
        "Tài liệu này đã được thay thế"
        in client.get(reverse("documents:verify_code", args=[replaced.lookup_code])).content.decode()
    )
    assert (
        "Tài liệu này đã bị hủy"
        in client.get(reverse("documents:verify_code", args=[cancelled.lookup_code])).content.decode()
    )


def test_lookups_are_rate_limited(client: Client, db: None) -> None:
    url = reverse("documents:verify_code", args=["ABCD2345EFGH"])
    for _ in range(LOOKUP_LIMIT):
        assert client.get(url).status_code == 404
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Quá nhiều lượt kiểm tra" in refused.content.decode()
    # The lookup form counts against the same budget.
    assert client.get(reverse("documents:verify"), {"code": "ABCD2345EFGH"}).status_code == 429


def test_uploads_have_a_tighter_limit(client: Client, issue: IssueFn) -> None:
    document = issue()
    for _ in range(UPLOAD_LIMIT):
        _upload(client, document.lookup_code, b"not a pdf")
    refused = client.post(
        reverse("documents:verify_code", args=[document.lookup_code]),
        {"file": SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")},
    )
    assert refused.status_code == 429


def test_root_certificate_download_pem_and_der(client: Client, db: None) -> None:
    pem = client.get(reverse("documents:root_certificate", args=["pem"]))
    der = client.get(reverse("documents:root_certificate", args=["der"]))
    assert pem.status_code == der.status_code == 200
    assert pem["Content-Type"] == "application/x-pem-file" and der["Content-Type"] == "application/pkix-cert"
    assert "attachment" in pem["Content-Disposition"]
    from_pem = x509.load_pem_x509_certificate(pem.content)
    from_der = x509.load_der_x509_certificate(der.content)
    assert from_pem == from_der == ca.load_certificate(ca.root_certificate())
    assert client.get(reverse("documents:root_certificate", args=["txt"])).status_code == 404
