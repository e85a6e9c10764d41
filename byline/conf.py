"""Byline's settings, declared as data.

Every setting Byline reads from the environment is declared here once, with its
default and a one-line help. ``byline/settings.py`` parses them into Django
settings, ``docs/settings.md`` lists them (a test keeps the two in step), and a
missing or malformed value stops start-up with a message that names it.

Apps add their own declarations in ``<app>/conf.py`` (a ``SETTINGS`` list);
``all_settings()`` gathers them.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

APP_CONF_MODULES = (
    "byline.articles.conf",
    "byline.engagement.conf",
    "byline.discussion.conf",
    "byline.antispam.conf",
    "byline.pagecache.conf",
    "byline.wordpress.conf",
    "byline.newsroom.conf",
    "byline.media.conf",
)


class SettingError(ValueError):
    """A setting is missing or malformed; the message names it."""


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def parse_optional_bool(value: str) -> bool | None:
    """Empty means "decide from the tier" (None); otherwise a boolean."""
    return None if value.strip() == "" else parse_bool(value)


def parse_int(value: str) -> int:
    return int(value.strip())


def parse_positive_int(value: str) -> int:
    number = int(value.strip())
    if number <= 0:
        raise ValueError("expected a whole number greater than zero")
    return number


def parse_non_negative_int(value: str) -> int:
    number = int(value.strip())
    if number < 0:
        raise ValueError("expected a whole number, 0 or more")
    return number


def parse_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_str(value: str) -> str:
    return value.strip()


def parse_site_url(value: str) -> str:
    """An origin such as https://news.example (no path, no trailing slash), or empty."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("expected an origin such as https://news.example")
    if parts.path or parts.query or parts.fragment:
        raise ValueError("expected only the origin, with no path (https://news.example)")
    return value


def parse_positive_seconds(value: str) -> float:
    seconds = float(value.strip())
    if not seconds > 0:
        raise ValueError("expected a number of seconds greater than zero")
    return seconds


