from django import template

from civicpay.documents.pdf import font_url

register = template.Library()


@register.simple_tag
def print_font(filename: str) -> str:
    """``{% print_font "NotoSans-Regular.ttf" %}`` → the bundled font's ``file:`` URL for @font-face."""
    return font_url(filename)
