"""The dev mailbox: every e-mail and SMS the dev transports caught, for people and for tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from civicpay.notifications.models import Channel, DevMessage
from civicpay.notifications.selectors import dev_messages_list
from civicpay.sandbox.text import find_codes, find_links

PAGE_SIZE = 200


def _filtered(request: HttpRequest) -> tuple[str, str, list[DevMessage]]:
    to = request.GET.get("to", "").strip()
    channel = request.GET.get("channel", "").strip()
    messages = dev_messages_list(to=to)
    if channel in {Channel.EMAIL, Channel.SMS}:
        messages = messages.filter(channel=channel)
    else:
        channel = ""
    return to, channel, list(messages[:PAGE_SIZE])


@require_GET
def mailbox(request: HttpRequest) -> HttpResponse:
    to, channel, messages = _filtered(request)
    return render(
        request,
        "sandbox/mailbox.html",
        {"messages_list": messages, "to": to, "channel": channel, "page_size": PAGE_SIZE},
    )


@require_GET
def latest_json(request: HttpRequest) -> JsonResponse:
    """The newest message (for ``?to=``, optionally ``?channel=``), with its links and 6-digit codes."""
    _to, _channel, messages = _filtered(request)
    if not messages:
        return JsonResponse({"message": None}, status=404)
    message = messages[0]
    return JsonResponse(
        {
            "message": {
                "id": message.pk,
                "channel": message.channel,
                "to": message.to,
                "subject": message.subject,
                "body": message.body,
                "html": message.html,
                "outbox_key": message.outbox_key,
                "created_at": message.created_at.isoformat(),
                "links": find_links(message.body),
                "codes": find_codes(message.body),
            }
        }
    )
