"""Cancelling and replacing a receipt, on real documents: the cancellation is issued as a signed XML
notice beside the PDF, both referencing the original; a replacement is a new receipt with a new number
whose PDF and XML reference the old ones; everything validates against the XSD and verifies with the
agency's certificate; nothing is changed or deleted; the public page of an old lookup code names its
successor; the payer's XML download keeps the original and offers the cancellation beside it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader
from signxml import XMLVerifier

from civicpay.accounts.tests.factories import UserFactory
from civicpay.billing.errors import BillingError
from civicpay.billing.models import Receipt, ReceiptState
from civicpay.billing.receipt_xml import (
    RECEIPT_XML_OWNER_KIND,
    receipt_xml_bytes,
    receipt_xml_document,
    receipt_xml_documents,
    receipt_xml_validate,
)
from civicpay.billing.receipts import (
    receipt_cancel,
    receipt_documents,
    receipt_for_request,
    receipt_pdf,
    receipt_replace,
    receipt_search_for_agency,
    receipt_versions,
)
from civicpay.billing.tests.test_receipt_xml import TAX_CODE, agency_pem, text_of
from civicpay.billing.tests.test_receipts import issue, owner, start, succeed  # noqa: F401 (owner: autouse)
from civicpay.core import clock
from civicpay.core.audit import audit_trail
from civicpay.directory.tests.factories import AgencyFactory
from civicpay.documents.models import IssuedDocument, ReplacementKind
from civicpay.documents.selectors import PublicState, document_public_view
from civicpay.documents.services import document_read

DATA = Path(__file__).resolve().parent / "data"
REASON = "Hoàn trả lệ phí theo đề nghị của người nộp"


@pytest.fixture
def receipt() -> Receipt:
    """A paid receipt of an agency with a tax code, so it has an XML e-receipt as well as the PDF."""
    succeed(start(issue(AgencyFactory.create(tax_code=TAX_CODE, address="01 Trần Phú, Nha Trang"), 1)))
    return Receipt.objects.select_related("agency", "payment_request").get()


def verified(receipt: Receipt, data: bytes) -> etree._Element:
    """The XML, after checking it against the schema and the agency's signature."""
    receipt_xml_validate(data)
    result = XMLVerifier().verify(data, x509_cert=agency_pem(receipt))
    assert not isinstance(result, list) and result.signed_xml is not None
    return result.signed_xml


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def payer_client(receipt: Receipt) -> Client:
    client = Client()
    assert receipt.payment_request.payer_user is not None
    client.force_login(receipt.payment_request.payer_user)
    return client


def fresh(receipt: Receipt) -> Receipt:
    return Receipt.objects.select_related("agency", "payment_request", "replaces").get(pk=receipt.pk)


# --- The schema ------------------------------------------------------------------------------------


def test_documents_issued_with_schema_1_0_0_still_validate() -> None:
    """An e-receipt issued before the schema learnt replacements and cancellations (kept as issued)."""
    data = (DATA / "ereceipt-1.0.0.xml").read_bytes()
    assert b"<PBan>1.0.0</PBan>" in data
    receipt_xml_validate(data)


# --- Cancelling: the XML notice ---------------------------------------------------------------------


@pytest.mark.django_db
def test_cancelling_issues_a_signed_xml_notice_that_references_the_original(receipt: Receipt) -> None:
    original = receipt_xml_document(receipt)
    original_bytes = receipt_xml_bytes(receipt)
    officer = UserFactory.create(full_name="Lê Thị Kế Toán")

    receipt_cancel(receipt=receipt, reason=REASON, by=officer)

    first, notice = receipt_xml_documents(receipt)
    assert first.pk == original.pk
    assert (notice.replaces_id, notice.replacement_kind) == (original.pk, ReplacementKind.CANCEL)
    assert notice.replacement_reason == REASON and notice.media_type == "application/xml"
    assert (notice.owner_kind, notice.owner_id) == (RECEIPT_XML_OWNER_KIND, receipt.pk)
    assert notice.is_current and not IssuedDocument.objects.get(pk=original.pk).is_current
    assert document_read(original) == original_bytes  # kept, byte for byte

    xml = verified(receipt, document_read(notice))
    assert xml.tag == "HuyBienLai"
    assert text_of(document_read(notice), "DLHuy/TTChung/TCTBao") == "1"
    assert xml.findtext("DLHuy/TTChung/MaTraCuu") == notice.lookup_code  # its own lookup code
    assert xml.findtext("DLHuy/BLHuy/MauSo") == receipt.template_code
    assert xml.findtext("DLHuy/BLHuy/KyHieu") == receipt.series
    assert xml.findtext("DLHuy/BLHuy/SoBienLai") == "0000001"
    assert xml.findtext("DLHuy/BLHuy/NLap") == clock.local(receipt.issued_at).date().isoformat()
    assert xml.findtext("DLHuy/BLHuy/MaTraCuu") == original.lookup_code
    assert xml.findtext("DLHuy/BLHuy/TgTTTBSo") == "350000"
    assert xml.findtext("DLHuy/NBan/MST") == TAX_CODE
    assert xml.findtext("DLHuy/LDo") == REASON
    cancelled_at = fresh(receipt).cancelled_at
    assert cancelled_at is not None
    assert xml.findtext("DLHuy/TTChung/TDHuy") == clock.local(cancelled_at).isoformat(timespec="seconds")
    assert [e.action for e in audit_trail(receipt) if e.action.startswith("receipt.")] == [
        "receipt.issued",
        "receipt.xml_issued",
        "receipt.xml_cancelled",
        "receipt.cancelled",
    ]


