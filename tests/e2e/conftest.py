"""Browser-test fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Why these choices:
- Playwright's own browser downloads are not available everywhere we run (CI images, offline machines), so
  we drive the system ``chromium`` (or ``$CIVICPAY_CHROMIUM``). Each ``launch()`` gets a fresh temporary
  profile directory from Playwright, so no cookies or cache leak between runs.
- Playwright's sync API keeps an asyncio event loop running in the main thread (inside a greenlet). Django
  then believes every ORM call from the test body is made from async code and raises
  ``SynchronousOnlyOperation``. The test body is in fact synchronous, so we set ``DJANGO_ALLOW_ASYNC_UNSAFE``
  — only while Playwright is running, so the rest of the suite keeps Django's protection.
- The live server runs in another thread and sees only committed data: browser tests use
  ``transactional_db`` (the ``live_url`` fixture requests it).
- A real background worker runs during each browser test, so e-mails are delivered the way they are in
  ``./dev run`` and the journey reads them from the dev mailbox.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from civicpay.core.worker import BackgroundWorker

RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    path = os.environ.get("CIVICPAY_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("No Chromium found: install Debian's `chromium` or set CIVICPAY_CHROMIUM")
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item so the ``page`` fixture knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        yield playwright
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


DEV_MAILBOX = {"default": {"BACKEND": "civicpay.notifications.backends.DevMailboxEmailBackend", "OPTIONS": {}}}


@pytest.fixture
def live_url(live_server, transactional_db, settings) -> str:
    """The live server's root URL, with the platform configured as ``./dev run`` runs it.

    - ``settings.BASE_URL`` is the live server, so absolute links in e-mails lead back to it;
    - e-mail goes to the dev mailbox again: Django's test set-up swaps every mailer for the in-memory
      ``locmem`` backend, which a browser cannot see.
    """
    settings.BASE_URL = live_server.url
    settings.MAILERS = DEV_MAILBOX
    return str(live_server.url)


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context per test, as a Vietnamese user in Vietnam would have it.

    On failure a full-page screenshot is saved to ``test-results/<test name>.png``.
    """
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def worker(transactional_db) -> Iterator[BackgroundWorker]:
    """The background task worker, running in a thread for the duration of the test."""
    background = BackgroundWorker()
    background.start()
    yield background
    background.stop()
