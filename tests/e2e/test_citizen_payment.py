"""Seed 000, citizen side: pay a fee notice through VNPay, in Vietnamese, in Chromium, end to end.

Log in → Thông báo thu phí → Thanh toán → Thông tin thanh toán → choose VNPay → the VNPay sandbox (NCB,
card, OTP) → back → "Thanh toán thành công" once the sandbox's IPN, sent by the real background worker,
has been applied → the dossier shows paid → one SMS and one e-mail in the dev mailbox → the receipt waits
for reception → the officer receives the dossier → the citizen prints the receipt (a PDF).

And the failure paths: wrong OTP three times, "Hủy thanh toán", insufficient funds: each shows its
Vietnamese reason, and the notice stays payable.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from civicpay.accounts.models import User
from civicpay.accounts.tests.factories import PASSWORD, OfficerFactory, UserFactory
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.billing.models import PaymentRequest
from civicpay.billing.types import LineInput
from civicpay.directory.models import FeeKind
from civicpay.directory.tests.factories import AgencyFactory, ProcedureFactory
from civicpay.dossiers.models import Dossier
from civicpay.dossiers.services import dossier_request_payment
from tests.e2e.axe import assert_accessible
from tests.e2e.pages import BasePage, LoginPage, MailboxPage

pytestmark = pytest.mark.browser

SUCCESS_CARD = "9704198526191432198"  # VNPay's published NCB test card
INSUFFICIENT_FUNDS_CARD = "9704195798459170488"
HOLDER, ISSUED, OTP = "NGUYEN VAN A", "07/15", "123456"
NCB = "Ngân hàng TMCP Quốc Dân (NCB)"
# The IPN comes from the worker, then the result page's poll notices it: allow for both.
OUTCOME_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Journey:
    officer_email: str
    citizen: User
    dossier: Dossier
    notice: PaymentRequest


@pytest.fixture
def journey(live_url: str) -> Journey:
    """The agency, its officer, a citizen and her dossier with a fee notice (250.000 ₫), written before the
    ``worker`` fixture starts so the journey begins from a settled database."""
    agency = AgencyFactory.create(code="G22.45", name="Sở Tư pháp tỉnh Khánh Hòa")
    procedure = ProcedureFactory.create(agency=agency, name="Cấp phiếu lý lịch tư pháp")
    officer = OfficerFactory.create(agency=agency, user__full_name="Lê Đình Nhu", user__email="canbo@khanhhoa.gov.vn")
    citizen = UserFactory.create(full_name="Nguyễn Thị Mai", email="mai.nguyen@example.vn", phone="0987654321")
    dossier = DossierFactory.create(procedure=procedure, applicant=citizen, code="G22.45-261122-0101")
    notice = dossier_request_payment(
        dossier=dossier,
        officer=officer,
        lines=[
            LineInput(kind=FeeKind.FEE, description="Phí thẩm định hồ sơ", amount=50_000),
            LineInput(kind=FeeKind.CHARGE, description="Lệ phí cấp phiếu", amount=200_000),
        ],
    )
    return Journey(officer_email=officer.user.email, citizen=citizen, dossier=dossier, notice=notice)


class VnpaySandbox:
    """The VNPay sandbox's pages (docs/sandbox.md), found by their labels like a payer would."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def choose_bank(self, name: str = NCB) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Chọn phương thức thanh toán")
        self.page.get_by_label(name).check()
        self.page.get_by_role("button", name="Tiếp tục").click()

    def enter_card(self, number: str) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Nhập thông tin thẻ")
        self.page.get_by_label("Số thẻ").fill(number)
        self.page.get_by_label("Tên chủ thẻ").fill(HOLDER)
        self.page.get_by_label("Ngày phát hành").fill(ISSUED)
        self.page.get_by_role("button", name="Tiếp tục").click()

    def enter_otp(self, otp: str = OTP) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Nhập mã OTP")
        self.page.get_by_label("Mã OTP").fill(otp)
        self.page.get_by_role("button", name="Thanh toán", exact=True).click()

    def cancel(self) -> None:
        self.page.get_by_role("button", name="Hủy thanh toán").click()