def parse_database_timeout(value: str) -> float:
    """Seconds, more than 0 and at most 600 (a request waiting longer has no deadline)."""
    seconds = parse_positive_seconds(value)
    if seconds > 600:
        raise ValueError("expected at most 600 seconds")
    return seconds


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default (as text), help and parser.

    ``required_in_production`` settings have no safe default for a public site:
    production start-up stops when they are unset.
    """

    name: str
    default: str
    help: str
    parse: Callable[[str], Any] = parse_str
    required_in_production: bool = False
    # Values this setting no longer takes because another setting now says them:
    # (old value, other setting, its value). Still accepted, as that other setting's
    # value (``moved_values_in``), with a warning at start-up (system check byline.W001).
    moved_values: tuple[tuple[str, str, str], ...] = ()

    def read(self, environ: Mapping[str, str], production: bool) -> Any:
        raw = environ.get(self.name)
        if raw is not None and any(raw.strip().lower() == old for old, *_ in self.moved_values):
            raw = None  # said by the other setting now (read_all)
        if raw is None or raw == "":
            if production and self.required_in_production:
                raise SettingError(f"{self.name} must be set in production mode ({self.help})")
            raw = self.default
        try:
            return self.parse(raw)
        except ValueError as error:
            raise SettingError(f"{self.name}={raw!r} is not valid: {error}") from error


CORE_SETTINGS: list[Setting] = [
    Setting(
        "BYLINE_PRODUCTION",
        "0",
        "Production mode: DEBUG off, required settings enforced (set by `run --production`).",
        parse_bool,
    ),
    Setting(
        "BYLINE_DEBUG",
        "",
        "Django's DEBUG (its debug page on errors): off unless set on; an error in production.",
        parse_optional_bool,
    ),
    Setting(
        "BYLINE_SECRET_KEY",
        "",
        "Django's SECRET_KEY. The embedded tier generates one into the data folder.",
        required_in_production=True,
    ),
    Setting(
        "BYLINE_ALLOWED_HOSTS",
        "localhost,127.0.0.1,[::1]",
        "Comma-separated host names the site answers to.",
        parse_list,
        required_in_production=True,
    ),
    Setting(
        "BYLINE_CSRF_TRUSTED_ORIGINS",
        "",
        "Comma-separated origins (https://news.example) trusted for form posts behind a proxy.",
        parse_list,
    ),
    Setting(
        "BYLINE_DATA_DIR",
        "var",
        "Folder for the SQLite database, the generated secret key, uploads and static files.",
    ),
    Setting(
        "DATABASE_URL",
        "",
        "Database URL (postgres://user@host:5432/name). Empty: SQLite in the data folder.",
    ),
    Setting(
        "DATABASE_REPLICA_URLS",
        "",
        "Comma-separated PostgreSQL replica URLs; reads go there, writes to DATABASE_URL.",
        parse_list,
    ),
    Setting(
        "BYLINE_DATABASE_TIMEOUT",
        "5",
        "Seconds a request waits for a PostgreSQL statement, or for SQLite's write lock, "
        "before it is answered 503 or with the last copy of its page (a new PostgreSQL "
        "connection waits 2 s, a kept connection's health check 1 s); app servers only, "
        "never management commands.",
        parse_database_timeout,
    ),
    Setting(
        "REDIS_URL",
        "",
        "Redis URL (redis://host:6379/0) for the cache and counters. Empty: process memory.",
    ),
    Setting(
        "BYLINE_REDIS_TIMEOUT",
        "0.5",
        "Seconds a request waits for Redis (connect or answer) before it carries on without it.",
        parse_positive_seconds,
    ),
    Setting(
        "BYLINE_REDIS_RETRY_SECONDS",
        "1",
        "After a Redis failure, Redis is left alone this long and probed in the background.",
        parse_positive_seconds,
    ),
    Setting("BYLINE_SITE_NAME", "Byline", "The site's name, shown in the header and titles."),
    Setting(
        "BYLINE_SITE_URL",
        "",
        "The site's public origin (https://news.example) for feeds, sitemaps, share links, "
        "e-mails and exports. Empty: taken from each request.",
        parse_site_url,
    ),
    Setting("BYLINE_TIME_ZONE", "UTC", "Time zone for dates shown to readers (IANA name)."),
    Setting(
        "BYLINE_SECURE_COOKIES",
        "",
        "Send cookies only over HTTPS. Defaults to on in production, off in the embedded tier.",
        parse_optional_bool,
    ),
    Setting(
        "BYLINE_HSTS_SECONDS",
        "0",
        "Strict-Transport-Security max-age, in seconds, sent over HTTPS (0: none). Set it "
        "(31536000 is a year) once the site is served only over HTTPS; browsers then refuse "
        "plain HTTP for that long.",
        parse_non_negative_int,
    ),
    Setting(
        "BYLINE_SSL_REDIRECT",
        "false",
        "Redirect plain-HTTP requests that reach the app to HTTPS. The shipped nginx "
        "configuration already does this, so it is needed only without it.",
        parse_bool,
    ),
    Setting(
        "BYLINE_WORKERS",
        "0",
        "App server worker processes for `byline run --production`; 0 means one per core.",
        parse_int,
    ),
    Setting(
        "BYLINE_THREADS",
        "16",
        "Python threads in each app server worker (`byline run --production`). Votes "
        "wait for their batch in them, so more threads make bigger batches.",
        parse_positive_int,
    ),
    Setting(
        "BYLINE_PRELOAD_SPAM_MODEL",
        "false",
        "Load the spam model as each production worker starts (numpy and the model's "
        "arrays: about 60 MB a worker), so the first comment it checks does not wait for it "
        "(about 0.3 s). Off by default: workers that only serve pages stay small.",
        parse_bool,
    ),
]


def all_settings() -> list[Setting]:
    """Every declared setting: the core ones, then each app's.

    A name declared twice is a programming error (two defaults, two parsers,
    the later silently winning), so it stops start-up.
    """
    declared = list(CORE_SETTINGS)
    for module_name in APP_CONF_MODULES:
        module = importlib.import_module(module_name)
        declared.extend(getattr(module, "SETTINGS", []))
    seen: set[str] = set()
    for setting in declared:
        if setting.name in seen:
            raise SettingError(f"{setting.name} is declared more than once (byline/*/conf.py)")
        seen.add(setting.name)
    return declared


def read_all(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse every declared setting from ``environ``.

    Raises ``SettingError`` listing every bad or missing setting at once.
    """
    environ = os.environ if environ is None else environ
    declared = all_settings()
    production_setting = next(s for s in declared if s.name == "BYLINE_PRODUCTION")
    production = production_setting.read(environ, production=False)
    values: dict[str, Any] = {}
    errors: list[str] = []
    for setting in declared:
        try:
            values[setting.name] = setting.read(environ, production)
        except SettingError as error:
            errors.append(str(error))
    for name, old, other, new in moved_values_in(environ, declared):
        given = environ.get(other, "").strip().lower()
        if given and given != new:
            errors.append(
                f"{name}={old} means {other}={new} now, but {other}={given!r} is set too: "
                f"keep {other} and remove {name}={old}"
            )
        else:
            values[other] = next(s for s in declared if s.name == other).parse(new)
    if errors:
        raise SettingError("Byline cannot start:\n  " + "\n  ".join(errors))
    return values


def moved_values_in(
    environ: Mapping[str, str] | None = None, declared: list[Setting] | None = None
) -> list[tuple[str, str, str, str]]:
    """The settings given a value that another setting says now, as
    (setting, old value, other setting, its value): read as the other setting, and
    named by a start-up warning until the configuration is updated."""
    environ = os.environ if environ is None else environ
    found = []
    for setting in all_settings() if declared is None else declared:
        raw = environ.get(setting.name, "").strip().lower()
        found += [
            (setting.name, old, other, new)
            for old, other, new in setting.moved_values
            if raw == old
        ]
    return found
