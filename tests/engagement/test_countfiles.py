"""The counts of the articles being read, as files nginx serves, rewritten only on change.

After each fold of nginx's view log, the folder writes
``<BYLINE_VIEW_LOG_DIR>/counts/<id>.json`` for the articles whose views it folded
(byline/engagement/countfiles.py): the same JSON as the counts endpoint,
rewritten only when it changes (so nginx's ETag, the file's time and size,
stays put), and removed when the article is no longer published.
tests/deploy/test_readers.py serves them through the real nginx.
"""

import json
import os
import secrets
import sys
import threading
import time

import pytest
import redis
from django.db import OperationalError, connection
from django.db.models import F
from django.utils import timezone

from byline import redisconn
from byline.engagement import actions, countfiles, stats, viewbuffer, viewlog, votelog
from byline.engagement.models import ArticleStats
from byline.redisconn import redis_client
from tests.engagement.test_viewlog import browser, line, needs_redis, write
from tests.engagement.test_votelog import line as vote_line
from tests.factory import make_article

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def log_dir(settings, tmp_path, monkeypatch):
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path)
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 0.0)  # every fold looks at every file
    countfiles.start_afresh()
    yield tmp_path
    countfiles.start_afresh()


def counts_file(log_dir, article) -> os.PathLike:
    return log_dir / "counts" / f"{article.pk}.json"


def test_a_folded_view_writes_the_articles_counts_as_the_endpoint_answers_them(log_dir, client):
    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.1", browser()))
    viewlog.fold()
    path = counts_file(log_dir, article)
    endpoint = client.get(f"/api/articles/{article.pk}/engagement/").json()
    assert json.loads(path.read_bytes()) == endpoint
    assert endpoint["views"] == 1


def test_a_file_is_rewritten_only_when_the_counts_change_and_never_keeps_its_time(log_dir):
    """Unchanged counts leave the file alone; changed ones get a later time, even within
    the same second and at the same size (nginx's ETag is the time and the size)."""
    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.2", browser()))
    viewlog.fold()
    path = counts_file(log_dir, article)
    first = path.stat().st_mtime
    assert viewlog.fold() == 0
    assert path.stat().st_mtime == first
    actions.react(article.pk, "reader-1", "happy")
    viewlog.fold()
    assert json.loads(path.read_bytes())["reactions"][0]["count"] == 1
    assert path.stat().st_mtime > first
    assert path.stat().st_mtime <= time.time() + 2


def test_a_file_still_as_the_folder_left_it_is_not_read_again(log_dir, monkeypatch):
    """Every look at the files (every 2 s) tells a file this folder wrote and nobody
    changed since by a stat, without reading it; one another process wrote is read."""
    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.5", browser()))
    viewlog.fold()
    reads = []
    real_read = countfiles.read_file
    monkeypatch.setattr(countfiles, "read_file", lambda path: reads.append(path) or real_read(path))
    viewlog.fold()
    viewlog.fold()
    assert reads == []
    path = counts_file(log_dir, article)
    other = path.read_bytes().replace(b'"comments":0,', b'"comments":5,')
    (log_dir / "counts" / "elsewhere").write_bytes(other)
    os.replace(log_dir / "counts" / "elsewhere", path)  # as another process writes it
    viewlog.fold()
    assert [os.fspath(each) for each in reads] == [os.fspath(path)]
    assert json.loads(path.read_bytes())["comments"] == 0  # read again, and written back


def test_an_unpublished_article_loses_its_file_at_the_next_fold_and_at_once_when_changed(log_dir):
    article = make_article()
    other = make_article()
    write(log_dir, line(article.pk, "198.51.100.3", browser()))
    write(log_dir, line(other.pk, "198.51.100.4", browser()))
    viewlog.fold()
    assert counts_file(log_dir, article).exists()
    article.status = "draft"
    article.save()  # article_changed: its file goes at once
    assert not counts_file(log_dir, article).exists()
    viewlog.fold()
    assert not counts_file(log_dir, article).exists()
    assert counts_file(log_dir, other).exists()


def test_without_a_view_log_folder_no_file_is_written(settings, tmp_path):
    settings.BYLINE_VIEW_LOG_DIR = ""
    article = make_article()
    article.save()
    assert viewlog.fold() == 0
    assert not (tmp_path / "counts").exists()


