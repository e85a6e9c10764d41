"""A deploy shows at once, with real servers: `byline run --production` (granian) of two
versions of the code, sharing PostgreSQL, Redis and one folder of page files behind one
nginx (what nginx would send is read from the folder: ``current/$scheme/$host${uri}``).

The version is given as `byline run` hands it to its workers
(``codeversion.ENVIRON``); everything else is the servers' own. Ports: 18340 and 18341,
or the first two of ``BYLINE_TEST_PORTS``."""

import os
import signal
import subprocess
import time

import pytest

from byline.pagecache import codeversion
from byline.pagecache.files import CLAIM, CLAIM_LASTS
from tests.factory import make_article
from tests.pagecache import test_scale_out
from tests.pagecache.test_scale_out import (
    GIVEN_PORTS,
    SITE,
    SYNC_SECONDS,
    Browser,
    start_server,
    wait_for_text,
    wait_until_serving,
)

pytestmark = test_scale_out.pytestmark  # PostgreSQL and Redis, servers of their own
OLD_PORT, NEW_PORT = GIVEN_PORTS[:2] if len(GIVEN_PORTS) >= 2 else (18340, 18341)
SECRET_KEY = "deploy-version-test-key-" + "x" * 40


class Servers:
    def __init__(self, tmp_path, monkeypatch) -> None:
        self.tmp_path = tmp_path
        self.monkeypatch = monkeypatch
        self.pages = tmp_path / "pages"
        self.running: dict[int, subprocess.Popen] = {}

    def start(self, port: int, version: str, ready: str = "/") -> Browser:
        """Start ``version`` on ``port``; it is ready once it answers ``ready`` (the home
        page, by default: a page request, which a worker answers through its page store)."""
        self.monkeypatch.setenv(codeversion.ENVIRON, version)
        self.monkeypatch.setenv("BYLINE_PAGE_FILES_DIR", str(self.pages))
        process = start_server(port, self.tmp_path, SECRET_KEY)
        self.running[port] = process
        wait_until_serving(port, process, self.tmp_path / f"server-{port}.log", ready)
        return Browser(port)

    def stop(self, port: int) -> None:
        process = self.running.pop(port)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for port in list(self.running):
            self.stop(port)

    def file(self, url: str) -> str | None:
        """What nginx would send for ``url``."""
        path = self.pages / "current" / "http" / SITE["Host"] / url.lstrip("/") / "index.html"
        return path.read_text() if path.exists() else None

    def file_within(self, url: str, seconds: float = 5 * SYNC_SECONDS) -> str | None:
        deadline = time.monotonic() + seconds
        while (found := self.file(url)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def current(self) -> str:
        return os.readlink(self.pages / "current")

    def current_within(self, ending: str, seconds: float = 10 * SYNC_SECONDS) -> bool:
        """Whether ``current`` points at a generation ending in ``ending`` within ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if os.path.lexists(self.pages / "current") and self.current().endswith(ending):
                return True
            time.sleep(SYNC_SECONDS / 10)
        return False


@pytest.fixture
def servers(transactional_db, tmp_path, monkeypatch):
    running = Servers(tmp_path, monkeypatch)
    try:
        yield running
    finally:
        running.stop_all()


def test_a_restart_keeps_pages_and_a_new_version_serves_none_of_the_old(servers):
    article = make_article("Drawn by the code of one")
    url = article.get_absolute_url()
    old = servers.start(OLD_PORT, "one")
    assert old.get(url)[1]["x-page-cache"] == "miss"
    assert "Drawn by the code of one" in servers.file_within(url)

    servers.stop(OLD_PORT)  # a restart of the same code
    old = servers.start(OLD_PORT, "one")
    assert old.get(url)[1]["x-page-cache"] == "hit"  # from Redis: kept
    assert servers.file_within(url) is not None  # the same folder, once a worker polled
    assert servers.current().endswith(".one")

    new = servers.start(NEW_PORT, "two")  # the rolling deploy: one still runs
    assert servers.file(url) is None  # nginx sends nothing drawn by one
    assert new.get(url)[1]["x-page-cache"] == "miss"  # nor does the new server
    assert new.get(url)[1]["x-page-cache"] == "hit"
    assert servers.file_within(url) is not None
    assert old.get(url)[1]["x-page-cache"] == "hit"  # one keeps its own pages
    seen = set()  # while both poll, several times each: one takes no folder back
    for _ in range(60):
        seen.add(servers.current())
        time.sleep(SYNC_SECONDS / 10)
    assert len(seen) == 1 and seen.pop().endswith(".two")
    assert servers.file(url) is not None

    article.headline = "Corrected once"
    article.save()  # an edit reaches both versions
    for browser in (old, new):
        assert wait_for_text(browser, url, "Corrected once"), browser.base
    assert servers.current().endswith(".two")


# No page request: the live counts of an article that does not exist (a 404 from the counts
# layer, which never asks the page store).
NOT_A_PAGE = "/api/articles/999999999/engagement/"


def test_a_new_version_holds_nginxs_folder_before_any_page_is_asked_of_it(servers):
    """A rolling deploy in which the new server is asked for no page (nginx sends every read
    from its files, or the balancer still sends them to the old servers): its workers keep
    its claim from their start, and the old version, still running and polling, does not
    take the folder back once a claim would have gone stale (``CLAIM_LASTS``)."""
    url = make_article("Drawn by whichever code runs").get_absolute_url()
    old = servers.start(OLD_PORT, "one")
    old.get(url)  # the old server's workers are polling
    assert servers.current_within(".one")

    servers.start(NEW_PORT, "two", ready=NOT_A_PAGE)
    assert servers.current_within(".two"), "the new version's workers never polled"
    seen = set()
    deadline = time.monotonic() + CLAIM_LASTS + 8 * SYNC_SECONDS
    while time.monotonic() < deadline:
        seen.add((servers.current().rsplit(".", 1)[-1], (servers.pages / CLAIM).read_text()))
        time.sleep(SYNC_SECONDS / 5)
    assert seen == {("two", "two")}
