"""Two app servers sharing PostgreSQL and Redis behave as one site.

Real `byline run --production` processes (granian) on two ports, against the
test database and Redis, sharing one secret key as servers behind one load
balancer do. Skipped without both services. The ports are
two free ones, or the first two in ``BYLINE_TEST_PORTS`` (e.g. ``8810,8811``; a
longer list, as the deploy suites take, is fine: the rest are theirs).
"""

import http.cookiejar
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from bench.harness import free_ports
from byline.discussion.models import Comment
from byline.engagement import stats, viewbuffer
from byline.engagement.models import Rating, Reaction
from byline.engagement.recount import recount
from byline.engagement.stats import figures_for
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


GIVEN_PORTS = [int(p) for p in os.environ.get("BYLINE_TEST_PORTS", "").split(",") if p]
PORTS = tuple(GIVEN_PORTS[:2]) if len(GIVEN_PORTS) >= 2 else tuple(free_ports(2))
# Set by other tests for themselves; a production server refuses to start with it.
TEST_ONLY_ENVIRONMENT = ("DJANGO_ALLOW_ASYNC_UNSAFE",)
PROPAGATION_LIMIT = 2.0  # seconds: the product's promise, not a speed measurement
SYNC_SECONDS = 0.5
# Behind a load balancer every server sees the site's own host name.
SITE = {"Host": "news.example"}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
API_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Sec-Fetch-Site": "same-origin",
    "User-Agent": BROWSER,
}


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

    def post(
        self, path: str, fields: list[tuple[str, str]], headers: dict | None = None
    ) -> tuple[int, dict, str]:
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers={**SITE, **(headers or {})}
        )
        return self._open(request)

    def call(
        self, method: str, path: str, payload: object = None, headers: dict | None = None
    ) -> tuple[int, object]:
        """A JSON API call from the article page's script: (status, decoded answer)."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={**SITE, **API_HEADERS, **(headers or {})},
        )
        status, _, body = self._open(request)
        return status, json.loads(body) if body else None

    def _open(self, request) -> tuple[int, dict, str]:
        try:
            with self.opener.open(request, timeout=10) as response:
                headers = {k.lower(): v for k, v in response.headers.items()}
                return response.status, headers, response.read().decode()
        except urllib.error.HTTPError as error:
            headers = {k.lower(): v for k, v in error.headers.items()}
            return error.code, headers, error.read().decode()

    def csrf_token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def start_server(port: int, tmp_path, secret_key: str) -> subprocess.Popen:
    database = connection.settings_dict
    inherited = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENVIRONMENT}
    env = {
        **inherited,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "BYLINE_SECRET_KEY": secret_key,  # one site: a reader's cookie is good on both
        "BYLINE_ALLOWED_HOSTS": "news.example,127.0.0.1",
        "BYLINE_DATA_DIR": str(tmp_path / f"server-{port}"),
        "BYLINE_WORKERS": "1",
        "BYLINE_THREADS": "2",
        "BYLINE_SECURE_COOKIES": "0",  # plain HTTP on loopback: cookies must travel
        "BYLINE_PAGE_CACHE_SYNC_SECONDS": str(SYNC_SECONDS),
        # Every test client comes from 127.0.0.1: per-IP limits would stop the
        # many readers these tests play; per-reader limits are tested elsewhere.
        "BYLINE_VOTES_PER_MINUTE": "100000",
        "BYLINE_VIEWS_PER_MINUTE": "100000",
        "BYLINE_COMMENT_MIN_SECONDS": "0",
        "BYLINE_SPAM_FIRST_COMMENT": "hold",  # a first comment waits for an editor
    }
    return subprocess.Popen(
        [sys.executable, "-m", "byline", "run", "--production", "--no-demo", "--port", str(port)],
        env=env,
        stdout=(tmp_path / f"server-{port}.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_serving(port: int, process: subprocess.Popen, log, path: str = "/") -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(
                f"the server on port {port} exited with {process.returncode}:\n"
                + log.read_text()[-2000:]
            )
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1).close()
            return
        except urllib.error.HTTPError:  # an answer all the same (a 404 of the path asked)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start")


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    secret_key = secrets.token_urlsafe(50)
    processes = [start_server(port, tmp_path, secret_key) for port in PORTS]
    try:
        for port, process in zip(PORTS, processes, strict=True):
            wait_until_serving(port, process, tmp_path / f"server-{port}.log")
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


def views_seen(browser: Browser, article_id: int, expected: int) -> int:
    """The views a server's counts answer shows, once it shows ``expected`` or after
    PROPAGATION_LIMIT: each server keeps a counts answer up to a second
    (``beacon_layer.COUNTS_SECONDS``), so what readers see is at most that old."""
    deadline = time.monotonic() + PROPAGATION_LIMIT
    while True:
        views = browser.call("GET", f"/api/articles/{article_id}/engagement/")[1]["views"]
        if views == expected or time.monotonic() >= deadline:
            return views
        time.sleep(0.1)


def wait_for_text(browser: Browser, path: str, text: str) -> bool:
    deadline = time.monotonic() + PROPAGATION_LIMIT
    while time.monotonic() < deadline:
        if text in browser.get(path)[2]:
            return True
        time.sleep(0.05)
    return False


def sign_in(browser: Browser, path: str) -> str:
    """Sign in to the admin as the editor on the way to ``path``; return that page."""
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
    return form


def edit_in_the_admin(browser: Browser, article, headline: str) -> None:
    """Sign in and change the headline through the admin form, as an editor would."""
    path = f"/admin/articles/article/{article.pk}/change/"
    form = sign_in(browser, path)
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
            # The newsroom's fields on the same form: comment state and the empty
            # corrections-and-updates inline.
            ("comment_state", "default"),
            ("notes-TOTAL_FORMS", "0"),
            ("notes-INITIAL_FORMS", "0"),
            ("notes-MIN_NUM_FORMS", "0"),
            ("notes-MAX_NUM_FORMS", "1000"),
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


def run_readers(count: int, work) -> list:
    """Run ``work(n)`` for ``count`` readers in threads released together; their results."""
    barrier = threading.Barrier(count)

    def one(n: int):
        barrier.wait(timeout=60)
        return work(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return [future.result() for future in [pool.submit(one, n) for n in range(count)]]


def test_a_comment_approved_through_one_server_is_on_the_page_the_other_serves(two_servers):
    """Posted and approved through server A, a comment is on B's cached page within 2 s."""
    make_editor()
    article = make_article("A story with a discussion")
    url = article.get_absolute_url()
    first, second = two_servers
    settle()
    for browser in two_servers:
        browser.get(url)
        assert browser.get(url)[1]["x-page-cache"] == "hit"

    text = "Posted on one server, read on the other."
    status, _, _ = first.post(
        "/comments/post/",
        [
            ("article", str(article.pk)),
            ("body", text),
            ("name", "Ada Reader"),
            ("email", "ada@example.org"),
            ("website", ""),
            ("parent", ""),
            ("url_confirm", ""),
        ],
        # the form under the cached page: a same-origin post, no token
        headers={"Sec-Fetch-Site": "same-origin", "User-Agent": BROWSER},
    )
    assert status == 200  # redirected to the commenter's own pending comment
    comment = Comment.objects.get(body=text)
    assert comment.status == Comment.Status.PENDING  # a first comment waits
    settle()
    assert text not in second.get(url)[2]

    changelist = "/admin/discussion/comment/"
    page = sign_in(first, changelist)
    status, _, _ = first.post(
        changelist,
        [
            ("csrfmiddlewaretoken", first.csrf_token(page)),
            ("action", "approve"),
            ("select_across", "0"),
            ("index", "0"),
            ("_selected_action", str(comment.pk)),
        ],
    )
    assert status == 200
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED

    assert wait_for_text(second, url, text)
    assert wait_for_text(first, url, text)
    assert figures_for(article.pk).comments == 1