def log_in(page: Page, live_url: str, username: str) -> LoginPage:
    login = LoginPage(page, live_url)
    login.goto()
    login.log_in(username, PASSWORD)
    return login


def officer_receives_dossier(page: Page, live_url: str, officer_email: str, dossier_code: str) -> None:
    """Officer: Tiếp nhận - Trả kết quả → Tiếp nhận hồ sơ qua mạng → the dossier → "Tiếp nhận hồ sơ"
    (it gets its receipt number, *số biên nhận*), then log out."""
    officer_login = log_in(page, live_url, officer_email)
    officer_login.nav_link("Tiếp nhận - Trả kết quả").click()
    page.get_by_role("link", name="Tiếp nhận hồ sơ qua mạng").click()
    page.get_by_role("link", name=dossier_code, exact=True).click()
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    expect(page.get_by_role("main")).to_contain_text("Số biên nhận")
    BasePage(page, live_url).log_out()


def open_payment_choice(page: Page, live_url: str, journey: Journey, *, check_accessibility: bool) -> None:
    """Citizen: log in → Thông báo thu phí → Thanh toán → Thông tin thanh toán → Tiếp tục."""
    login = log_in(page, live_url, journey.citizen.email)
    login.nav_link("Thông báo thu phí").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thông báo thu phí")
    page.get_by_role("link", name=f"Thanh toán {journey.notice.number}").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thông tin thanh toán")
    for text in (journey.dossier.code, "Sở Tư pháp tỉnh Khánh Hòa", "Cấp phiếu lý lịch tư pháp", "Nguyễn Thị Mai"):
        expect(page.get_by_role("main")).to_contain_text(text)
    expect(page.locator("[data-total]")).to_have_text("250.000 ₫")
    expect(page.get_by_text("Hai trăm năm mươi nghìn đồng")).to_be_visible()
    if check_accessibility:
        assert_accessible(page, "trang thông tin thanh toán")
    page.get_by_role("link", name="Tiếp tục").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Chọn đơn vị trung gian thanh toán")
    expect(page.get_by_role("group", name="VNPay")).to_be_visible()
    if check_accessibility:
        assert_accessible(page, "trang chọn đơn vị trung gian thanh toán")


def pay_with_vnpay(page: Page) -> VnpaySandbox:
    page.get_by_label("VNPay: Chọn phương thức tại VNPay").check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    return VnpaySandbox(page)


def wait_for_messages(mailbox: MailboxPage, *, channel: str, text: str, timeout: float = 20.0) -> int:
    """How many messages of ``channel`` containing ``text`` the mailbox holds once at least one arrived."""
    deadline = time.monotonic() + timeout
    mailbox.goto()
    while True:
        found = mailbox.messages().filter(has_text=text).and_(mailbox.page.locator(f'[data-channel="{channel}"]'))
        if found.count() or time.monotonic() > deadline:
            return found.count()
        time.sleep(0.3)
        mailbox.page.reload()


