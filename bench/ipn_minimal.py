"""The yardstick for ``bench/ipn.py``: the least a correct VNPay IPN handler can do, written by hand.

A tiny WSGI app, no Django: verify ``vnp_SecureHash`` (HMAC-SHA512 over the PHP-``urlencode``d,
sorted ``vnp_*`` fields, as VNPay does), lock the payment row by ``vnp_TxnRef``
(``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), check the amount, move it to
``success``, insert one callback row, commit, and answer VNPay's JSON — in VNPay's check order
(97 → 01 → 04 → 02 → 00). No audit trail, no ledger, no payable, no outbox: what is left when all of
that is taken away is what our full path is compared with.

Configuration comes from the environment, set by ``bench/ipn.py``:

- ``BENCH_IPN_DATABASE``: ``postgres://…`` or a SQLite file path;
- ``BENCH_IPN_SECRET``: the merchant hash secret.

Tables (created by ``bench/ipn.py``): ``ipnmin_payment(id, txn_ref unique, amount, status,
transaction_no, paid_at)`` and ``ipnmin_callback(id, payment_id, raw, received_at)``. One database
connection per server thread, kept open, as a hand-written service would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote_plus

SCHEMA_SQLITE = [
    """CREATE TABLE IF NOT EXISTS ipnmin_payment (
        id INTEGER PRIMARY KEY, txn_ref VARCHAR(32) NOT NULL UNIQUE, amount BIGINT NOT NULL,
        status VARCHAR(20) NOT NULL, transaction_no VARCHAR(64) NOT NULL DEFAULT '', paid_at TEXT)""",
    """CREATE TABLE IF NOT EXISTS ipnmin_callback (
        id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL REFERENCES ipnmin_payment (id),
        raw TEXT NOT NULL, received_at TEXT NOT NULL)""",
]
SCHEMA_POSTGRES = [
    """CREATE TABLE IF NOT EXISTS ipnmin_payment (
        id BIGSERIAL PRIMARY KEY, txn_ref VARCHAR(32) NOT NULL UNIQUE, amount BIGINT NOT NULL,
        status VARCHAR(20) NOT NULL, transaction_no VARCHAR(64) NOT NULL DEFAULT '', paid_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ipnmin_callback (
        id BIGSERIAL PRIMARY KEY, payment_id BIGINT NOT NULL REFERENCES ipnmin_payment (id),
        raw JSONB NOT NULL, received_at TIMESTAMPTZ NOT NULL)""",
]

REPLIES = {
    "00": "Confirm Success",
    "01": "Order not found",
    "02": "Order already confirmed",
    "04": "invalid amount",
    "97": "Invalid signature",
    "99": "Unknow error",
}

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def vnpay_signature(params: dict[str, str], secret: str) -> str:
    """HMAC-SHA512 of the non-empty ``vnp_*`` fields (hash fields excluded), sorted, PHP-urlencoded."""
    pairs = sorted((k, v) for k, v in params.items() if k.startswith("vnp_") and k not in _HASH_FIELDS and v != "")
    data = "&".join(f"{_php(k)}={_php(v)}" for k, v in pairs)
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


_HASH_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")


def _php(text: str) -> str:
    return quote_plus(text, safe="").replace("~", "%7E")


class Store:
    """One connection per thread; ``confirm`` is the whole locked read-check-write-insert."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.postgres = target.startswith(("postgres://", "postgresql://"))
        self.local = threading.local()

    def connection(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            if self.postgres:
                import psycopg

                conn = psycopg.connect(self.target)
            else:
                conn = sqlite3.connect(self.target, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
            self.local.conn = conn
        return conn

    def confirm(self, *, txn_ref: str, amount: int, transaction_no: str, raw: dict[str, str]) -> str:
        """VNPay's reply code after applying the IPN: 01 unknown, 04 amount, 02 done before, 00 applied."""
        conn = self.connection()
        now = datetime.now(UTC)
        raw_json = json.dumps(raw)
        if self.postgres:
            with conn.transaction():
                row = conn.execute(
                    "SELECT id, amount, status FROM ipnmin_payment WHERE txn_ref = %s FOR UPDATE", [txn_ref]
                ).fetchone()
                code = _decide(row, amount)
                if code == "00":
                    conn.execute(
                        "UPDATE ipnmin_payment SET status = 'success', transaction_no = %s, paid_at = %s WHERE id = %s",
                        [transaction_no, now, row[0]],
                    )
                    conn.execute(
                        "INSERT INTO ipnmin_callback (payment_id, raw, received_at) VALUES (%s, %s, %s)",
                        [row[0], raw_json, now],
                    )
            return code
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT id, amount, status FROM ipnmin_payment WHERE txn_ref = ?", [txn_ref]).fetchone()
            code = _decide(row, amount)
            if code == "00":
                conn.execute(
                    "UPDATE ipnmin_payment SET status = 'success', transaction_no = ?, paid_at = ? WHERE id = ?",
                    [transaction_no, now.isoformat(), row[0]],
                )
                conn.execute(
                    "INSERT INTO ipnmin_callback (payment_id, raw, received_at) VALUES (?, ?, ?)",
                    [row[0], raw_json, now.isoformat()],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return code


def _decide(row: tuple[int, int, str] | None, amount: int) -> str:
    if row is None:
        return "01"
    if row[1] != amount:
        return "04"
    if row[2] != "started":
        return "02"
    return "00"


def reply_code(params: dict[str, str], *, store: Store, secret: str) -> str:
    """VNPay's reply code for the IPN ``params``, after applying it: signature, then the locked update."""
    try:
        given = params.get("vnp_SecureHash", "").lower()
        if not hmac.compare_digest(vnpay_signature(params, secret), given):
            return "97"
        amount, fraction = divmod(int(params["vnp_Amount"]), 100)  # VNPay sends VND × 100
        if fraction:
            raise ValueError("vnp_Amount is not a whole number of VND × 100")
        return store.confirm(
            txn_ref=params["vnp_TxnRef"],
            amount=amount,
            transaction_no=params.get("vnp_TransactionNo", ""),
            raw=params,
        )
    except (KeyError, ValueError):
        return "99"


def reply_body(code: str) -> bytes:
    return json.dumps({"RspCode": code, "Message": REPLIES[code]}).encode()


def make_app(*, target: str, secret: str) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    store = Store(target)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        body = reply_body(reply_code(params, store=store, secret=secret))
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The gunicorn entry point (``bench.ipn_minimal:application``), configured from the environment
    on the first request (so that ``bench/ipn.py`` can import this module for the schema)."""
    with _app_lock:
        if not _app:
            _app.append(make_app(target=os.environ["BENCH_IPN_DATABASE"], secret=os.environ["BENCH_IPN_SECRET"]))
    return _app[0](environ, start_response)


_app: list[Callable[[dict[str, Any], StartResponse], Iterable[bytes]]] = []
_app_lock = threading.Lock()
