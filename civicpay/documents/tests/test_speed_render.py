"""Rendering through the per-thread caches (fonts, parsed stylesheets) gives WeasyPrint's own PDF."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from civicpay.core import clock
from civicpay.documents import pdf
from civicpay.documents.services import _document_context
from civicpay.documents.tests.conftest import AGENCY_NAME

pytestmark = pytest.mark.django_db

DOCUMENT = {"lookup_code": "ABCD2345EFGH", "kind": "fee_notice", "issuer_name": AGENCY_NAME}


def _sample_context(number: int) -> dict[str, Any]:
    return {
        "issuer": AGENCY_NAME,
        "body": f"Nộp lệ phí tại quầy số {number}",
        "amount": "1.005.000 ₫",
        "document": _document_context(**DOCUMENT),
    }


def _notice_context(number: int) -> dict[str, Any]:
    """The billing fee notice's layout (print_base plus its own print_style block)."""
    line = {"number": 1, "description": "Phí thẩm định hồ sơ", "amount": "1.000.000 ₫"}
    return {
        "notice": SimpleNamespace(
            number=f"TB2611200{number:03d}",
            payer_name="Trần Thị Bích Ngọc",
            payer_phone="0912345678",
            owner_reference=f"G22.45-261122-{number:04d}",
            description="Cấp phiếu lý lịch tư pháp số 1",
            due_date=date(2026, 11, 29),
        ),
        "agency": SimpleNamespace(name=AGENCY_NAME, address="Số 1 Trần Phú, Nha Trang", tax_code="4200123456"),
        "groups": [{"label": "Phí", "lines": [line], "subtotal": "1.000.000 ₫"}],
        "total": "1.000.000 ₫",
        "total_in_words": "Một triệu đồng",
        "issued_on": date(2026, 11, 22),
        "printed_at": clock.local(datetime(2026, 11, 22, 2, 30, tzinfo=UTC)),
        "portal_url": "http://127.0.0.1:8000",
        "hotline": "1900 1023",
        "site_name": "CivicPay",
        "document": _document_context(**DOCUMENT),
    }


def _html(template_name: str, context: dict[str, Any]) -> str:
    with translation.override("vi"):
        return render_to_string(template_name, context)


def _plain_weasyprint(template_name: str, context: dict[str, Any]) -> bytes:
    """What render_pdf did before the caches: the whole HTML, a fresh font configuration."""
    html = _html(template_name, context)
    result = HTML(string=html, base_url=str(pdf.FONTS_DIR), url_fetcher=pdf._fetcher()).write_pdf()
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("template_name", "context"),
    [("documents_tests/sample.html", _sample_context), ("billing/notice_pdf.html", _notice_context)],
)
def test_cached_rendering_is_byte_for_byte_weasyprints(template_name: str, context: Any) -> None:
    assert pdf._split_stylesheet(_html(template_name, context(0))) is not None  # the cached path is taken
    # Several documents, so the later ones are rendered with the fonts and stylesheet of the first.
    for number in range(3):
        assert pdf.render_pdf(template_name, context(number)) == _plain_weasyprint(template_name, context(number))


def test_the_stylesheet_is_parsed_once_per_template() -> None:
    pdf.render_pdf("documents_tests/sample.html", _sample_context(1))
    kept = dict(pdf._render_cache.stylesheets)
    pdf.render_pdf("documents_tests/sample.html", _sample_context(2))
    assert dict(pdf._render_cache.stylesheets) == kept  # same CSS objects, none added
    assert pdf._render_cache.fonts() is pdf._render_cache.fonts()


def test_another_thread_renders_with_its_own_caches() -> None:
    expected = pdf.render_pdf("documents_tests/sample.html", _sample_context(1))
    mine = pdf._render_cache.fonts()
    seen: dict[str, Any] = {}

    def render() -> None:
        seen["pdf"] = pdf.render_pdf("documents_tests/sample.html", _sample_context(1))
        seen["fonts"] = pdf._render_cache.fonts()

    thread = threading.Thread(target=render)
    thread.start()
    thread.join()
    assert seen["pdf"] == expected
    assert seen["fonts"] is not mine


HEAD = '<html><head><meta charset="utf-8"><style>p { color: red }</style><style>h1 { margin: 0 }</style>'


def test_plain_head_styles_are_lifted_out_in_order() -> None:
    html = f"{HEAD}</head><body><p style='color: blue'>x</p></body></html>"
    split = pdf._split_stylesheet(html)
    assert split is not None
    rest, css = split
    assert css == "p { color: red }\nh1 { margin: 0 }"
    assert "<style" not in rest and "<p style='color: blue'>x</p>" in rest and '<meta charset="utf-8">' in rest


@pytest.mark.parametrize(
    "html",
    [
        f'{HEAD}<link rel="stylesheet" href="x.css"></head><body></body></html>',  # another author sheet
        f"{HEAD}</head><body><style>p {{ color: blue }}</style></body></html>",  # a style outside the head
        '<html><head><style media="print">p { color: red }</style></head><body></body></html>',
        "<html><head><style>p { color: red !important }</style></head><body></body></html>",
        "<html><head><style>@import url(x.css);</style></head><body></body></html>",
        "<html><head></head><body><p>no style</p></body></html>",
    ],
)
def test_anything_else_is_rendered_as_it_is(html: str) -> None:
    # Moving the CSS out of the document would change the cascade (or there is nothing to move).
    assert pdf._split_stylesheet(html) is None


def test_the_font_configuration_is_started_afresh_after_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = pdf.render_pdf("documents_tests/sample.html", _sample_context(1))
    before = pdf._render_cache.fonts()
    monkeypatch.setattr(pdf, "_FONTS_MAX_AGE", -1.0)  # every call is "after a while"

    assert pdf.render_pdf("documents_tests/sample.html", _sample_context(1)) == expected
    assert pdf._render_cache.fonts() is not before
