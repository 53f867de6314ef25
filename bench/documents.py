"""Benchmark: receipts issued per second — render (WeasyPrint) + sign (pyHanko PAdES) + store.

Run with ``./dev bench documents [--count N] [--workers N]``. It is not a test: it prints timings.

- Uses its own SQLite database and private directory under ``var/bench/`` (recreated on every run), so the
  dev database and files are never touched.
- Prints receipts as the payer's first "In biên lai" does: real ``Receipt`` rows of paid fee notices (as the
  settlement leaves them, numbered in their series) go through ``civicpay.billing.receipts.receipt_pdf``,
  which checks the receipt is printable and issues its document through
  ``civicpay.documents.services.document_issue_once`` — the real layout (``billing/receipt_pdf.html`` on
  ``documents/print_base.html``: bundled font, QR code, lookup code), signed by the agency certificate of
  the platform CA, stored once with its hash and audit row, read back.
- The CA (root, issuing CA, agency certificate: RSA key generation) is created before timing starts, as
  it is once per installation.
- Each process starts as a web or worker process does (``civicpay.core.process``: the garbage-collector
  settings), then issues one document before timing starts (its per-process caches: fonts, stylesheet, the
  signer's key, the stamp font), as a long-running process would have; that first document's time is
  printed too.
- First one process (documents/s, CPU per document, and where the time of those same documents went:
  render, sign, store, the rest), then ``--workers`` processes (default: the machine's cores) whose timed
  loops start together; their throughput is counted from the first start to the last end.
- Afterwards every stored document is read back (hash checked) and its signature validated against the
  platform root, so the figures are for complete documents.
- The load average is printed before and after: other work on the machine slows wall-clock figures down.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DB_PATH = BENCH_DIR / "documents.sqlite3"
PRIVATE = BENCH_DIR / "documents-private"
AGENCY_CODE = "G22.45"
PARTS = ("render", "sign", "store")


def _setup_django() -> None:
    os.environ["CIVICPAY_ENV"] = "embedded"
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    os.environ["PRIVATE_ROOT"] = str(PRIVATE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "civicpay.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


OWNER_KIND = "bench.dossier"  # no owner handler registered: billing's default, the receipt is printable


def _receipt_pks() -> list[int]:
    from civicpay.billing.models import Receipt

    return list(Receipt.objects.order_by("pk").values_list("pk", flat=True))


def _issue(receipt_pk: int) -> Any:
    """Print one receipt as the payer's "In biên lai" does: load it, check it is printable, issue its
    signed PDF (render, sign, store) and read the stored bytes back."""
    from civicpay.billing.models import Receipt
    from civicpay.billing.receipts import receipt_pdf

    receipt = Receipt.objects.select_related("agency", "payment_request").get(pk=receipt_pk)
    return receipt_pdf(receipt)


def prepare(receipts: int) -> None:
    """A fresh database with ``receipts`` paid fee notices of one agency, each with its numbered receipt
    (as the settlement leaves them), none printed yet."""
    shutil.rmtree(PRIVATE, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _setup_django()
    from django.core.management import call_command

    from civicpay.accounts.models import User
    from civicpay.billing.models import PaymentRequest, PaymentRequestStatus, Receipt
    from civicpay.billing.receipts import receipt_series, receipt_template_code
    from civicpay.core import clock
    from civicpay.directory.models import Agency, FeeKind

    call_command("migrate", verbosity=0)
    agency = Agency.objects.create(
        code=AGENCY_CODE,
        name="Sở Tư pháp tỉnh Khánh Hòa",
        province_code=56,
        tax_code="4200123456",
        address="Số 1 Trần Phú, Nha Trang",
    )
    officer = User.objects.create_user(email="bench.officer@civicpay.local", password=None, full_name="Cán bộ")
    now = clock.now()
    requests = PaymentRequest.objects.bulk_create(
        PaymentRequest(
            number=f"TB2611{n:06d}",
            owner_kind=OWNER_KIND,
            owner_id=n,
            owner_reference=f"G22.45-261122-{n:04d}",
            agency=agency,
            payer_name="Trần Thị Bích Ngọc",
            payer_phone="0912345678",
            description="Cấp phiếu lý lịch tư pháp số 1",
            total=1_005_000,
            due_date=clock.local_today(),
            status=PaymentRequestStatus.PAID,
            issued_by=officer,
            issued_at=now,
            paid_at=now,
            payment_reference=f"CP26112{n:08d}",
        )
        for n in range(1, receipts + 1)
    )
    lines = [
        {"kind": FeeKind.FEE, "label": "Phí", "description": "Phí thẩm định hồ sơ", "amount": 1_000_000},
        {"kind": FeeKind.CHARGE, "label": "Lệ phí", "description": "Lệ phí cấp phiếu", "amount": 5_000},
    ]
    series = receipt_series(year=clock.local(now).year)
    Receipt.objects.bulk_create(
        Receipt(
            agency=agency,
            payment_request=request,
            template_code=receipt_template_code(),
            series=series,
            number=n,
            payer_name=request.payer_name,
            owner_reference=request.owner_reference,
            description=request.description,
            amount=request.total,
            lines=lines,
            payment_reference=request.payment_reference,
            payment_provider="vnpay",
            payment_method="VNPay — thẻ ATM nội địa (NCB)",
            provider_transaction_no=f"14{n:06d}",
            paid_at=now,
            issued_at=now,
        )
        for n, request in enumerate(requests, start=1)
    )
    from civicpay.documents import ca

    ca.signer_certificate(AGENCY_CODE)


def _time_parts() -> dict[str, float]:
    """Wrap the three stages that ``document_issue`` calls so the timed loop itself says where its time
    went (seconds, summed): render (template + WeasyPrint), sign (pyHanko), store (file, row, audit)."""
    from civicpay.documents import services, signing

    spent = dict.fromkeys(PARTS, 0.0)

    def timed(part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - started

        return wrapper

    services.render_pdf = timed("render", services.render_pdf)
    signing.sign_pdf = timed("sign", signing.sign_pdf)
    services._store = timed("store", services._store)
    return spent


def child(first: int, count: int) -> None:
    _setup_django()
    from civicpay.core.process import configure_long_running_process

    configure_long_running_process()  # as civicpay/wsgi.py and manage.py civicpay_worker do at start-up
    spent = _time_parts()
    pks = _receipt_pks()[first : first + 1 + count]
    started = time.perf_counter()
    _issue(pks[0])  # this process's first receipt: fills its caches (fonts, stylesheet, signer, stamp font)
    first_ms = 1000 * (time.perf_counter() - started)
    for part in PARTS:
        spent[part] = 0.0
    print("ready", flush=True)
    sys.stdin.readline()  # the parent starts every process's timed loop at the same moment
    started, cpu_started = time.monotonic(), time.process_time()
    for pk in pks[1:]:
        _issue(pk)
    ended, cpu = time.monotonic(), time.process_time() - cpu_started
    result = {"count": count, "started": started, "ended": ended, "cpu": cpu, "first_ms": first_ms, **spent}
    print(json.dumps(result), flush=True)


def _run_children(workers: int, count: int, base: int) -> tuple[float, list[dict[str, Any]]]:
    """Start ``workers`` processes of ``count // workers`` documents each; return the span from the first
    timed loop's start to the last one's end (a monotonic clock shared by the processes) and each result."""
    sys.path.insert(0, str(ROOT))
    from bench.together import run_together

    per = count // workers
    results = run_together(
        [[sys.executable, __file__, "--child", str(base + (per + 1) * i), str(per)] for i in range(workers)]
    )
    span = max(r["ended"] for r in results) - min(r["started"] for r in results)
    return span, results


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _check_stored() -> tuple[int, int, float]:
    """Read every stored document back (hash checked) and validate its signature against our root:
    ``(documents, valid, median size in bytes)``."""
    from civicpay.documents.models import IssuedDocument
    from civicpay.documents.services import document_read
    from civicpay.documents.verification import check_document_upload

    documents = list(IssuedDocument.objects.all())
    valid = sum(check_document_upload(document=d, data=document_read(d)).ok for d in documents)
    return len(documents), valid, statistics.median(d.size for d in documents)


def main() -> None:
    parser = argparse.ArgumentParser(description="Issued documents per second (render + sign + store)")
    parser.add_argument("--count", type=int, default=200, help="documents per measurement (default 200)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="parallel processes (default: cores)")
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1])
        return

    prepare(receipts=2 * (args.count + args.workers + 1))
    print(
        f"documents: receipts (biên lai thu phí, lệ phí) printed for the first time, agency-signed PAdES, {args.count} documents per run, "
        f"{os.cpu_count()} cores; load average {_load()}"
    )
    span, (single,) = _run_children(1, args.count, base=0)
    count = single["count"]
    rate = count / span
    parts = {part: 1000 * single[part] / count for part in PARTS}
    rest = 1000 * span / count - sum(parts.values())
    print(
        f"1 process : {rate:6.1f} documents/s  ({1000 / rate:.1f} ms each: render {parts['render']:.1f}, "
        f"sign {parts['sign']:.1f}, store {parts['store']:.1f}, QR code and look-ups {rest:.1f} ms)"
    )
    cpu_ms = 1000 * single["cpu"] / count
    print(
        f"            {cpu_ms:.1f} ms of CPU each → {1000 / cpu_ms:.1f} documents per CPU-second (less sensitive "
        f"to other load than wall time); first document of the process {single['first_ms']:.0f} ms"
    )
    span, results = _run_children(args.workers, args.count, base=args.count + 1)
    issued = sum(r["count"] for r in results)
    cpu_ms = 1000 * sum(r["cpu"] for r in results) / issued
    print(
        f"{args.workers} processes: {issued / span:6.1f} documents/s  ({issued} documents in {span:.2f} s, "
        f"timed loops started together; {cpu_ms:.1f} ms of CPU each)"
    )
    total, valid, size = _check_stored()
    print(f"stored: {total} documents, {valid} with a valid signature from our root, median size {size / 1024:.1f} KiB")
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
