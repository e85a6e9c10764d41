"""Two app servers sharing PostgreSQL and Redis behave as one site.

Real `byline run --production` processes (granian) on two ports, against the
test database and Redis. Skipped without both services.
"""

import http.cookiejar
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.db import connection

from tests.conftest import using_postgres
from tests.factory import make_article, make_author, make_editor, make_section

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (using_postgres() and os.environ.get("REDIS_URL")),
        reason="needs PostgreSQL and Redis: set DATABASE_URL=postgres://... and REDIS_URL",
    ),
    pytest.mark.django_db(transaction=True),
]

PORTS = (8510, 8511)
PROPAGATION_LIMIT = 2.0  # seconds: the product's promise, not a speed measurement
SYNC_SECONDS = 0.5
# Behind a load balancer every server sees the site's own host name.
SITE = {"Host": "news.example"}


def settle() -> None:
    """Let both servers read the generation the test's own writes moved on."""
    time.sleep(SYNC_SECONDS + 0.1)


class Browser:
    """A cookie-keeping HTTP client for one server."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, dict, str]:
        return self._open(urllib.request.Request(self.base + path, headers=SITE))

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, dict, str]:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, headers=SITE))

    def _open(self, request) -> tuple[int, dict, str]:
        try:
            with self.opener.open(request, timeout=10) as response:
                headers = {k.lower(): v for k, v in response.headers.items()}
                return response.status, headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, ""

    def csrf_token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def start_server(port: int, tmp_path) -> subprocess.Popen:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "BYLINE_SECRET_KEY": secrets.token_urlsafe(50),
        "BYLINE_ALLOWED_HOSTS": "news.example,127.0.0.1",
        "BYLINE_DATA_DIR": str(tmp_path / f"server-{port}"),
        "BYLINE_WORKERS": "1",
        "BYLINE_THREADS": "2",
        "BYLINE_SECURE_COOKIES": "0",  # plain HTTP on loopback: cookies must travel
        "BYLINE_PAGE_CACHE_SYNC_SECONDS": str(SYNC_SECONDS),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "byline", "run", "--production", "--no-demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_until_serving(port: int, process: subprocess.Popen) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start")


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    processes = [start_server(port, tmp_path) for port in PORTS]
    try:
        for port, process in zip(PORTS, processes, strict=True):
            wait_until_serving(port, process)
        yield [Browser(port) for port in PORTS]
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for_text(browser: Browser, path: str, text: str) -> bool:
    deadline = time.monotonic() + PROPAGATION_LIMIT
    while time.monotonic() < deadline:
        if text in browser.get(path)[2]:
            return True
        time.sleep(0.05)
    return False


def edit_in_the_admin(browser: Browser, article, headline: str) -> None:
    """Sign in and change the headline through the admin form, as an editor would."""
    path = f"/admin/articles/article/{article.pk}/change/"
    _, _, login_form = browser.get(f"/admin/login/?next={path}")
    status, _, form = browser.post(
        f"/admin/login/?next={path}",
        [
            ("csrfmiddlewaretoken", browser.csrf_token(login_form)),
            ("username", "editor"),
            ("password", "correct horse battery"),
            ("next", path),
        ],
    )
    assert status == 200 and "csrfmiddlewaretoken" in form
    published = article.published_at
    status, _, _ = browser.post(
        path,
        [
            ("csrfmiddlewaretoken", browser.csrf_token(form)),
            ("headline", headline),
            ("slug", article.slug),
            ("standfirst", article.standfirst),
            ("body", article.body),
            ("status", "published"),
            ("published_at_0", published.strftime("%Y-%m-%d")),
            ("published_at_1", published.strftime("%H:%M:%S")),
            *(("authors", str(a.pk)) for a in article.authors.all()),
            ("section", str(article.section_id)),
            ("lead_image_alt", ""),
            ("lead_image_caption", ""),
            ("_save", "Save"),
        ],
    )
    assert status == 200


def test_an_edit_through_one_server_reaches_the_pages_both_serve(two_servers):
    """Both servers have the page cached; an admin edit on one is on both within 2 s."""
    make_editor()
    article = make_article(
        "Headline before the edit", section=make_section("World"), authors=[make_author()]
    )
    urls = [article.get_absolute_url(), "/", article.section.get_absolute_url()]
    settle()
    for browser in two_servers:
        for url in urls:
            browser.get(url)
            status, headers, html = browser.get(url)
            assert status == 200 and "Headline before the edit" in html
            assert headers["x-page-cache"] == "hit"

    edit_in_the_admin(two_servers[0], article, "Headline after the edit")

    for browser in two_servers:
        for url in urls:
            assert wait_for_text(browser, url, "Headline after the edit"), (browser.base, url)
            assert "Headline before the edit" not in browser.get(url)[2]


def test_a_page_rendered_by_one_server_is_served_by_the_other(two_servers):
    """Rendered pages are shared through Redis: the second server does not render again."""
    article = make_article("Shared render")
    settle()
    first, second = two_servers
    assert first.get(article.get_absolute_url())[1]["x-page-cache"] == "miss"
    assert second.get(article.get_absolute_url())[1]["x-page-cache"] == "hit"
