"""Absolute links for messages that leave the site (activation, password reset)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def absolute_url(path: str, request: HttpRequest | None = None) -> str:
    """``path`` as an absolute URL a recipient can open from their mailbox.

    In production the configured ``BASE_URL`` wins: a link built from the request's Host header could be
    poisoned by whoever sends the request. Elsewhere (demo, tests, a live test server on a random port)
    the request knows the real address, and ``ALLOWED_HOSTS`` has already vetted its host.
    """
    if request is not None and not getattr(settings, "PRODUCTION", False):
        return request.build_absolute_uri(path)
    return settings.BASE_URL + path
