"""Platform admin for payments: which intermediaries each agency offers, and read-only views of
payments and raw callbacks for "money did not arrive" investigations (seed 001: search by dossier
code — it is the payment items' reference)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicpay.payments.models import Payment, PaymentItem, ProviderAccount, ProviderCallback


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin[ProviderAccount]):
    list_display = ("agency_code", "provider", "is_enabled", "display_order")
    list_editable = ("is_enabled", "display_order")
    list_filter = ("provider", "is_enabled")
    search_fields = ("agency_code",)


class ReadOnlyAdmin[M: Any](admin.ModelAdmin[M]):
    """Money records change only through services; the admin looks, never edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaymentItemInline(admin.TabularInline[PaymentItem, Payment]):
    model = PaymentItem
    fields = ("reference", "description", "amount", "outcome", "outcome_note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin[Payment]):
    list_display = ("reference", "provider", "status", "amount", "agency_code", "payer_name", "created_at")
    list_filter = ("provider", "status", "needs_reconciliation", "agency_code")
    search_fields = ("reference", "provider_transaction_no", "items__reference", "payer_name", "payer_phone")
    inlines = (PaymentItemInline,)
    date_hierarchy = "created_at"


@admin.register(ProviderCallback)
class ProviderCallbackAdmin(ReadOnlyAdmin[ProviderCallback]):
    list_display = ("received_at", "provider", "kind", "outcome", "reply_code", "times_received", "payment")
    list_filter = ("provider", "kind", "outcome")
    search_fields = ("payment__reference", "payment__items__reference", "dedupe_key")
