"""The settings profiles, each loaded in a fresh interpreter exactly as ``manage.py`` or gunicorn would.

Settings are read once per process, so every case runs ``django.setup()`` in a subprocess with a controlled
environment. Variables a developer's ``.env`` might provide are set to empty values (which settings treat as
unset), so a local ``.env`` cannot make these tests pass or fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from civicpay import settings as civicpay_settings

BASE_DIR = Path(civicpay_settings.BASE_DIR)

SETUP = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'civicpay.settings'; django.setup()\n"
REPORT = """
import json
from django.conf import settings
from django.urls import Resolver404, resolve
try:
    resolve('/sandbox/mailbox/')
    sandbox_mounted = True
except Resolver404:
    sandbox_mounted = False
print(json.dumps({
    'SANDBOX_ENABLED': settings.SANDBOX_ENABLED,
    'sandbox_installed': 'civicpay.sandbox' in settings.INSTALLED_APPS,
    'sandbox_mounted': sandbox_mounted,
    'DEBUG': settings.DEBUG,
    'SESSION_COOKIE_SECURE': settings.SESSION_COOKIE_SECURE,
    'CSRF_COOKIE_SECURE': settings.CSRF_COOKIE_SECURE,
    'SECURE_SSL_REDIRECT': settings.SECURE_SSL_REDIRECT,
    'ENGINE': settings.DATABASES['default']['ENGINE'],
    'MAILER': settings.MAILERS['default']['BACKEND'],
}))
"""

SECURE_KEY = "k7Jp2vQx9Lm4Rt8Wz1Yb6Nc3Hd5Fg0Sa-production-only-Ue7Io2Pq"  # 58 characters, not the demo key
SECURE_ENV = {
    "SECRET_KEY": SECURE_KEY,
    "ALLOWED_HOSTS": "thanhtoan.example.gov.vn",
    "DATABASE_URL": "postgres://civicpay:secret@db.internal:5432/civicpay",
    "EMAIL_URL": "smtp://mailer:secret@smtp.example.gov.vn:587",
    # The default payment provider (PAYMENT_PROVIDERS=vnpay) needs real merchant credentials in production.
    "VNPAY_TMN_CODE": "TINHKH01",
    "VNPAY_HASH_SECRET": "a-merchant-hash-secret-from-vnpay-0123456789",
    "VNPAY_PAYMENT_URL": "https://pay.vnpay.example/paymentv2/vpcpay.html",
    "VNPAY_API_URL": "https://pay.vnpay.example/merchant_webapi/api/transaction",
    # ViettelPay and the national platform (signed gateway protocol) are in the default providers too.
    "VIETTELPAY_MERCHANT_ID": "TINHKH-VTP",
    "VIETTELPAY_SECRET": "a-merchant-secret-from-viettelpay-0123456789",
    "VIETTELPAY_GATEWAY_URL": "https://gateway.viettelpay.example",
    "NATIONAL_MERCHANT_ID": "TINHKH-DVCQG",
    "NATIONAL_SECRET": "a-merchant-secret-from-the-national-platform-0123",
    "NATIONAL_GATEWAY_URL": "https://payment.dichvucong.example",
    # VietinBank (signed gateway protocol, card/debit/branch) is in the default providers too.
    "VIETINBANK_MERCHANT_ID": "TINHKH-VTB",
    "VIETINBANK_SECRET": "a-merchant-secret-from-vietinbank-0123456789",
    "VIETINBANK_GATEWAY_URL": "https://gateway.vietinbank.example",
    # MoMo (v2 captureWallet) is in the default providers too.
    "MOMO_PARTNER_CODE": "MOMOTINHKH01",
    "MOMO_ACCESS_KEY": "an-access-key-from-momo",
    "MOMO_SECRET_KEY": "a-secret-key-from-momo-0123456789abcdef",
    "MOMO_ENDPOINT": "https://payment.momo.vn",
    # VietQR bank transfer is in the default providers too: the receiving account and the bank's secret.
    "VIETQR_BANK_BIN": "970415",
    "VIETQR_ACCOUNT_NO": "113000006100",
    "VIETQR_NOTIFY_SECRET": "a-notification-secret-from-the-bank-0123456789",
    # Encrypts the document-signing keys at rest (civicpay/documents/keystore.py).
    "DOCUMENTS_KEY_ENCRYPTION_KEY": "Qm9Zq3v8Rt1Wx6Yb2Nc7Hd4Fg9Sa0Le5-documents-kek",
}


def run_settings(
    tmp_path: Path, profile: str, code: str = "", *, prelude: str = "", **overrides: str | None
) -> subprocess.CompletedProcess[str]:
    """Load settings for ``profile``; an override of ``None`` removes the variable from the environment."""
    env: dict[str, str | None] = {
        "PATH": os.environ.get("PATH", ""),
        "CIVICPAY_ENV": profile,
        "CIVICPAY_VAR_DIR": str(tmp_path / "var"),
        # Shadow a developer's .env (read with overwrite=False): empty means "not set" to our settings.
        "SECRET_KEY": "",
        "ALLOWED_HOSTS": "",
        "DATABASE_URL": "",
        "EMAIL_URL": "",
        "DEBUG": "",
        "SANDBOX_ENABLED": "",
        "DOCUMENTS_KEY_ENCRYPTION_KEY": "",
    }
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", prelude + SETUP + code],
        cwd=BASE_DIR,
        env={key: value for key, value in env.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_without_configuration_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    result = run_settings(tmp_path, "production")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
        assert name in result.stderr


def test_production_with_a_secure_configuration_starts_with_the_sandbox_off(tmp_path: Path) -> None:
    result = run_settings(tmp_path, "production", REPORT, **SECURE_ENV, SANDBOX_ENABLED="true")

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {
        "SANDBOX_ENABLED": False,
        "sandbox_installed": False,
        "sandbox_mounted": False,
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "ENGINE": "django.db.backends.postgresql",
        "MAILER": "django.core.mail.backends.smtp.EmailBackend",
    }


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (civicpay_settings._DEMO_SECRET, "the embedded demo key"),
        ("too-short-but-not-empty-0123456789", "a key under 50 characters"),
    ],
)
def test_production_refuses_a_demo_or_weak_secret_key(tmp_path: Path, key: str, why: str) -> None:
    result = run_settings(tmp_path, "production", **{**SECURE_ENV, "SECRET_KEY": key})

    assert result.returncode != 0, f"production started with {why}"
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug(tmp_path: Path) -> None:
    result = run_settings(tmp_path, "production", **SECURE_ENV, DEBUG="true")

    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_refuses_sqlite(tmp_path: Path) -> None:
    result = run_settings(tmp_path, "production", **{**SECURE_ENV, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_refuses_to_start_without_the_payment_provider_credentials(tmp_path: Path) -> None:
    result = run_settings(tmp_path, "production", **{**SECURE_ENV, "VNPAY_HASH_SECRET": ""})

    assert result.returncode != 0
    assert "VNPAY_HASH_SECRET" in result.stderr


def test_production_needs_momo_credentials_only_when_momo_is_enabled(tmp_path: Path) -> None:
    without_secret = {**SECURE_ENV, "MOMO_SECRET_KEY": ""}
    result = run_settings(tmp_path, "production", **without_secret)
    assert result.returncode != 0 and "MOMO_SECRET_KEY" in result.stderr

    only_vnpay = {**without_secret, "MOMO_PARTNER_CODE": "", "MOMO_ACCESS_KEY": "", "PAYMENT_PROVIDERS": "vnpay"}
    assert run_settings(tmp_path, "production", **only_vnpay).returncode == 0


@pytest.mark.parametrize("prefix", ["VIETTELPAY", "NATIONAL"])
def test_production_needs_signed_gateway_credentials_only_when_enabled(tmp_path: Path, prefix: str) -> None:
    without = {**SECURE_ENV, f"{prefix}_SECRET": "", f"{prefix}_GATEWAY_URL": ""}
    result = run_settings(tmp_path, "production", **{**without, "PAYMENT_PROVIDERS": prefix.lower()})
    assert result.returncode != 0
    assert f"{prefix}_SECRET" in result.stderr and f"{prefix}_GATEWAY_URL" in result.stderr

    assert run_settings(tmp_path, "production", **{**without, "PAYMENT_PROVIDERS": "vnpay"}).returncode == 0


@pytest.mark.parametrize(
    ("value", "why"),
    [("", "no key"), ("short-key", "a key under 32 characters"), (SECURE_KEY, "the SECRET_KEY reused")],
)
def test_production_refuses_to_start_without_a_document_key_encryption_key(
    tmp_path: Path, value: str, why: str
) -> None:
    result = run_settings(tmp_path, "production", **{**SECURE_ENV, "DOCUMENTS_KEY_ENCRYPTION_KEY": value})

    assert result.returncode != 0, f"production started with {why}"
    assert "DOCUMENTS_KEY_ENCRYPTION_KEY" in result.stderr


def test_embedded_derives_a_document_key_encryption_key_from_the_secret_key(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(len(settings.DOCUMENTS_KEY_ENCRYPTION_KEY) >= 32)"
    result = run_settings(tmp_path, "embedded", code, DATABASE_URL=None)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_production_refuses_to_start_without_smtp(tmp_path: Path) -> None:
    result = run_settings(tmp_path, "production", **{**SECURE_ENV, "EMAIL_URL": ""})

    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr


def test_embedded_profile_defaults_to_sqlite_in_wal_mode(tmp_path: Path) -> None:
    if {"DATABASE_URL", "SANDBOX_ENABLED"} & _dotenv_keys():
        pytest.skip("this checkout's .env overrides the embedded defaults, so they cannot be observed")
    code = """
