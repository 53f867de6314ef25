from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from civicpay.sandbox.text import render_message_text

register = template.Library()


@register.filter(name="message_text")
def message_text(value: str) -> SafeString:
    """Plain message text as safe HTML with clickable links and highlighted one-time codes."""
    return render_message_text(str(value or ""))
