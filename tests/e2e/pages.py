"""Page objects for the browser tests (after GOV.UK Notify's functional tests, ``tests/pages/pages.py``).

A page object knows *where* things are on one page; the tests say *what* a user does. Elements are found by
their accessible role and label, the way a screen-reader user finds them, so a missing or wrong label fails
the journey instead of being papered over by a CSS selector.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from playwright.sync_api import Locator, Page


def _label(text: str) -> re.Pattern[str]:
    """Match a label that starts with ``text`` (a required marker or "(không bắt buộc)" may follow)."""
    return re.compile(rf"^\s*{re.escape(text)}(?!\w)", re.IGNORECASE)


class BasePage:
    url_name = "portal:home"

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def goto(self) -> None:
        self.page.goto(self.base_url + reverse(self.url_name))

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    @property
    def error_summary(self) -> Locator:
        """The GOV.UK-style error summary rendered by ``includes/error_summary.html``."""
        return self.page.locator("[data-error-summary]")

    def nav_link(self, name: str) -> Locator:
        return self.page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name=name, exact=True)

    def log_out(self) -> None:
        self.page.get_by_role("button", name="Đăng xuất").click()


class HomePage(BasePage):
    url_name = "portal:home"


@dataclass(frozen=True)
class CitizenDetails:
    full_name: str
    email: str
    phone: str
    id_number: str
    password: str
    password_again: str | None = None


class RegisterCitizenPage(BasePage):
    """``accounts:register_citizen``: the form a citizen (cá nhân) fills to open an account."""

    url_name = "accounts:register_citizen"

    def field(self, label: str) -> Locator:
        return self.page.get_by_label(_label(label))

    @property
    def full_name(self) -> Locator:
        return self.field("Họ và tên")

    @property
    def email(self) -> Locator:
        return self.field("Email")

    @property
    def phone(self) -> Locator:
        return self.field("Số điện thoại")

    @property
    def id_number(self) -> Locator:
        return self.field("Số CCCD/CMND/Hộ chiếu")

    @property
    def password(self) -> Locator:
        return self.field("Mật khẩu")

    @property
    def password_again(self) -> Locator:
        return self.field("Nhập lại mật khẩu")

    def fill(self, details: CitizenDetails) -> None:
        self.full_name.fill(details.full_name)
        self.email.fill(details.email)
        self.phone.fill(details.phone)
        self.id_number.fill(details.id_number)
        self.password.fill(details.password)
        self.password_again.fill(details.password_again or details.password)

    def submit(self) -> None:
        self.page.get_by_role("button", name="Đăng ký", exact=True).click()


class LoginPage(BasePage):
    """``accounts:login``: log in with an e-mail address or a phone number."""

    url_name = "accounts:login"

    @property
    def username(self) -> Locator:
        return self.page.get_by_label(_label("Email hoặc số điện thoại"))

    @property
    def password(self) -> Locator:
        return self.page.get_by_label(_label("Mật khẩu"))

    def log_in(self, username: str, password: str) -> None:
        self.username.fill(username)
        self.password.fill(password)
        self.page.get_by_role("button", name="Đăng nhập", exact=True).click()


class MailboxPage(BasePage):
    """The sandbox's dev mailbox (``/sandbox/mailbox/``): e-mails and SMS the platform "sent".

    Messages are delivered by the background worker, so a message may appear a moment after the action that
    caused it: ``wait_for_message`` reloads until it does.
    """

    def __init__(self, page: Page, base_url: str, *, to: str) -> None:
        super().__init__(page, base_url)
        self.to = to

    def goto(self) -> None:
        self.page.goto(f"{self.base_url}/sandbox/mailbox/?{urlencode({'to': self.to})}")

    def messages(self) -> Locator:
        return self.page.locator(f'article.mailbox-message[data-to="{self.to}"]')

    def wait_for_message(self, *, timeout: float = 15.0) -> Locator:
        """The newest message to ``self.to`` (the mailbox lists newest first), reloading until one arrives.

        Opens the mailbox first, so it can be called from any page.
        """
        deadline = time.monotonic() + timeout
        self.goto()
        while not self.messages().count():
            if time.monotonic() > deadline:
                raise AssertionError(f"No message to {self.to} in the dev mailbox after {timeout:.0f}s")
            time.sleep(0.25)
            self.page.reload()
        return self.messages().first

    def latest_link(self) -> str:
        """The first link in the newest message (e.g. the activation link)."""
        href = self.wait_for_message().locator("a[href]").first.get_attribute("href")
        assert href, f"The newest message to {self.to} has no link"
        return href

    def latest_otp(self) -> str:
        """The one-time code in the newest message."""
        return self.wait_for_message().locator("strong.otp").first.inner_text().strip()
