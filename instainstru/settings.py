"""InstaInstru settings: one module, configured by the environment.

Local defaults are safe for development; production sets ENV_TIER=PROD,
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Environment tier (INT default, STG, PROD) -----------------------------
ENV_TIER = os.environ.get("ENV_TIER", "INT").upper()
if ENV_TIER not in {"INT", "STG", "PROD"}:
    raise ImproperlyConfigured(f"ENV_TIER must be INT, STG or PROD, not {ENV_TIER!r}")
IS_DEPLOYED = ENV_TIER in {"STG", "PROD"}

DEBUG = env_bool("DJANGO_DEBUG", not IS_DEPLOYED)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if IS_DEPLOYED:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set on STG and PROD")
    SECRET_KEY = "insecure-local-development-key-only-for-the-INT-tier"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# --- Applications -----------------------------------------------------------
INSTALLED_APPS = [
    "accounts.admin_site.OperationsAdminConfig",  # django.contrib.admin with two-factor sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "accounts",
    "instructors",
    "availability",
    "bookings",
    "messaging",
    "payments",
    "privacy",
    "search",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.HostileInputMiddleware",
    "core.middleware.ClientAddressMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorGateMiddleware",
    "core.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionActivityMiddleware",  # after messages: it says why a session ended
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.DomainErrorMiddleware",
]

if IS_DEPLOYED:  # collectstatic'ed files served by WhiteNoise; runserver serves them locally
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "instainstru.urls"
WSGI_APPLICATION = "instainstru.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
                "messaging.context_processors.unread_messages",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/instainstru"),
        conn_max_age=0,
    )
}
# Parallel local runs (several checkouts at once) can each name their own test database.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
# A database that does not answer costs seconds, not minutes (readiness, requests, tasks).
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3)
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("InstaInstru runs on PostgreSQL only (DATABASE_URL must be postgres://)")
if env_bool("DB_POOL", False):
    # Django's native psycopg 3 pool: on in production (gunicorn sync workers).
    DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 2, "max_size": env_int("DB_POOL_MAX", 10)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"  # only third-party apps; ours use ULIDs
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "ii"),
        "TIMEOUT": 300,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            # A dead Redis must never take the site down: reads miss, writes are dropped.
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "core.cache"

# Responses the edge (core.edge, in front of Django in instainstru/wsgi.py) keeps per process; 0 = off.
EDGE_CACHE_ENTRIES = env_int("EDGE_CACHE_ENTRIES", 2000)

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Auth -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"

# Two-factor sign-in (django-otp TOTP + our hashed backup codes). Staff always need it; an
# instructor needs it to go live; students may turn it on.
OTP_TOTP_ISSUER = "InstaInstru"
OTP_TOTP_THROTTLE_FACTOR = 1  # django-otp's own delay after each wrong code: 1 s, 2 s, 4 s...
# Staff sessions end after this long without a request, and this long after signing in.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 12 * 3600)
TWO_FACTOR_TRUST_DAYS = 30  # "trust this browser"
TWO_FACTOR_PENDING_SECONDS = 300  # between the password and the code
BACKUP_CODE_COUNT = 10
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# --- Internationalisation and time ------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored instants; each user's own zone is activated per request
DEFAULT_USER_TIMEZONE = "America/New_York"
USE_I18N = False
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_DEPLOYED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email ------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / ".data" / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "InstaInstru <hello@instainstru.example>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- Security (on for STG/PROD; `manage.py check --deploy` must be clean there) ---
SECURE = env_bool("DJANGO_SECURE", IS_DEPLOYED)
SECURE_SSL_REDIRECT = SECURE
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles come from this site only (no inline
# script, no eval), Stripe.js and its frames on the card pages, and nothing may frame us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, "https://js.stripe.com"],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF, "https://api.stripe.com"],
        "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
        "frame-ancestors": [NONE],
        "form-action": [SELF, "https://connect.stripe.com"],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# Browser features no page needs are switched off; Stripe may ask for the Payment Request API.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    'usb=(), payment=(self "https://js.stripe.com")'
)

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "InstaInstru API",
    "DESCRIPTION": 'Lesson marketplace API. Errors are `{"error": {"code", "message"}}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# A web request that queues a task waits at most this long for a dead broker (then a breaker skips it).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Rate limits (GCRA): bucket -> (requests per period, period seconds, burst) ---
# Runtime overrides live in the admin (core.RateLimitRule).
RATE_LIMITS = {
    "login": {"limit": 10, "period": 60, "burst": 5},  # every attempt, per client IP
    # Failed attempts per account (OWASP ASVS 2.2.1: at most 100 an hour): 50 at once, then 50 an hour.
    "login_account": {"limit": 50, "period": 3600, "burst": 50},
    # Wrong second-step codes per account (a TOTP code is 6 digits): 10 at once, then 10 an hour.
    "login_code": {"limit": 10, "period": 3600, "burst": 10},
    "signup": {"limit": 5, "period": 3600, "burst": 3},
    "password_reset": {"limit": 5, "period": 3600, "burst": 3},
    "send_message": {"limit": 60, "period": 60, "burst": 10},
    # The money paths, per person and (`_ip`) per client address: generous for a real student,
    # tight for a script testing stolen cards or hoarding times.
    "booking_hold": {"limit": 30, "period": 3600, "burst": 15},
    "booking_hold_ip": {"limit": 120, "period": 3600, "burst": 40},
    "checkout": {"limit": 20, "period": 3600, "burst": 10},
    "checkout_ip": {"limit": 60, "period": 3600, "burst": 20},
    "card_save": {"limit": 10, "period": 3600, "burst": 5},
    "card_save_ip": {"limit": 20, "period": 3600, "burst": 10},
    "payment_retry": {"limit": 10, "period": 3600, "burst": 5},
    "payment_retry_ip": {"limit": 30, "period": 3600, "burst": 10},
}
# An unread message waits this long before its recipient gets one email about the batch.
MESSAGE_NOTICE_DELAY_SECONDS = env_int("MESSAGE_NOTICE_DELAY_SECONDS", 600)
RATE_LIMIT_SHADOW = env_bool("RATE_LIMIT_SHADOW", False)

# --- Privacy (issue 10) ---
# A data export's download link works this long after it is emailed.
PRIVACY_EXPORT_LINK_HOURS = env_int("PRIVACY_EXPORT_LINK_HOURS", 24)
# How long personal data is kept before the nightly retention sweep removes it (privacy/retention.py;
# the table in docs/decisions.md says why each period).
RETENTION_DAYS = {
    "webhook_payloads": env_int("RETENTION_WEBHOOK_PAYLOAD_DAYS", 90),  # then only the money fields stay
    "search_history": env_int("RETENTION_SEARCH_HISTORY_DAYS", 395),  # not searched again in 13 months
    "search_events": env_int("RETENTION_SEARCH_EVENTS_DAYS", 395),  # analytics look back a year
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# --- Booking policies (DESIGN.md §4); ops can tune them per environment ---
# Student cancels at least this long before: nothing charged.
BOOKING_FREE_CANCELLATION_HOURS = env_int("BOOKING_FREE_CANCELLATION_HOURS", 24)
# Student reschedules at least this long before: free.
BOOKING_FREE_RESCHEDULE_HOURS = env_int("BOOKING_FREE_RESCHEDULE_HOURS", 24)
# Per booking chain.
BOOKING_MAX_RESCHEDULES = env_int("BOOKING_MAX_RESCHEDULES", 2)
# No-show reports are open until this long after the lesson ends.
BOOKING_NO_SHOW_REPORT_HOURS = env_int("BOOKING_NO_SHOW_REPORT_HOURS", 24)
# A checkout hold lasts this long.
BOOKING_HOLD_MINUTES = env_int("BOOKING_HOLD_MINUTES", 10)
# Instructor answers a request within this (capped before the lesson start).
BOOKING_REQUEST_RESPONSE_HOURS = env_int("BOOKING_REQUEST_RESPONSE_HOURS", 24)
# Platform's share of the lesson price (payments issue).
PLATFORM_FEE_PERCENT = env_int("PLATFORM_FEE_PERCENT", 15)
# The card is authorized this long before the lesson (at checkout when the lesson is sooner).
PAYMENT_AUTHORIZE_HOURS = env_int("PAYMENT_AUTHORIZE_HOURS", 24)
# A completed lesson is charged this long after it ends (the no-show report window).
PAYMENT_CAPTURE_HOURS = env_int("PAYMENT_CAPTURE_HOURS", 24)
# A lesson whose failed authorization is not fixed is cancelled this long before it starts...
PAYMENT_UNPAID_CANCEL_HOURS = env_int("PAYMENT_UNPAID_CANCEL_HOURS", 12)
# ...but the student always has at least this long after the failure to fix it.
PAYMENT_FIX_MINUTES = env_int("PAYMENT_FIX_MINUTES", 120)

# --- Public availability API (availability/api) ---
# How long a computed public calendar is cached; saves and booking changes invalidate it at once.
PUBLIC_AVAILABILITY_CACHE_SECONDS = env_int("PUBLIC_AVAILABILITY_CACHE_SECONDS", 300)
# How long the edge (core.edge) may answer a repeated request from memory; bumps end it at once.
PUBLIC_AVAILABILITY_EDGE_SECONDS = env_int("PUBLIC_AVAILABILITY_EDGE_SECONDS", 60)
# Name the instructor ("FirstName L.") in public availability responses.
PUBLIC_AVAILABILITY_SHOW_NAME = env_bool("PUBLIC_AVAILABILITY_SHOW_NAME", True)

# --- Payments (Stripe). Without STRIPE_SECRET_KEY the simulated gateway runs ("test mode"). ---
# Only on INT: on STG/PROD the Stripe keys are required (core.checks fails `check` and start-up).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
# The local default only on INT; on STG/PROD core.checks refuses to start without the real one.
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or ("" if IS_DEPLOYED else "whsec_test_local_only")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # tests point the real SDK at a local stand-in
# The SDK retries timeouts, connection errors and 5xx itself (same idempotency key) before we see an
# error; our tasks retry TransientGatewayError with backoff on top.
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 1)
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS") or 20)
STRIPE_CONNECT_RETURN_URL = os.environ.get("STRIPE_CONNECT_RETURN_URL", SITE_URL.rstrip("/") + "/teach/payouts/return/")
STRIPE_CONNECT_REFRESH_URL = os.environ.get(
    "STRIPE_CONNECT_REFRESH_URL", SITE_URL.rstrip("/") + "/teach/payouts/refresh/"
)
PAYMENTS_TEST_MODE = not STRIPE_SECRET_KEY and ENV_TIER == "INT"
LOGGING["loggers"]["stripe"] = {"level": "WARNING"}  # the SDK logs every request at INFO
