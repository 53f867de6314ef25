"""The bank's incoming-transfer notification endpoint (VietQR). Thin: the work is in ``transfers``."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicpay.payments.providers.base import enabled_provider_codes
from civicpay.payments.providers.vietqr_transfer import CODE
from civicpay.payments.transfers import transfer_notification_receive


@csrf_exempt
@require_POST
@never_cache
def bank_notification(request: HttpRequest) -> HttpResponse:
    """POST JSON from the receiving bank, signed (docs/protocols/vietqr.md); replies ``{"code", "message"}``."""
    if CODE not in enabled_provider_codes():
        raise Http404(CODE)
    return transfer_notification_receive(request=request)