import json
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute('PRAGMA journal_mode')
    mode = cursor.fetchone()[0]
print(json.dumps({'name': str(settings.DATABASES['default']['NAME']), 'mode': mode, 'sandbox': settings.SANDBOX_ENABLED}))
"""
    # Unset, not empty: the embedded defaults must apply.
    result = run_settings(tmp_path, "embedded", code, DATABASE_URL=None, SANDBOX_ENABLED=None)

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["mode"] == "wal"
    assert Path(loaded["name"]) == tmp_path / "var" / "civicpay.sqlite3"
    assert Path(loaded["name"]).is_file()
    assert loaded["sandbox"] is True


def _dotenv_keys() -> set[str]:
    dotenv = BASE_DIR / ".env"
    if not dotenv.is_file():
        return set()
    lines = dotenv.read_text(encoding="utf-8").splitlines()
    return {line.split("=", 1)[0].strip() for line in lines if "=" in line and not line.lstrip().startswith("#")}


def test_env_example_as_is_is_a_working_embedded_configuration(tmp_path: Path) -> None:
    """Copying .env.example to .env must give a working demo, not a settings error."""
    example = BASE_DIR / ".env.example"
    code = """
import json
from django.conf import settings
print(json.dumps({'secret_key_set': len(settings.SECRET_KEY) >= 50, 'from': settings.DEFAULT_FROM_EMAIL, 'hotline': settings.SUPPORT_HOTLINE,
                  'sandbox': settings.SANDBOX_ENABLED, 'engine': settings.DATABASES['default']['ENGINE'],
                  'tasks': settings.TASKS['default']['BACKEND']}))
"""
    load_example = f"import environ; environ.Env.read_env({str(example)!r}, overwrite=True)\n"
    unset: dict[str, str | None] = dict.fromkeys(
        ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_URL", "DEBUG", "SANDBOX_ENABLED")
    )
    result = run_settings(tmp_path, "embedded", code, prelude=load_example, **unset)

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {
        "secret_key_set": True,
        "from": "CivicPay <no-reply@civicpay.local>",
        "hotline": "1900 1023",
        "sandbox": True,
        "engine": "civicpay.core.db.sqlite",  # Django's SQLite with queued writers
        "tasks": "django_tasks_db.DatabaseBackend",
    }
