"""Django template → PDF bytes through WeasyPrint, with the bundled fonts and no network access.

The URL fetcher allows only ``file:`` (the fonts in ``civicpay/documents/fonts``) and ``data:`` (the QR
code): a template can never make the server fetch a remote URL. Building WeasyPrint's default fetcher also
loads the system's CA bundle on every render (a quarter of the render time for a one-page notice); ours
reuses one empty TLS context, since HTTPS is refused anyway.

Speed (docs/performance.md has the figures): every document of a kind carries the same stylesheet (the
``<style>`` of documents/print_base.html and its ``print_style`` block) and the same three @font-face
fonts. Left to itself WeasyPrint re-parses that stylesheet and loads the fonts into a fresh Fontconfig
configuration for every document, about a third of the render time. Here each thread keeps one
``FontConfiguration`` and the parsed ``CSS`` of the stylesheets it has seen (keyed by their text), and
hands the stylesheet to WeasyPrint as a ``CSS`` object instead of inside the HTML — the way WeasyPrint's
maintainers recommend pre-processing a stylesheet once (Kozea/WeasyPrint#618). The PDF is byte for byte
the one WeasyPrint makes without the caches (civicpay/documents/tests/test_speed_render.py checks it).
"""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

FONTS_DIR = Path(__file__).resolve().parent / "fonts"

# Parsed stylesheets kept per thread: one per distinct stylesheet text, i.e. per document template.
_STYLESHEETS_KEPT = 32
# A thread's font configuration (and the stylesheets parsed against it) is started afresh after this
# long. It reads the @font-face fonts from copies in a temporary directory, which a long-running process
# must not outlive (a /tmp cleaner removing them would make later renders fall back to other fonts);
# a fresh start costs one document about 20 ms more, once an hour.
_FONTS_MAX_AGE = 3600.0
_HEAD = re.compile(r"<head>(.*?)</head>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_ANY_STYLE = re.compile(r"<style\b", re.IGNORECASE)
_LINK = re.compile(r"<link\b", re.IGNORECASE)
_IMPORT_OR_IMPORTANT = re.compile(r"@import|!\s*important", re.IGNORECASE)


@cache
def _unused_tls_context() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols=["file", "data"], ssl_context=_unused_tls_context(), fail_on_errors=True)


class _RenderCache(threading.local):
    """Per thread (a FontConfiguration is Fontconfig and Pango state, not meant to be shared by threads):
    the font configuration and the stylesheets parsed against it."""

    def __init__(self) -> None:
        self.font_config: FontConfiguration | None = None
        self.started = 0.0
        self.stylesheets: OrderedDict[str, CSS] = OrderedDict()

    def fonts(self) -> FontConfiguration:
        now = time.monotonic()
        if self.font_config is None or now - self.started > _FONTS_MAX_AGE:
            self.font_config, self.started = FontConfiguration(), now
            self.stylesheets.clear()  # their @font-face rules went into the previous configuration
        return self.font_config

    def stylesheet(self, text: str, font_config: FontConfiguration) -> CSS:
        """``text`` parsed against ``font_config`` (this thread's current one, from ``fonts()``)."""
        css = self.stylesheets.get(text)
        if css is None:
            css = CSS(string=text, base_url=str(FONTS_DIR), url_fetcher=_fetcher(), font_config=font_config)
            self.stylesheets[text] = css
            if len(self.stylesheets) > _STYLESHEETS_KEPT:
                self.stylesheets.popitem(last=False)
        else:
            self.stylesheets.move_to_end(text)
        return css


_render_cache = _RenderCache()


def _split_stylesheet(html: str) -> tuple[str, str] | None:
    """``(html without its <style> elements, their CSS)`` when the document's only CSS is plain
    ``<style>`` elements in its head: no ``<link>``, no ``<style>`` elsewhere, no ``@import`` or
    ``!important``. Given to WeasyPrint as a user stylesheet, that CSS then cascades exactly as it did
    inside the document: all that is left to compete with it is the user-agent stylesheet (which it
    overrides either way) and ``style`` attributes (which override it either way). Otherwise None: the
    document is rendered as it is."""
    head = _HEAD.search(html)
    if head is None:
        return None
    styles = list(_STYLE.finditer(head.group(1)))
    if not styles or len(styles) != len(_ANY_STYLE.findall(html)) or _LINK.search(html):
        return None
    css = "\n".join(style.group(1) for style in styles)
    if _IMPORT_OR_IMPORTANT.search(css):
        return None
    offset = head.start(1)
    parts, position = [], 0
    for style in styles:
        parts.append(html[position : offset + style.start()])
        position = offset + style.end()
    parts.append(html[position:])
    return "".join(parts), css


def font_url(filename: str) -> str:
    """``file:`` URL of a bundled font (used by documents/print_base.html through {% print_font %})."""
    path = (FONTS_DIR / filename).resolve()
    if path.parent != FONTS_DIR or not path.is_file():
        raise ValueError(f"No bundled font {filename!r}")
    return path.as_uri()


def qr_svg_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG data URI (error correction M, quiet zone of 4 modules)."""
    return str(segno.make(text, error="m").svg_data_uri(scale=1, border=4, dark="#000", light="#fff"))


def html_to_pdf(html: str) -> bytes:
    """``html`` (a rendered print template) as PDF, through this thread's fonts and parsed stylesheets."""
    fonts = _render_cache.fonts()
    split = _split_stylesheet(html)
    stylesheets = []
    if split is not None:
        html, css = split
        stylesheets.append(_render_cache.stylesheet(css, fonts))
    document = HTML(string=html, base_url=str(FONTS_DIR), url_fetcher=_fetcher())
    pdf = document.write_pdf(font_config=fonts, stylesheets=stylesheets)
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render ``template_name`` with ``context`` and return the PDF. Always Vietnamese: official forms."""
    with translation.override("vi"):
        html = render_to_string(template_name, context)
    return html_to_pdf(html)