@pytest.mark.django_db
def test_a_receipt_never_downloaded_gets_its_e_receipt_first_then_the_notice(receipt: Receipt) -> None:
    receipt_cancel(receipt=receipt, reason=REASON, by=None)
    original, notice = receipt_xml_documents(receipt)
    assert notice.replaces_id == original.pk
    verified(receipt, document_read(original))
    assert text_of(document_read(notice), "DLHuy/BLHuy/MaTraCuu") == original.lookup_code
    # And the PDFs: the original, then its cancellation.
    pdf, cancellation = receipt_documents(receipt)
    assert cancellation.replaces_id == pdf.pk and cancellation.replacement_kind == ReplacementKind.CANCEL
    assert "BIÊN LAI ĐÃ BỊ HỦY" in pdf_text(document_read(cancellation))


@pytest.mark.django_db
def test_an_agency_without_a_tax_code_cancels_with_the_pdf_only() -> None:
    succeed(start(issue(AgencyFactory.create(tax_code=""), 1)))
    receipt = Receipt.objects.get()
    receipt_cancel(receipt=receipt, reason=REASON, by=None)
    assert len(receipt_documents(receipt)) == 2
    assert receipt_xml_documents(receipt) == []


@pytest.mark.django_db
def test_a_second_cancel_fails_clearly_and_issues_nothing(receipt: Receipt) -> None:
    receipt_cancel(receipt=receipt, reason=REASON, by=None)
    documents = IssuedDocument.objects.count()
    with pytest.raises(BillingError, match="đã bị hủy trước đó"):
        receipt_cancel(receipt=receipt, reason="Lần nữa", by=None)
    assert IssuedDocument.objects.count() == documents == 4  # PDF + XML, each with its cancellation