def test_a_views_only_change_waits_a_few_seconds_a_vote_does_not(log_dir, monkeypatch):
    """A hot article's views change every second: its file follows them every few
    seconds (VIEWS_ONLY_SECONDS), while a reaction shows at the next fold."""
    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.5", browser()))
    viewlog.fold()
    path = counts_file(log_dir, article)
    write(log_dir, line(article.pk, "198.51.100.6", browser()))
    viewlog.fold()
    assert json.loads(path.read_bytes())["views"] == 1  # not yet
    actions.react(article.pk, "reader-2", "sad")
    viewlog.fold()
    assert json.loads(path.read_bytes())["views"] == 2  # with the reaction, at once
    write(log_dir, line(article.pk, "198.51.100.7", browser()))
    monkeypatch.setattr(countfiles, "VIEWS_ONLY_SECONDS", 0.0)
    viewlog.fold()
    assert json.loads(path.read_bytes())["views"] == 3


def test_every_file_is_looked_at_every_few_seconds_a_newly_read_article_at_once(
    log_dir, monkeypatch
):
    """The folder runs every second, but reading every article's counts costs it the same
    whatever changed: it does so every PUBLISH_SECONDS (a vote shows then); an article
    read for the first time gets its file at the next fold (nginx answers it from then)."""
    article, later = make_article(), make_article()
    write(log_dir, line(article.pk, "198.51.100.7", browser()))
    viewlog.fold()
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 3600.0)
    actions.react(article.pk, "reader-2", "happy")
    write(log_dir, line(later.pk, "198.51.100.8", browser()))
    viewlog.fold()
    assert json.loads(counts_file(log_dir, later).read_bytes())["views"] == 1
    assert json.loads(counts_file(log_dir, article).read_bytes())["reactions"][0]["count"] == 0
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 0.0)
    viewlog.fold()
    assert json.loads(counts_file(log_dir, article).read_bytes())["reactions"][0]["count"] == 1


# --- reading again only what changed (Redis: the marks of changed counts) --------------


@pytest.fixture
def asked(monkeypatch):
    """The articles whose counts each look reads from the database, one list a look."""
    looks: list[list[int]] = []
    real = countfiles.counts_bodies

    def counts_bodies(article_ids):
        looks.append(list(article_ids))
        return real(article_ids)

    monkeypatch.setattr(countfiles, "counts_bodies", counts_bodies)
    return looks


def views_in(log_dir, article) -> int:
    return json.loads(counts_file(log_dir, article).read_bytes())["views"]


def read_first(log_dir, *articles) -> None:
    """Readers read these articles; the first look reads all their counts."""
    for n, article in enumerate(articles):
        write(log_dir, line(article.pk, f"198.51.100.{20 + n}", browser()))
    viewlog.fold()


@needs_redis
def test_a_vote_marks_its_article_and_the_next_look_reads_only_that_one(log_dir, asked):
    voted, quiet = make_article(), make_article()
    read_first(log_dir, voted, quiet)
    asked.clear()
    actions.react(voted.pk, "reader-3", "happy")
    viewlog.fold()
    assert asked == [[voted.pk]]
    assert json.loads(counts_file(log_dir, voted).read_bytes())["reactions"][0]["count"] == 1
    asked.clear()
    viewlog.fold()
    assert asked in ([], [[]])  # nothing changed: no query


@needs_redis
def test_views_the_folder_folded_itself_move_the_file_without_a_query(log_dir, asked, monkeypatch):
    """It added them to the totals, so it knows the new figure; other folders (the app
    server folds now and then) are marked to read the article again."""
    monkeypatch.setattr(countfiles, "VIEWS_ONLY_SECONDS", 0.0)
    article = make_article()
    read_first(log_dir, article)
    asked.clear()
    write(log_dir, line(article.pk, "198.51.100.30", browser()))
    write(log_dir, line(article.pk, "198.51.100.31", browser()))
    viewlog.fold()
    assert views_in(log_dir, article) == 3
    assert asked in ([], [[]])
    other = countfiles.changed_articles(float("inf"))  # a new folder's first look: all
    assert other is None


def vote_lines(article, *votes: tuple[str, str]) -> list[str]:
    """Vote log lines of readers of their own: (kind, choice) each."""
    return [
        vote_line(article.pk, kind, choice, secrets.token_hex(16), f"198.51.100.{40 + n}")
        for n, (kind, choice) in enumerate(votes)
    ]


@needs_redis
def test_the_folders_own_votes_move_the_file_to_the_bytes_a_read_gives_without_a_query(
    log_dir, asked
):
    """The statement that cast its vote log's votes answered the articles' figures after
    them: the next look writes those (the views it knows kept), the same bytes a read
    from the database gives, and reads nothing; other folders are marked to."""
    voted, quiet = make_article(), make_article()
    read_first(log_dir, voted, quiet)
    asked.clear()
    votes = [("reaction", "happy"), ("reaction", "sad"), ("rating", "4"), ("rating", "5")]
    write(log_dir, *vote_lines(voted, *votes), log="votes")
    viewbuffer.flush()  # the votes, then the views and the look, as flush_views does
    assert asked in ([], [[]])
    body = counts_file(log_dir, voted).read_bytes()
    assert body == countfiles.counts_bodies([voted.pk])[voted.pk]
    counts = json.loads(body)
    assert counts["views"] == 1
    assert counts["rating"]["average"] == 4.5
    assert sorted(r["count"] for r in counts["reactions"] if r["count"]) == [1, 1]
    marks = redis_client().xrange(stats.CHANGED_KEY)
    assert {b"a": str(voted.pk).encode(), b"by": countfiles.me().encode()} in [
        fields for _, fields in marks
    ]


