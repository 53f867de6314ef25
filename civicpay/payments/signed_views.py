"""Endpoints of signed-gateway providers (ViettelPay, the national platform, VietinBank).

The notification is a POSTed JSON object answered with JSON ``{"code", "message"}``; the browser's
return is a GET handled like every provider's (``views.provider_return``). Both are thin: the work is
in ``signed_callbacks`` and ``callbacks``.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicpay.payments.providers.base import provider_get
from civicpay.payments.providers.signed_gateway import SignedGatewayProvider
from civicpay.payments.signed_callbacks import signed_notification_receive


def signed_provider(code: str) -> SignedGatewayProvider:
    """The enabled signed-gateway adapter for ``code``; 404 for any other or disabled provider."""
    try:
        provider = provider_get(code)
    except LookupError:
        raise Http404(code) from None
    if not isinstance(provider, SignedGatewayProvider):
        raise Http404(code)
    return provider


@csrf_exempt
@require_POST
@never_cache
def signed_notification(request: HttpRequest, provider_code: str) -> HttpResponse:
    """``POST notify_url``: the gateway's server-to-server notification."""
    return signed_notification_receive(provider=signed_provider(provider_code), request=request)
