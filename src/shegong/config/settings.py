"""Settings, read from the environment and nowhere else.

Every variable is listed in README.md ("Configuration"). Development commands (`shegong demo`, `manage`,
tests) may fall back to secrets generated once into the per-user data folder; `shegong serve` refuses to
start unless the production secrets come from the environment (see `shegong.ops.serve`).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from shegong.config import env

BASE_DIR = Path(__file__).resolve().parent.parent  # src/shegong
DATA_DIR = env.data_dir()

DEBUG = env.get_bool("SHEGONG_DEBUG", default=False)
# `shegong serve` sets SHEGONG_PRODUCTION=1: secure cookies, HSTS, hashed static file names.
SHEGONG_PRODUCTION = env.get_bool("SHEGONG_PRODUCTION", default=False)
_local = env.local_secrets(DATA_DIR)
SECRET_KEY = os.environ.get("SECRET_KEY") or _local["secret_key"]
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation: `shegong manage rotate_field_key`).
SHEGONG_FIELD_KEY = os.environ.get("SHEGONG_FIELD_KEY") or _local["field_key"]
SHEGONG_SECRETS_FROM_ENV = bool(os.environ.get("SECRET_KEY")) and bool(os.environ.get("SHEGONG_FIELD_KEY"))

ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", default=[])
# Behind a reverse proxy: the META key of the header carrying the client address (e.g. HTTP_X_REAL_IP).
# Empty: REMOTE_ADDR is used and client-supplied forwarding headers are ignored.
SHEGONG_TRUSTED_PROXY_HEADER = os.environ.get("SHEGONG_TRUSTED_PROXY_HEADER", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "shegong.core",
    "shegong.divisions",
    "shegong.accounts",
    "shegong.web",
    "shegong.appeals",
    "shegong.stations",
    "shegong.open311",
    "shegong.smart",
    "shegong.smart.hotspots",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shegong.core.middleware.RequestContextMiddleware",
    "shegong.core.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shegong.core.middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shegong.accounts.middleware.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "shegong.config.urls"
WSGI_APPLICATION = "shegong.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:landing"
LOGOUT_REDIRECT_URL = "web:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shegong.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
# SQLite (embedded, WAL) unless DATABASE_URL names another database; PostgreSQL is the production engine.
SQLITE_PATH = DATA_DIR / "shegong.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=env.get_int("DATABASE_CONN_MAX_AGE", default=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the worker and the web server read while one writes; IMMEDIATE makes a writing
        # transaction take the lock at BEGIN, so two writers queue instead of failing mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # SQLite cannot build UNIQUE … NULLS NOT DISTINCT (grants, dispatch rules, time limits with an empty
    # division/category); PostgreSQL, the production engine, enforces them. Demo data never duplicates.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks (django-tasks backport, database backend) ----------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Cache ----------------------------------------------------------------------------------------------
CACHES = {"default": env.cache_config(os.environ.get("CACHE_URL"))}

# --- Passwords and login security ----------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
SHEGONG_PASSWORD_MIN_LENGTH = env.get_int("SHEGONG_PASSWORD_MIN_LENGTH", default=10)
# 等保 evaluators test composition rules and rotation; ASVS advises against both, so they are switches
# (docs/security.md records the choice).
SHEGONG_PASSWORD_COMPLEXITY = env.get_bool("SHEGONG_PASSWORD_COMPLEXITY", default=False)
SHEGONG_PASSWORD_MAX_AGE_DAYS = env.get_int("SHEGONG_PASSWORD_MAX_AGE_DAYS", default=0)  # 0 = no rotation
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": SHEGONG_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "shegong.accounts.passwords.ComplexityValidator"},
    {"NAME": "shegong.accounts.passwords.MaximumLengthValidator"},
]
SHEGONG_LOGIN_MAX_FAILURES = env.get_int("SHEGONG_LOGIN_MAX_FAILURES", default=5)
SHEGONG_LOGIN_LOCKOUT_MINUTES = env.get_int("SHEGONG_LOGIN_LOCKOUT_MINUTES", default=30)
SHEGONG_LOGIN_IP_LIMIT = env.get_int("SHEGONG_LOGIN_IP_LIMIT", default=30)  # attempts per IP …
SHEGONG_LOGIN_IP_WINDOW_SECONDS = env.get_int("SHEGONG_LOGIN_IP_WINDOW_SECONDS", default=600)  # … per window
SHEGONG_SESSION_IDLE_MINUTES = env.get_int("SHEGONG_SESSION_IDLE_MINUTES", default=30)
# --- Staff second factor and personal-data retention (docs/privacy.md) -----------------------------------
# Staff roles (accounts.choices.STAFF_ROLES) must use a second factor: on by default in production
# (`shegong serve` sets SHEGONG_PRODUCTION=1); development and tests leave it off unless set, and
# `shegong demo` turns it off explicitly so the printed demo accounts log in with their password alone.
SHEGONG_TOTP_REQUIRED_FOR_STAFF = env.get_bool("SHEGONG_TOTP_REQUIRED_FOR_STAFF", default=SHEGONG_PRODUCTION)
# Days after an appeal is finished (closed, not accepted, merged or withdrawn) before its personal data is
# purged (appeals/retention.py): three years, the general limitation period for civil claims (民法典 第188条),
# so a worker can still rely on the record in a later dispute. 0 turns the purge off.
SHEGONG_APPEAL_PII_RETENTION_DAYS = env.get_int("SHEGONG_APPEAL_PII_RETENTION_DAYS", default=1095)
# --- end of the staff second factor and retention block ------------------------------------------------

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.get_int("SHEGONG_SESSION_MAX_HOURS", default=12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # scripts read the token from <meta name="csrf-token">, never from the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Idempotency keys are kept this long, then purged by the periodic job core.purge_idempotency_keys.
SHEGONG_IDEMPOTENCY_TTL_HOURS = env.get_int("SHEGONG_IDEMPOTENCY_TTL_HOURS", default=72)

# --- Request limits -------------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MB for everything but uploads (BodySizeLimitMiddleware)
# A whole multipart request: up to five phone photos (the H5 page shrinks big photos before sending).
SHEGONG_UPLOAD_MAX_BYTES = env.get_int("SHEGONG_UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
# One photo (core.images), checked after the request is accepted.
SHEGONG_IMAGE_MAX_BYTES = env.get_int("SHEGONG_IMAGE_MAX_BYTES", default=8 * 1024 * 1024)

# --- Internationalisation -------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Working day for SLA clocks (shegong.core.calendar).
SHEGONG_WORKDAY_START = os.environ.get("SHEGONG_WORKDAY_START", "09:00")
SHEGONG_WORKDAY_END = os.environ.get("SHEGONG_WORKDAY_END", "17:30")
# SLA sweep (shegong.appeals.sla, docs/appeals-sla.md): warn when this share of a clock's span has passed;
# after the deadline urge (催办) and supervise (督办) this long after it. Normal appeals count days, urgent
# ones hours, each in the clock's own kind of time (working time, or calendar time for urgent minute/hour
# limits).
# Rate formulas of the appeal indicators (appeals/indicators/formulas.py; empty = the defaults of appeals.md)
SHEGONG_APPEAL_INDICATORS = env.get_json_object("SHEGONG_APPEAL_INDICATORS")
SHEGONG_SLA_WARN_PERCENT = env.get_int("SHEGONG_SLA_WARN_PERCENT", default=80)
SHEGONG_SLA_URGE_AFTER_DAYS = env.get_int("SHEGONG_SLA_URGE_AFTER_DAYS", default=1)
SHEGONG_SLA_SUPERVISE_AFTER_DAYS = env.get_int("SHEGONG_SLA_SUPERVISE_AFTER_DAYS", default=2)
SHEGONG_SLA_URGENT_URGE_AFTER_HOURS = env.get_int("SHEGONG_SLA_URGENT_URGE_AFTER_HOURS", default=2)
SHEGONG_SLA_URGENT_SUPERVISE_AFTER_HOURS = env.get_int("SHEGONG_SLA_URGENT_SUPERVISE_AFTER_HOURS", default=4)
# Smart intake (docs/smart.md): accept a filed appeal automatically when the classifier's top category has
# at least this confidence and the place is a street or community; 0 or empty = never (the default).
SHEGONG_SMART_AUTO_ACCEPT = env.get_float("SHEGONG_SMART_AUTO_ACCEPT", default=0)
# Possible duplicates (shegong.smart.duplicates): open appeals of the same category in the same street, or
# within this many metres when both have coordinates, filed in the last this many days, whose texts have at
# least this cosine similarity (character 1–2-gram TF-IDF; docs/smart.md has the precision/recall behind it).
SHEGONG_SMART_DUP_DAYS = env.get_int("SHEGONG_SMART_DUP_DAYS", default=14)
SHEGONG_SMART_DUP_METRES = env.get_int("SHEGONG_SMART_DUP_METRES", default=500)
SHEGONG_SMART_DUP_THRESHOLD = env.get_float("SHEGONG_SMART_DUP_THRESHOLD", default=0.22)
# Hotspots (未诉先办, docs/smart.md), found every hour over the last WINDOW_DAYS: a street × category cluster
# of at least MIN_COUNT appeals whose texts are alike (character TF-IDF cosine ≥ SIMILARITY, 0–1) is an
# alert; so is a county × category count of at least SURGE_FACTOR × its weekly average over the
# BASELINE_WEEKS before, and at least SURGE_FLOOR.
SHEGONG_HOTSPOT_WINDOW_DAYS = env.get_int("SHEGONG_HOTSPOT_WINDOW_DAYS", default=7)
SHEGONG_HOTSPOT_MIN_COUNT = env.get_int("SHEGONG_HOTSPOT_MIN_COUNT", default=5)
SHEGONG_HOTSPOT_SIMILARITY = env.get_float("SHEGONG_HOTSPOT_SIMILARITY", default=0.2)
SHEGONG_HOTSPOT_SURGE_FACTOR = env.get_float("SHEGONG_HOTSPOT_SURGE_FACTOR", default=2)
SHEGONG_HOTSPOT_SURGE_FLOOR = env.get_int("SHEGONG_HOTSPOT_SURGE_FLOOR", default=8)
SHEGONG_HOTSPOT_BASELINE_WEEKS = env.get_int("SHEGONG_HOTSPOT_BASELINE_WEEKS", default=4)

# --- Static and media -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("SHEGONG_STATIC_ROOT") or DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise scans it at start-up
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("SHEGONG_MEDIA_ROOT") or DATA_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # hashed, compressed names need `collectstatic`, which `shegong serve` runs; everything else
        # (demo, tests, manage) serves the files as they are
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if SHEGONG_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not SHEGONG_PRODUCTION

# --- Content Security Policy (django-csp) ---------------------------------------------------------------
# No inline script anywhere: pages load our own static JS, which reads data-* attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Production hardening ---------------------------------------------------------------------------------
if SHEGONG_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SHEGONG_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# --- API routers (prefix under /api/, dotted path); a module adds its router here -----------------------
SHEGONG_API_ROUTERS = [
    ("/v1/divisions", "shegong.divisions.api.router"),
    ("/v1/units", "shegong.divisions.api.unit_router"),
    ("/v1/accounts", "shegong.accounts.api.router"),
    ("/v1/audit", "shegong.core.audit_api.router"),
    ("/v1/stations", "shegong.stations.api.router"),
    ("/v1/appeals", "shegong.appeals.api.router"),
]

# --- Notifications (shegong.core.notify) -----------------------------------------------------------------
# Outside gateways sit behind a backend interface; the console/log backends really run (they log, masked).
SHEGONG_SMS_BACKEND = os.environ.get("SHEGONG_SMS_BACKEND", "shegong.core.notify.ConsoleSMSBackend")
SHEGONG_WECHAT_BACKEND = os.environ.get("SHEGONG_WECHAT_BACKEND", "shegong.core.notify.LogWeChatBackend")
# Try each message right after its transaction commits; the worker's sender is the guarantee either way.
SHEGONG_NOTIFY_SEND_ON_COMMIT = env.get_bool("SHEGONG_NOTIFY_SEND_ON_COMMIT", default=True)
