"""A printed receipt checks out on the public verification page; a copy with one byte changed does not.

Seed 000's journey (tests/e2e/test_citizen_payment.py) gets the citizen to a paid, received dossier: she
pays through the VNPay sandbox, the officer receives the dossier, she prints the receipt (a signed PDF).
Then anyone holding the file — here a fresh, logged-out browser — types the lookup code printed on it at
``/tai-lieu/kiem-tra/``, uploads the file → "Hợp lệ"; uploads a copy with one byte flipped inside the
signed range → "Không hợp lệ" (modified after signing). See docs/documents.md, "Public verification".
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from civicpay.billing.receipts import RECEIPT_OWNER_KIND, receipt_for_request
from civicpay.documents.models import IssuedDocument
from tests.e2e.axe import assert_accessible
from tests.e2e.pages import BasePage
from tests.e2e.test_citizen_payment import (
    OUTCOME_TIMEOUT_MS,
    SUCCESS_CARD,
    Journey,
    journey,  # noqa: F401  (the fixture: the agency, officer, citizen, dossier and fee notice)
    log_in,
    officer_receives_dossier,
    open_payment_choice,
    pay_with_vnpay,
)

pytestmark = pytest.mark.browser

# As printed under the QR code: "Mã tra cứu: ABCD-2345-EFGH" (documents/codes.py).
LOOKUP_CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b")
BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def pay_and_have_the_dossier_received(page: Page, live_url: str, seed: Journey) -> None:
    """Seed 000 up to a paid, received dossier, the way test_citizen_payment drives it."""
    open_payment_choice(page, live_url, seed, check_accessibility=False)
    sandbox = pay_with_vnpay(page)
    sandbox.choose_bank()
    sandbox.enter_card(SUCCESS_CARD)
    sandbox.enter_otp()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thanh toán thành công", timeout=OUTCOME_TIMEOUT_MS)
    BasePage(page, live_url).log_out()

    officer_receives_dossier(page, live_url, seed.officer_email, seed.dossier.code)


def print_receipt(page: Page, live_url: str, seed: Journey) -> bytes:
    """Citizen: Thông báo thu phí → "In biên lai" (an inline PDF, fetched with her session cookies)."""
    log_in(page, live_url, seed.citizen.email).nav_link("Thông báo thu phí").click()
    href = page.get_by_role("link", name=f"In biên lai {seed.notice.number}").get_attribute("href")
    assert href
    response = page.request.get(f"{live_url}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    return pdf


def printed_lookup_code(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    codes = set(LOOKUP_CODE.findall(text))
    assert len(codes) == 1, f"Expected one lookup code printed on the receipt, found {sorted(codes)}"
    return codes.pop()


def with_one_byte_flipped(pdf: bytes) -> bytes:
    """A copy with one byte changed inside a stream in the first signed range (before the signature's
    /Contents), so the file still parses and only the signature's digest tells the difference."""
    ranges = BYTE_RANGE.findall(pdf)
    assert len(ranges) == 1, "Expected exactly one signature on the receipt"
    start, length, _, _ = map(int, ranges[0])
    middle = start + length // 2
    stream = pdf.rfind(b"stream", start, middle)
    if stream == -1 or pdf.rfind(b"endstream", start, middle) > stream:  # middle is not inside a stream
        stream = pdf.find(b"stream", start, start + length)
    assert stream != -1, "No stream in the signed range"
    end = pdf.find(b"endstream", stream + len(b"stream"), start + length)
    assert end != -1
    offset = stream + len(b"stream") + (end - stream - len(b"stream")) // 2
    assert start < offset < start + length
    tampered = bytearray(pdf)
    tampered[offset] ^= 0x01
    return bytes(tampered)


def test_a_printed_receipt_is_valid_and_a_tampered_copy_is_not(
    page: Page,
    live_url: str,
    journey: Journey,  # noqa: F811
    worker,
) -> None:
    pay_and_have_the_dossier_received(page, live_url, journey)
    pdf = print_receipt(page, live_url, journey)

    code = printed_lookup_code(pdf)
    receipt = receipt_for_request(journey.notice)
    assert receipt is not None
    document = IssuedDocument.objects.get(owner_kind=RECEIPT_OWNER_KIND, owner_id=receipt.pk, is_current=True)
    assert code == document.lookup_code_display

    # Anyone holding the file: a fresh browser context, never logged in.
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    try:
        visitor = context.new_page()
        visitor.goto(f"{live_url}/tai-lieu/kiem-tra/")
        heading = visitor.get_by_role("heading", level=1)
        expect(heading).to_have_text("Kiểm tra tài liệu")
        expect(visitor.get_by_role("button", name="Đăng xuất")).to_have_count(0)
        assert_accessible(visitor, "trang kiểm tra tài liệu")

        visitor.get_by_label(re.compile(r"^\s*Mã tra cứu")).fill(code)
        visitor.get_by_role("button", name="Tra cứu", exact=True).click()
        main = visitor.get_by_role("main")
        expect(main).to_contain_text(code)
        expect(main).to_contain_text("Biên lai thu phí, lệ phí")
        expect(main).to_contain_text("250.000 ₫")
        assert_accessible(visitor, "trang tài liệu theo mã tra cứu")

        upload = visitor.get_by_label(re.compile(r"^\s*Tệp PDF của tài liệu"))
        check = visitor.get_by_role("button", name="Kiểm tra tệp", exact=True)
        result = visitor.locator("#verification-result")

        upload.set_input_files({"name": "bien-lai.pdf", "mimeType": "application/pdf", "buffer": pdf})
        check.click()
        expect(result).to_contain_text("Hợp lệ: tài liệu nguyên vẹn, chữ ký số hợp lệ")
        expect(result).not_to_contain_text("Không hợp lệ")
        assert_accessible(visitor, "trang kết quả kiểm tra: hợp lệ")

        upload.set_input_files(
            {"name": "bien-lai.pdf", "mimeType": "application/pdf", "buffer": with_one_byte_flipped(pdf)}
        )
        check.click()
        expect(result).to_contain_text("Không hợp lệ")
        expect(result).to_contain_text("Tài liệu đã bị sửa đổi sau khi ký.")
        assert_accessible(visitor, "trang kết quả kiểm tra: không hợp lệ")
    finally:
        context.close()
