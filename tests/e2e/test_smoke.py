"""The browser infrastructure itself: Chromium starts, the live server answers, axe runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import assert_accessible
from tests.e2e.pages import HomePage

pytestmark = pytest.mark.browser


def test_home_page_is_vietnamese_and_accessible(page: Page, live_url: str) -> None:
    home = HomePage(page, live_url)
    home.goto()

    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(home.heading).to_have_text("Thanh toán phí, lệ phí dịch vụ công trực tuyến")
    expect(home.nav_link("Đăng nhập")).to_be_visible()
    assert_accessible(page, "trang chủ")


def test_axe_reports_a_serious_violation(page: Page) -> None:
    """The checker must be able to fail: an unlabeled input and an image without alt text are caught."""
    page.set_content(
        '<html lang="vi"><body><main><h1>Thử</h1><input type="text"><img src="x.png"></main></body></html>'
    )

    with pytest.raises(AssertionError, match=r"label|image-alt"):
        assert_accessible(page, "trang thử")
