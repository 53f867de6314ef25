"""A small per-client rate limiter on the Django cache, for public pages that must not be scraped.

Fixed windows: each client gets ``limit`` requests per ``period_seconds`` window for a ``scope``. The
counter lives in the default cache, so every web process shares it when the cache is shared (the
database cache in the embedded profile, Redis or the database at scale). A fixed window lets a client
burst up to twice the limit across a window edge; for a lookup page that only needs to stop
enumeration of dossier codes that is an acceptable price for one cache round trip per request.

Behind reverse proxies set ``CIVICPAY_TRUSTED_PROXIES`` (an int setting, default 0) to the number of
proxies that append to ``X-Forwarded-For``; otherwise the header is ignored, because a client can
write anything into it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the entry our trusted proxies added to X-Forwarded-For."""
    trusted = int(getattr(settings, "CIVICPAY_TRUSTED_PROXIES", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= trusted:
            return hops[-trusted]
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def rate_limit(request: HttpRequest, *, scope: str, limit: int, period_seconds: int) -> bool:
    """Count this request and return ``True`` when the client is OVER the limit (refuse it).

    ``if rate_limit(request, scope="lookup", limit=20, period_seconds=60): return <429 page>``.
    """
    window = int(time.time() // period_seconds)
    key = f"ratelimit:{scope}:{client_ip(request)}:{window}"
    # add() is a no-op when the key exists, so concurrent first requests do not reset each other.
    cache.add(key, 0, timeout=period_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr(): this request opens a fresh window
        cache.set(key, 1, timeout=period_seconds + 1)
        count = 1
    return count > limit