@needs_redis
def test_votes_noted_while_a_look_reads_have_their_articles_read_again_at_the_next(
    log_dir, asked, monkeypatch
):
    """Another thread's fold may note its votes' figures while a look reads the counts
    (the read begun before their commit): the next look reads those articles again."""
    article = make_article()
    read_first(log_dir, article)
    real = countfiles.counts_bodies

    def counts_bodies(article_ids):
        bodies = real(article_ids)  # the read, then another thread's votes
        reads = countfiles.reads_done()
        vote = ("reaction", article.pk, "reader-7", "happy")
        (outcome,) = stats.cast_published_votes([vote], by=countfiles.me())
        countfiles.note_cast({article.pk: outcome[1]}, reads)
        return bodies

    monkeypatch.setattr(countfiles, "counts_bodies", counts_bodies)
    monkeypatch.setattr(countfiles, "FULL_SECONDS", 0.0)  # this look reads every article
    viewlog.fold()
    monkeypatch.setattr(countfiles, "counts_bodies", real)
    monkeypatch.setattr(countfiles, "FULL_SECONDS", 3600.0)
    asked.clear()
    viewlog.fold()
    assert asked == [[article.pk]]
    assert json.loads(counts_file(log_dir, article).read_bytes())["reactions"][0]["count"] == 1


@needs_redis
def test_a_change_another_threads_look_read_after_the_votes_statement_is_not_lost(
    log_dir, monkeypatch
):
    """A look in another thread of the process (an app server's fold) between the
    statement that cast the folder's votes and their commit reads a change committed
    meanwhile, its mark taken: the votes' figures lack that change, so the next look
    reads the article again rather than take them."""
    article = make_article()
    read_first(log_dir, article)
    real = stats.cast_published_votes

    def cast_then_another_look(votes, shard=None, by=""):
        outcomes = real(votes, shard, by)
        ArticleStats.objects.filter(article_id=article.pk).update(comments=F("comments") + 1)
        stats.mark_changed([article.pk])  # a comment the app committed, and its mark
        countfiles.publish(log_dir)  # the other thread's look takes the mark
        return outcomes

    monkeypatch.setattr(stats, "cast_published_votes", cast_then_another_look)
    write(log_dir, *vote_lines(article, ("reaction", "happy")), log="votes")
    votelog.fold()
    viewlog.fold()
    counts = json.loads(counts_file(log_dir, article).read_bytes())
    assert (counts["comments"], counts["reactions"][0]["count"]) == (1, 1)


@needs_redis
def test_figures_the_folder_cannot_take_after_its_votes_are_read_at_the_next_look(
    log_dir, asked, caplog
):
    """``note_cast`` runs after the votes' commit: whatever fails in it is logged and the
    article read again at the next look, never the fold's failure (the votes are cast)."""
    article = make_article()
    read_first(log_dir, article)
    countfiles._bodies[article.pk] = b"{not json"
    write(log_dir, *vote_lines(article, ("reaction", "happy")), log="votes")
    votelog.fold()  # no exception: the votes are committed
    assert "read again at the next look" in caplog.text
    asked.clear()
    viewlog.fold()
    assert asked == [[article.pk]]
    assert json.loads(counts_file(log_dir, article).read_bytes())["reactions"][0]["count"] == 1


@needs_redis
def test_a_look_whose_read_failed_reads_the_articles_marked_at_the_next(
    log_dir, asked, monkeypatch
):
    """The look took the marks, then its read failed (the database away): the next look
    reads those articles again, not only at the full look."""
    voted, quiet = make_article(), make_article()
    read_first(log_dir, voted, quiet)
    actions.react(voted.pk, "reader-4", "happy")
    real = countfiles.counts_bodies

    def database_away(article_ids):
        raise OperationalError("the database is away")

    monkeypatch.setattr(countfiles, "counts_bodies", database_away)
    viewlog.fold()
    monkeypatch.setattr(countfiles, "counts_bodies", real)
    asked.clear()
    viewlog.fold()
    assert asked == [[voted.pk]]
    assert json.loads(counts_file(log_dir, voted).read_bytes())["reactions"][0]["count"] == 1


