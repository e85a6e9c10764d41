"""A deploy shows at once: pages and kept fragments are each version of the code's own.

The version is simulated by the Django setting ``BYLINE_CODE_VERSION``, and
a server's start by a fresh page store: the pages, the story entries and the page files
are the real ones, in the real store (Redis when ``REDIS_URL`` is set, else the file
generation)."""

import io
import os
import time

import pytest
from django.test import RequestFactory

from bench.harness import free_ports
from byline.articles import hooks, story
from byline.pagecache.codeversion import code_version, computed_version, hash_folders
from byline.pagecache.files import CLAIM_LASTS, PageFiles
from byline.pagecache.store import (
    FileGeneration,
    MemoryPages,
    PageStore,
    RedisGeneration,
    RedisPages,
    page_store,
    redis_client,
    reset_page_store,
)
from tests.factory import make_article
from tests.pagecache.test_files import served_by_nginx
from tests.pagecache.test_store import needs_redis, page
from tests.pagecache.wsgi_client import call

# a port free when the suite starts: no Redis answers there (a fixed one may be a server's)
NOBODY_LISTENS = f"redis://127.0.0.1:{free_ports(1)[0]}/7"


def start(settings, version: str) -> None:
    """An app server of ``version`` starts (``byline run``): it owns the page files."""
    settings.BYLINE_CODE_VERSION = version
    reset_page_store()
    if settings.BYLINE_PAGE_FILES_DIR:
        files = PageFiles(settings.BYLINE_PAGE_FILES_DIR, version)
        files.claim()
        files.reset()


def poll() -> None:
    """What each worker's polling thread does: point nginx at the generation it reads."""
    store = page_store()
    store.files.ensure(store.current_generation())


def nginx(files: PageFiles, url: str) -> bytes | None:
    """The file nginx would send for ``url`` of the test client's host."""
    return served_by_nginx(files, "http", "testserver", url)


@pytest.fixture
def article(db):
    return make_article("A story the new templates draw")


@pytest.fixture
def with_files(settings, tmp_path):
    settings.BYLINE_PAGE_FILES_DIR = tmp_path / "pages"
    return PageFiles(tmp_path / "pages")


@needs_redis  # without Redis a new server's memory is empty: a miss whatever its version
def test_a_page_drawn_by_one_version_is_not_served_by_another(page_cache, settings, article):
    url = article.get_absolute_url()
    start(settings, "one")
    call(page_cache, url)
    assert call(page_cache, url).headers["x-page-cache"] == "hit"
    start(settings, "two")  # the deploy
    assert call(page_cache, url).headers["x-page-cache"] == "miss"
    assert call(page_cache, url).headers["x-page-cache"] == "hit"


@needs_redis
def test_a_restart_of_the_same_version_keeps_its_pages(page_cache, settings, article):
    url = article.get_absolute_url()
    start(settings, "one")
    call(page_cache, url)
    start(settings, "one")  # restarted: same code
    assert call(page_cache, url).headers["x-page-cache"] == "hit"


def test_nginx_serves_no_file_of_the_old_version_once_the_new_one_started(
    page_cache, settings, article, with_files
):
    url = article.get_absolute_url()
    start(settings, "one")
    call(page_cache, url)
    poll()
    assert b"A story the new templates draw" in nginx(with_files, url)
    start(settings, "two")
    assert nginx(with_files, url) is None
    poll()
    assert nginx(with_files, url) is None  # until drawn anew
    call(page_cache, url)
    assert nginx(with_files, url) is not None
    assert os.readlink(with_files.root / "current").endswith(".two")


def test_a_restart_of_the_same_version_keeps_its_page_files(
    page_cache, settings, article, with_files
):
    """With or without Redis (the file generation): nginx serves the files again once a
    worker has read the generation."""
    url = article.get_absolute_url()
    start(settings, "one")
    call(page_cache, url)
    poll()
    start(settings, "one")
    assert nginx(with_files, url) is None  # `byline run`
    poll()
    assert b"A story the new templates draw" in nginx(with_files, url)


def test_the_story_kept_by_one_version_is_not_shown_by_another(page_cache, settings, article):
    """The kept fragments (the story, the related stories, the navigation) are keyed by
    the generation, which holds the version."""
    request = RequestFactory().get(article.get_absolute_url())
    start(settings, "one")
    story.story_of(article, request)
    key = story.cache_key(article.pk, "http://testserver")
    assert hooks.site_generation().endswith(".one")
    entry = story.cache.get(key)
    assert entry is not None
    # What the old templates drew, say.
    story.cache.set(key, (entry[0], entry[1], "<p>drawn by one</p>"), story.KEEP_SECONDS)
    start(settings, "two")
    assert "drawn by one" not in story.story_of(article, request).html
    start(settings, "one")  # restarted, or a server of one still running
    assert "drawn by one" in story.story_of(article, request).html


