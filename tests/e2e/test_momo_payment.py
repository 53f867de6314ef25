"""Seed 000, citizen side, with the MoMo e-wallet: success and decline, in Vietnamese, in Chromium.

Log in → Thông báo thu phí → Thanh toán → Thông tin thanh toán → choose MoMo → "Thanh toán" → the MoMo
sandbox's payUrl (QR code + simulated MoMo app) → "Xác nhận thanh toán" or "Từ chối" → back on our
result page, which waits for the IPN the real background worker POSTs (answered 204).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from civicpay.payments.providers import momo_protocol as momo
from tests.e2e.axe import assert_accessible
from tests.e2e.pages import MailboxPage
from tests.e2e.test_citizen_payment import (  # noqa: F401 - ``journey`` is a fixture
    OUTCOME_TIMEOUT_MS,
    Journey,
    journey,
    open_payment_choice,
    wait_for_messages,
)

pytestmark = pytest.mark.browser

MOMO_CHOICE = "MoMo: Ví điện tử MoMo (quét mã QR hoặc mở ứng dụng MoMo)"


def pay_with_momo(page: Page) -> None:
    """Choose MoMo and press "Thanh toán": the adapter creates the payment and we land on its payUrl."""
    expect(page.get_by_role("group", name="MoMo")).to_be_visible()
    page.get_by_label(MOMO_CHOICE).check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sandbox/momo/v2/gateway/pay\?t="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thanh toán bằng ví MoMo")
    expect(page.get_by_role("img", name="Mã QR thanh toán MoMo")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("250.000 ₫")


def test_citizen_pays_with_momo(page: Page, live_url: str, journey: Journey, worker) -> None:  # noqa: F811
    open_payment_choice(page, live_url, journey, check_accessibility=False)
    pay_with_momo(page)
    assert_accessible(page, "trang thanh toán MoMo (mô phỏng)")
    page.get_by_label("Ví thử nghiệm 0912 345 678 – đủ số dư").check()
    page.get_by_role("button", name="Xác nhận thanh toán").click()

    expect(page).to_have_url(re.compile(r"/thanh-toan/ket-qua/\?ref=PAY\w+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thanh toán thành công", timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_role("main")).to_contain_text("250.000 ₫")
    expect(page.locator("[data-transaction-no]")).to_have_text(re.compile(r"^\s*4\d{9}\s*$"))  # sandbox transId

    assert journey.citizen.phone
    sms = MailboxPage(page, live_url, to=journey.citizen.phone)
    assert wait_for_messages(sms, channel="sms", text="Đã thanh toán 250.000 ₫") == 1


def test_citizen_declines_in_the_momo_app(page: Page, live_url: str, journey: Journey, worker) -> None:  # noqa: F811
    open_payment_choice(page, live_url, journey, check_accessibility=False)
    pay_with_momo(page)
    page.get_by_role("button", name="Từ chối").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Thanh toán không thành công", timeout=OUTCOME_TIMEOUT_MS)
    expect(page.get_by_role("alert")).to_contain_text(momo.message_for(momo.USER_DECLINED))
    page.get_by_role("link", name="Thanh toán lại").click()
    expect(heading).to_have_text("Chọn đơn vị trung gian thanh toán")