@needs_redis
def test_a_change_nobody_marked_shows_at_the_full_look_every_few_seconds(
    log_dir, asked, monkeypatch
):
    """A mark can be lost (Redis failed at the vote's commit): every FULL_SECONDS the
    folder reads every article again, so no file stays wrong."""
    from byline.engagement.models import ArticleStats

    monkeypatch.setattr(countfiles, "VIEWS_ONLY_SECONDS", 0.0)
    article = make_article()
    read_first(log_dir, article)
    ArticleStats.objects.filter(article_id=article.pk).update(views=41)  # no mark
    viewlog.fold()
    assert views_in(log_dir, article) == 1
    monkeypatch.setattr(countfiles, "FULL_SECONDS", 0.0)
    viewlog.fold()
    assert views_in(log_dir, article) == 41


@needs_redis
def test_a_file_another_process_wrote_is_read_again(log_dir, asked):
    """The app server folds now and then too, and writes the files it reads: a file that
    is not what this folder left there is read again."""
    article = make_article()
    read_first(log_dir, article)
    asked.clear()
    countfiles.write_file(counts_file(log_dir, article), b'{"views":7,"comments":0}')
    viewlog.fold()
    assert asked == [[article.pk]]
    assert views_in(log_dir, article) == 1


@needs_redis
def test_a_changed_article_and_an_app_counted_view_are_marked(log_dir, asked, monkeypatch):
    """article_changed (a comment shown, an edit) and a view the app counted itself (the
    embedded path) mark the article too."""
    from byline.engagement.viewbuffer import record_view

    monkeypatch.setattr(countfiles, "VIEWS_ONLY_SECONDS", 0.0)
    edited, viewed = make_article(), make_article()
    read_first(log_dir, edited, viewed)
    asked.clear()
    edited.save()
    record_view(viewed.pk)
    viewlog.fold()
    assert sorted(asked[0]) == sorted([edited.pk, viewed.pk])
    assert views_in(log_dir, viewed) == 2


@needs_redis
def test_without_a_view_log_folder_no_change_is_marked(settings):
    """Nobody reads the marks without a view log folder (the embedded tier): a vote sends
    Redis nothing for them."""
    settings.BYLINE_VIEW_LOG_DIR = ""
    client = redis_client()
    client.delete(stats.CHANGED_KEY)
    actions.react(make_article().pk, "reader-3", "happy")
    assert client.xlen(stats.CHANGED_KEY) == 0


@needs_redis
def test_a_mark_is_the_xadd_redis_py_would_send_and_lands_in_the_stream(log_dir, monkeypatch):
    """A vote's mark goes out in one round trip of its own (``redisconn.round_trip``), not
    through redis-py's command machinery: the same command, word for word, as
    ``client.xadd(CHANGED_KEY, entry, **changed_trim())`` sends, trimmed the same way."""
    client = redis_client()
    entry = stats.changed_entry([7, 3], by="folder-1")
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr(client, "execute_command", lambda *args, **options: sent.append(args))
    monkeypatch.setattr(stats, "changed_trim", lambda: {"minid": 1234, "approximate": True})
    client.xadd(stats.CHANGED_KEY, entry, **stats.changed_trim())
    encode = client.connection_pool.get_encoder().encode
    assert [encode(word) for word in stats.changed_command(entry)] == [
        encode(word) for word in sent[0]
    ]
    monkeypatch.undo()
    article = make_article()
    client.delete(stats.CHANGED_KEY)
    actions.react(article.pk, "reader-4", "happy")
    ((_, fields),) = client.xrange(stats.CHANGED_KEY)
    assert fields == {b"a": str(article.pk).encode(), b"by": b""}


def test_a_rewrite_swaps_in_a_spare_file_written_again_only_long_after_it_was_served(
    tmp_path, monkeypatch
):
    """A rewrite writes into a spare file of the folder and swaps the two names (no new
    file: on ext4 that cost ten times the system time). The version swapped out is not
    written into for SPARE_SECONDS, so nginx, which may still send it from a descriptor
    it opened before (open_file_cache), sends it whole and as it was."""
    if countfiles._name_swapper() is None:
        pytest.skip("this system cannot swap two names (renameat2)")
    path = tmp_path / "7.json"
    countfiles.write_file(path, b'{"views":1}')
    with open(path, "rb") as held:  # the version nginx is serving
        countfiles.write_file(path, b'{"views":2}')
        countfiles.write_file(path, b'{"views":3}')
        assert path.read_bytes() == b'{"views":3}'
        assert os.pread(held.fileno(), 100, 0) == b'{"views":1}'
        monkeypatch.setattr(countfiles, "SPARE_SECONDS", 0.0)
        countfiles.write_file(path, b'{"views":44}')
        assert path.read_bytes() == b'{"views":44}'
        assert os.pread(held.fileno(), 100, 0) == b'{"views":44}'  # the spare, reused
    assert [name for name in os.listdir(tmp_path) if not name.startswith(".")] == ["7.json"]


