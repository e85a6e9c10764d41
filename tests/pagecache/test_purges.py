"""An approved comment redraws only the pages that show comments: its article's pages and
the listings' comment counts. Every other page stays cached, and stays a file nginx serves."""

from __future__ import annotations

import gzip
import os
import threading
from dataclasses import replace

import pytest
from django.db import OperationalError, connection

from byline.discussion.actions import refresh_articles, refresh_published
from byline.discussion.popular import CANDIDATES, may_change
from byline.pagecache import files as files_module
from byline.pagecache import purges as purges_module
from byline.pagecache.files import PageFiles
from byline.pagecache.purges import REDIS_PREFIX, PurgeLog
from byline.pagecache.store import (
    FileGeneration,
    MemoryPages,
    PageStore,
    RedisGeneration,
    RedisPages,
    redis_client,
    reset_page_store,
)
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_section
from tests.pagecache.test_files import served_by_nginx
from tests.pagecache.test_store import needs_redis, page
from tests.pagecache.wsgi_client import call


@pytest.fixture
def redis():
    client = redis_client(os.environ["REDIS_URL"])
    client.flushdb()
    yield client
    client.flushdb()


def worker(client, files: PageFiles | None = None) -> PageStore:
    """One app worker's store, sharing Redis with the others (no polling delay)."""
    return PageStore(
        RedisGeneration(client, 0),
        MemoryPages(1 << 20),
        RedisPages(client),
        files,
        PurgeLog(client, 0, files.root if files is not None else None),
    )


def workers_sharing_files(redis, root, count: int) -> tuple[PageFiles, list[PageStore]]:
    """``count`` workers of one app server, each with its own handle on the page files
    nginx serves (as separate processes have), each having read the generation, which
    nginx then serves: the files, and the workers."""
    stores = [worker(redis, PageFiles(root)) for _ in range(count)]
    for store in stores:
        store.current_generation()
    files = PageFiles(root)
    files.switch(stores[0].current_generation())
    return files, stores


def scoped(store: PageStore, body: bytes, *scopes: str, mark: int | None = None):
    stored = page(body, generation=store.current_generation())
    return replace(stored, scopes=scopes, mark=store.purge_mark() if mark is None else mark)


def discussed_and_listings(page_cache, settings, tmp_path):
    """An article about to be discussed, another, and the listings, each cached and a
    page file where nginx serves it: the article, the URLs by name, the page files."""
    settings.BYLINE_PAGE_FILES_DIR = str(tmp_path / "pages")
    reset_page_store()
    section = make_section("Science")
    discussed = make_article("Moths counted", section=section)
    other = make_article("Bees counted", section=section)
    urls = {
        "discussed": discussed.get_absolute_url(),
        "second page": discussed.get_absolute_url() + "?sort=newest",
        "other": other.get_absolute_url(),
        "front": "/",
        "section": section.get_absolute_url(),
    }
    for url in urls.values():
        call(page_cache, url)
        assert call(page_cache, url).headers["x-page-cache"] == "hit", url
    return discussed, urls, page_cache.store.files


@needs_redis
@pytest.mark.django_db
def test_an_approved_comment_redraws_its_article_and_the_comment_counts_only(
    page_cache, redis, settings, tmp_path
):
    discussed, urls, files = discussed_and_listings(page_cache, settings, tmp_path)
    assert served_by_nginx(files, "http", "testserver", urls["other"]) is not None
    assert served_by_nginx(files, "http", "testserver", urls["discussed"]) is not None

    make_comment(discussed, body="The moths were early this year.")
    refresh_articles([discussed.pk])

    # The article's page file is gone at once: nginx asks the app, which redraws it.
    assert served_by_nginx(files, "http", "testserver", urls["discussed"]) is None
    assert served_by_nginx(files, "http", "testserver", urls["other"]) is not None
    fresh = call(page_cache, urls["discussed"])
    assert fresh.headers["x-page-cache"] == "miss"
    assert "The moths were early this year." in fresh.text
    assert '<span class="count">1</span> <span class="label">comment</span>' in fresh.text
    assert call(page_cache, urls["second page"]).headers["x-page-cache"] == "miss"
    # The listings show comment counts ("Most discussed"): redrawn too.
    assert call(page_cache, urls["front"]).headers["x-page-cache"] == "miss"
    assert call(page_cache, urls["section"]).headers["x-page-cache"] == "miss"
    # Nothing else is.
    assert call(page_cache, urls["other"]).headers["x-page-cache"] == "hit"
    assert served_by_nginx(files, "http", "testserver", urls["other"]) is not None


