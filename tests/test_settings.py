"""Settings come from the environment, are all documented, and fail loudly when wrong."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from byline.conf import SettingError, all_settings, read_all

DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def documented_rows() -> dict[str, str]:
    """Map each setting named in the docs table to the default written beside it."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([A-Z_]+)`\s*\|\s*`?([^|`]*)`?\s*\|", line)
        if match:
            rows[match.group(1)] = match.group(2).strip()
    return rows


def test_every_setting_is_documented_with_its_default():
    rows = documented_rows()
    for setting in all_settings():
        assert setting.name in rows, f"{setting.name} is missing from docs/settings.md"
        assert rows[setting.name] == setting.default, f"{setting.name}: default differs in docs"


def test_the_docs_name_no_setting_that_does_not_exist():
    declared = {s.name for s in all_settings()}
    assert set(documented_rows()) <= declared


def test_every_setting_has_a_help_text():
    for setting in all_settings():
        assert setting.help.strip(), setting.name


def test_defaults_need_no_service():
    values = read_all({})
    assert values["DATABASE_URL"] == ""
    assert values["REDIS_URL"] == ""
    assert values["BYLINE_PRODUCTION"] is False


def test_a_malformed_setting_is_named_in_the_error():
    with pytest.raises(SettingError, match="BYLINE_READING_WPM='fast' is not valid"):
        read_all({"BYLINE_READING_WPM": "fast"})


def test_every_setting_is_declared_once():
    """One declaration per setting: a second one (another default, another parser)
    would silently win over the first."""
    names = [s.name for s in all_settings()]
    assert len(names) == len(set(names))


def test_a_setting_declared_twice_stops_start_up(monkeypatch):
    from byline import conf

    twice = conf.Setting("BYLINE_SITE_NAME", "Again", "A second declaration.")
    monkeypatch.setattr(conf, "CORE_SETTINGS", [*conf.CORE_SETTINGS, twice])
    with pytest.raises(SettingError, match="BYLINE_SITE_NAME is declared more than once"):
        conf.all_settings()


def test_the_site_url_is_an_origin_without_a_trailing_slash():
    """https://news.example/ is read as https://news.example, so links never get ``//``."""
    assert read_all({"BYLINE_SITE_URL": "https://news.example/"})["BYLINE_SITE_URL"] == (
        "https://news.example"
    )
    for bad in ("news.example", "ftp://news.example", "https://news.example/blog"):
        with pytest.raises(SettingError, match="BYLINE_SITE_URL="):
            read_all({"BYLINE_SITE_URL": bad})


def test_https_settings_are_read_and_checked():
    values = read_all({"BYLINE_HSTS_SECONDS": "31536000", "BYLINE_SSL_REDIRECT": "on"})
    assert values["BYLINE_HSTS_SECONDS"] == 31536000
    assert values["BYLINE_SSL_REDIRECT"] is True
    with pytest.raises(SettingError, match="BYLINE_HSTS_SECONDS='-1' is not valid"):
        read_all({"BYLINE_HSTS_SECONDS": "-1"})


def test_production_names_every_missing_required_setting():
    with pytest.raises(SettingError) as error:
        read_all({"BYLINE_PRODUCTION": "1"})
    assert "BYLINE_SECRET_KEY must be set in production mode" in str(error.value)
    assert "BYLINE_ALLOWED_HOSTS must be set in production mode" in str(error.value)


def run_byline(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    clean.pop("DATABASE_URL", None)
    clean.update({"BYLINE_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "byline", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_production_start_up_stops_with_a_message_naming_the_missing_setting(tmp_path):
    result = run_byline("run", "--production", env={}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "BYLINE_SECRET_KEY must be set in production mode" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_database_url_stops_start_up(tmp_path):
    result = run_byline("check", env={"DATABASE_URL": "mysql://x@y/z"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DATABASE_URL must name PostgreSQL" in result.stderr


def test_a_database_deadline_that_is_not_a_few_seconds_stops_start_up(tmp_path):
    """BYLINE_DATABASE_TIMEOUT must be more than 0 and at most 600 seconds."""
    for bad in ("0", "-1", "soon", "nan", "3600"):
        with pytest.raises(SettingError, match=f"BYLINE_DATABASE_TIMEOUT='{bad}' is not valid"):
            read_all({"BYLINE_DATABASE_TIMEOUT": bad})
    result = run_byline("check", env={"BYLINE_DATABASE_TIMEOUT": "0"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "BYLINE_DATABASE_TIMEOUT='0' is not valid" in result.stderr
    assert "Traceback" not in result.stderr


def test_postgresql_goes_through_the_backend_with_the_deadline(tmp_path):
    """The primary and each replica use byline.postgres, and a new connection gives up
    after 2 s (libpq's least; a live server lets a client in at once, whatever
    BYLINE_DATABASE_TIMEOUT) unless the URL says."""
    env = {
        **os.environ,
        "BYLINE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://app@primary:5432/news",
        "DATABASE_REPLICA_URLS": "postgres://app@r1:5432/news?connect_timeout=9",
        "BYLINE_DATABASE_TIMEOUT": "2.5",
        "DJANGO_SETTINGS_MODULE": "byline.settings",
    }
    code = (
        "import json; from django.conf import settings; print(json.dumps({a: "
        "[c['ENGINE'], c['OPTIONS']['connect_timeout']] for a, c in settings.DATABASES.items()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == (
        '{"default": ["byline.postgres", 2], "replica_1": ["byline.postgres", 9]}'
    )


def test_a_prepare_threshold_in_the_url_is_psycopgs_number_of_runs_or_off(tmp_path):
    """?prepare_threshold= reaches psycopg as a number of runs, or None for off (Django's
    default when the URL says nothing: a pooler in transaction mode keeps working); any
    other value stops start-up with a message naming it."""
    env = {
        **os.environ,
        "BYLINE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "byline.settings",
    }
    code = (
        "import json; from django.conf import settings; print(json.dumps("
        "settings.DATABASES['default']['OPTIONS'].get('prepare_threshold', 'unset')))"
    )
    found = {}
    for given in ("?prepare_threshold=5", "?prepare_threshold=0", "?prepare_threshold=off", ""):
        env["DATABASE_URL"] = "postgres://app@primary:5432/news" + given
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        found[given] = json.loads(out.stdout)
    assert list(found.values()) == [5, 0, None, "unset"]
    env["DATABASE_URL"] = "postgres://app@primary:5432/news?prepare_threshold=soon"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "prepare_threshold= in a PostgreSQL URL is a number of runs or off" in out.stderr


def test_the_embedded_tier_generates_a_secret_key_into_the_data_folder(tmp_path):
    result = run_byline("check", env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_embedded_tiers_cache_keeps_what_a_busy_site_asks_it_to(tmp_path):
    """Without Redis the cache is process memory. Django's default keeps 300 entries and
    then drops a third of them: thread shapes, related stories, view marks and password
    attempts (a brute-force guard) pushed each other out long before the memory mattered.
    It keeps 10,000, as the Redis cache's fallback does."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update({"BYLINE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "byline.settings"})
    code = (
        "import django; django.setup(); from django.core.cache import cache\n"
        "for n in range(2000): cache.set(f'entry-{n}', n, 300)\n"
        "print(cache.get('entry-0'), cache.get('entry-1999'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["0", "1999"]
