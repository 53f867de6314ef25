"""A fake SMS brand-name gateway: the other end of ``civicpay.notifications.sms.HttpSmsGateway``.

Accepts ``POST {to, text, sender, idempotency_key}`` with ``Authorization: Bearer <SMS_GATEWAY_TOKEN>``
and files the SMS in the dev mailbox, so ``SMS_BACKEND=http`` can be demonstrated end to end.
A repeated idempotency key returns the first message's id and stores nothing, as a real gateway should.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicpay.notifications.exceptions import FinalDeliveryError
from civicpay.notifications.models import Channel, DevMessage
from civicpay.notifications.sms import normalise_phone


def _authorised(request: HttpRequest) -> bool:
    expected = settings.SMS_GATEWAY_TOKEN
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and secrets.compare_digest(token, expected)


@csrf_exempt
@require_POST
def send(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "unauthorized"}, status=401)
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "invalid JSON"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "a JSON object is required"}, status=400)
    text = str(payload.get("text") or "")
    key = str(payload.get("idempotency_key") or "")
    if not text:
        return JsonResponse({"error": "text is required"}, status=400)
    try:
        to = normalise_phone(str(payload.get("to") or ""))
    except FinalDeliveryError:
        return JsonResponse({"error": "invalid recipient"}, status=400)
    if key:
        existing = DevMessage.objects.filter(channel=Channel.SMS, outbox_key=key).first()
        if existing is not None:
            return JsonResponse({"id": f"sbx-{existing.pk}", "status": "duplicate"})
    stored = DevMessage.objects.create(channel=Channel.SMS, to=to, body=text, outbox_key=key)
    return JsonResponse({"id": f"sbx-{stored.pk}", "status": "accepted"}, status=201)