@needs_redis
@pytest.mark.django_db
def test_a_comment_far_from_most_discussed_leaves_the_listings_cached(page_cache, redis):
    """The listings show "Most discussed" (the week's ten most commented articles are its
    candidates): a comment on an article that cannot enter it redraws its own pages
    only; one on a ranked article redraws the listings too."""
    section = make_section("Science")
    ranked = [make_article(f"Discussed {n}", section=section) for n in range(CANDIDATES)]
    for article in ranked:
        for _ in range(3):
            make_comment(article)
    refresh_articles([article.pk for article in ranked])
    quiet = make_article("Bees counted", section=section)
    listings = ["/", section.get_absolute_url()]
    for url in [*listings, quiet.get_absolute_url()]:
        call(page_cache, url)
        assert call(page_cache, url).headers["x-page-cache"] == "hit", url

    make_comment(quiet, body="Bees were late this year.")
    refresh_articles([quiet.pk])

    fresh = call(page_cache, quiet.get_absolute_url())
    assert fresh.headers["x-page-cache"] == "miss"
    assert "Bees were late this year." in fresh.text
    for url in listings:  # the same ranking would be drawn again
        assert call(page_cache, url).headers["x-page-cache"] == "hit", url

    make_comment(ranked[-1])
    refresh_articles([ranked[-1].pk])
    for url in listings:
        assert call(page_cache, url).headers["x-page-cache"] == "miss", url


@pytest.mark.django_db
def test_an_article_with_enough_comments_this_week_enters_most_discussed(page_cache):
    """No purge is spared when the article's week now ranks it above the last candidate."""
    ranked = [make_article(f"Discussed {n}") for n in range(CANDIDATES)]
    for article in ranked:
        make_comment(article)
    rising = make_article("Rising")
    call(page_cache, "/")  # the ranking is counted and kept
    make_comment(rising)
    assert not may_change(rising.pk)  # one comment: below the candidates (ties: lower id first)
    make_comment(rising)
    assert may_change(rising.pk)
    assert may_change(ranked[0].pk)  # ranked: its count is shown


def most_discussed_of(html: str) -> str:
    return html.partition('id="most-discussed-heading"')[2].partition("</section>")[0]


@pytest.mark.django_db
def test_the_listings_redrawn_for_an_article_entering_most_discussed_show_it(page_cache):
    """The ranking is kept between renders (``popular.CACHE_KEY``): an article that now
    enters it is counted again, or the redrawn listings would show the ranking without it."""
    ranked = [make_article(f"Discussed {n}") for n in range(CANDIDATES)]
    for article in ranked:
        make_comment(article)
    rising = make_article("Moths return to the city")
    link = f'href="{rising.get_absolute_url()}#comments"'
    assert link not in most_discussed_of(call(page_cache, "/").text)  # the ranking is kept
    for _ in range(3):
        make_comment(rising)
    refresh_articles([rising.pk])
    front = call(page_cache, "/")
    assert front.headers["x-page-cache"] == "miss"
    assert link in most_discussed_of(front.text)


@pytest.mark.django_db
def test_a_comment_still_redraws_its_pages_when_most_discussed_cannot_be_counted(page_cache):
    """The article's count this week cannot be read (a database error after the commit):
    its pages are redrawn, and the listings too (they may show it)."""
    section = make_section("Science")
    for n in range(CANDIDATES):
        make_comment(make_article(f"Discussed {n}", section=section))
    quiet = make_article("Bees counted", section=section)
    pages = ["/", section.get_absolute_url(), quiet.get_absolute_url()]
    for url in pages:
        call(page_cache, url)
    failed: list[str] = []

    def week_count_fails(execute, sql, params, many, context):
        if "COUNT(" in sql.upper() and "submitted_at" in sql:
            failed.append(sql)
            raise OperationalError("the server closed the connection")
        return execute(sql, params, many, context)

    make_comment(quiet, body="Bees were late this year.")
    with connection.execute_wrapper(week_count_fails):
        refresh_articles([quiet.pk])
    assert failed  # (the count of ``popular.may_change``)
    for url in pages:
        assert call(page_cache, url).headers["x-page-cache"] == "miss", url
    assert "Bees were late this year." in call(page_cache, quiet.get_absolute_url()).text


