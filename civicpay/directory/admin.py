from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicpay.core.money import format_vnd
from civicpay.directory.models import Agency, FeeScheduleLine, Procedure
from civicpay.directory.places import provinces


class ProvinceFilter(admin.SimpleListFilter):
    title = _("tỉnh/thành phố")
    parameter_name = "tinh"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(p.code), p.name) for p in provinces()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Agency]) -> QuerySet[Agency]:
        value = self.value()
        return queryset.filter(province_code=int(value)) if value and value.isdigit() else queryset


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["code", "name", "province_label", "is_active"]
    list_filter = [ProvinceFilter, "is_active"]
    search_fields = ["code", "name", "search_text"]
    autocomplete_fields = ["parent"]

    @admin.display(description=_("tỉnh/thành phố"), ordering="province_code")
    def province_label(self, obj: Agency) -> str:
        return obj.province_name


class FeeScheduleLineInline(admin.TabularInline[FeeScheduleLine, Procedure]):
    model = FeeScheduleLine
    fields = ["position", "kind", "description", "amount", "unit"]
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin[Procedure]):
    list_display = ["code", "name", "agency", "processing_days", "fees", "is_active"]
    list_filter = ["is_active", "agency"]
    search_fields = ["code", "name", "search_text"]
    list_select_related = ["agency"]
    autocomplete_fields = ["agency"]
    inlines = [FeeScheduleLineInline]

    @admin.display(description=_("biểu phí"))
    def fees(self, obj: Procedure) -> str:
        lines = list(obj.fee_lines.all())
        if not lines:
            return str(_("Miễn phí, lệ phí"))
        return "; ".join(
            f"{line.get_kind_display()} {format_vnd(line.amount) if line.amount is not None else _('(cán bộ nhập)')}"
            + (f"/{line.unit}" if line.unit else "")
            for line in lines
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Procedure]:
        return super().get_queryset(request).prefetch_related("fee_lines")