def test_a_file_another_process_put_in_place_right_after_this_ones_write_is_read_again(
    log_dir, monkeypatch
):
    """What the folder remembers of a file it wrote is the version it wrote (its
    descriptor's), not whatever is at the name a moment later: when the app leaves an
    older body there just after the folder's write (``counts_layer.leave_file``), the
    next look sees another file, reads it and writes the counts back."""
    monkeypatch.setattr(countfiles, "VIEWS_ONLY_SECONDS", 0.0)
    article = make_article()
    real_write = countfiles.write_file

    def write_then_another_lands(name, body):
        written = real_write(name, body)
        older = body.replace(b'{"views":1,', b'{"views":0,')
        (log_dir / "counts" / "elsewhere").write_bytes(older)
        os.replace(log_dir / "counts" / "elsewhere", name)  # the app's write, a moment later
        return written

    monkeypatch.setattr(countfiles, "write_file", write_then_another_lands)
    write(log_dir, line(article.pk, "198.51.100.6", browser()))
    viewlog.fold()
    assert views_in(log_dir, article) == 0
    monkeypatch.setattr(countfiles, "write_file", real_write)
    viewlog.fold()
    assert views_in(log_dir, article) == 1


@pytest.mark.parametrize("swapping", [True, False], ids=["swapped", "renamed"])
def test_threads_of_one_process_writing_the_same_file_leave_one_whole_version(
    tmp_path, monkeypatch, swapping
):
    """The fold's ``publish`` runs in request threads while others leave files: threads
    writing the same file at once never share a spare or a temporary file, never take
    a spare another just swapped out, and the file is always one whole version."""
    if swapping and countfiles._name_swapper() is None:
        pytest.skip("this system cannot swap two names (renameat2)")
    if not swapping:
        monkeypatch.setattr(countfiles, "_swap_names", [None])
    monkeypatch.setattr(countfiles, "SPARE_SECONDS", 0.0)  # every spare ready at once
    path = tmp_path / "7.json"
    bodies = [b'{"views":%d}' % (10**n) for n in range(8)]  # all of different sizes
    failures: list[BaseException] = []
    seen: set[bytes] = set()

    def writer(body: bytes) -> None:
        try:
            for _ in range(300):
                countfiles.write_file(path, body)
                if not swapping:  # (a spare reused at once may be rewritten while read)
                    seen.add(path.read_bytes())
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(body,)) for body in bodies]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert seen | {path.read_bytes()} <= set(bodies)
    left = [name for name in os.listdir(tmp_path) if name != "7.json"]
    assert len(left) <= len(bodies) if swapping else left == []


def test_a_spare_removed_by_another_process_is_made_again(tmp_path, monkeypatch):
    """A process starting in the folder removes spares nobody swapped for long (a
    stopped process's; an idle process's too): their owner makes another."""
    if countfiles._name_swapper() is None:
        pytest.skip("this system cannot swap two names (renameat2)")
    path = tmp_path / "7.json"
    countfiles.write_file(path, b'{"views":1}')
    countfiles.write_file(path, b'{"views":2}')
    for name in os.listdir(tmp_path):
        if name.startswith(countfiles.SPARE_PREFIX):
            os.unlink(tmp_path / name)
    monkeypatch.setattr(countfiles, "SPARE_SECONDS", 0.0)
    countfiles.write_file(path, b'{"views":3}')
    countfiles.write_file(path, b'{"views":44}')
    assert path.read_bytes() == b'{"views":44}'
    spares = [name for name in os.listdir(tmp_path) if name.startswith(countfiles.SPARE_PREFIX)]
    assert len(spares) == 1


def test_spares_are_removed_once_names_can_no_longer_be_swapped(tmp_path, monkeypatch):
    """A file system that refuses the swap (found out at a write) leaves no spares."""
    if countfiles._name_swapper() is None:
        pytest.skip("this system cannot swap two names (renameat2)")
    path = tmp_path / "7.json"
    countfiles.write_file(path, b'{"views":1}')
    countfiles.write_file(path, b'{"views":2}')
    monkeypatch.setattr(countfiles, "_swap_names", [None])
    countfiles.write_file(path, b'{"views":3}')
    assert os.listdir(tmp_path) == ["7.json"]
    assert path.read_bytes() == b'{"views":3}'