@needs_redis
@pytest.mark.django_db
def test_an_edit_still_redraws_every_page(page_cache, redis):
    discussed, other = make_article("Moths"), make_article("Bees")
    for article in (discussed, other):
        call(page_cache, article.get_absolute_url())
    discussed.headline = "Moths, counted again"
    discussed.save()
    assert call(page_cache, other.get_absolute_url()).headers["x-page-cache"] == "miss"


@needs_redis
def test_every_worker_drops_a_purged_page_whoever_stored_it(redis):
    one, two = worker(redis), worker(redis)
    one.set("/a/", scoped(one, b"a, before", "comments:1"))
    one.set("/b/", scoped(one, b"b", "comments:2"))
    one.set("/c/", scoped(one, b"c, not scoped"))
    assert two.get("/a/", two.current_generation()).body == b"a, before"  # through Redis
    two.purge(("comments:1",))
    for store in (one, two):
        generation = store.current_generation()
        assert store.get("/a/", generation) is None
        assert store.get("/b/", generation).body == b"b"
        assert store.get("/c/", generation).body == b"c, not scoped"


@needs_redis
def test_a_page_begun_before_a_purge_is_never_stored_after_it(redis):
    """Rendered from the database as it was before the comment, stored once the purge
    is known: refused, in memory and in Redis."""
    one, two = worker(redis), worker(redis)
    one.current_generation()
    begun = one.purge_mark()
    two.purge(("comments:1",))
    one.set("/a/", scoped(one, b"a, from before", "comments:1", mark=begun))
    assert one.get("/a/", one.current_generation()) is None
    assert redis.keys(f"{REDIS_PREFIX}page:*") == []


@needs_redis
def test_a_file_written_by_a_worker_that_had_not_heard_of_the_purge_goes_when_it_does(
    redis, tmp_path
):
    files, (one, two) = workers_sharing_files(redis, tmp_path / "pages", 2)
    key = "http://news.example/articles/moths/"
    late = scoped(one, b"from before the comment", "comments:1")
    one.purges._next_read = float("inf")  # ``one`` reads the log later
    two.purge(("comments:1",))
    # ``one`` has not heard of it yet, and writes the file.
    one._keep(key, late, shared=False)
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is not None
    one.purges._next_read = float("-inf")
    one.current_generation()  # reads the purge: removes the files listed under its scope
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None


@needs_redis
def test_a_worker_that_hears_of_a_purge_late_leaves_the_files_written_after_it(redis, tmp_path):
    """The page rendered after a purge is current: the worker that wrote its file keeps
    serving the page from memory and never writes the file again. A worker that reads
    the log later (its next look, half a second on; or its first, just started) must
    not remove that file, or nginx asks the app for the page until it expires."""
    files, (one, two, late) = workers_sharing_files(redis, tmp_path / "pages", 3)
    key = "http://news.example/articles/moths/"
    late.purges._next_read = float("inf")  # ``late`` reads the log later
    two.purge(("comments:1",))
    one.current_generation()  # ``one`` reads the purge, then renders the page again
    one.set(key, scoped(one, b"with the new comment", "comments:1"))
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is not None
    late.purges._next_read = float("-inf")
    late.current_generation()  # reads the purge: the file is from after it
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is not None
    assert one.get(key, one.current_generation()).body == b"with the new comment"
    # And the next purge of the scope removes it.
    two.purge(("comments:1",))
    late.current_generation()
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None


@needs_redis
@pytest.mark.parametrize("first", ["late", "fresh", "at once"])
def test_a_page_rendered_before_a_purge_never_replaces_the_file_of_one_rendered_after_it(
    redis, tmp_path, monkeypatch, first
):
    """Two workers render a hot page at once: ``late`` has not heard of the purge yet (its
    page shows the article from before the comment), ``fresh`` has. Whichever writes
    first, and even when ``fresh`` comes while ``late`` is half-way through writing, the
    file nginx serves ends as ``fresh``'s page, listed as it is: the purge that ``late``
    hears of later leaves it, and never leaves the page from before (nor a missing file,
    as when the first writer's file stayed and the purge then removed it)."""
    files, (late, fresh, editor) = workers_sharing_files(redis, tmp_path / "pages", 3)
    key = "http://news.example/articles/moths/"
    late.purges._next_read = float("inf")  # ``late`` reads the log later
    editor.purge(("comments:1",))
    fresh.current_generation()  # ``fresh`` has read it
    before = scoped(late, b"from before the comment", "comments:1")
    after = scoped(fresh, b"with the new comment", "comments:1")
    assert before.mark < after.mark

    if first == "fresh":
        fresh._keep(key, after, shared=False)
        late._keep(key, before, shared=False)
    elif first == "late":
        late._keep(key, before, shared=False)
        fresh._keep(key, after, shared=False)
    else:
        late_writing, fresh_started = threading.Event(), threading.Event()
        compress = files_module._compress

        def compress_then_wait(body: bytes) -> bytes:  # ``late`` half-way, its lock held
            if body == before.body:
                late_writing.set()
                fresh_started.wait(0.5)
            return compress(body)

        monkeypatch.setattr(files_module, "_compress", compress_then_wait)
        first_thread = threading.Thread(target=late._keep, args=(key, before, False))
        first_thread.start()
        assert late_writing.wait(10)
        fresh_started.set()
        fresh._keep(key, after, shared=False)  # waits for ``late``'s file, replaces it
        first_thread.join(10)

    served = served_by_nginx(files, "http", "news.example", "/articles/moths/")
    assert served == b"with the new comment"
    late.purges._next_read = float("-inf")
    late.current_generation()  # ``late`` hears of the purge: removes the files from before
    served = served_by_nginx(files, "http", "news.example", "/articles/moths/")
    assert served == b"with the new comment"
    folder = files.root / "current" / "http" / "news.example" / "articles" / "moths"
    assert gzip.decompress((folder / "index.html.gz").read_bytes()) == served  # the same page


@needs_redis
def test_a_worker_that_missed_trimmed_purges_trusts_no_scoped_page_from_before(redis):
    one = worker(redis)
    one.set("/a/", scoped(one, b"a", "comments:1"))
    one.set("/c/", scoped(one, b"c, not scoped"))
    for n in range(3):
        one.purges.purge((f"comments:{100 + n}",))
    redis.zremrangebyrank(f"{REDIS_PREFIX}purges", 0, 1)  # the log keeps only the newest
    late = worker(redis)
    late.purges.last = 0
    generation = late.current_generation()
    assert late.get("/a/", generation) is None
    assert late.get("/c/", generation).body == b"c, not scoped"


def test_without_redis_a_comment_moves_the_generation(tmp_path):
    """One machine, the generation in a file: there is no log, every page goes."""
    store = PageStore(FileGeneration(tmp_path / "generation", 0), MemoryPages(1 << 20))
    before = store.current_generation()
    store.set("/b/", page(b"b", generation=before))
    store.purge(("comments:1",))
    assert store.current_generation() != before
    assert store.get("/b/", store.current_generation()) is None


def test_a_purge_that_cannot_be_sent_moves_the_generation(tmp_path):
    unreachable = redis_client("redis://127.0.0.1:1/0")  # nothing listens on port 1
    store = PageStore(
        FileGeneration(tmp_path / "generation", 0),
        MemoryPages(1 << 20),
        purges=PurgeLog(unreachable, 0),
    )
    before = store.current_generation()
    store.purge(("comments:1",))
    assert store.current_generation() != before


def test_a_scoped_page_is_not_served_while_the_log_cannot_be_read(tmp_path):
    unreachable = redis_client("redis://127.0.0.1:1/0")
    store = PageStore(
        FileGeneration(tmp_path / "generation", 0),
        MemoryPages(1 << 20),
        purges=PurgeLog(unreachable, 0),
    )
    generation = store.current_generation()
    store.memory.set("/a/", scoped(store, b"a, from before", "comments:1", mark=0))
    store.memory.set("/c/", page(b"c", generation=generation))
    assert store.get("/a/", generation) is None
    assert store.get("/c/", generation) is not None
    # Rendered meanwhile: no purge can be sent while Redis is unreachable.
    store.memory.set("/b/", scoped(store, b"b, rendered meanwhile", "comments:1"))
    assert store.get("/b/", generation) is not None


