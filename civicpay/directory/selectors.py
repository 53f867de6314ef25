"""Reads of the directory: agencies, procedures and their fee schedules.

Search is case- and diacritics-insensitive without database extensions: each row keeps a folded copy of
its searchable text (``search_text``) and the query is folded the same way, so SQLite and PostgreSQL
behave identically. Every word of the query must appear.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from civicpay.directory.models import Agency, FeeScheduleLine, Procedure
from civicpay.directory.text import fold


def _all_words(field: str, query: str) -> Q:
    condition = Q()
    for word in fold(query).split():
        condition &= Q(**{f"{field}__contains": word})
    return condition


def agency_list(*, province_code: int | None = None, q: str | None = None) -> QuerySet[Agency]:
    """Active agencies, optionally in one province and/or matching ``q`` (code, name, address or province —
    including the province's pre-2025 names: "Quảng Nam" finds agencies of today's Đà Nẵng)."""
    agencies = Agency.objects.filter(is_active=True)
    if province_code is not None:
        agencies = agencies.filter(province_code=province_code)
    if q:
        agencies = agencies.filter(_all_words("search_text", q))
    return agencies.order_by("province_code", "name")


def agency_get_by_code(code: str) -> Agency | None:
    """The active agency with this code (codes are matched case-insensitively), or ``None``."""
    return Agency.objects.filter(is_active=True, code__iexact=code.strip()).first()


def procedure_search(*, q: str, agency: Agency | None = None) -> QuerySet[Procedure]:
    """Active procedures whose code or name contains every word of ``q``, whatever the case and diacritics.

    An exact code match comes first, then procedures in name order. An empty query lists everything.
    """
    procedures = Procedure.objects.filter(is_active=True, agency__is_active=True).select_related("agency")
    if agency is not None:
        procedures = procedures.filter(agency=agency)
    query = q.strip()
    if query:
        procedures = procedures.filter(_all_words("search_text", query)).annotate(
            code_rank=Case(When(code__iexact=query, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        return procedures.order_by("code_rank", "name", "agency__name")
    return procedures.order_by("name", "agency__name")


def procedure_list_for_agency(*, agency: Agency) -> QuerySet[Procedure]:
    """The agency's active procedures, by code — what a reception officer picks from."""
    return Procedure.objects.filter(agency=agency, is_active=True).order_by("code")


def procedure_get(*, agency: Agency, code: str) -> Procedure | None:
    """The agency's active procedure with this code, or ``None``."""
    return Procedure.objects.filter(agency=agency, code=code.strip(), is_active=True).first()


def procedure_fee_lines(procedure: Procedure) -> QuerySet[FeeScheduleLine]:
    """The procedure's fee schedule in printing order. ``amount is None`` means the officer sets it."""
    return FeeScheduleLine.objects.filter(procedure=procedure).order_by("position", "id")


def fee_lines_known_total(lines: QuerySet[FeeScheduleLine] | list[FeeScheduleLine]) -> int:
    """Sum of the amounts already fixed by the schedule (integer VND); officer-set lines count as 0."""
    return sum(line.amount or 0 for line in lines)