def recounted_votes(article) -> tuple[dict[str, int], dict[int, int]]:
    """The article's reactions and ratings counted from the vote rows themselves."""
    reactions = Counter(
        Reaction.objects.filter(article=article)
        .exclude(reaction="")
        .values_list("reaction", flat=True)
    )
    ratings = Counter(
        Rating.objects.filter(article=article, stars__isnull=False).values_list("stars", flat=True)
    )
    return dict(reactions), {stars: ratings.get(stars, 0) for stars in range(1, 6)}


def shown_votes(counts: dict) -> tuple[dict[str, int], dict[int, int]]:
    """The reactions and ratings a counts answer shows."""
    reactions = {r["key"]: r["count"] for r in counts["reactions"] if r["count"]}
    ratings = {s["stars"]: s["count"] for s in counts["rating"]["stars"]}
    return reactions, ratings


def test_votes_through_both_servers_are_counted_exactly(two_servers):
    """Readers vote, change and withdraw through both servers at once; every count is exact.

    Each reader alternates servers (their cookie is good on both), so moves and
    withdrawals of one reader's vote cross servers too.
    """
    article = make_article("A story readers vote on")
    base = f"/api/articles/{article.pk}"
    keys = [kind.key for kind in settings.BYLINE_REACTIONS]
    readers = 48

    def reader(n: int) -> tuple[str | None, int | None]:
        rng = random.Random(n)  # noqa: S311 - test data
        jars = http.cookiejar.CookieJar()
        browsers = []
        for browser in two_servers:
            own = Browser(int(browser.base.rsplit(":", 1)[1]))
            own.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jars))
            browsers.append(own)
        reaction = stars = None
        for step in range(6):
            browser = browsers[(n + step) % 2]
            move = rng.choice(["react", "react", "rate", "rate", "unreact", "unrate"])
            if move == "react":
                status, answer = browser.call(
                    "POST", f"{base}/reaction/", {"reaction": rng.choice(keys)}
                )
                reaction = answer["mine"]["reaction"]
            elif move == "rate":
                status, answer = browser.call(
                    "POST", f"{base}/rating/", {"stars": rng.randint(1, 5)}
                )
                stars = answer["mine"]["rating"]
            elif move == "unreact":
                status, answer = browser.call("DELETE", f"{base}/reaction/")
                reaction = answer["mine"]["reaction"]
            else:
                status, answer = browser.call("DELETE", f"{base}/rating/")
                stars = answer["mine"]["rating"]
            assert status == 200, answer
        return reaction, stars

    settle()
    finals = run_readers(readers, reader)

    told = Counter(reaction for reaction, _ in finals if reaction)
    rated = Counter(stars for _, stars in finals if stars)
    rows = recounted_votes(article)
    assert rows == (dict(told), {s: rated.get(s, 0) for s in range(1, 6)})
    assert Reaction.objects.filter(article=article).values("reader").distinct().count() <= readers
    assert recount() == []
    for browser in two_servers:
        status, counts = browser.call("GET", f"{base}/engagement/")
        assert status == 200
        assert shown_votes(counts) == rows, browser.base
        assert counts["rating"]["count"] == sum(rated.values())


def test_views_through_both_servers_are_counted_exactly_after_a_flush(two_servers):
    """Each reader views through both servers and reloads: one view each, once flushed.

    Views are buffered in Redis, shared by both servers; the counts answer adds
    what is still buffered, so it is exact before and after the flush (each server
    keeps a counts answer up to a second, so it shows within that time).
    """
    article = make_article("A story readers view")
    path = f"/api/articles/{article.pk}/view/"
    readers = 40

    def reader(n: int) -> None:
        agent = f"{BROWSER} Reader/{n}"  # each reader its own browser at the same address
        for step in range(3):
            status, _ = two_servers[(n + step) % 2].call(
                "POST", path, headers={"User-Agent": agent}
            )
            assert status == 200  # asked for JSON, as the page's script does: the counts

    settle()
    run_readers(readers, reader)
    for browser in two_servers:
        assert views_seen(browser, article.pk, readers) == readers
    viewbuffer.flush()
    assert stats.pending_views(article.pk) == 0
    assert figures_for(article.pk).views == readers
    assert recount() == []
    for browser in two_servers:
        assert views_seen(browser, article.pk, readers) == readers