def test_scopes_and_mark_round_trip_through_redis_bytes():
    stored = page(b"x")
    scoped_page = replace(stored, scopes=("comment-counts", "comments:7"), mark=41)
    assert type(stored).from_bytes(scoped_page.to_bytes()) == scoped_page


@needs_redis
@pytest.mark.parametrize("start", [0, 185_245_982_331_300, (1 << 48) - 10])
def test_every_purge_is_an_entry_of_its_own_however_high_the_log_counts(redis, start):
    """The log starts at a random number below 2**48. Each entry stays in it, those with
    the same scopes too (a comment's ``begin``, with none, then its purge, at every
    comment), so a worker reading the log misses none and keeps trusting the pages it
    stored after the last one: the next comment's redraw splices into its article's
    page rather than drawing it whole."""
    redis.set(f"{REDIS_PREFIX}purge-seq", start)
    one, two = worker(redis), worker(redis)
    one.purges.purge(("comments:9",))
    two.set("/a/", scoped(two, b"a, after the first purge", "comments:1"))
    for _ in range(3):  # three comments on another article
        since = one.purges.begin()
        one.purges.purge(("comments:2",), since)
    numbers = [score for _, score in redis.zrange(f"{REDIS_PREFIX}purges", 0, -1, withscores=True)]
    assert numbers == [start + n for n in range(1, 8)]
    assert two.get("/a/", two.current_generation()).body == b"a, after the first purge"


@needs_redis
def test_purges_keep_working_after_redis_starts_again_empty(redis):
    """A new log counts from 1 again, below what the workers read: they move the
    generation once (marks from before mean nothing) and follow the new log."""
    one, two = worker(redis), worker(redis)
    for n in range(5):
        one.purge((f"comments:{100 + n}",))
    before = two.current_generation()
    two.set("/a/", scoped(two, b"a, marked under the old log", "comments:1"))
    redis.delete(f"{REDIS_PREFIX}purge-seq", f"{REDIS_PREFIX}purges")  # emptied
    generation = two.current_generation()
    assert generation != before  # the old marks mean nothing: every page goes
    assert two.get("/a/", generation) is None
    two.set("/a/", scoped(two, b"a, after", "comments:1"))
    assert two.get("/a/", two.current_generation()).body == b"a, after"
    one.purge(("comments:1",))  # numbered from 1 again
    assert two.get("/a/", two.current_generation()) is None


@needs_redis
def test_every_app_server_removes_its_own_files_of_a_purged_page(redis, tmp_path):
    """Two app servers, each with its nginx and its page files, share Redis: the first
    to read a purge must not take the other's list of files with it."""
    mine, theirs = PageFiles(tmp_path / "one"), PageFiles(tmp_path / "two")
    one, two = worker(redis, mine), worker(redis, theirs)
    mine.switch(one.current_generation())
    theirs.switch(two.current_generation())
    key = "http://news.example/articles/moths/"
    one.set(key, scoped(one, b"one's copy", "comments:1"))
    two.set(key, scoped(two, b"two's copy", "comments:1"))
    for files in (mine, theirs):
        assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is not None
    one.purge(("comments:1",))  # ``one`` reads it at once, ``two`` on its next read
    two.current_generation()
    for files in (mine, theirs):
        assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None


@needs_redis
def test_a_purged_page_leaves_no_compressed_copy_behind(redis, tmp_path):
    files = PageFiles(tmp_path / "pages")
    store = worker(redis, files)
    files.switch(store.current_generation())
    key = "http://news.example/articles/moths/"
    store.set(key, scoped(store, b"<p>before the comment</p>" * 100, "comments:1"))
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is not None
    folder = files.root / "current" / "http" / "news.example" / "articles" / "moths"
    assert sorted(p.name for p in folder.iterdir()) == ["index.html", "index.html.gz"]
    store.purge(("comments:1",))
    assert list(folder.iterdir()) == []


# -- a published comment: its article's page drawn again, its file replaced, never missing


