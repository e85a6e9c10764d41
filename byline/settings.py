"""Django settings for Byline, built from the environment.

Every variable read here is declared in ``byline/conf.py`` (or an app's
``conf.py``) with its default and help, and listed in ``docs/settings.md``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from byline.conf import SettingError, read_all

try:
    _env = read_all()
except SettingError as error:
    raise ImproperlyConfigured(str(error)) from None

PACKAGE_DIR = Path(__file__).resolve().parent
PRODUCTION: bool = _env["BYLINE_PRODUCTION"]
DATA_DIR = Path(_env["BYLINE_DATA_DIR"]).expanduser().resolve()


def _secret_key() -> str:
    if _env["BYLINE_SECRET_KEY"]:
        return _env["BYLINE_SECRET_KEY"]
    # Embedded tier: generate once into the data folder, never into the repository.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# SQLite, however it is named: WAL (readers never wait for the writer), a busy
# timeout (a writer waits its turn instead of failing with "database is locked";
# 10 s here for management commands, BYLINE_DATABASE_TIMEOUT in app servers:
# byline.postgres.serve())
# and IMMEDIATE transactions (a transaction takes the write lock when it begins,
# so it can never fail halfway when a read turns into a write).
SQLITE_OPTIONS = {
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
    ),
    "transaction_mode": "IMMEDIATE",
}


# PostgreSQL (primary and replicas): a connection, one per app-server thread as
# before, is kept for the thread's life (conn_max_age=None) instead of being closed
# and opened again every minute: a new backend costs the server a fork and ~4-5 ms of
# CPU warming its catalogue caches, more than the comment POST it then serves
# (bench/comment_posts.py). The health check at each request's first query (a kept
# connection's SELECT 1, bounded by PROBE_SECONDS: byline/postgres/base.py) finds one
# that a restarted or failed-over server dropped, and the request opens a new one.
# So the connections an app server holds stay bounded by its threads
# (byline/management/commands/run.py), which granian keeps for THREAD_IDLE_SECONDS.


def _database() -> dict:
    url = _env["DATABASE_URL"]
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "byline.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=None, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not valid: {error}") from None
    if config.get("ENGINE") not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise ImproperlyConfigured(
            "DATABASE_URL must name PostgreSQL (postgres://...) or SQLite (sqlite:///...)"
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        return config
    return _with_deadline(config)


def _with_deadline(config: dict) -> dict:
    """PostgreSQL through Byline's backend (``byline.postgres``: no request waits past
    BYLINE_DATABASE_TIMEOUT on a server that stopped answering), and a new connection
    to a host that does not answer fails (a 503) within 2 s (libpq's least; a live
    server lets a client in within milliseconds, so a frozen one is found out sooner
    than by waiting BYLINE_DATABASE_TIMEOUT) instead of the system's TCP timeout;
    ?connect_timeout= in the URL overrides it."""
    config["ENGINE"] = "byline.postgres"
    options = config.setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", 2)
    if "prepare_threshold" in options:
        options["prepare_threshold"] = _prepare_threshold(options["prepare_threshold"])
    return config


def _prepare_threshold(value: object) -> int | None:
    """?prepare_threshold= in a PostgreSQL URL, as psycopg takes it: after how many runs
    on a connection psycopg prepares a hot read's statement on the server (``db.Statement``;
    not set: never, as Django leaves it; deploy/byline.env.example sets 5), or ``off``:
    never (behind PgBouncer in transaction mode before 1.21, or without its
    ``max_prepared_statements``, where a prepared statement may be asked of another
    server connection than the one that holds it)."""
    text = str(value).strip().lower()
    if text in {"off", "none", "no", "false", ""}:
        return None
    if text.isdigit():
        return int(text)
    raise ImproperlyConfigured(
        f"?prepare_threshold= in a PostgreSQL URL is a number of runs or off, not {value!r}"
    )


def _cache() -> dict:
    url = _env["REDIS_URL"]
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")
        return {
            # Django's RedisCache on the shared pool, degrading to process memory.
            "BACKEND": "byline.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "byline",
        }
    # Process memory: 10,000 entries (Django's default, 300, made thread shapes, related
    # stories, view marks and password attempts push each other out), as the Redis
    # cache's fallback (byline/cache.py).
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "byline",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }


# Off unless asked for (BYLINE_DEBUG=on): readers of the demo site get its own
# error pages, never Django's debug page with the site's URLs and settings.
DEBUG = bool(_env["BYLINE_DEBUG"])
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = _env["BYLINE_ALLOWED_HOSTS"]
CSRF_TRUSTED_ORIGINS = _env["BYLINE_CSRF_TRUSTED_ORIGINS"]

# Every BYLINE_* value is available as a Django setting of the same name.
for _name, _value in _env.items():
    if _name.startswith("BYLINE_"):
        globals()[_name] = _value
REDIS_URL = _env["REDIS_URL"]

INSTALLED_APPS = [
    "byline",
    "byline.media",
    "byline.articles",
    "byline.engagement",
    "byline.discussion",
    "byline.antispam",
    "byline.pagecache",
    "byline.wordpress",
    "byline.newsroom",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "byline.errors.ErrorContractMiddleware",
    # Inside the error contract, so every 500 a down database caused becomes a 503.
    "byline.outages.OutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's CSRF check, and the origin check of forms on cached pages (byline/csrf.py).
    "byline.csrf.CsrfMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Old WordPress addresses answer 301 (outside static pages, which are served first).
    "byline.wordpress.redirects.LegacyRedirectMiddleware",
    "byline.articles.middleware.StaticPageMiddleware",
]

CSRF_FAILURE_VIEW = "byline.errors.csrf_failure"
ROOT_URLCONF = "byline.urls"
WSGI_APPLICATION = "byline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "byline.context_processors.site",
            ],
        },
    },
]


def _replicas() -> dict:
    """Read replicas from DATABASE_REPLICA_URLS, named replica_1, replica_2, ..."""
    replicas = {}
    for number, url in enumerate(_env["DATABASE_REPLICA_URLS"], start=1):
        try:
            config = dj_database_url.parse(url, conn_max_age=None, conn_health_checks=True)
        except ValueError as error:
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS is not valid: {error}") from None
        if config.get("ENGINE") == "django.db.backends.postgresql":
            config = _with_deadline(config)
        config["TEST"] = {"MIRROR": "default"}  # tests read the primary's test database
        replicas[f"replica_{number}"] = config
    return replicas


DATABASES = {"default": _database(), **_replicas()}
DATABASE_ROUTERS = ["byline.db.ReplicaRouter"]
CACHES = {"default": _cache()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = _env["BYLINE_TIME_ZONE"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# The embedded tier serves static files from the apps' folders, as they are,
# whatever DEBUG is; production serves the collected, hashed copies.
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "byline.filestorage.UploadStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security headers Django sends on every response.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_COOKIES = (
    PRODUCTION if _env["BYLINE_SECURE_COOKIES"] is None else _env["BYLINE_SECURE_COOKIES"]
)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = _env["BYLINE_HSTS_SECONDS"]
SECURE_SSL_REDIRECT = _env["BYLINE_SSL_REDIRECT"]

# E-mail (discussion notifications): the console unless an SMTP server is configured,
# from a background thread unless BYLINE_EMAIL_IN_BACKGROUND is off (discussion/mailbackend.py).
EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.console.EmailBackend"
if _env["BYLINE_SMTP_HOST"]:
    EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _env["BYLINE_SMTP_HOST"]
    EMAIL_PORT = _env["BYLINE_SMTP_PORT"]
    EMAIL_HOST_USER = _env["BYLINE_SMTP_USER"]
    EMAIL_HOST_PASSWORD = _env["BYLINE_SMTP_PASSWORD"]
    EMAIL_USE_TLS = _env["BYLINE_SMTP_TLS"]
    EMAIL_TIMEOUT = _env["BYLINE_SMTP_TIMEOUT"]
EMAIL_BACKEND = (
    "byline.discussion.mailbackend.BackgroundBackend"
    if _env["BYLINE_EMAIL_IN_BACKGROUND"]
    else EMAIL_DELIVERY_BACKEND
)
DEFAULT_FROM_EMAIL = _env["BYLINE_EMAIL_FROM"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"byline": {"level": "INFO"}},
}
