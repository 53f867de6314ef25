"""The XML e-receipt (valid against our XSD, signed XMLDSig by the agency, tamper-evident, stored once,
downloadable by the payer only) and cancelling a receipt (a cancellation document referencing the
original; nothing deleted; only once)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from django.test import Client
from django.urls import reverse
from lxml import etree
from signxml import XMLVerifier
from signxml.exceptions import InvalidSignature

from civicpay.accounts.tests.factories import UserFactory
from civicpay.billing.errors import BillingError
from civicpay.billing.models import Receipt
from civicpay.billing.receipt_xml import (
    RECEIPT_XML_OWNER_KIND,
    ReceiptXmlInvalid,
    receipt_xml,
    receipt_xml_bytes,
    receipt_xml_document,
    receipt_xml_validate,
)
from civicpay.billing.receipts import RECEIPT_OWNER_KIND, receipt_cancel, receipt_documents, receipt_pdf
from civicpay.billing.tests.test_receipts import issue, owner, start, succeed  # noqa: F401 (owner: autouse)
from civicpay.core.audit import audit_trail
from civicpay.core.money import vnd_in_words
from civicpay.directory.tests.factories import AgencyFactory
from civicpay.documents import ca
from civicpay.documents.models import IssuedDocument, ReplacementKind
from civicpay.documents.services import document_read

TAX_CODE = "0312345678"


@pytest.fixture
def receipt() -> Receipt:
    agency = AgencyFactory.create(name="Sở Tư pháp tỉnh Khánh Hòa", tax_code=TAX_CODE, address="01 Trần Phú, Nha Trang")
    succeed(start(issue(agency, 1)))
    return Receipt.objects.select_related("agency", "payment_request").get()


def agency_pem(receipt: Receipt) -> str:
    certificate = ca.signer_certificate(receipt.agency.code)
    return ca.load_certificate(certificate).public_bytes(serialization.Encoding.PEM).decode()


def text_of(data: bytes, path: str) -> str:
    found = etree.fromstring(data).find(path)
    assert found is not None, path
    return found.text or ""


@pytest.mark.django_db
def test_xml_validates_and_carries_number_tax_code_total_and_words(receipt: Receipt) -> None:
    data = receipt_xml(receipt)
    receipt_xml_validate(data)
    assert text_of(data, "DLBLai/TTChung/SoBienLai") == "0000001"
    assert text_of(data, "DLBLai/TTChung/MauSo") == receipt.template_code
    assert text_of(data, "DLBLai/TTChung/KyHieu") == receipt.series
    assert text_of(data, "DLBLai/TTChung/DVTTe") == "VND"
    assert text_of(data, "DLBLai/NDBLai/NBan/MST") == TAX_CODE
    assert text_of(data, "DLBLai/NDBLai/NMua/Ten") == "Nguyễn Văn An"
    assert text_of(data, "DLBLai/NDBLai/TToan/TgTTTBSo") == "350000"
    assert text_of(data, "DLBLai/NDBLai/TToan/TgTTTBChu") == vnd_in_words(350_000)
    assert text_of(data, "DLBLai/NDBLai/TTTToan/MaGDich") == receipt.payment_reference
    kinds = [e.text for e in etree.fromstring(data).iterfind("DLBLai/NDBLai/DSKThu/KThu/TLKThu")]
    assert sorted(kinds) == ["Lệ phí", "Phí"]


@pytest.mark.django_db
def test_signature_verifies_against_the_agency_certificate(receipt: Receipt) -> None:
    data = receipt_xml(receipt)
    root = etree.fromstring(data)
    assert root[-1].tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    assert "rsa-sha256" in data.decode()
    result = XMLVerifier().verify(data, x509_cert=agency_pem(receipt))
    assert not isinstance(result, list) and result.signed_xml is not None
    number = result.signed_xml.find("DLBLai/TTChung/SoBienLai")
    assert number is not None and number.text == "0000001"


@pytest.mark.django_db
def test_changing_one_amount_breaks_the_signature(receipt: Receipt) -> None:
    data = receipt_xml(receipt)
    tampered = data.replace(b"<STien>200000</STien>", b"<STien>100000</STien>")
    assert tampered != data
    receipt_xml_validate(tampered)  # still well-formed and valid: only the signature can tell
    with pytest.raises(InvalidSignature):
        XMLVerifier().verify(tampered, x509_cert=agency_pem(receipt))


@pytest.mark.django_db
def test_another_certificate_does_not_verify(receipt: Receipt) -> None:
    data = receipt_xml(receipt)
    other = ca.load_certificate(ca.signer_certificate(None)).public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(InvalidSignature):
        XMLVerifier().verify(data, x509_cert=other)


@pytest.mark.django_db
def test_invalid_xml_is_refused() -> None:
    with pytest.raises(ReceiptXmlInvalid):
        receipt_xml_validate(b"<BienLai><DLBLai/></BienLai>")


@pytest.mark.django_db
def test_agency_without_tax_code_cannot_issue_an_e_receipt() -> None:
    succeed(start(issue(AgencyFactory.create(tax_code=""), 1)))
    with pytest.raises(BillingError, match="mã số thuế"):
        receipt_xml(Receipt.objects.select_related("agency", "payment_request").get())


@pytest.mark.django_db
def test_stored_once_as_an_xml_document(receipt: Receipt) -> None:
    document = receipt_xml_document(receipt)
    assert document.media_type == "application/xml"
    assert (document.owner_kind, document.owner_id) == (RECEIPT_XML_OWNER_KIND, receipt.pk)
    assert receipt_xml_document(receipt).pk == document.pk
    data = receipt_xml_bytes(receipt)
    assert data == document_read(document)
    assert text_of(data, "DLBLai/TTChung/MaTraCuu") == document.lookup_code
    XMLVerifier().verify(data, x509_cert=agency_pem(receipt))
    assert IssuedDocument.objects.filter(owner_kind=RECEIPT_XML_OWNER_KIND).count() == 1


@pytest.mark.django_db
def test_download_view_is_for_the_payer_only(receipt: Receipt) -> None:
    notice = receipt.payment_request
    url = reverse("portal:receipt_xml", args=[notice.number])
    payer_client = Client()
    assert notice.payer_user is not None
    payer_client.force_login(notice.payer_user)
    response = payer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert "attachment" in response["Content-Disposition"] and ".xml" in response["Content-Disposition"]
    XMLVerifier().verify(response.content, x509_cert=agency_pem(receipt))
    stranger = Client()
    stranger.force_login(UserFactory.create())
    assert stranger.get(url).status_code == 404


@pytest.mark.django_db
def test_cancel_issues_a_document_referencing_the_original_and_keeps_it(receipt: Receipt) -> None:
    officer = UserFactory.create()
    original_pdf = receipt_pdf(receipt)
    cancelled = receipt_cancel(receipt=receipt, reason="Hoàn tiền theo đề nghị của người nộp", by=officer)
    assert cancelled.is_cancelled and cancelled.cancel_reason.startswith("Hoàn tiền")
    original, cancellation = receipt_documents(receipt)
    assert cancellation.replaces_id == original.pk
    assert cancellation.replacement_kind == ReplacementKind.CANCEL
    assert cancellation.replacement_reason.startswith("Hoàn tiền")
    assert cancellation.owner_kind == RECEIPT_OWNER_KIND and cancellation.is_current
    original.refresh_from_db()
    assert not original.is_current
    assert document_read(original) == original_pdf  # still there, unchanged
    assert receipt_pdf(Receipt.objects.get(pk=receipt.pk)) == original_pdf  # and still downloadable
    assert document_read(cancellation).startswith(b"%PDF")
    assert Receipt.objects.filter(pk=receipt.pk).exists()
    actions = [entry.action for entry in audit_trail(cancelled)]
    assert "receipt.cancelled" in actions


@pytest.mark.django_db
def test_cancelling_twice_fails_and_a_reason_is_required(receipt: Receipt) -> None:
    with pytest.raises(BillingError, match="lý do"):
        receipt_cancel(receipt=receipt, reason="  ", by=None)
    receipt_cancel(receipt=receipt, reason="Hoàn tiền", by=None)
    with pytest.raises(BillingError, match="đã bị hủy"):
        receipt_cancel(receipt=receipt, reason="Lần nữa", by=None)
    assert len(receipt_documents(receipt)) == 2


# --- The public verification page checks the e-receipt too ---------------------------------------------


def _foreign_signature(data: bytes) -> bytes:
    """``data`` re-signed by a key and self-signed certificate that are not ours."""
    from signxml import XMLSigner

    from civicpay.documents.tests.conftest import foreign_certificate

    key, certificate = foreign_certificate("Sở Tư pháp tỉnh Khánh Hòa")
    root = etree.fromstring(data)
    for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        root.remove(signature)
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return etree.tostring(XMLSigner().sign(root, key=key, cert=[pem]), xml_declaration=True, encoding="UTF-8")


def _check(client: Client, code: str, data: bytes, name: str = "bien-lai.xml") -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("documents:verify_code", args=[code.replace("-", "")])
    response = client.post(url, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_verification_page_checks_an_uploaded_e_receipt(receipt: Receipt) -> None:
    document = receipt_xml_document(receipt)
    data = document_read(document)
    client = Client()
    page = client.get(reverse("documents:verify_code", args=[document.lookup_code.replace("-", "")])).content.decode()
    assert "Tệp XML của tài liệu" in page and ".xml" in page  # not "Tệp PDF"
    assert "dữ liệu điện tử (tệp XML có chữ ký số)" in page

    assert "Hợp lệ: tài liệu nguyên vẹn, chữ ký số hợp lệ" in _check(client, document.lookup_code, data)

    tampered = data.replace("Nguyễn Văn An".encode(), "Nguyễn Văn Ân".encode())
    assert tampered != data
    assert "Tài liệu đã bị sửa đổi sau khi ký." in _check(client, document.lookup_code, tampered)

    assert "chứng thư ký không thuộc chứng thư gốc của hệ thống" in _check(
        client, document.lookup_code, _foreign_signature(data)
    )
    assert "Tệp không phải là tệp XML đọc được." in _check(client, document.lookup_code, receipt_pdf(receipt), "a.pdf")


@pytest.mark.django_db
def test_another_e_receipt_of_ours_is_valid_but_not_this_document(receipt: Receipt) -> None:
    from civicpay.documents.verification import Outcome, check_document_upload

    document = receipt_xml_document(receipt)
    succeed(start(issue(receipt.agency, 2)), transaction_no="14000002")
    other = Receipt.objects.select_related("agency", "payment_request").exclude(pk=receipt.pk).get()
    check = check_document_upload(document=document, data=receipt_xml_bytes(other))
    assert check.outcome == Outcome.DIFFERENT_FILE
    assert check.signature.ok and check.signature.signer == "Sở Tư pháp tỉnh Khánh Hòa"