def redrawing(store: PageStore, key: str, body: bytes, scope: str = "comments:1"):
    """What ``invalidation`` gives a purge once the comment is committed: the pages of
    ``keys`` drawn again by ``store`` (here ``body``, as the database now shows it)."""
    drawn: list[list[str]] = []

    def redraw(keys: list[str]) -> None:
        drawn.append(keys)
        for asked in keys:
            if asked == key:
                store.set(key, scoped(store, body, scope))

    return redraw, drawn


@needs_redis
@pytest.mark.django_db
def test_a_published_comment_replaces_its_article_page_file_which_never_goes_missing(
    page_cache, redis, settings, tmp_path, monkeypatch
):
    """Once a published comment is committed, its article's page is drawn again at once
    and replaces the file nginx serves: nginx never finds the file missing (it would send
    readers to the app until one of them had it drawn again). The comment pages beyond
    the first and the listings' comment counts are purged as before; nothing else."""
    discussed, urls, files = discussed_and_listings(page_cache, settings, tmp_path)
    removed: list = []
    unlink = getattr(purges_module, "_unlink_page", None)
    monkeypatch.setattr(
        purges_module,
        "_unlink_page",
        lambda p: (removed.append(p), unlink(p)),
        raising=False,
    )

    make_comment(discussed, body="The moths were early this year.")
    refresh_published([discussed.pk])

    served = served_by_nginx(files, "http", "testserver", urls["discussed"])
    assert served is not None  # nginx serves the file: the new page, at once
    assert b"The moths were early this year." in served
    assert b'<span class="count">1</span> <span class="label">comment</span>' in served
    assert not [p for p in removed if "moths-counted" in str(p)]  # replaced, never removed
    answer = call(page_cache, urls["discussed"])
    assert answer.headers["x-page-cache"] == "hit"  # the page drawn again, stored
    assert answer.body == served
    assert call(page_cache, urls["second page"]).headers["x-page-cache"] == "miss"
    assert call(page_cache, urls["front"]).headers["x-page-cache"] == "miss"
    assert call(page_cache, urls["other"]).headers["x-page-cache"] == "hit"
    assert served_by_nginx(files, "http", "testserver", urls["other"]) is not None


@needs_redis
@pytest.mark.django_db
def test_a_comment_taken_down_takes_its_page_file_down_at_once(
    page_cache, redis, settings, tmp_path
):
    """A comment readers saw that went away (trashed, deleted, erased) is not served a
    moment longer from a file: the file goes with the purge, nginx asks the app."""
    settings.BYLINE_PAGE_FILES_DIR = str(tmp_path / "pages")
    reset_page_store()
    discussed = make_article("Moths counted")
    comment = make_comment(discussed, body="My address is on the moth trap.")
    refresh_published([discussed.pk])
    url = discussed.get_absolute_url()
    call(page_cache, url)
    files = page_cache.store.files
    assert b"My address is on the moth trap." in served_by_nginx(files, "http", "testserver", url)

    comment.delete()
    refresh_articles([discussed.pk])

    assert served_by_nginx(files, "http", "testserver", url) is None
    answer = call(page_cache, url)
    assert answer.headers["x-page-cache"] == "miss"
    assert "My address is on the moth trap." not in answer.text


@needs_redis
def test_the_worker_that_hears_of_the_purge_later_keeps_the_page_drawn_again(redis, tmp_path):
    """The page drawn again is begun after the comment was committed (``begin``): the
    purge sent after it leaves it current, and its file, on every worker. A page begun
    before (another worker's memory, Redis) is out of date as with any purge."""
    files, (one, late) = workers_sharing_files(redis, tmp_path / "pages", 2)
    key = "http://news.example/articles/moths/"
    late.set(key, scoped(late, b"from before the comment", "comments:1"))
    late.set("/b/", scoped(late, b"b", "comments:2"))
    late.purges._next_read = float("inf")  # ``late`` reads the log later
    redraw, drawn = redrawing(one, key, b"with the new comment")

    one.purge(("comments:1",), redraw, redrawn=("comments:1",))

    assert drawn == [[key]]
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") == (
        b"with the new comment"
    )
    late.purges._next_read = float("-inf")
    generation = late.current_generation()  # hears of the purge: the new file stays
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") == (
        b"with the new comment"
    )
    late.memory.clear()  # its own copy is out of date; Redis holds the new one
    assert late.get(key, generation).body == b"with the new comment"
    assert late.get("/b/", generation).body == b"b"
    # The next comment's purge, sent as before, removes it.
    one.purge(("comments:1",))
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None