# --- Replacing ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_replacing_issues_a_new_receipt_with_a_new_number_and_documents_referencing_the_old(
    receipt: Receipt,
) -> None:
    old_pdf = receipt_pdf(receipt)
    old_xml = receipt_xml_bytes(receipt)
    officer = UserFactory.create(full_name="Lê Thị Kế Toán")

    new = receipt_replace(
        receipt=receipt,
        payer_name="Nguyễn Văn Ân",
        payer_address="12 Trần Phú, Phường Nha Trang, Tỉnh Khánh Hòa",
        reason="Sai tên người nộp",
        by=officer,
    )

    # A new receipt, the next number of the series; the old one stays as issued, marked replaced.
    old = fresh(receipt)
    assert (new.series, new.number, new.template_code) == (old.series, 2, old.template_code)
    assert (new.payer_name, new.payer_address) == ("Nguyễn Văn Ân", "12 Trần Phú, Phường Nha Trang, Tỉnh Khánh Hòa")
    assert (new.amount, new.lines, new.payment_reference) == (old.amount, old.lines, old.payment_reference)
    assert new.replaces_id == old.pk and new.replace_reason == "Sai tên người nộp" and new.issued_by == officer
    assert (old.number, old.payer_name, old.payer_address) == (1, "Nguyễn Văn An", "")
    assert old.state == ReceiptState.REPLACED and new.state == ReceiptState.VALID
    assert receipt_for_request(old.payment_request) == new
    assert receipt_versions(new) == [old, new]

    # The PDF: a new document replacing the old one, which is kept byte for byte.
    first, second = receipt_documents(new)
    assert document_read(first) == old_pdf and not first.is_current
    assert (second.replaces_id, second.replacement_kind) == (first.pk, ReplacementKind.REPLACE)
    assert second.replacement_reason == "Sai tên người nộp"
    assert receipt_pdf(new) == document_read(second)
    assert receipt_pdf(old) == old_pdf
    text = pdf_text(document_read(second))
    for expected in (
        "BIÊN LAI THAY THẾ",
        f"Thay thế cho biên lai Mẫu số 01BLP0-001, ký hiệu {old.series}, số 0000001",
        first.lookup_code_display,
        "Nguyễn Văn Ân",
        "Phường Nha Trang",
        "0000002",
    ):
        assert expected in text, expected

    # The XML: the new e-receipt replaces the old one and says which receipt it replaces.
    old_doc, new_doc = receipt_xml_documents(new)
    assert document_read(old_doc) == old_xml and not old_doc.is_current
    assert (new_doc.replaces_id, new_doc.replacement_kind) == (old_doc.pk, ReplacementKind.REPLACE)
    xml = verified(new, receipt_xml_bytes(new))
    assert xml.findtext("DLBLai/TTChung/SoBienLai") == "0000002"
    assert xml.findtext("DLBLai/TTChung/MaTraCuu") == new_doc.lookup_code
    assert xml.findtext("DLBLai/NDBLai/NMua/Ten") == "Nguyễn Văn Ân"
    assert xml.findtext("DLBLai/NDBLai/NMua/DChi") == "12 Trần Phú, Phường Nha Trang, Tỉnh Khánh Hòa"
    related = "DLBLai/TTChung/TTBLLQuan/"
    assert xml.findtext(related + "TCBLai") == "1"
    assert xml.findtext(related + "SoBienLai") == "0000001"
    assert xml.findtext(related + "KyHieu") == old.series
    assert xml.findtext(related + "NLap") == clock.local(old.issued_at).date().isoformat()
    assert xml.findtext(related + "MaTraCuu") == old_doc.lookup_code
    assert xml.findtext(related + "LDo") == "Sai tên người nộp"

    # Audited on both; nothing deleted.
    assert [e.action for e in audit_trail(old)][-1] == "receipt.replaced"
    assert "receipt.issued" in [e.action for e in audit_trail(new)]
    assert Receipt.objects.count() == 2 and IssuedDocument.objects.count() == 4


@pytest.mark.django_db
def test_the_replacement_takes_the_next_number_and_later_receipts_follow_without_gaps(receipt: Receipt) -> None:
    receipt_replace(receipt=receipt, payer_name="Nguyễn Văn Ân", payer_address="", reason="Sai tên", by=None)
    succeed(start(issue(receipt.agency, 2)))
    numbers = sorted(Receipt.objects.filter(agency=receipt.agency).values_list("number", flat=True))
    assert numbers == [1, 2, 3]


@pytest.mark.django_db
def test_replace_then_cancel_the_replacement_and_the_public_page_names_each_successor(receipt: Receipt) -> None:
    new = receipt_replace(receipt=receipt, payer_name="Nguyễn Văn Ân", payer_address="", reason="Sai tên", by=None)
    receipt_cancel(receipt=new, reason=REASON, by=None)

    original_pdf, replacement_pdf, cancellation_pdf = receipt_documents(new)
    assert cancellation_pdf.replaces_id == replacement_pdf.pk
    original_view = document_public_view(original_pdf)
    assert original_view.state == PublicState.REPLACED
    assert original_view.successor_lookup_code == replacement_pdf.lookup_code_display
    replacement_view = document_public_view(replacement_pdf)
    assert replacement_view.state == PublicState.CANCELLED
    assert replacement_view.successor_lookup_code == cancellation_pdf.lookup_code_display
    assert document_public_view(cancellation_pdf).successor_lookup_code == ""

    client = Client()
    page = client.get(reverse("documents:verify_code", args=[original_pdf.lookup_code])).content.decode()
    assert "Tài liệu này đã được thay thế" in page and replacement_pdf.lookup_code_display in page
    assert "Tài liệu thay thế có mã tra cứu" in page
    page = client.get(reverse("documents:verify_code", args=[replacement_pdf.lookup_code])).content.decode()
    assert "Tài liệu này đã bị hủy" in page and cancellation_pdf.lookup_code_display in page
    assert "Thông báo hủy có mã tra cứu" in page

    # The XML line: e-receipt → replacement's e-receipt → cancellation notice.
    first, second, notice = receipt_xml_documents(new)
    assert (second.replaces_id, notice.replaces_id) == (first.pk, second.pk)
    assert text_of(document_read(notice), "DLHuy/BLHuy/SoBienLai") == "0000002"
    assert document_public_view(second).successor_lookup_code == notice.lookup_code_display


