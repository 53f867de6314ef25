"""Server-to-server notifications from the sandbox gateways: sent from the worker, retried like a gateway.

Never from the payer's browser request: the embedded server may have a single worker thread, and a
request that calls its own server and waits would deadlock on itself. A gateway only writes the row to
deliver and enqueues its ``@task`` (queue ``sandbox``) in the same transaction; the worker
(``civicpay.core.worker``) runs the task, which calls :meth:`Delivery.send`.

One attempt = *claim* (lock the row, count the attempt; skip a row that is no longer pending or not due
yet) → *send* over HTTP (httpx) outside any transaction → *record* it (delivered; or retried with
exponential backoff by re-enqueueing the task with ``run_after``; or given up after ``max_attempts``).

What differs between gateways is given to :class:`Delivery`: the row model, how to build the request
(:class:`Request`), how to read "accepted" from the reply (:func:`json_code` or a gateway's own
:data:`Reader`), where to record the attempt, the settings and the log line. The row model has
``status`` (``pending`` / ``delivered`` / ``gave_up``, the values every sandbox status enum shares),
``attempts``, ``next_attempt_at`` and ``delivered_at``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

import httpx
from django.db import models, transaction
from django.tasks import Task

from civicpay.core import clock

BODY_LIMIT = 2000
ACCEPTED_CODES: frozenset[str] = frozenset({"00", "02"})
PENDING, DELIVERED, GAVE_UP = "pending", "delivered", "gave_up"


@dataclass(frozen=True)
class Request:
    """One HTTP request of a notification: GET ``url`` (the data in its query) or POST ``json`` to it."""

    url: str
    timeout: float
    user_agent: str
    method: Literal["GET", "POST"] = "POST"
    json: Any = None


class Verdict(NamedTuple):
    """What a gateway reads from the merchant's reply: its code (if the protocol has one), why it is not
    accepted (empty when it is, or when the protocol says nothing more), and whether it is accepted."""

    code: str
    error: str
    accepted: bool


Reader = Callable[[httpx.Response], Verdict]


@dataclass(frozen=True)
class Attempt:
    """One attempt as it is recorded: the attempt row fields every gateway keeps (``fields()``) and the
    reply code, which gateways store under their own name (if at all)."""

    number: int
    started_at: datetime
    duration_ms: int
    http_status: int | None
    code: str
    body: str
    error: str
    accepted: bool

    def fields(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "http_status": self.http_status,
            "response_body": self.body,
            "error": self.error,
        }


def reply_field(response: httpx.Response, key: str) -> str:
    """``key`` of a JSON object reply, as text; empty when the reply is not a JSON object or lacks it."""
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get(key, "")) if isinstance(data, dict) else ""


def json_code(key: str, *, missing: str = "", accepted: Collection[str] = ACCEPTED_CODES) -> Reader:
    """A reply accepted on HTTP 2xx with ``{key: <one of accepted>}``; ``missing`` is the error recorded
    for a 2xx reply without the code (none when empty)."""

    def read(response: httpx.Response) -> Verdict:
        code = reply_field(response, key)
        error = ""
        if not response.is_success:
            error = f"HTTP {response.status_code}"
        elif not code:
            error = missing
        return Verdict(code, error, response.is_success and code in accepted)

    return read


def _attempts(row: Any) -> int:
    return int(row.attempts)


@dataclass(frozen=True)
class Delivery[Row: models.Model]:
    """One kind of retried notification of one gateway.

    ``task`` is the gateway's ``@task`` (taking the row id) that calls :meth:`send`; ``request`` builds the
    request from the claimed row (an exception in ``errors`` raised there or by httpx is recorded as the
    attempt's error and retried); ``read`` decides whether the reply is accepted; ``record`` stores the
    attempt (called in the recording transaction, after the row's new status is saved); ``log`` is an
    info line for an attempt not accepted, %-formatted with ``id``, ``number``, ``code`` and ``error``.
    """

    model: type[Row]
    task: Task[[int], str]
    request: Callable[[Row], Request]
    read: Reader
    record: Callable[[Row, Attempt], None]
    max_attempts: Callable[[], int]
    retry_base_seconds: Callable[[], float]
    logger: logging.Logger
    log: str
    select_related: tuple[str, ...] = ()
    number: Callable[[Row], int] = field(default=_attempts)
    errors: tuple[type[Exception], ...] = (httpx.HTTPError,)
    error_limit: int = BODY_LIMIT

    def backoff_delay(self, attempts: int) -> timedelta:
        """Wait after ``attempts`` failed tries: base, 2×base, 4×base, 8×base (10 s … 80 s by default)."""
        return timedelta(seconds=self.retry_base_seconds() * 2 ** max(attempts - 1, 0))

    def enqueue(self, row_id: int, *, run_after: datetime | None = None) -> None:
        """Queue the task inside the caller's transaction: with the database task backend the task row
        commits (or rolls back) together with the row it sends."""
        delivery = self.task if run_after is None else self.task.using(run_after=run_after)
        delivery.enqueue(row_id)

    def send(self, row_id: int) -> str:
        """One attempt; returns ``delivered``, ``pending`` (will retry), ``gave_up`` or ``skipped``."""
        claimed = self._claim(row_id)
        if claimed is None:
            return "skipped"
        row, number = claimed
        started_at, started = clock.now(), time.monotonic()
        http_status: int | None = None
        body = code = error = ""
        accepted = False
        try:
            request = self.request(row)
            response = httpx.request(
                request.method,
                request.url,
                json=request.json,
                timeout=request.timeout,
                headers={"User-Agent": request.user_agent},
            )
            http_status, body = response.status_code, response.text[:BODY_LIMIT]
            code, error, accepted = self.read(response)
        except self.errors as exc:
            error = f"{type(exc).__name__}: {exc}"[: self.error_limit]
        if not accepted:
            self.logger.info(self.log, {"id": row_id, "number": number, "code": code, "error": error})
        attempt = Attempt(
            number=number,
            started_at=started_at,
            duration_ms=int((time.monotonic() - started) * 1000),
            http_status=http_status,
            code=code,
            body=body,
            error=error,
            accepted=accepted,
        )
        return self._record(row_id, attempt)

    def _claim(self, row_id: int) -> tuple[Row, int] | None:
        """Count the attempt of a due, pending row; ``None`` when there is nothing to send now."""
        with transaction.atomic():
            rows = self.model._default_manager.select_for_update()
            if self.select_related:
                rows = rows.select_related(*self.select_related)
            row: Any = rows.filter(pk=row_id).first()
            if row is None or row.status != PENDING:
                return None
            if row.next_attempt_at is not None and row.next_attempt_at > clock.now():
                return None  # an early duplicate task; the one scheduled for next_attempt_at will send it
            row.attempts += 1
            row.save(update_fields=["attempts"])
            return row, self.number(row)

    def _record(self, row_id: int, attempt: Attempt) -> str:
        with transaction.atomic():
            row: Any = self.model._default_manager.select_for_update().get(pk=row_id)
            now = clock.now()
            if attempt.accepted:
                row.status, row.delivered_at, row.next_attempt_at = DELIVERED, now, None
            elif row.attempts >= self.max_attempts():
                row.status, row.next_attempt_at = GAVE_UP, None
            else:
                row.next_attempt_at = now + self.backoff_delay(row.attempts)
                self.enqueue(row.pk, run_after=row.next_attempt_at)
            row.save(update_fields=["status", "delivered_at", "next_attempt_at"])
            self.record(row, attempt)
        return str(row.status)