@needs_redis
def test_a_page_begun_before_the_comment_was_committed_is_out_of_date_after_its_purge(redis):
    """Only what was begun after ``begin`` (sent once the comment is committed) passes
    the purge sent with it; a page begun before, stored in memory or Redis, does not."""
    one, two = worker(redis), worker(redis)
    two.current_generation()
    begun_before = two.purge_mark()
    since = one.purges.begin()
    assert since is not None and since > begun_before
    two.current_generation()  # reads the log: what it begins now is marked ``since`` on
    after = scoped(two, b"begun after", "comments:1")
    assert after.mark >= since
    one.purges.purge(("comments:1",), since)
    two.current_generation()
    assert two.purges.current(("comments:1",), after.mark)
    assert not two.purges.current(("comments:1",), begun_before)
    assert not one.purges.current(("comments:1",), begun_before)


@needs_redis
def test_a_page_that_cannot_be_drawn_again_goes_with_the_purge(redis, tmp_path):
    """The database failing the redraw (or anything else): the purge is sent all the same
    and the file goes, as before; the comment's answer is not the worse for it."""
    files, (one,) = workers_sharing_files(redis, tmp_path / "pages", 1)
    key = "http://news.example/articles/moths/"
    one.set(key, scoped(one, b"from before the comment", "comments:1"))

    def fails(keys: list[str]) -> None:
        raise OperationalError("the database is away")

    one.purge(("comments:1",), fails, redrawn=("comments:1",))
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None
    assert one.get(key, one.current_generation()) is None


@needs_redis
def test_a_worker_that_sends_a_purge_still_hears_of_those_sent_just_before(redis):
    """Another worker's purge, sent after this one last read the log and before it sent
    its own: taking its own number for the last read would skip it, and this worker
    would serve that page from before for as long as pages are kept."""
    one, two = worker(redis), worker(redis)
    one.set("/b/", scoped(one, b"b, before its comment", "comments:2"))
    one.purges._next_read = float("inf")  # ``one`` has not read the log since
    two.purge(("comments:2",))
    one.purge(("comments:1",))
    one.purges._next_read = float("-inf")
    assert one.get("/b/", one.current_generation()) is None


@needs_redis
def test_a_worker_whose_read_fails_just_after_its_purge_still_hears_of_those_before_it(
    redis, monkeypatch
):
    """The purge is logged, then reading the log fails: this worker knows its own purge,
    but not those sent between its last read and it. Taking its own number for the last
    read then would skip them for good once the log answers again (a page from before
    one of them served for as long as pages are kept): none of its pages from before
    is trusted instead."""
    one, two = worker(redis), worker(redis)
    one.set("/b/", scoped(one, b"b, before its comment", "comments:2"))
    one.purges._next_read = float("inf")  # ``one`` has not read the log since
    two.purge(("comments:2",))
    pipeline = redis.pipeline
    monkeypatch.setattr(redis, "pipeline", lambda *a, **k: 1 / 0)  # the read fails
    one.purge(("comments:1",))
    monkeypatch.setattr(redis, "pipeline", pipeline)
    one.purges._next_read = float("-inf")
    generation = one.current_generation()
    assert one.purges.trusted
    assert one.get("/b/", generation) is None


@needs_redis
def test_a_worker_that_has_served_no_page_yet_draws_the_page_again_all_the_same(redis, tmp_path):
    """nginx serves the article from its file, so the worker that takes the comment may
    never have been asked for a page (nor read the generation): it still finds the page's
    file and draws it again, and nginx never finds the file missing."""
    files, (reader,) = workers_sharing_files(redis, tmp_path / "pages", 1)
    key = "http://news.example/articles/moths/"
    reader.set(key, scoped(reader, b"from before the comment", "comments:1"))
    poster = worker(redis, PageFiles(tmp_path / "pages"))  # no page asked of it yet
    redraw, drawn = redrawing(poster, key, b"with the new comment")

    poster.purge(("comments:1",), redraw, redrawn=("comments:1",))

    assert drawn == [[key]]
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") == (
        b"with the new comment"
    )