@pytest.mark.django_db
def test_only_the_receipt_that_counts_can_be_cancelled_or_replaced(receipt: Receipt) -> None:
    new = receipt_replace(receipt=receipt, payer_name="Nguyễn Văn Ân", payer_address="", reason="Sai tên", by=None)
    with pytest.raises(BillingError, match="đã được thay thế bằng biên lai"):
        receipt_cancel(receipt=receipt, reason=REASON, by=None)
    with pytest.raises(BillingError, match="đã được thay thế bằng biên lai"):
        receipt_replace(receipt=receipt, payer_name="Khác", payer_address="", reason="Sai", by=None)
    receipt_cancel(receipt=new, reason=REASON, by=None)
    with pytest.raises(BillingError, match="đã bị hủy"):
        receipt_replace(receipt=new, payer_name="Khác", payer_address="", reason="Sai", by=None)
    assert Receipt.objects.count() == 2


@pytest.mark.django_db
def test_a_replacement_needs_a_reason_a_name_and_a_change(receipt: Receipt) -> None:
    with pytest.raises(BillingError, match="lý do"):
        receipt_replace(receipt=receipt, payer_name="Nguyễn Văn Ân", payer_address="", reason=" ", by=None)
    with pytest.raises(BillingError, match="tên"):
        receipt_replace(receipt=receipt, payer_name=" ", payer_address="", reason="Sai tên", by=None)
    with pytest.raises(BillingError, match="không thay đổi"):
        receipt_replace(receipt=receipt, payer_name=" Nguyễn Văn An ", payer_address="", reason="Sai", by=None)
    assert Receipt.objects.count() == 1 and not IssuedDocument.objects.exists()


@pytest.mark.django_db
def test_search_by_dossier_code_notice_number_or_receipt_number(receipt: Receipt) -> None:
    agency = receipt.agency
    new = receipt_replace(receipt=receipt, payer_name="Nguyễn Văn Ân", payer_address="", reason="Sai tên", by=None)
    assert receipt_search_for_agency(agency=agency, query="hs-000001") == [new, receipt]
    assert receipt_search_for_agency(agency=agency, query=receipt.payment_request.number) == [new, receipt]
    assert receipt_search_for_agency(agency=agency, query="0000002") == [new]
    assert receipt_search_for_agency(agency=agency, query=f"{receipt.series} 0000001") == [receipt]
    assert receipt_search_for_agency(agency=agency, query=str(receipt)) == [receipt]
    assert receipt_search_for_agency(agency=agency, query="XX-99E 1") == []
    assert receipt_search_for_agency(agency=AgencyFactory.create(), query="HS-000001") == []


# --- The payer's XML download ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_payer_keeps_the_e_receipt_of_a_cancelled_receipt_and_gets_the_notice_beside_it(
    receipt: Receipt,
) -> None:
    url = reverse("portal:receipt_xml", args=[receipt.payment_request.number])
    payer = payer_client(receipt)
    before = payer.get(url)
    assert before.status_code == 200 and "Link" not in before

    receipt_cancel(receipt=receipt, reason=REASON, by=None)
    original, cancellation = receipt_xml_documents(receipt)

    after = payer.get(url)
    assert after.status_code == 200
    assert after.content == before.content == document_read(original)  # the e-receipt, unchanged
    assert f"{url}?ma={cancellation.lookup_code}" in after["Link"] and 'rel="related"' in after["Link"]

    offered = payer.get(url, {"ma": cancellation.lookup_code_display.lower()})
    assert offered.status_code == 200
    assert offered.content == document_read(cancellation)
    assert "huy-bien-lai-" in offered["Content-Disposition"]
    assert verified(receipt, offered.content).tag == "HuyBienLai"

    assert payer.get(url, {"ma": "ABCD-2345-EFGH"}).status_code == 404
    stranger = Client()
    stranger.force_login(UserFactory.create())
    assert stranger.get(url, {"ma": cancellation.lookup_code}).status_code == 404


@pytest.mark.django_db
def test_after_a_replacement_the_payer_downloads_the_new_e_receipt(receipt: Receipt) -> None:
    old_xml = receipt_xml_bytes(receipt)
    new = receipt_replace(receipt=receipt, payer_name="Nguyễn Văn Ân", payer_address="", reason="Sai tên", by=None)
    payer = payer_client(receipt)
    url = reverse("portal:receipt_xml", args=[receipt.payment_request.number])
    response = payer.get(url)
    assert response.content == receipt_xml_bytes(new)
    assert f"bien-lai-{new.series}-0000002.xml" in response["Content-Disposition"]
    old_doc = receipt_xml_documents(new)[0]
    assert payer.get(url, {"ma": old_doc.lookup_code}).content == old_xml
