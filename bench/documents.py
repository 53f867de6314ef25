"""Benchmark: issued documents per second — render (WeasyPrint) + sign (pyHanko PAdES) + store.

Run with ``./dev bench documents [--count N] [--workers N]``. It is not a test: it prints timings.

- Uses its own SQLite database and private directory under ``var/bench/`` (recreated on every run), so the
  dev database and files are never touched.
- Issues the real fee notice layout (``billing/notice_pdf.html`` on ``documents/print_base.html``: bundled
  font, QR code, lookup code) through ``civicpay.documents.services.document_issue``, signed by an agency
  certificate of the platform CA, each document stored once with its hash and audit row.
- The CA (root, issuing CA, agency certificate: RSA key generation) is created before timing starts, as
  it is once per installation.
- First one process (documents/s and the split render / sign / store), then ``--workers`` processes in
  parallel (default: the machine's cores), as the task worker or several web processes would issue.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DB_PATH = BENCH_DIR / "documents.sqlite3"
PRIVATE = BENCH_DIR / "documents-private"
AGENCY_CODE = "G22.45"


def _setup_django() -> None:
    os.environ["CIVICPAY_ENV"] = "embedded"
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    os.environ["PRIVATE_ROOT"] = str(PRIVATE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "civicpay.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _notice_context(number: int) -> dict[str, Any]:
    from datetime import date

    from civicpay.core import clock
    from civicpay.core.money import format_vnd, vnd_in_words

    agency = SimpleNamespace(
        name="Sở Tư pháp tỉnh Khánh Hòa", address="Số 1 Trần Phú, Nha Trang", tax_code="4200123456"
    )
    notice = SimpleNamespace(
        number=f"TB26112{number:05d}",
        payer_name="Trần Thị Bích Ngọc",
        payer_phone="0912345678",
        owner_reference=f"G22.45-261122-{number:04d}",
        description="Cấp phiếu lý lịch tư pháp số 1",
        due_date=date(2026, 11, 29),
    )
    return {
        "notice": notice,
        "agency": agency,
        "groups": [
            {
                "label": "Phí",
                "lines": [{"number": 1, "description": "Phí thẩm định hồ sơ", "amount": format_vnd(1_000_000)}],
                "subtotal": format_vnd(1_000_000),
            },
            {
                "label": "Lệ phí",
                "lines": [{"number": 2, "description": "Lệ phí cấp phiếu", "amount": format_vnd(5_000)}],
                "subtotal": format_vnd(5_000),
            },
        ],
        "total": format_vnd(1_005_000),
        "total_in_words": vnd_in_words(1_005_000),
        "issued_on": clock.local_today(),
        "printed_at": clock.local(clock.now()),
        "portal_url": "http://127.0.0.1:8000",
        "hotline": "1900 1023",
        "site_name": "CivicPay",
    }


def _issue(number: int) -> Any:
    from civicpay.core import clock
    from civicpay.documents.models import DocumentKind
    from civicpay.documents.services import document_issue
    from civicpay.documents.types import DocumentSummary

    return document_issue(
        kind=DocumentKind.FEE_NOTICE,
        template_name="billing/notice_pdf.html",
        context=_notice_context(number),
        issuer_agency_code=AGENCY_CODE,
        owner_kind="bench.notice",
        owner_id=number,
        summary=DocumentSummary(
            title=f"Thông báo nộp phí, lệ phí số TB26112{number:05d}",
            issuer_name="Sở Tư pháp tỉnh Khánh Hòa",
            document_date=clock.local_today(),
            amount=1_005_000,
            reference=f"TB26112{number:05d}",
        ),
    )


def prepare() -> None:
    shutil.rmtree(PRIVATE, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    _setup_django()
    from django.core.management import call_command

    from civicpay.directory.models import Agency

    call_command("migrate", verbosity=0)
    Agency.objects.create(code=AGENCY_CODE, name="Sở Tư pháp tỉnh Khánh Hòa", province_code=56, tax_code="4200123456")
    from civicpay.documents import ca

    ca.signer_certificate(AGENCY_CODE)


def child(first: int, count: int, split: bool) -> None:
    _setup_django()
    from civicpay.core import clock
    from civicpay.documents import ca, signing
    from civicpay.documents.pdf import render_pdf
    from civicpay.documents.services import _document_context

    _issue(first)  # warm this process up: fonts, templates, the signer's key
    started, cpu_started = time.perf_counter(), time.process_time()
    for number in range(first + 1, first + 1 + count):
        _issue(number)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    result: dict[str, Any] = {"count": count, "elapsed": elapsed, "cpu": cpu}
    if split:
        certificate = ca.signer_certificate(AGENCY_CODE)
        render_times, sign_times = [], []
        for number in range(20):
            context = {
                **_notice_context(number),
                "document": _document_context(lookup_code="ABCD2345EFGH", kind="fee_notice", issuer_name="x"),
            }
            t0 = time.perf_counter()
            pdf = render_pdf("billing/notice_pdf.html", context)
            t1 = time.perf_counter()
            signing.sign_pdf(pdf, certificate=certificate, signed_at=clock.now())
            t2 = time.perf_counter()
            render_times.append(t1 - t0)
            sign_times.append(t2 - t1)
        result["render_ms"] = statistics.median(render_times) * 1000
        result["sign_ms"] = statistics.median(sign_times) * 1000
    print(json.dumps(result))


def _run_children(workers: int, count: int, split: bool, base: int) -> tuple[float, list[dict[str, Any]]]:
    per = count // workers
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", str(base + 100_000 * i), str(per)] + (["--split"] if split else []),
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(workers)
    ]
    results = []
    for process in processes:
        out, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"worker failed with exit code {process.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description="Issued documents per second (render + sign + store)")
    parser.add_argument("--count", type=int, default=200, help="documents per measurement (default 200)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="parallel processes (default: cores)")
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--split", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.split)
        return

    prepare()
    print(f"documents: fee notice layout, agency-signed PAdES, {args.count} documents per run, {os.cpu_count()} cores")
    _, (single,) = _run_children(1, args.count, split=True, base=1_000_000)
    rate = single["count"] / single["elapsed"]
    print(
        f"1 process : {rate:6.1f} documents/s  ({1000 / rate:.1f} ms each; "
        f"render {single['render_ms']:.1f} ms, sign {single['sign_ms']:.1f} ms, store+audit the rest)"
    )
    cpu_ms = 1000 * single["cpu"] / single["count"]
    print(
        f"            {cpu_ms:.1f} ms of CPU each → {1000 / cpu_ms:.1f} documents per CPU-second (less sensitive to other load than wall time)"
    )
    wall, results = _run_children(args.workers, args.count, split=False, base=2_000_000)
    issued = sum(r["count"] for r in results)
    # Throughput over the slowest worker's timed loop (start-up and warm-up excluded).
    slowest = max(r["elapsed"] for r in results)
    print(
        f"{args.workers} processes: {issued / slowest:6.1f} documents/s  ({issued} documents; wall {wall:.1f} s with start-up)"
    )
    from civicpay.documents.models import IssuedDocument

    total = IssuedDocument.objects.count()
    size = statistics.median(IssuedDocument.objects.values_list("size", flat=True))
    print(f"stored: {total} documents, median size {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
