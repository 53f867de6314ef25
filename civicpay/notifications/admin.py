from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from civicpay.notifications.models import DevMessage, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    """Read-only: the outbox is changed only by the services and the delivery task."""

    list_display = ["created_at", "channel", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status"]
    search_fields = ["to", "subject", "key"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: OutboxMessage | None = None) -> list[str]:
        return [field.name for field in OutboxMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False


@admin.register(DevMessage)
class DevMessageAdmin(admin.ModelAdmin[DevMessage]):
    list_display = ["created_at", "channel", "to", "subject"]
    list_filter = ["channel"]
    search_fields = ["to", "subject", "body", "outbox_key"]
    readonly_fields = ["created_at"]