def test_citizen_pays_through_vnpay_and_prints_the_receipt_after_reception(
    page: Page, live_url: str, journey: Journey, worker
) -> None:
    citizen, notice = journey.citizen, journey.notice
    open_payment_choice(page, live_url, journey, check_accessibility=True)
    sandbox = pay_with_vnpay(page)
    sandbox.choose_bank()
    sandbox.enter_card(SUCCESS_CARD)
    sandbox.enter_otp()

    # Back on our site: the result page trusts only the IPN, which the worker delivers.
    expect(page).to_have_url(re.compile(r"/thanh-toan/ket-qua/\?ref=PAY\w+$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Thanh toán thành công", timeout=OUTCOME_TIMEOUT_MS)
    main = page.get_by_role("main")
    expect(main).to_contain_text("250.000 ₫")
    expect(page.locator("[data-transaction-no]")).to_have_text(
        re.compile(r"^\s*14\d+\s*$")
    )  # sandbox vnp_TransactionNo
    assert_accessible(page, "trang kết quả thanh toán")

    # The dossier shows paid.
    page.get_by_role("link", name="Xem hồ sơ").click()
    expect(heading).to_have_text(journey.dossier.code)
    expect(main).to_contain_text("Đã thanh toán")

    # One SMS and one e-mail about the payment (the notice itself was announced earlier, separately).
    assert citizen.phone
    sms = MailboxPage(page, live_url, to=citizen.phone)
    assert wait_for_messages(sms, channel="sms", text="Đã thanh toán 250.000 ₫") == 1
    email = MailboxPage(page, live_url, to=citizen.email)
    assert wait_for_messages(email, channel="email", text="Xác nhận thanh toán") == 1

    # Not received yet: the receipt explains why it cannot be printed (seed 000).
    page.goto(f"{live_url}/thong-bao-thu-phi/")
    page.get_by_role("link", name=f"In biên lai {notice.number}").click()
    expect(heading).to_have_text("Chưa in được biên lai")
    expect(main).to_contain_text("Hồ sơ chưa được tiếp nhận")
    BasePage(page, live_url).log_out()

    # The officer receives the dossier (Tiếp nhận).
    officer_receives_dossier(page, live_url, journey.officer_email, journey.dossier.code)

    # Now the citizen prints the receipt: a PDF.
    log_in(page, live_url, citizen.email).nav_link("Thông báo thu phí").click()
    link = page.get_by_role("link", name=f"In biên lai {notice.number}")
    href = link.get_attribute("href")
    assert href
    response = page.request.get(f"{live_url}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def _wrong_otp_three_times(sandbox: VnpaySandbox) -> None:
    sandbox.choose_bank()
    sandbox.enter_card(SUCCESS_CARD)
    for attempt in range(3):
        sandbox.enter_otp("000000")
        if attempt < 2:
            left = 2 - attempt
            expect(sandbox.page.locator("[data-error-summary]")).to_contain_text(
                f"Mã OTP không đúng. Bạn còn {left} lần thử"
            )


def _cancel(sandbox: VnpaySandbox) -> None:
    expect(sandbox.page.get_by_role("heading", level=1)).to_have_text("Chọn phương thức thanh toán")
    sandbox.cancel()


def _insufficient_funds(sandbox: VnpaySandbox) -> None:
    sandbox.choose_bank()
    sandbox.enter_card(INSUFFICIENT_FUNDS_CARD)
    sandbox.enter_otp()


@pytest.mark.parametrize(
    ("at_the_gateway", "reason"),
    [
        pytest.param(_wrong_otp_three_times, "Nhập sai mã OTP.", id="sai-otp-ba-lan"),
        pytest.param(_cancel, "Bạn đã hủy giao dịch.", id="huy-thanh-toan"),
        pytest.param(_insufficient_funds, "Tài khoản không đủ số dư để thực hiện giao dịch.", id="khong-du-so-du"),
    ],
)
def test_a_failed_payment_explains_why_and_the_notice_stays_payable(
    page: Page,
    live_url: str,
    journey: Journey,
    worker,
    at_the_gateway: Callable[[VnpaySandbox], None],
    reason: str,
) -> None:
    open_payment_choice(page, live_url, journey, check_accessibility=False)
    at_the_gateway(pay_with_vnpay(page))

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Thanh toán không thành công", timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_role("alert")).to_contain_text(reason)
    assert_accessible(page, "trang kết quả thanh toán không thành công")

    # "Thanh toán lại": back to the choice, the notice still payable.
    page.get_by_role("link", name="Thanh toán lại").click()
    expect(heading).to_have_text("Chọn đơn vị trung gian thanh toán")
    page.goto(f"{live_url}/thong-bao-thu-phi/")
    expect(page.get_by_role("link", name=f"Thanh toán {journey.notice.number}")).to_be_visible()
