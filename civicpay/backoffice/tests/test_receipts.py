"""Biên lai in the back office: a finance officer of the collecting agency finds a receipt by dossier code
or number, sees its documents, cancels it or corrects the payer, each after a confirmation step, on a
real dossier's real receipt. Reception officers and citizens get 403, other agencies' officers 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from signxml import XMLVerifier

from civicpay.accounts.models import Officer, OfficerRole
from civicpay.accounts.tests.factories import OfficerFactory, UserFactory
from civicpay.backoffice.tests import test_transfers
from civicpay.billing.models import PaymentRequest, Receipt, ReceiptState
from civicpay.billing.receipt_xml import receipt_xml_documents
from civicpay.billing.receipts import receipt_documents, receipt_for_request
from civicpay.billing.tests.test_receipts import start, succeed
from civicpay.directory.models import Agency
from civicpay.directory.tests.factories import AgencyFactory
from civicpay.documents import ca
from civicpay.documents.models import IssuedDocument, ReplacementKind

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:receipts")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.PRIVATE_ROOT.mkdir()


# The transfer queue's fixtures: a finance officer of the agency (logged in) and a dossier's fee notice.
finance = test_transfers.finance
finance_client = test_transfers.finance_client
notice = test_transfers.notice


@pytest.fixture
def receipt(agency: Agency, notice: PaymentRequest) -> Receipt:
    """The receipt of the notice, paid through VNPay (the agency has a tax code: an XML e-receipt too)."""
    Agency.objects.filter(pk=agency.pk).update(tax_code="0312345678", address="01 Trần Phú, Nha Trang")
    succeed(start(notice))
    found = receipt_for_request(notice)
    assert found is not None
    return found


def url(name: str, receipt: Receipt) -> str:
    return reverse(f"backoffice:{name}", args=[receipt.pk])


def agency_pem(agency: Agency) -> str:
    from cryptography.hazmat.primitives import serialization

    return ca.load_certificate(ca.signer_certificate(agency.code)).public_bytes(serialization.Encoding.PEM).decode()


def test_the_menu_offers_receipts_to_finance_officers_only(
    finance_client: Client, officer_client: Client, receipt: Receipt
) -> None:
    assert LIST in finance_client.get(reverse("backoffice:home")).content.decode()
    assert LIST not in officer_client.get(reverse("backoffice:home")).content.decode()


def test_find_a_receipt_by_dossier_code_or_number(finance_client: Client, receipt: Receipt) -> None:
    latest = finance_client.get(LIST)
    assert latest.status_code == 200 and url("receipt", receipt) in latest.content.decode()
    for query in (
        receipt.owner_reference,
        receipt.owner_reference.lower(),
        "0000001",
        f"{receipt.series} 0000001",
        receipt.payment_request.number,
    ):
        page = finance_client.get(LIST, {"q": query}).content.decode()
        assert url("receipt", receipt) in page, query
        assert receipt.payer_name in page and "300.000" in page
    nothing = finance_client.get(LIST, {"q": "0000009"}).content.decode()
    assert url("receipt", receipt) not in nothing and "Không tìm thấy biên lai nào" in nothing


def test_the_receipt_page_lists_its_documents_with_their_lookup_codes(finance_client: Client, receipt: Receipt) -> None:
    page = finance_client.get(url("receipt", receipt)).content.decode()
    assert "Biên lai số 0000001" in page and "Chưa phát hành tài liệu nào" in page
    assert url("receipt_cancel", receipt) in page and url("receipt_replace", receipt) in page

    finance_client.post(url("receipt_cancel", receipt), {"reason": "Hoàn trả lệ phí", "confirm": "1"})
    page = finance_client.get(url("receipt", receipt)).content.decode()
    documents = receipt_documents(receipt) + receipt_xml_documents(receipt)
    assert len(documents) == 4
    for document in documents:
        assert document.lookup_code_display in page
        assert reverse("documents:verify_code", args=[document.lookup_code]) in page
    assert "Thông báo hủy biên lai" in page and "Đã bị hủy" in page and "Hoàn trả lệ phí" in page
    assert url("receipt_cancel", receipt) not in page  # nothing more to do

    notice = next(d for d in documents if d.media_type == "application/xml" and d.replacement_kind == "cancel")
    download = finance_client.get(reverse("backoffice:receipt_document", args=[receipt.pk, notice.lookup_code]))
    assert download.status_code == 200 and download["Content-Type"] == "application/xml"
    assert "huy-bien-lai-" in download["Content-Disposition"]
    XMLVerifier().verify(download.content, x509_cert=agency_pem(receipt.agency))


def test_cancel_needs_a_reason_then_a_confirmation(finance_client: Client, finance: Officer, receipt: Receipt) -> None:
    form = finance_client.get(url("receipt_cancel", receipt))
    assert form.status_code == 200 and "Lý do hủy biên lai" in form.content.decode()

    missing = finance_client.post(url("receipt_cancel", receipt), {"reason": "  "})
    assert missing.status_code == 400 and "Nhập lý do hủy biên lai." in missing.content.decode()

    check = finance_client.post(url("receipt_cancel", receipt), {"reason": "Hoàn trả lệ phí"})
    page = check.content.decode()
    assert check.status_code == 200 and "Xác nhận hủy biên lai" in page and "Không thể hoàn tác" in page
    assert 'name="confirm"' in page and 'value="Hoàn trả lệ phí"' in page
    assert not IssuedDocument.objects.exists() and not Receipt.objects.get().is_cancelled  # nothing yet

    back = finance_client.post(url("receipt_cancel", receipt), {"reason": "Hoàn trả lệ phí", "edit": "1"})
    assert "Xác nhận hủy biên lai" not in back.content.decode() and "Hoàn trả lệ phí" in back.content.decode()

    done = finance_client.post(url("receipt_cancel", receipt), {"reason": "Hoàn trả lệ phí", "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == url("receipt", receipt)
    cancelled = Receipt.objects.get()
    assert cancelled.state == ReceiptState.CANCELLED and cancelled.cancelled_by == finance.user
    assert cancelled.cancel_reason == "Hoàn trả lệ phí"
    kinds = sorted(IssuedDocument.objects.values_list("media_type", "replacement_kind"))
    assert kinds == [
        ("application/pdf", ""),
        ("application/pdf", "cancel"),
        ("application/xml", ""),
        ("application/xml", "cancel"),
    ]
    assert "Đã hủy biên lai" in finance_client.get(done["Location"]).content.decode()


def test_a_second_cancel_says_so_and_changes_nothing(finance_client: Client, receipt: Receipt) -> None:
    finance_client.post(url("receipt_cancel", receipt), {"reason": "Hoàn trả lệ phí", "confirm": "1"})
    count = IssuedDocument.objects.count()
    again = finance_client.post(url("receipt_cancel", receipt), {"reason": "Lần nữa", "confirm": "1"}, follow=True)
    assert "đã bị hủy trước đó" in again.content.decode()
    assert IssuedDocument.objects.count() == count
    assert finance_client.get(url("receipt_cancel", receipt)).status_code == 302


def test_correcting_the_payer_issues_a_replacement_after_a_confirmation(
    finance_client: Client, finance: Officer, receipt: Receipt
) -> None:
    form = finance_client.get(url("receipt_replace", receipt)).content.decode()
    assert f'value="{receipt.payer_name}"' in form  # the current name, to correct

    answers = {"payer_name": "Nguyễn Văn Ân", "payer_address": "12 Trần Phú, Nha Trang", "reason": "Sai dấu tên"}
    check = finance_client.post(url("receipt_replace", receipt), answers).content.decode()
    assert "Xác nhận điều chỉnh biên lai" in check and "Nguyễn Văn Ân" in check and receipt.payer_name in check
    assert Receipt.objects.count() == 1

    done = finance_client.post(url("receipt_replace", receipt), {**answers, "confirm": "1"})
    new = Receipt.objects.get(replaces=receipt)
    assert done.status_code == 302 and done["Location"] == url("receipt", new)
    assert (new.number, new.payer_name, new.payer_address, new.issued_by) == (
        2,
        "Nguyễn Văn Ân",
        "12 Trần Phú, Nha Trang",
        finance.user,
    )
    old = Receipt.objects.get(pk=receipt.pk)
    assert old.state == ReceiptState.REPLACED and old.payer_name == receipt.payer_name
    pdfs = receipt_documents(new)
    assert [d.replacement_kind for d in pdfs] == ["", ReplacementKind.REPLACE]

    page = finance_client.get(done["Location"]).content.decode()
    assert "Đã lập biên lai" in page and "Thay thế cho biên lai" in page
    assert url("receipt", old) in page  # the old one, linked
    assert all(d.lookup_code_display in page for d in pdfs + receipt_xml_documents(new))
    old_page = finance_client.get(url("receipt", old)).content.decode()
    assert "Đã bị thay thế" in old_page and url("receipt_cancel", old) not in old_page


def test_a_correction_that_changes_nothing_is_refused(finance_client: Client, receipt: Receipt) -> None:
    answers = {"payer_name": receipt.payer_name, "payer_address": "", "reason": "Thử", "confirm": "1"}
    response = finance_client.post(url("receipt_replace", receipt), answers)
    assert response.status_code == 400 and "không thay đổi" in response.content.decode()
    assert Receipt.objects.count() == 1 and not IssuedDocument.objects.exists()


def test_reception_officers_and_citizens_get_403(officer_client: Client, receipt: Receipt) -> None:
    citizen = Client()
    citizen.force_login(UserFactory.create())
    for client in (officer_client, citizen):
        assert client.get(LIST).status_code == 403
        assert client.get(url("receipt", receipt)).status_code == 403
        assert client.post(url("receipt_cancel", receipt), {"reason": "x", "confirm": "1"}).status_code == 403
        assert (
            client.post(url("receipt_replace", receipt), {"payer_name": "x", "reason": "x", "confirm": "1"}).status_code
            == 403
        )
    assert Client().get(LIST).status_code == 302  # visitors log in
    assert Receipt.objects.get().is_valid


def test_other_agencies_get_404(receipt: Receipt) -> None:
    other = OfficerFactory.create(agency=AgencyFactory.create(code="G22.99"), roles=[OfficerRole.AGENCY_ADMIN])
    client = Client()
    client.force_login(other.user)
    assert url("receipt", receipt) not in client.get(LIST, {"q": receipt.owner_reference}).content.decode()
    assert client.get(url("receipt", receipt)).status_code == 404
    assert client.get(url("receipt_cancel", receipt)).status_code == 404
    assert client.post(url("receipt_cancel", receipt), {"reason": "x", "confirm": "1"}).status_code == 404
    assert (
        client.post(url("receipt_replace", receipt), {"payer_name": "x", "reason": "x", "confirm": "1"}).status_code
        == 404
    )
    receipt_pdf_code = "ABCDEFGHJKMN"
    assert client.get(reverse("backoffice:receipt_document", args=[receipt.pk, receipt_pdf_code])).status_code == 404
    assert Receipt.objects.get().is_valid and not IssuedDocument.objects.exists()