def test_the_folders_published_check_is_the_sites_rule_asked_at_each_call(monkeypatch):
    """``countfiles.published_among`` (each fold, each look at the files) answers as
    ``Article.objects.published()``: drafts, password-protected articles and those
    scheduled for later are left out, and a scheduled article counts once its time
    has come, with no new query built (the ORM's query is built once and the time put
    in at each call)."""
    from datetime import timedelta

    from django.utils import timezone

    from byline.articles.models import Article

    published = make_article()
    draft = make_article(status=Article.Status.DRAFT)
    locked = make_article(password="secret")
    soon = make_article(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=1)
    )
    ids = [published.pk, draft.pk, locked.pk, soon.pk, 10**9]
    assert countfiles.published_among(ids) == {published.pk}
    assert countfiles.published_among(ids) == set(
        Article.objects.published().filter(pk__in=ids).values_list("pk", flat=True)
    )
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)  # the scheduled time has come
    assert countfiles.published_among(ids) == {published.pk, soon.pk}
    assert countfiles.published_among([]) == set()


def test_a_look_reads_the_counts_by_the_orms_rules_and_builds_no_query_after_the_first(
    monkeypatch,
):
    """``counts_bodies`` (each look at the counts files, for the articles whose counts
    changed) counts the views buffered in the database and the reactions of approved
    comments not erased, as the ORM's queries say; those queries are built once per
    connection (``db.Statement``: building them cost a look ~0.9 ms of CPU, their
    statements ~0.2), the ids put in at each call."""
    from django.db.models.sql.compiler import SQLCompiler

    from byline.discussion import reactions
    from byline.discussion.models import Comment
    from byline.engagement.models import PendingView
    from tests.discussion.factory import make_comment

    article, other = make_article(), make_article()
    kept, spam, erased = make_comment(article), make_comment(article), make_comment(article)
    for comment in (kept, spam, erased):
        reactions.set_reaction(comment.pk, "reader-1", True)
    Comment.objects.filter(pk=spam.pk).update(status=Comment.Status.SPAM)
    Comment.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    PendingView.objects.create(article_id=article.pk, day=timezone.now().date())
    PendingView.objects.create(article_id=other.pk, day=timezone.now().date())
    PendingView.objects.create(article_id=other.pk, day=timezone.now().date())

    def look() -> dict[int, dict]:
        bodies = countfiles.counts_bodies([article.pk, other.pk])
        return {article_id: json.loads(body) for article_id, body in bodies.items()}

    first = look()
    assert first[article.pk]["views"] == 1
    assert first[article.pk]["comment_reactions"] == {str(kept.pk): 1}
    assert first[other.pk]["views"] == 2
    assert first[other.pk]["comment_reactions"] == {}
    PendingView.objects.create(article_id=other.pk, day=timezone.now().date())
    built = []
    real = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda *a, **k: built.append(1) or real(*a, **k))
    again = look()
    assert again[other.pk]["views"] == 3
    assert again[article.pk] == first[article.pk]
    assert built == []


@pytest.mark.parametrize("name", ["9999999999999999999", str(2**63), "0", "²"])
def test_a_file_named_for_no_article_a_database_can_hold_stops_no_fold(log_dir, name):
    """The counts folder is the app's own, but a file put there by hand (or a copy of an
    old folder) under a name no database id can have is left alone, not read as an id:
    the fold writes the files of the articles read."""
    article = make_article()
    (log_dir / "counts").mkdir()
    stray = log_dir / "counts" / f"{name}.json"
    stray.write_text("{}")
    write(log_dir, line(article.pk, "198.51.100.40", browser()))
    assert viewlog.fold() == 1
    assert json.loads(counts_file(log_dir, article).read_bytes())["views"] == 1


def test_only_the_names_the_app_writes_are_articles_files(tmp_path):
    """The folder takes ``<id>.json`` as the article's file only when the id is spelt as
    the app writes it (and nginx asks for it): ``01.json`` is not article 1's file."""
    for name in ["1", "01", "007", "0", "+2", " 3", "4 ", "²", "5.json"]:
        (tmp_path / f"{name}.json").write_text("{}")
    assert countfiles.file_ids(tmp_path) == {1}


def folders_listed(monkeypatch) -> list:
    """The folders ``countfiles.file_ids`` lists from now on (only a look lists them)."""
    listed: list = []
    real = countfiles.file_ids
    monkeypatch.setattr(
        countfiles, "file_ids", lambda folder: listed.append(folder) or real(folder)
    )
    return listed


