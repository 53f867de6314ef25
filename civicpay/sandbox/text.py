"""Turning a plain-text message into safe HTML for the dev mailbox: links clickable, codes highlighted."""

from __future__ import annotations

import re

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
OTP_RE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_TRAILING_PUNCTUATION = ".,;:!?)]"


def find_links(text: str) -> list[str]:
    """Every http(s) URL in ``text``, without the sentence punctuation that may follow it."""
    return [match.rstrip(_TRAILING_PUNCTUATION) for match in URL_RE.findall(text)]


def find_codes(text: str) -> list[str]:
    """Every stand-alone 6-digit number outside URLs (one-time codes)."""
    return OTP_RE.findall(URL_RE.sub(" ", text))


def _highlight_codes(text: str) -> str:
    escaped = str(escape(text))  # digits survive escaping unchanged, so the pattern still matches
    return OTP_RE.sub(lambda m: f'<strong class="otp">{m.group(0)}</strong>', escaped)


def render_message_text(text: str) -> SafeString:
    """Escape everything, then link http(s) URLs and wrap 6-digit codes in ``<strong class="otp">``."""
    parts: list[str] = []
    position = 0
    for match in URL_RE.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        start, end = match.start(), match.start() + len(url)
        parts.append(_highlight_codes(text[position:start]))
        parts.append(str(format_html('<a href="{}">{}</a>', url, url)))
        position = end
    parts.append(_highlight_codes(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
