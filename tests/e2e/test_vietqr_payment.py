"""VietQR bank transfer, in Vietnamese, in Chromium, end to end.

1. The citizen chooses VietQR on the payer pages → sees the QR code, the amount and the memo → in the
   sandbox bank sends exactly that transfer → the bank's signed notification (sent by the real
   background worker) is matched → the QR page moves on to "Thanh toán thành công".
2. The citizen pays a second notice with the wrong amount → the transfer lands in the finance
   officer's "Chuyển khoản cần xử lý" queue ("Sai số tiền") → the finance officer logs in and sees it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from civicpay.accounts.models import OfficerRole, User
from civicpay.accounts.tests.factories import PASSWORD, OfficerFactory, UserFactory
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.billing.models import PaymentRequest
from civicpay.billing.types import LineInput
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import AgencyFactory, ProcedureFactory
from civicpay.dossiers.services import dossier_request_payment
from tests.e2e.axe import assert_accessible
from tests.e2e.pages import BasePage, LoginPage

pytestmark = pytest.mark.browser

OUTCOME_TIMEOUT_MS = 30_000  # the worker delivers the notification, then the page's poll notices it
VIETQR_CHOICE = "VietQR: Chuyển khoản ngân hàng bằng mã VietQR"


@dataclass(frozen=True)
class Journey:
    citizen: User
    finance_email: str
    notice: PaymentRequest
    second_notice: PaymentRequest


@pytest.fixture
def journey(live_url: str) -> Journey:
    """Written before the ``worker`` fixture starts: an agency with a reception and a finance officer,
    a citizen with two dossiers, each with a fee notice."""
    agency = AgencyFactory.create(code="G22.45", name="Sở Tư pháp tỉnh Khánh Hòa")
    procedure = ProcedureFactory.create(agency=agency, name="Cấp phiếu lý lịch tư pháp")
    reception = OfficerFactory.create(agency=agency, user__full_name="Lê Đình Nhu")
    finance = OfficerFactory.create(
        agency=agency,
        roles=[OfficerRole.FINANCE],
        user__full_name="Trần Thị Kế Toán",
        user__email="ketoan@khanhhoa.gov.vn",
    )
    citizen = UserFactory.create(full_name="Nguyễn Thị Mai", email="mai.nguyen@example.vn", phone="0987654321")
    notices = []
    for number, amount in ((1, 200_000), (2, 150_000)):
        dossier = DossierFactory.create(procedure=procedure, applicant=citizen, code=f"G22.45-261122-020{number}")
        notices.append(
            dossier_request_payment(
                dossier=dossier,
                officer=reception,
                lines=[
                    LineInput(kind=FeeKind.FEE, description="Phí thẩm định hồ sơ", amount=50_000),
                    LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=amount - 50_000),
                ],
            )
        )
    return Journey(citizen=citizen, finance_email=finance.user.email, notice=notices[0], second_notice=notices[1])


def log_in(page: Page, live_url: str, username: str) -> LoginPage:
    login = LoginPage(page, live_url)
    login.goto()
    login.log_in(username, PASSWORD)
    return login


def start_vietqr(page: Page, notice: PaymentRequest, *, check_accessibility: bool) -> str:
    """From "Thông báo thu phí" to the QR page; returns the memo shown to the payer."""
    BasePage(page, "").nav_link("Thông báo thu phí").click()
    page.get_by_role("link", name=f"Thanh toán {notice.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thông tin thanh toán")
    page.get_by_role("link", name="Tiếp tục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chọn đơn vị trung gian thanh toán")
    expect(page.get_by_role("group", name="VietQR")).to_be_visible()
    page.get_by_label(VIETQR_CHOICE).check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Quét mã QR để thanh toán")
    expect(page.locator(".qr-box svg")).to_be_visible()
    memo = page.locator("dt:has-text('Nội dung chuyển khoản') + dd").inner_text().strip()
    assert re.fullmatch(r"CP\d{6}[A-Z2-9]{10}", memo), memo
    if check_accessibility:
        assert_accessible(page, "trang mã VietQR")
    return memo


def send_transfer(page: Page, live_url: str, *, amount: str, memo: str, check_accessibility: bool) -> None:
    """In the sandbox bank (another tab): "Chuyển tiền" with the given amount and memo."""
    bank = page.context.new_page()
    bank.goto(f"{live_url}/sandbox/bank/")
    expect(bank.get_by_role("heading", level=1)).to_have_text("Chuyển tiền")
    expect(bank.get_by_label("Số tài khoản nhận")).not_to_have_value("")  # the agency's demo account
    bank.get_by_label("Số tiền (VNĐ)").fill(amount)
    bank.get_by_label("Nội dung chuyển khoản").fill(memo)
    bank.get_by_label("Tên người chuyển").fill("NGUYEN THI MAI")
    bank.get_by_label("Số tài khoản chuyển").fill("0987654321")
    if check_accessibility:
        assert_accessible(bank, "ngân hàng mô phỏng: chuyển tiền")
    bank.get_by_role("button", name="Chuyển tiền").click()
    expect(bank.get_by_role("heading", level=1)).to_have_text("Giao dịch đã chuyển")
    expect(bank.get_by_role("main")).to_contain_text(memo)
    bank.close()


def test_citizen_pays_by_vietqr_and_a_wrong_amount_lands_in_review(
    page: Page, live_url: str, journey: Journey, worker
) -> None:
    log_in(page, live_url, journey.citizen.email)

    # 1. The exact transfer pays the notice.
    memo = start_vietqr(page, journey.notice, check_accessibility=True)
    main = page.get_by_role("main")
    expect(main).to_contain_text("200.000 ₫")
    send_transfer(page, live_url, amount="200000", memo=memo, check_accessibility=True)

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Thanh toán thành công", timeout=OUTCOME_TIMEOUT_MS)
    expect(page).to_have_url(re.compile(r"/thanh-toan/ket-qua/\?ref=PAY\w+$"))
    expect(main).to_contain_text("200.000 ₫")
    expect(main).to_contain_text("VietQR")
    expect(page.locator("[data-transaction-no]")).to_have_text(re.compile(r"^\s*FT\d{6}[0-9A-F]{8}\s*$"))
    assert_accessible(page, "trang kết quả thanh toán VietQR")

    # 2. The wrong amount for the second notice is not applied: it goes to the finance officer.
    wrong_memo = start_vietqr(page, journey.second_notice, check_accessibility=False)
    expect(page.get_by_role("main")).to_contain_text("150.000 ₫")
    send_transfer(page, live_url, amount="140000", memo=wrong_memo, check_accessibility=False)
    BasePage(page, live_url).log_out()

    log_in(page, live_url, journey.finance_email)
    queue_url = f"{live_url}/can-bo/chuyen-khoan/"
    deadline = time.monotonic() + OUTCOME_TIMEOUT_MS / 1000
    page.goto(queue_url)
    while "Sai số tiền" not in page.get_by_role("main").inner_text() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chuyển khoản cần xử lý")
    row = page.get_by_role("row").filter(has_text=wrong_memo)
    expect(row).to_contain_text("Sai số tiền")
    expect(row).to_contain_text("140.000 ₫")
    assert_accessible(page, "hàng đợi chuyển khoản cần xử lý")
    row.get_by_role("link").click()
    expect(page.get_by_role("main")).to_contain_text(journey.second_notice.number)
    expect(page.get_by_role("button", name="Ghi nhận cho khoản thu")).to_be_visible()
    expect(page.get_by_role("button", name="Hoàn trả")).to_be_visible()
    assert_accessible(page, "chuyển khoản cần xử lý: chi tiết")
