"""Django template → PDF bytes through WeasyPrint, with the bundled fonts and no network access.

The URL fetcher allows only ``file:`` (the fonts in ``civicpay/documents/fonts``) and ``data:`` (the QR
code): a template can never make the server fetch a remote URL. Building WeasyPrint's default fetcher also
loads the system's CA bundle on every render (a quarter of the render time for a one-page notice); ours
reuses one empty TLS context, since HTTPS is refused anyway.
"""

from __future__ import annotations

import ssl
from functools import cache
from pathlib import Path
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher

FONTS_DIR = Path(__file__).resolve().parent / "fonts"


@cache
def _unused_tls_context() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols=["file", "data"], ssl_context=_unused_tls_context(), fail_on_errors=True)


def font_url(filename: str) -> str:
    """``file:`` URL of a bundled font (used by documents/print_base.html through {% print_font %})."""
    path = (FONTS_DIR / filename).resolve()
    if path.parent != FONTS_DIR or not path.is_file():
        raise ValueError(f"No bundled font {filename!r}")
    return path.as_uri()


def qr_svg_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG data URI (error correction M, quiet zone of 4 modules)."""
    return str(segno.make(text, error="m").svg_data_uri(scale=1, border=4, dark="#000", light="#fff"))


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render ``template_name`` with ``context`` and return the PDF. Always Vietnamese: official forms."""
    with translation.override("vi"):
        html = render_to_string(template_name, context)
    pdf = HTML(string=html, base_url=str(FONTS_DIR), url_fetcher=_fetcher()).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf
