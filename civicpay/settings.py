"""CivicPay settings: one module, every value from the environment (see .env.example).

Profiles (CIVICPAY_ENV):
- ``embedded`` (default): one machine, SQLite in WAL mode, database task worker, sandboxes and the
  dev mailbox on. Safe for a demo, never for real money.
- ``test``: as embedded, tuned for the test suite (fast hashing, local-memory cache).
- ``production``: refuses to start without a secret key, allowed hosts and a real database; the
  sandbox is always off.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PROFILE = env.str("CIVICPAY_ENV", default="embedded")
if PROFILE not in {"embedded", "test", "production"}:
    raise ImproperlyConfigured(f"CIVICPAY_ENV must be embedded, test or production, not {PROFILE!r}")
PRODUCTION = PROFILE == "production"
TESTING = PROFILE == "test"

VAR_DIR = Path(env.str("CIVICPAY_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Security -------------------------------------------------------------------------------------
_DEMO_SECRET = "embedded-demo-secret-key-not-for-production-use-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEMO_SECRET)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
BASE_URL = env.str("CIVICPAY_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Encrypts the document-signing private keys at rest (docs/documents.md). Production: required, at least
# 32 random characters, not the SECRET_KEY. Elsewhere a default is derived from SECRET_KEY.
DOCUMENTS_KEY_ENCRYPTION_KEY = env.str("DOCUMENTS_KEY_ENCRYPTION_KEY", default="") or (
    "" if PRODUCTION else "derived-from-secret-key:" + hashlib.sha256(SECRET_KEY.encode()).hexdigest()
)

if PRODUCTION:
    problems = []
    if not SECRET_KEY or SECRET_KEY == _DEMO_SECRET or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the site's host names")
    if not env.str("DATABASE_URL", default="").startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL must point at PostgreSQL")
    if DEBUG:
        problems.append("DEBUG must be off")
    if len(DOCUMENTS_KEY_ENCRYPTION_KEY) < 32 or DOCUMENTS_KEY_ENCRYPTION_KEY == SECRET_KEY:
        problems.append("DOCUMENTS_KEY_ENCRYPTION_KEY must be set to a random value of at least 32 characters")
    if problems:
        raise ImproperlyConfigured("Production profile refuses to start: " + "; ".join(problems))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe the process over plain HTTP behind the TLS proxy (civicpay/core/health.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The gateway simulators and the dev mailbox: never in production.
SANDBOX_ENABLED = False if PRODUCTION else env.bool("SANDBOX_ENABLED", default=True)
# VNPay sandbox (docs/sandbox.md): the demo merchant it knows, and where it sends IPNs ("" = the origin
# the payer's browser came from + /thanh-toan/vnpay/ipn/; real VNPay registers it per merchant too).
SANDBOX_VNPAY_TMN_CODE = env.str("SANDBOX_VNPAY_TMN_CODE", default="CIVICPAY1")
SANDBOX_VNPAY_HASH_SECRET = env.str("SANDBOX_VNPAY_HASH_SECRET", default="CIVICPAYSANDBOXSECRET2026VNPAY01")
SANDBOX_VNPAY_IPN_URL = env.str("SANDBOX_VNPAY_IPN_URL", default="")
# Signed-gateway sandboxes (civicpay/sandbox/signed, docs/sandbox.md): the demo merchant each one knows.
SANDBOX_VIETTELPAY_MERCHANT_ID = env.str("SANDBOX_VIETTELPAY_MERCHANT_ID", default="CIVICPAY-VTP")
SANDBOX_VIETTELPAY_SECRET = env.str("SANDBOX_VIETTELPAY_SECRET", default="civicpay-sandbox-viettelpay-secret-2026")
SANDBOX_NATIONAL_MERCHANT_ID = env.str("SANDBOX_NATIONAL_MERCHANT_ID", default="CIVICPAY-DVCQG")
SANDBOX_NATIONAL_SECRET = env.str("SANDBOX_NATIONAL_SECRET", default="civicpay-sandbox-national-secret-2026")
# VietinBank sandbox (civicpay/sandbox/vietinbank, docs/protocols/vietinbank.md): its demo merchant.
SANDBOX_VIETINBANK_MERCHANT_ID = env.str("SANDBOX_VIETINBANK_MERCHANT_ID", default="CIVICPAY-VTB")
SANDBOX_VIETINBANK_SECRET = env.str("SANDBOX_VIETINBANK_SECRET", default="civicpay-sandbox-vietinbank-secret-2026")
# Their notifications: attempts, first retry delay (doubling), HTTP timeout.
SANDBOX_SIGNED_NOTIFY_MAX_ATTEMPTS = env.int("SANDBOX_SIGNED_NOTIFY_MAX_ATTEMPTS", default=5)
SANDBOX_SIGNED_NOTIFY_RETRY_SECONDS = env.float("SANDBOX_SIGNED_NOTIFY_RETRY_SECONDS", default=10.0)
SANDBOX_SIGNED_NOTIFY_TIMEOUT_SECONDS = env.float("SANDBOX_SIGNED_NOTIFY_TIMEOUT_SECONDS", default=10.0)
# MoMo sandbox (civicpay/sandbox/momo, docs/sandbox.md): the demo merchant it knows (the platform's
# MOMO_* values must match). It sends IPNs to the ipnUrl of each create request, as MoMo does.
SANDBOX_MOMO_PARTNER_CODE = env.str("SANDBOX_MOMO_PARTNER_CODE", default="CIVICPAYMOMO1")
SANDBOX_MOMO_ACCESS_KEY = env.str("SANDBOX_MOMO_ACCESS_KEY", default="CIVICPAYMOMOACCESS01")
SANDBOX_MOMO_SECRET_KEY = env.str("SANDBOX_MOMO_SECRET_KEY", default="CIVICPAYSANDBOXSECRET2026MOMO001")
# Sandbox bank (docs/protocols/vietqr.md, "Sandbox bank"): signs its incoming-transfer notifications with this
# secret (the platform's VIETQR_NOTIFY_SECRET must match) and posts them to SANDBOX_BANK_NOTIFY_URL
# ("" = the origin the transfer page was used from + /thanh-toan/vietqr/notify/).
SANDBOX_BANK_SECRET = env.str("SANDBOX_BANK_SECRET", default="CIVICPAYSANDBOXBANK2026NOTIFY01")
SANDBOX_BANK_NOTIFY_URL = env.str("SANDBOX_BANK_NOTIFY_URL", default="")

# --- Applications (layers: see docs/architecture.md) ---------------------------------------------
INSTALLED_APPS = [
    # core
    "civicpay.core",
    # platform
    "civicpay.directory",
    "civicpay.accounts",
    "civicpay.notifications",
    "civicpay.payments",
    "civicpay.documents",
    # domain
    "civicpay.dossiers",
    "civicpay.billing",
    # web
    "civicpay.portal",
    "civicpay.backoffice",
    # third party and contrib
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks_db",
]
if SANDBOX_ENABLED:
    INSTALLED_APPS.insert(INSTALLED_APPS.index("civicpay.backoffice") + 1, "civicpay.sandbox")
    # The VietinBank simulator keeps its own tables (civicpay/sandbox/vietinbank).
    INSTALLED_APPS.insert(INSTALLED_APPS.index("civicpay.sandbox") + 1, "civicpay.sandbox.vietinbank")
    # The sandbox bank keeps its own tables (label "sandbox_bank"): civicpay/sandbox/bank/.
    INSTALLED_APPS.insert(INSTALLED_APPS.index("civicpay.sandbox") + 1, "civicpay.sandbox.bank")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civicpay.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "civicpay.urls"
WSGI_APPLICATION = "civicpay.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "civicpay" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civicpay.core.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)  # WhiteNoise warns on every request when STATIC_ROOT is missing
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'civicpay.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with write transactions queued on a file lock (civicpay/core/db/sqlite).
    DATABASES["default"]["ENGINE"] = "civicpay.core.db.sqlite"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
            # two writers queue up instead of deadlocking on a lock upgrade.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
    # Keep each thread's connection between requests: opening the file, the PRAGMAs and the WAL
    # checkpoint of the last close cost ~2 ms per request (docs/performance.md). Tests keep Django's default.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 0 if TESTING else env.int("CONN_MAX_AGE", default=60))
    if TESTING:
        # A file, not Django's shared in-memory database: live-server tests run the browser, the
        # server thread and the task worker at once, and shared-cache memory databases fail at once
        # with "database table is locked" where a file database waits for the busy timeout.
        import tempfile

        DATABASES["default"]["TEST"] = {
            "NAME": str(Path(tempfile.gettempdir()) / f"civicpay-test-{os.getpid()}.sqlite3")
        }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache(
        "CACHE_URL",
        default="locmemcache://civicpay" if TESTING else "dbcache://civicpay_cache",
    )
}

# --- Background tasks (django.tasks) --------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "sandbox"],
    }
}
# Health checks (civicpay/core/health.py, docs/operations.md "Monitoring"). A queue whose oldest due item
# has waited this long is a warning / a failure; a worker not heard from for this long is lost.
HEALTH_LAG_WARN_SECONDS = env.int("HEALTH_LAG_WARN_SECONDS", default=60)
HEALTH_LAG_FAIL_SECONDS = env.int("HEALTH_LAG_FAIL_SECONDS", default=600)
HEALTH_WORKER_STALE_SECONDS = env.int("HEALTH_WORKER_STALE_SECONDS", default=60)
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=10.0)
# Bearer token for GET /status from monitoring (platform staff signed in need none). Empty: staff only.
HEALTH_TOKEN = env.str("HEALTH_TOKEN", default="")

# --- Accounts and authentication ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "civicpay.accounts.backends.EmailOrPhoneBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
ACCOUNT_ACTIVATION_MAX_AGE = timedelta(hours=env.int("ACCOUNT_ACTIVATION_HOURS", default=48))
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if TESTING
    else [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Log-in throttling per account (django-axes): 5 failures lock that account for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "civicpay.accounts.views.lockout"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Every spelling of an account (e-mail in any case, phone as 09…, +84…) counts toward the same 5 tries.
AXES_USERNAME_CALLABLE = "civicpay.accounts.throttling.axes_username"
# axes.W006 wants "ip_address" in the lockout parameters. The issue asks for per-account locking: adding
# the IP (alone or combined) would either lock everyone behind one office/carrier NAT or let an attacker
# who rotates addresses keep guessing one account. Per-account it stays, knowingly.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- E-mail and SMS -------------------------------------------------------------------------------
# SMTP when EMAIL_URL is set (smtp://user:pass@host:587, smtp+tls://…, smtp+ssl://…), otherwise the
# dev mailbox. Django 6.1 mailers: the delivery task sends through ``mailers.default``.
EMAIL_TIMEOUT_SECONDS = env.int("EMAIL_TIMEOUT", default=15)
if env.str("EMAIL_URL", default=""):
    _smtp = env.email_url("EMAIL_URL")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp["EMAIL_HOST"],
                "port": _smtp["EMAIL_PORT"],
                "username": _smtp.get("EMAIL_HOST_USER") or None,
                "password": _smtp.get("EMAIL_HOST_PASSWORD") or None,
                "use_tls": bool(_smtp.get("EMAIL_USE_TLS")),
                "use_ssl": bool(_smtp.get("EMAIL_USE_SSL")),
                "timeout": EMAIL_TIMEOUT_SECONDS,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "civicpay.notifications.backends.DevMailboxEmailBackend", "OPTIONS": {}}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CivicPay <no-reply@civicpay.local>")
# "devinbox" keeps SMS in the dev mailbox; "http" posts them to SMS_GATEWAY_URL.
SMS_BACKEND = env.str("SMS_BACKEND", default="devinbox")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_SENDER = env.str("SMS_SENDER", default="CIVICPAY")
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=6)
if PRODUCTION and not env.str("EMAIL_URL", default=""):
    raise ImproperlyConfigured("Production profile refuses to start: EMAIL_URL must configure SMTP")

# --- Payments (docs/payments.md) -------------------------------------------------------------------
# Providers switched on, in display order (an agency's ProviderAccount rows can narrow this down).
PAYMENT_PROVIDERS = env.list(
    "PAYMENT_PROVIDERS", default=["vnpay", "vietqr", "momo", "viettelpay", "national", "vietinbank"]
)
# How long a payer has at the gateway (vnp_ExpireDate); then the sweeper and expiry take over.
PAYMENT_TIMEOUT_MINUTES = env.int("PAYMENT_TIMEOUT_MINUTES", default=15)
# A started/submitted payment without an outcome after this long is queried at the provider (querydr).
PAYMENT_SWEEP_AFTER_MINUTES = env.int("PAYMENT_SWEEP_AFTER_MINUTES", default=5)
# Started payments expire this long after vnp_ExpireDate (a later success is flagged, never lost).
PAYMENT_EXPIRY_GRACE_MINUTES = env.int("PAYMENT_EXPIRY_GRACE_MINUTES", default=30)
# A payment whose settlement failed is tried again after this long (decisions 0011, 0013).
PAYMENT_SETTLE_GRACE_SECONDS = env.int("PAYMENT_SETTLE_GRACE_SECONDS", default=60)
# VNPay 2.1.0 merchant. Defaults: the built-in sandbox's demo merchant (issue-4 contract). Empty URLs
# mean the sandbox at BASE_URL (/sandbox/vnpay/...), resolved per call so a moved BASE_URL follows.
# Real VNPay sandbox: https://sandbox.vnpayment.vn/paymentv2/vpcpay.html and
# https://sandbox.vnpayment.vn/merchant_webapi/api/transaction.
VNPAY_TMN_CODE = env.str("VNPAY_TMN_CODE", default="" if PRODUCTION else "CIVICPAY1")
VNPAY_HASH_SECRET = env.str("VNPAY_HASH_SECRET", default="" if PRODUCTION else "CIVICPAYSANDBOXSECRET2026VNPAY01")
VNPAY_PAYMENT_URL = env.str("VNPAY_PAYMENT_URL", default="")
VNPAY_API_URL = env.str("VNPAY_API_URL", default="")
VNPAY_HTTP_TIMEOUT_SECONDS = env.float("VNPAY_HTTP_TIMEOUT_SECONDS", default=10.0)
# The IP address our server reports in querydr/refund requests (vnp_IpAddr).
VNPAY_SERVER_IP = env.str("VNPAY_SERVER_IP", default="127.0.0.1")
if PRODUCTION and "vnpay" in PAYMENT_PROVIDERS:
    _missing = [
        name
        for name in ("VNPAY_TMN_CODE", "VNPAY_HASH_SECRET", "VNPAY_PAYMENT_URL", "VNPAY_API_URL")
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured("Production profile refuses to start: VNPay needs " + ", ".join(_missing))
# MoMo v2 captureWallet merchant (docs/protocols/momo.md). Defaults: the built-in sandbox's demo merchant.
# MOMO_ENDPOINT is MoMo's base URL (https://test-payment.momo.vn, https://payment.momo.vn); empty = the
# sandbox at BASE_URL/sandbox/momo, resolved per call. MoMo asks for >= 30 s timeouts on its API.
MOMO_PARTNER_CODE = env.str("MOMO_PARTNER_CODE", default="" if PRODUCTION else "CIVICPAYMOMO1")
MOMO_ACCESS_KEY = env.str("MOMO_ACCESS_KEY", default="" if PRODUCTION else "CIVICPAYMOMOACCESS01")
MOMO_SECRET_KEY = env.str("MOMO_SECRET_KEY", default="" if PRODUCTION else "CIVICPAYSANDBOXSECRET2026MOMO001")
MOMO_ENDPOINT = env.str("MOMO_ENDPOINT", default="").rstrip("/")
MOMO_HTTP_TIMEOUT_SECONDS = env.float("MOMO_HTTP_TIMEOUT_SECONDS", default=30.0)
if PRODUCTION and "momo" in PAYMENT_PROVIDERS:
    _missing = [
        name
        for name in ("MOMO_PARTNER_CODE", "MOMO_ACCESS_KEY", "MOMO_SECRET_KEY", "MOMO_ENDPOINT")
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured("Production profile refuses to start: MoMo needs " + ", ".join(_missing))

# VietQR bank transfer (docs/protocols/vietqr.md). The receiving account printed in the QR code: the
# platform default below, overridden per agency by VIETQR_AGENCY_ACCOUNTS, a JSON object
# {"<agency code>": {"bin": "970415", "account": "…", "name": "…", "bank_name": "…"}}. The bank signs
# its incoming-transfer notifications (POST /thanh-toan/vietqr/notify/) with VIETQR_NOTIFY_SECRET.
VIETQR_BANK_BIN = env.str("VIETQR_BANK_BIN", default="" if PRODUCTION else "970415")
VIETQR_BANK_NAME = env.str("VIETQR_BANK_NAME", default="" if PRODUCTION else "VietinBank")
VIETQR_ACCOUNT_NO = env.str("VIETQR_ACCOUNT_NO", default="" if PRODUCTION else "113000002026")
VIETQR_ACCOUNT_NAME = env.str("VIETQR_ACCOUNT_NAME", default="" if PRODUCTION else "CIVICPAY THU PHI LE PHI")
VIETQR_AGENCY_ACCOUNTS = env.json("VIETQR_AGENCY_ACCOUNTS", default={})
VIETQR_NOTIFY_SECRET = env.str("VIETQR_NOTIFY_SECRET", default="" if PRODUCTION else "CIVICPAYSANDBOXBANK2026NOTIFY01")
if PRODUCTION and "vietqr" in PAYMENT_PROVIDERS:
    _missing = [
        name for name in ("VIETQR_BANK_BIN", "VIETQR_ACCOUNT_NO", "VIETQR_NOTIFY_SECRET") if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured("Production profile refuses to start: VietQR needs " + ", ".join(_missing))

# Signed gateway protocol providers (docs/protocols/signed-gateway.md): ViettelPay and the national
# payment platform (Cổng DVC Quốc gia). Defaults: the built-in sandboxes' demo merchants; an empty
# gateway URL means the sandbox at BASE_URL + /sandbox/<code>. Production needs all three for each
# enabled provider.
VIETTELPAY_MERCHANT_ID = env.str("VIETTELPAY_MERCHANT_ID", default="" if PRODUCTION else "CIVICPAY-VTP")
VIETTELPAY_SECRET = env.str(
    "VIETTELPAY_SECRET", default="" if PRODUCTION else "civicpay-sandbox-viettelpay-secret-2026"
)
VIETTELPAY_GATEWAY_URL = env.str("VIETTELPAY_GATEWAY_URL", default="")
VIETTELPAY_HTTP_TIMEOUT_SECONDS = env.float("VIETTELPAY_HTTP_TIMEOUT_SECONDS", default=10.0)
NATIONAL_MERCHANT_ID = env.str("NATIONAL_MERCHANT_ID", default="" if PRODUCTION else "CIVICPAY-DVCQG")
NATIONAL_SECRET = env.str("NATIONAL_SECRET", default="" if PRODUCTION else "civicpay-sandbox-national-secret-2026")
NATIONAL_GATEWAY_URL = env.str("NATIONAL_GATEWAY_URL", default="")
NATIONAL_HTTP_TIMEOUT_SECONDS = env.float("NATIONAL_HTTP_TIMEOUT_SECONDS", default=10.0)
# VietinBank (docs/protocols/vietinbank.md): the same signed protocol, plus organisations' registrations
# for automatic debit, debit requests and branch payment codes. A printed branch payment code is valid
# for VIETINBANK_BRANCH_DEADLINE_HOURS; registration messages are retried from VIETINBANK_SEND_RETRY_SECONDS.
VIETINBANK_MERCHANT_ID = env.str("VIETINBANK_MERCHANT_ID", default="" if PRODUCTION else "CIVICPAY-VTB")
VIETINBANK_SECRET = env.str(
    "VIETINBANK_SECRET", default="" if PRODUCTION else "civicpay-sandbox-vietinbank-secret-2026"
)
VIETINBANK_GATEWAY_URL = env.str("VIETINBANK_GATEWAY_URL", default="")
VIETINBANK_HTTP_TIMEOUT_SECONDS = env.float("VIETINBANK_HTTP_TIMEOUT_SECONDS", default=10.0)
VIETINBANK_BRANCH_DEADLINE_HOURS = env.int("VIETINBANK_BRANCH_DEADLINE_HOURS", default=72)
VIETINBANK_SEND_RETRY_SECONDS = env.float("VIETINBANK_SEND_RETRY_SECONDS", default=10.0)
# The collection account (tài khoản chuyên thu) at VietinBank printed on branch payment instructions.
VIETINBANK_COLLECTION_ACCOUNT = env.str("VIETINBANK_COLLECTION_ACCOUNT", default="118000268899")
VIETINBANK_COLLECTION_NAME = env.str("VIETINBANK_COLLECTION_NAME", default="CIVICPAY THU PHI LE PHI DICH VU CONG")
for _prefix, _code in (("VIETTELPAY", "viettelpay"), ("NATIONAL", "national"), ("VIETINBANK", "vietinbank")):
    if PRODUCTION and _code in PAYMENT_PROVIDERS:
        _missing = [
            f"{_prefix}_{name}"
            for name in ("MERCHANT_ID", "SECRET", "GATEWAY_URL")
            if not globals()[f"{_prefix}_{name}"]
        ]
        if _missing:
            raise ImproperlyConfigured(f"Production profile refuses to start: {_code} needs " + ", ".join(_missing))

SUPPORT_HOTLINE = env.str("CIVICPAY_SUPPORT_HOTLINE", default="1900 1023")
SITE_NAME = env.str("CIVICPAY_SITE_NAME", default="CivicPay")

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "civicpay" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"  # shown to people; everything is stored in UTC
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static and private files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "civicpay" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded and issued files live outside the web root and are served only through access checks.
PRIVATE_ROOT = Path(env.str("PRIVATE_ROOT", default=str(VAR_DIR / "private")))
MEDIA_ROOT = PRIVATE_ROOT
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