def kept_by_one_and_two(page_cache, settings, url: str) -> PageStore:
    """``url`` drawn and kept by a server of one, then by one of two (the current
    store); the store of one, still running."""
    start(settings, "one")
    call(page_cache, url)
    one = page_store()
    start(settings, "two")
    call(page_cache, url)
    assert call(page_cache, url).headers["x-page-cache"] == "hit"
    return one


def still_kept(store: PageStore, url: str) -> bool:
    store.generation._next_read = float("-inf")  # its next read, half a second later
    return store.get("http://testserver" + url, store.current_generation()) is not None


def test_an_edit_reaches_every_version(page_cache, settings, article):
    url = article.get_absolute_url()
    one = kept_by_one_and_two(page_cache, settings, url)
    article.headline = "Corrected"
    article.save()  # on a server of two
    assert call(page_cache, url).headers["x-page-cache"] == "miss"
    assert not still_kept(one, url)


def test_redis_down_at_start_up_serves_pages_drawn_afresh(page_cache, settings, article):
    settings.REDIS_URL = NOBODY_LISTENS
    settings.BYLINE_REDIS_TIMEOUT = 0.2
    start(settings, "one")
    response = call(page_cache, article.get_absolute_url())
    assert response.status == 200
    assert "A story the new templates draw" in response.text
    assert page_store().current_generation().startswith("unreadable-")


def store_of(generation, version: str, shared=None, files=None) -> PageStore:
    return PageStore(generation, MemoryPages(1 << 20), shared, files, version=version)


def test_without_redis_two_versions_read_one_generation_and_keep_apart(tmp_path):
    shared = tmp_path / "generation"
    one = store_of(FileGeneration(shared, 0), "one")
    two = store_of(FileGeneration(shared, 0), "two")
    assert one.current_generation() != two.current_generation()
    before = two.current_generation()
    one.invalidate()
    assert two.current_generation() != before
    assert two.current_generation().split(".")[0] == one.current_generation().split(".")[0]


@needs_redis
def test_servers_of_two_versions_share_edits_not_pages():
    client = redis_client(os.environ["REDIS_URL"])
    client.flushdb()

    def server(version: str) -> PageStore:
        return store_of(RedisGeneration(client, 0), version, RedisPages(client))

    def read(store: PageStore) -> bytes | None:
        found = store.get("/", store.current_generation())
        return found.body if found is not None else None

    one, two = server("one"), server("two")
    one.set("/", page(b"drawn by one", generation=one.current_generation()))
    assert read(two) is None
    restarted = server("one")
    assert read(restarted) == b"drawn by one"
    two.invalidate()  # an edit on a server of two
    assert read(restarted) is None
    client.flushdb()


def test_old_workers_leave_nginx_to_the_version_started_last(tmp_path):
    """A rolling deploy behind one nginx: the old workers keep running, and neither
    point ``current`` at their folder nor write files, so the two do not take turns."""
    root = tmp_path / "pages"
    shared = tmp_path / "generation"
    old_files = PageFiles(root, "one")
    old_files.claim()
    old = store_of(FileGeneration(shared, 0), "one", files=old_files)
    old.set("http://news.example/", page(b"old", generation=old.current_generation()))
    assert served_by_nginx(old_files, "http", "news.example", "/") == b"old"

    new_files = PageFiles(root, "two")
    new_files.claim()
    new_files.reset()
    new = store_of(FileGeneration(shared, 0), "two", files=new_files)
    for _ in range(2):  # each polls in turn
        old_files.ensure(old.current_generation())
        new_files.ensure(new.current_generation())
        assert served_by_nginx(new_files, "http", "news.example", "/") is None
    old.set("http://news.example/", page(b"old again", generation=old.current_generation()))
    assert served_by_nginx(new_files, "http", "news.example", "/") is None
    new.set("http://news.example/", page(b"new", generation=new.current_generation()))
    assert served_by_nginx(new_files, "http", "news.example", "/") == b"new"
    old.invalidate()  # an edit on an old server: every version's pages go
    new_files.ensure(new.current_generation())
    assert served_by_nginx(new_files, "http", "news.example", "/") is None
    assert os.readlink(root / "current") == new.current_generation()


def aged(root, seconds: float) -> None:
    """The claim of ``root`` last refreshed ``seconds`` ago (its workers' last poll)."""
    then = time.time() - seconds
    os.utime(root / ".version", (then, then))


