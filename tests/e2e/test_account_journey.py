"""A citizen opens an account, activates it from the e-mail, logs in with their phone number and logs out.

Everything happens through the browser in Vietnamese, and every page on the way is checked with axe.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from playwright.sync_api import Page, expect

from civicpay.accounts.tests.factories import UserFactory
from tests.e2e.axe import assert_accessible
from tests.e2e.pages import CitizenDetails, HomePage, LoginPage, MailboxPage, RegisterCitizenPage

pytestmark = pytest.mark.browser

LAN = CitizenDetails(
    full_name="Trần Thị Ngọc Lan",
    email="ngoclan.tran@example.vn",
    phone="0912345678",
    id_number="079190001234",
    password="Hoa-sen-no-2026",
)


def test_citizen_registers_activates_logs_in_with_phone_and_logs_out(page: Page, live_url: str, worker) -> None:
    home = HomePage(page, live_url)
    home.goto()
    assert_accessible(page, "trang chủ")

    home.nav_link("Đăng ký").click()
    assert_accessible(page, "trang chọn loại tài khoản")
    page.get_by_role("link", name=re.compile(r"^\s*Cá nhân")).click()

    register = RegisterCitizenPage(page, live_url)
    expect(register.heading).to_be_visible()
    assert_accessible(page, "trang đăng ký cá nhân")
    register.fill(LAN)
    register.submit()

    # The sandbox banner links to the mailbox on every page: the heading and the main text must say it.
    expect(register.heading).to_contain_text(re.compile(r"hộp thư", re.IGNORECASE))
    expect(page.get_by_role("main").get_by_text(LAN.email)).to_be_visible()
    assert_accessible(page, "trang đã gửi e-mail kích hoạt")

    mailbox = MailboxPage(page, live_url, to=LAN.email)
    mailbox.goto()
    message = mailbox.wait_for_message()
    assert_accessible(page, "hộp thư thử nghiệm")
    message.locator("a[href]").first.click()

    expect(page.get_by_role("heading", name="Tài khoản đã được kích hoạt")).to_be_visible()
    assert_accessible(page, "trang kích hoạt tài khoản")

    login = LoginPage(page, live_url)
    login.goto()
    assert_accessible(page, "trang đăng nhập")
    login.log_in(LAN.phone, LAN.password)

    expect(page.get_by_text(f"Xin chào, {LAN.full_name}")).to_be_visible()
    assert_accessible(page, "trang của tôi")

    home.log_out()
    expect(home.nav_link("Đăng nhập")).to_be_visible()
    expect(page.get_by_text(f"Xin chào, {LAN.full_name}")).to_have_count(0)


def test_bad_registration_lists_errors_at_the_top_links_to_fields_and_keeps_answers(page: Page, live_url: str) -> None:
    UserFactory.create(email=LAN.email)
    register = RegisterCitizenPage(page, live_url)
    register.goto()
    register.fill(replace(LAN, password_again="Khac-mat-khau-2026"))
    register.submit()

    summary = register.error_summary
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Có lỗi cần sửa")
    first_field_box = register.full_name.bounding_box()
    summary_box = summary.bounding_box()
    assert summary_box and first_field_box and summary_box["y"] < first_field_box["y"], "summary not above the form"

    email_taken = summary.get_by_role("link", name=re.compile(r"Email.*đã được (sử )?dùng"))
    passwords_differ = summary.get_by_role("link", name=re.compile(r"mật khẩu.*không khớp", re.IGNORECASE))
    expect(email_taken).to_have_count(1)
    expect(passwords_differ).to_have_count(1)
    email_taken.click()
    expect(register.email).to_be_focused()
    passwords_differ.click()
    expect(register.password_again).to_be_focused()

    expect(register.full_name).to_have_value(LAN.full_name)
    expect(register.email).to_have_value(LAN.email)
    expect(register.phone).to_have_value(LAN.phone)
    expect(register.id_number).to_have_value(LAN.id_number)
    assert_accessible(page, "trang đăng ký có lỗi")