def test_the_folds_between_two_looks_do_not_list_the_counts_folder(log_dir, monkeypatch):
    """The folder folds every 2 s and looks at every file every PUBLISH_SECONDS: only
    the looks list the counts folder. Between them a newly read article still gets its
    file at once, and one another process already wrote (the app, for the page it
    rendered) is left for the next look."""
    article, later, rendered = make_article(), make_article(), make_article()
    write(log_dir, line(article.pk, "198.51.100.7", browser()))
    viewlog.fold()  # a look
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 3600.0)
    listed = folders_listed(monkeypatch)
    app_file = counts_file(log_dir, rendered)
    app_file.write_bytes(b'{"views":0}')
    write(log_dir, line(later.pk, "198.51.100.8", browser()))
    write(log_dir, line(rendered.pk, "198.51.100.9", browser()))
    viewlog.fold()
    viewlog.fold()
    assert listed == []
    assert views_in(log_dir, later) == 1
    assert app_file.read_bytes() == b'{"views":0}'
    article.save()  # edited (article_changed): its file goes, and the next fold makes it
    assert not counts_file(log_dir, article).exists()
    viewlog.fold()
    assert views_in(log_dir, article) == 1
    assert listed == []
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 0.0)
    viewlog.fold()  # the next look
    assert listed
    assert views_in(log_dir, rendered) == 1


def test_a_file_another_process_removed_between_looks_is_made_again_at_the_next_look(
    log_dir, monkeypatch
):
    """Another process removes an article's file (its article_changed: an edit, a
    comment shown): the folds between two looks do not list the folder, and the next
    look finds the file gone and writes it again, readers still reading the article."""
    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.50", browser()))
    viewlog.fold()  # a look
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 3600.0)
    path = counts_file(log_dir, article)
    os.unlink(path)  # by another process: this one does not know
    viewlog.fold()
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 0.0)
    viewlog.fold()  # the next look
    assert views_in(log_dir, article) == 1


def test_while_redis_is_down_and_views_wait_for_it_the_counts_files_still_show_votes(
    log_dir, settings
):
    """Redis stops (the view log's marks live there): a fold with a line waiting fails,
    and says so to its caller, but the counts files are looked at all the same, so a
    vote cast during the outage shows in its article's file."""
    from tests.faults.servers import free_port

    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.40", browser()))
    viewlog.fold()  # readers are reading it: it has a file
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.BYLINE_REDIS_TIMEOUT = 0.5
    try:
        write(log_dir, line(article.pk, "198.51.100.41", browser()))
        actions.react(article.pk, "reader-5", "happy")
        with pytest.raises(redis.RedisError):
            viewlog.fold()
        counts = json.loads(counts_file(log_dir, article).read_bytes())
        assert counts["reactions"][0]["count"] == 1
        assert counts["views"] == 1  # the waiting line is not counted yet
    finally:
        redisconn.reset()


def test_an_article_changed_while_another_thread_looks_at_a_new_folder_is_forgotten(
    tmp_path, settings, monkeypatch
):
    """``forget`` (article_changed, in a request thread) goes through the folders this
    process knows while a fold in another thread looks at a folder for the first time
    (adds it): neither fails."""
    settings.BYLINE_VIEW_LOG_DIR = ""  # (no file to remove: only what the process knows)
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 0.0)
    monkeypatch.setattr(countfiles, "_on_disk", {f"/elsewhere/{n}": {n} for n in range(5000)})
    folders = [tmp_path / str(n) for n in range(30)]
    for folder in folders:
        folder.mkdir()
    failures: list[BaseException] = []
    done = threading.Event()

    def looks() -> None:
        try:
            for folder in folders:
                countfiles.publish(folder)
        except BaseException as error:
            failures.append(error)
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=looks)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can
    try:
        thread.start()
        while True:  # at least once, however soon the other thread is done
            try:
                countfiles.forget(7)
            except BaseException as error:
                failures.append(error)
                break
            if done.is_set():
                break
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert 7 not in countfiles._on_disk["/elsewhere/7"]
    assert all(os.fspath(folder / "counts") in countfiles._on_disk for folder in folders)


def test_a_comment_published_leaves_the_counts_file_and_the_next_look_shows_it(log_dir):
    """A published comment changes the article's number of comments: its counts file is
    not removed (every beacon and refresh would go to the app until the next look), it
    is rewritten with the new number at the next look, as after a vote. A comment
    removed takes it down at once (below); an article taken down too."""
    from byline.discussion import actions as discussion
    from byline.discussion.models import Comment
    from tests.discussion.factory import make_comment

    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.60", browser()))
    viewlog.fold()
    path = counts_file(log_dir, article)
    comment = make_comment(article, status=Comment.Status.PENDING)
    discussion.moderate([comment], "approve", None)  # published: the count is 1
    assert path.exists()
    viewlog.fold()
    assert json.loads(path.read_bytes())["comments"] == 1
    discussion.moderate([comment], "trash", None)
    assert not path.exists()
    viewlog.fold()
    assert json.loads(path.read_bytes())["comments"] == 0
    article.status = article.Status.DRAFT
    article.save()
    assert not path.exists()