def test_the_folder_goes_back_to_the_running_code_when_the_code_started_last_stops(tmp_path):
    """A new version started, drew pages, and was stopped (a deploy given up, a canary)
    while the old servers run on: their edits still reach nginx's files."""
    root = tmp_path / "pages"
    shared = tmp_path / "generation"
    old_files = PageFiles(root, "one")
    old_files.claim()
    old = store_of(FileGeneration(shared, 0), "one", files=old_files)
    new_files = PageFiles(root, "two")
    new_files.claim()
    new_files.reset()
    new = store_of(FileGeneration(shared, 0), "two", files=new_files)
    new.set("http://news.example/", page(b"drawn by two", generation=new.current_generation()))
    assert served_by_nginx(new_files, "http", "news.example", "/") == b"drawn by two"

    aged(root, CLAIM_LASTS + 1)
    new_files.ensure(new.current_generation())  # two still runs: its polls refresh the claim
    old_files.ensure(old.current_generation())
    assert os.readlink(root / "current") == new.current_generation()

    aged(root, CLAIM_LASTS + 1)  # two stopped: nothing refreshed its claim since
    old.invalidate()  # an edit on a server of one
    assert served_by_nginx(old_files, "http", "news.example", "/") is None
    assert os.readlink(root / "current") == old.current_generation()
    old.set("http://news.example/", page(b"edited", generation=old.current_generation()))
    assert served_by_nginx(old_files, "http", "news.example", "/") == b"edited"


def test_the_version_follows_the_code(tmp_path):
    code = tmp_path / "byline"
    (code / "templates").mkdir(parents=True)
    (code / "templates" / "page.html").write_text("<p>{{ story }}</p>")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\x00")
    first = hash_folders([code])
    assert hash_folders([code]) == first  # a restart: the same version
    (code / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\x01")
    assert hash_folders([code]) == first  # bytecode is not code
    (code / "templates" / "page.html").write_text("<p class=story>{{ story }}</p>")
    assert hash_folders([code]) != first


def test_a_file_that_cannot_be_read_leaves_the_version_to_the_others(tmp_path):
    """A link to nothing in the package (or a file the app's user cannot read): the
    version still follows the other files, rather than falling back to the package's
    version number, which no release changes."""
    code = tmp_path / "byline"
    (code / "templates").mkdir(parents=True)
    (code / "templates" / "page.html").write_text("<p>{{ story }}</p>")
    (code / "templates" / "gone.html").symlink_to(code / "templates" / "nowhere.html")
    first = hash_folders([code])
    assert hash_folders([code]) == first
    (code / "templates" / "page.html").write_text("<p class=story>{{ story }}</p>")
    assert hash_folders([code]) != first


def test_a_named_version_is_used_as_it_is_when_it_can_name_a_folder(settings):
    settings.BYLINE_CODE_VERSION = "v2.4.1"
    assert code_version() == "v2.4.1"
    settings.BYLINE_CODE_VERSION = "../release 5"
    assert "/" not in code_version() and " " not in code_version()
    settings.BYLINE_CODE_VERSION = ""  # none named: the code's own, computed once a process
    assert code_version() == computed_version() != "v2.4.1"
    assert computed_version.cache_info().currsize == 1


@pytest.mark.django_db  # on PostgreSQL `byline run` reads max_connections
def test_byline_run_gives_the_page_files_to_its_version(settings, tmp_path, monkeypatch):
    from byline.management.commands import run
    from byline.pagecache import codeversion

    old = PageFiles(tmp_path / "pages", "one")
    old.claim()
    old.switch("7.one")
    settings.BYLINE_PAGE_FILES_DIR = str(old.root)
    settings.BYLINE_CODE_VERSION = "two"
    monkeypatch.setattr(run.os, "execv", lambda path, argv: None)
    monkeypatch.setenv(codeversion.ENVIRON, "")  # put back as it was after the test
    run.Command().serve_production("127.0.0.1", 8500)
    assert os.environ[codeversion.ENVIRON] == "two"  # for its workers
    assert not (old.root / "current").exists()
    old.ensure("7.one")  # an old worker's poll
    assert not (old.root / "current").exists()
    assert PageFiles(old.root, "two").owns()


def test_purge_pages_still_purges_every_version(page_cache, settings, article):
    from django.core.management import call_command

    url = article.get_absolute_url()
    one = kept_by_one_and_two(page_cache, settings, url)
    call_command("purge_pages", stdout=io.StringIO())
    assert call(page_cache, url).headers["x-page-cache"] == "miss"
    assert not still_kept(one, url)