# The log's script as Byline wrote it before the nineteenth round: the member's number
# in Lua's own format (``1.8524598233130e+14`` past 14 digits), not ``%d``.
SEND_BEFORE = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], number, number .. '|' .. ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[3]) - 1)
return number
"""


@needs_redis
@pytest.mark.parametrize("start", [0, 185_245_982_331_300, (1 << 48) - 10])
def test_a_rolling_deploy_s_old_and_new_entries_are_each_read_once_in_order(
    redis, start, monkeypatch
):
    """During a rolling deploy servers of the old code log their purges with the old
    script (the member's number as Lua writes it) beside the new code's (``%d``). The
    log is read by score: a worker of the new code reads every entry once, in the order
    they were sent, takes none for missed (it keeps trusting the pages it stored after
    its last read), and makes out of date exactly the pages they purge."""
    redis.set(f"{REDIS_PREFIX}purge-seq", start)
    keys = [f"{REDIS_PREFIX}purge-seq", f"{REDIS_PREFIX}purges"]
    before = redis.register_script(SEND_BEFORE)
    new = worker(redis)

    def old(*scopes: str) -> int:
        """A purge sent by a server of the old code."""
        return int(before(keys=keys, args=[1, ",".join(scopes), purges_module.LOG_KEEP]))

    reader = worker(redis)
    generation = reader.current_generation()  # read: an empty log
    seen: list[tuple[int, str]] = []  # what ``reader`` took for read, in order
    learn = reader.purges._learn

    def reading(entries, read=True):
        if read:
            seen.extend(entries)
        return learn(entries, read)

    monkeypatch.setattr(reader.purges, "_learn", reading)
    reader.set("/kept/", scoped(reader, b"kept: nothing purges it", "comments:9"))
    reader.set("/one/", scoped(reader, b"one, before its comment", "comments:1"))

    sent = [(old("comments:1"), "comments:1")]
    sent.append((new.purges._send(("comments:2",)), "comments:2"))
    reader.current_generation()
    reader.set("/three/", scoped(reader, b"three, before its comment", "comments:3"))
    sent.append((old(), ""))  # an old server's ``begin``: no scopes
    sent.append((new.purges.begin(), ""))  # and a new one's, the same scopes
    sent.append((old("comments:3"), "comments:3"))
    since = sent[-2][0]
    sent.append((new.purges._send(("comments:4", f"since:{since}")), f"comments:4,since:{since}"))
    sent.append((old("comments:5", "comment-counts"), "comments:5,comment-counts"))
    generation = reader.current_generation()

    assert [number for number, _ in sent] == [start + n for n in range(1, 8)]
    assert seen == sent
    assert reader.purges.floor == 0 and reader.purges.last == start + 7
    assert reader.get("/kept/", generation).body == b"kept: nothing purges it"
    assert reader.get("/one/", generation) is None
    assert reader.get("/three/", generation) is None


@needs_redis
def test_an_old_servers_entry_written_over_before_it_was_read_leaves_no_page_trusted(redis):
    """An old server's entries with the same scopes within ten numbers share a member (its
    ``begin`` at every comment): the later one moves the earlier one's out of the log. A
    worker of the new code that had not read it sees a gap, and trusts no scoped page
    marked before it, the new code's pages too (what old servers cost before)."""
    start = 185_245_982_331_300
    redis.set(f"{REDIS_PREFIX}purge-seq", start)
    keys = [f"{REDIS_PREFIX}purge-seq", f"{REDIS_PREFIX}purges"]
    before = redis.register_script(SEND_BEFORE)
    new, reader = worker(redis), worker(redis)
    new.purges._send(("comments:1",))  # start + 1
    generation = reader.current_generation()  # read up to it
    reader.set("/a/", scoped(reader, b"a, before", "comments:9"))
    before(keys=keys, args=[1, "", purges_module.LOG_KEEP])  # start + 2, then moved
    new.purges._send(("comments:2",))  # start + 3
    before(keys=keys, args=[1, "", purges_module.LOG_KEEP])  # start + 4: the same member
    assert redis.zcard(f"{REDIS_PREFIX}purges") == 3
    generation = reader.current_generation()
    assert reader.purges.floor == start + 2 and reader.purges.last == start + 4
    assert reader.get("/a/", generation) is None
    reader.set("/a/", scoped(reader, b"a, after", "comments:9"))
    assert reader.get("/a/", generation).body == b"a, after"