REMOVALS = ["trash", "spam", "unapprove", "held after its author's edit", "deleted", "erased"]


def remove(comment, how: str) -> None:
    """Take a published comment away from readers the way ``how`` says."""
    from byline.discussion import actions as discussion
    from byline.discussion import commenterdata

    if how == "deleted":
        discussion.delete_comments([comment])
    elif how == "erased":  # at its author's request
        commenterdata.erase_comments(comment.author_email)
    elif how == "held after its author's edit":
        comment.body = "Edited, and held by the spam filter this time."
        comment.status = comment.Status.PENDING
        discussion.edit_comment(comment, None, comment.Status.APPROVED)
    else:
        discussion.moderate([comment], how, None)


@pytest.mark.parametrize("how", REMOVALS)
def test_a_comment_removed_takes_the_files_naming_it_down_at_once(log_dir, how):
    """The counts file (``comment_reactions``) and the reaction counts file name a
    comment readers reacted to, its id and its count. Removed (by a moderator, deleted,
    erased at its author's request, held after an edit), nothing of it may be served
    until the next look: both files go at once, and the next look writes them without
    it."""
    from byline.discussion import reactions
    from tests.discussion.factory import make_comment

    article = make_article()
    kept, removed = make_comment(article), make_comment(article)
    reactions.set_reaction(removed.pk, "reader-1", True)
    reactions.set_reaction(kept.pk, "reader-2", True)
    write(log_dir, line(article.pk, "198.51.100.61", browser()))
    viewlog.fold()
    files = [counts_file(log_dir, article), log_dir / "reactions" / f"{article.pk}.json"]
    assert all(str(removed.pk) in json.dumps(json.loads(f.read_bytes())) for f in files)
    remove(removed, how)
    assert [f.exists() for f in files] == [False, False]
    viewlog.fold()
    assert json.loads(files[0].read_bytes())["comment_reactions"] == {str(kept.pk): 1}
    assert json.loads(files[1].read_bytes())["counts"] == {str(kept.pk): 1}


def test_a_comment_published_while_redis_refuses_the_mark_removes_the_counts_file(
    log_dir, settings
):
    """The folder learns of a published comment from a mark in Redis; Redis failing as
    it is sent, the mark is lost and the count could wait for the next full look
    (``FULL_SECONDS``): the counts file goes then, as before, and the app answers."""
    from byline.discussion import actions as discussion
    from byline.discussion.models import Comment
    from tests.discussion.factory import make_comment
    from tests.faults.servers import free_port

    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.62", browser()))
    viewlog.fold()
    path = counts_file(log_dir, article)
    comment = make_comment(article, status=Comment.Status.PENDING)
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.BYLINE_REDIS_TIMEOUT = 0.5
    try:
        discussion.moderate([comment], "approve", None)
        assert not path.exists()
    finally:
        redisconn.reset()


def test_a_look_due_a_few_milliseconds_after_a_fold_is_taken_at_that_fold(log_dir, monkeypatch):
    """The folds come every ``flush_views --every`` seconds, give or take their own
    time: a fold 1.99 s after the last look (PUBLISH_SECONDS 2) looks at the files, so
    a vote shows within the 2 s, not at the fold after; one 1 s after does not."""
    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.60", browser()))
    viewlog.fold()  # a look
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 2.0)
    listed = folders_listed(monkeypatch)
    countfiles._published[0] = time.monotonic() - 1.0
    viewlog.fold()
    assert listed == []
    countfiles._published[0] = time.monotonic() - 1.99
    viewlog.fold()
    assert listed


def test_a_look_is_taken_at_the_fold_after_a_slow_one(log_dir, monkeypatch):
    """A fold that took longer (a full look, a busy machine) makes the next one come
    early by as much: folds every 2 s, the one before 0.3 s slow, the next comes 1.7 s
    after it and after its look. That fold looks (else the next look came 3.7 s after
    the last, and a vote waited up to 4 s); with folds every second, a fold 1 s after
    the last and 1 s after a look does not (the looks stay every other fold)."""
    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.61", browser()))
    viewlog.fold()  # a look
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 2.0)
    listed = folders_listed(monkeypatch)
    countfiles._published[0] = countfiles._called[0] = time.monotonic() - 1.0
    viewlog.fold()
    assert listed == []
    countfiles._published[0] = countfiles._called[0] = time.monotonic() - 1.7
    viewlog.fold()
    assert listed
