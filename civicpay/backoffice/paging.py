"""Keyset ("seek") pagination for the dossier queue.

An agency can hold hundreds of thousands of dossiers. ``OFFSET 250000`` makes the database walk and discard
every skipped row, and an exact ``COUNT(*)`` over a filtered million-row table costs as much as the page itself.
So the queue pages by the last row seen — ``(submitted_at, id) < (cursor)`` — which the
``(agency, submitted_at)`` index answers directly at any depth, and it counts only up to ``COUNT_CAP``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import Q

PAGE_SIZE = 25
COUNT_CAP = 1000


@dataclass(frozen=True)
class Cursor:
    submitted_at: datetime
    pk: int

    def encode(self) -> str:
        return f"{self.submitted_at.isoformat()}~{self.pk}"

    @classmethod
    def decode(cls, raw: str) -> Cursor | None:
        """``None`` for anything that is not a cursor we made: a bad link shows the first page, not an error."""
        stamp, sep, pk = raw.rpartition("~")
        if not sep or not pk.isdigit():
            return None
        try:
            submitted_at = datetime.fromisoformat(stamp)
        except ValueError:
            return None
        if submitted_at.tzinfo is None:
            return None
        return cls(submitted_at=submitted_at, pk=int(pk))


@dataclass(frozen=True)
class KeysetPage[M: models.Model]:
    rows: list[M]
    next_cursor: str | None
    previous_cursor: str | None
    count: int
    count_capped: bool

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def _cursor_of(row: models.Model) -> str:
    return Cursor(submitted_at=row.submitted_at, pk=row.pk).encode()  # type: ignore[attr-defined]


def capped_count[M: models.Model](queryset: models.QuerySet[M], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """``(n, capped)``: the number of rows, counting no further than ``cap`` (``capped`` = there are more)."""
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def keyset_page[M: models.Model](queryset: models.QuerySet[M], *, after: str = "", before: str = "") -> KeysetPage[M]:
    """One page of ``queryset`` newest first, after (older than) or before (newer than) a cursor."""
    newest_first = queryset.order_by("-submitted_at", "-pk")
    after_cursor = Cursor.decode(after) if after else None
    before_cursor = Cursor.decode(before) if before and not after_cursor else None
    count, capped = capped_count(queryset)

    if before_cursor is not None:
        at, pk = before_cursor.submitted_at, before_cursor.pk
        newer = Q(submitted_at__gte=at) & (Q(submitted_at__gt=at) | Q(pk__gt=pk))
        chunk = list(queryset.filter(newer).order_by("submitted_at", "pk")[: PAGE_SIZE + 1])
        has_newer = len(chunk) > PAGE_SIZE
        rows = list(reversed(chunk[:PAGE_SIZE]))
        return KeysetPage(
            rows=rows,
            next_cursor=_cursor_of(rows[-1]) if rows else None,
            previous_cursor=_cursor_of(rows[0]) if rows and has_newer else None,
            count=count,
            count_capped=capped,
        )

    if after_cursor is not None:
        at, pk = after_cursor.submitted_at, after_cursor.pk
        # (submitted_at, pk) < (at, pk), spelt with a plain range first so the index can seek to it.
        older = Q(submitted_at__lte=at) & (Q(submitted_at__lt=at) | Q(pk__lt=pk))
        newest_first = newest_first.filter(older)
    chunk = list(newest_first[: PAGE_SIZE + 1])
    rows = chunk[:PAGE_SIZE]
    return KeysetPage(
        rows=rows,
        next_cursor=_cursor_of(rows[-1]) if len(chunk) > PAGE_SIZE else None,
        previous_cursor=_cursor_of(rows[0]) if rows and after_cursor is not None else None,
        count=count,
        count_capped=capped,
    )
