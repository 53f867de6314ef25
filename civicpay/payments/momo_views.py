"""MoMo's notification endpoint: a POSTed JSON IPN (docs/protocols/momo.md).

Separate from ``views.provider_notification`` because MoMo POSTs a JSON body where VNPay GETs a
query string; the work is the same store-then-apply in ``callbacks.notification_receive``, and the
reply is MoMo's: HTTP 204 with no body once the outcome is stored.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicpay.payments.callbacks import notification_receive
from civicpay.payments.providers.base import provider_get


@csrf_exempt
@require_POST
@never_cache
def momo_notification(request: HttpRequest) -> HttpResponse:
    """``POST /thanh-toan/momo/ipn/``: MoMo's server-to-server result (JSON), answered 204 when stored."""
    try:
        provider = provider_get("momo")
    except LookupError:
        raise Http404("momo") from None
    return notification_receive(provider=provider, request=request)
