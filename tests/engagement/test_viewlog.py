"""Views nginx answered itself, folded from its view log into the counts exactly once.

nginx writes one line a view (deploy/nginx.conf, ``log_format byline_view``);
``viewlog.fold()`` applies the counting rules of ``actions.count_view`` (bots,
the same reader again within 30 minutes, the per-address limit, published
articles only) and adds the views in the transaction that moves the file's
read position, so a fold that fails anywhere and runs again counts each line
once. With Redis the rules' marks live there (idempotent Lua); without it they
are rows in the fold's own transaction. tests/deploy/test_readers.py does the
same through a real nginx, and kills a real folder mid-batch.
"""

import os
import secrets
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline import readers
from byline.engagement import viewbuffer, viewlog
from byline.engagement.models import ArticleStats, DailyViews, ViewLogPosition, ViewMark
from byline.redisconn import redis_client
from tests.conftest import run_together
from tests.factory import make_article

pytestmark = pytest.mark.django_db(transaction=True)
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="Redis not configured: set REDIS_URL=redis://..."
)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def log_dir(settings, tmp_path) -> Path:
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path)
    return tmp_path


def browser() -> str:
    return f"Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0 test-{secrets.token_hex(4)}"


def line(article_id: int, address: str, agent: str, cookie: str = "-", at: float | None = None):
    """One line as nginx writes it."""
    return f"{at or time.time():.3f}\t{article_id}\t{address}\t{agent}\t{cookie}\n"


def write(folder: Path, *lines: str, slot: int | None = None, log: str = "views") -> Path:
    """Append the lines to the log's file of ``slot`` (now's), as nginx does."""
    slot = slot if slot is not None else int(time.time()) // viewlog.SLOT_SECONDS
    path = folder / f"{log}-{slot}.log"
    with path.open("a") as file:
        file.write("".join(lines))
    return path


def views(article) -> int:
    stats = ArticleStats.objects.filter(article=article).first()
    return stats.views if stats else 0


def test_each_reader_is_counted_once_and_bots_not_at_all(log_dir):
    """Three readers, one of them twice, a bot and a client without a User-Agent: 3 views,
    in the totals and the day's row."""
    article = make_article()
    a, b, c = browser(), browser(), browser()
    write(
        log_dir,
        line(article.pk, "198.51.100.1", a),
        line(article.pk, "198.51.100.2", b),
        line(article.pk, "198.51.100.1", a),
        line(article.pk, "198.51.100.3", c),
        line(article.pk, "198.51.100.4", BOT),
        line(article.pk, "198.51.100.5", ""),
    )
    assert viewlog.fold() == 3
    assert views(article) == 3
    assert DailyViews.objects.get(article=article).views == 3
    assert viewlog.fold() == 0  # read already: nothing twice


def test_the_reader_cookie_is_the_same_reader_at_another_address(log_dir):
    """A reader who voted (and so has the cookie) and moves from Wi-Fi to mobile data."""
    article = make_article()
    cookie = readers.cookie_value(readers.new_reader_id())
    write(
        log_dir,
        line(article.pk, "198.51.100.10", browser(), cookie),
        line(article.pk, "203.0.113.10", browser(), cookie),
    )
    viewlog.fold()
    assert views(article) == 1


def test_views_of_unpublished_or_missing_articles_and_malformed_lines_are_dropped(log_dir):
    draft = make_article(status="draft")
    article = make_article()
    write(
        log_dir,
        line(draft.pk, "198.51.100.20", browser()),
        line(10**12, "198.51.100.21", browser()),
        "not a line at all\n",
        "1.0\tx\t1.2.3.4\tagent\t-\n",
        line(article.pk, "198.51.100.22", browser()),
    )
    assert viewlog.fold() == 1
    assert views(article) == 1
    assert views(draft) == 0


@pytest.mark.parametrize("article_id", [9999999999999999999, 2**63, 10**19 + 1, 0, -1])
def test_an_article_id_no_database_can_hold_is_a_malformed_line_and_counting_goes_on(
    log_dir, article_id
):
    """nginx logs a beacon for any 1-19 digit id: one such line is skipped, the views
    around it are counted, and so are the views written after it."""
    article = make_article()
    write(
        log_dir,
        line(article.pk, "198.51.100.30", browser()),
        line(article_id, "198.51.100.31", browser()),
        line(article.pk, "198.51.100.32", browser()),
    )
    assert viewlog.fold() == 2
    write(log_dir, line(article.pk, "198.51.100.33", browser()))
    assert viewlog.fold() == 1
    assert views(article) == 3


def test_one_address_is_counted_at_most_the_limit_a_minute(log_dir, settings):
    """BYLINE_VIEWS_PER_MINUTE from one address, however many browsers it claims to be."""
    settings.BYLINE_VIEWS_PER_MINUTE = 5
    article = make_article()
    at = time.time() // 60 * 60 + 1
    write(log_dir, *(line(article.pk, "198.51.100.30", browser(), at=at) for _ in range(9)))
    viewlog.fold()
    assert views(article) == 5


def test_a_line_nginx_is_still_writing_waits_for_its_end(log_dir):
    article = make_article()
    agent = browser()
    whole = line(article.pk, "198.51.100.40", agent)
    path = write(log_dir, line(article.pk, "198.51.100.41", browser()), whole[:12])
    assert viewlog.fold() == 1
    with path.open("a") as file:
        file.write(whole[12:])
    assert viewlog.fold() == 1
    assert views(article) == 2


def test_a_fold_with_nothing_new_to_read_opens_no_transaction_on_the_log(log_dir):
    """The folder runs every second: a file it has read to the end costs it no query until
    nginx writes more (then it is read again from the committed position)."""
    article = make_article()
    path = write(log_dir, line(article.pk, "198.51.100.45", browser()))
    viewlog.fold()
    with CaptureQueriesContext(connection) as queries:
        assert viewlog.fold() == 0
    assert not [q for q in queries if "viewlogposition" in q["sql"] and "SELECT" not in q["sql"]]
    assert not [q for q in queries if "FOR UPDATE" in q["sql"]]
    with path.open("a") as file:
        file.write(line(article.pk, "198.51.100.46", browser()))
    assert viewlog.fold() == 1
    assert views(article) == 2


@needs_redis
def test_a_batch_on_postgresql_is_one_statement_with_its_position(log_dir):
    """With Redis deciding, a batch's views and the file's position go to PostgreSQL in one
    statement (``engagement_add_views``): no transaction of seven round trips a fold."""
    if connection.vendor != "postgresql":
        pytest.skip("one statement on PostgreSQL; other databases run the same steps")
    article = make_article()
    path = write(log_dir, line(article.pk, "198.51.100.47", browser()))
    viewlog.fold()
    with path.open("a") as file:
        file.write(line(article.pk, "198.51.100.48", browser()))
    with CaptureQueriesContext(connection) as queries:
        assert viewlog.fold() == 1
    writes = [q["sql"] for q in queries if "SELECT" not in q["sql"] or "add_views" in q["sql"]]
    assert len(writes) == 1 and "engagement_add_views" in writes[0]
    assert not [q for q in queries if "FOR UPDATE" in q["sql"]]
    assert views(article) == 2
    assert ViewLogPosition.objects.get(name=path.name).offset == path.stat().st_size


def test_a_batch_whose_position_another_folder_moved_first_adds_nothing(log_dir):
    """This process read the file to where it committed; another folder folded the lines
    after that meanwhile. Its batch of those lines finds the position moved, adds
    nothing, and the next fold reads on from where the other left it: each line once."""
    article = make_article()
    path = write(log_dir, line(article.pk, "198.51.100.90", browser()))
    viewlog.fold()
    known = dict(viewlog._read_to)
    write(log_dir, *(line(article.pk, f"198.51.100.{91 + n}", browser()) for n in range(3)))
    viewlog._read_to.clear()  # another folder: it reads the position row
    assert viewlog.fold() == 3
    viewlog._read_to.update(known)  # this one still has the position it committed
    write(log_dir, line(article.pk, "198.51.100.95", browser()))
    viewlog.fold()
    viewlog.fold()
    assert views(article) == 5
    assert ViewLogPosition.objects.get(name=path.name).offset == path.stat().st_size


def test_a_file_another_folder_finished_while_this_one_had_it_open_is_not_read_again(
    log_dir, monkeypatch
):
    """Two folders on one folder: this one opens a file nginx no longer writes, the other
    folds it to its end, deletes it and then its position. This one then finds no
    position, but the file is gone from its name (not a new file): it adds nothing."""
    article = make_article()
    slot = int(time.time()) // viewlog.SLOT_SECONDS - 3
    write(
        log_dir,
        *(line(article.pk, f"198.51.100.{120 + n}", browser()) for n in range(3)),
        slot=slot,
    )
    real = viewlog.position

    def the_other_folder_finishes_it_first(name):
        monkeypatch.setattr(viewlog, "position", real)
        assert viewlog.fold() == 3  # the other folder: reads it all, deletes it, its row
        assert not list(log_dir.glob("views-*.log"))
        return real(name)

    monkeypatch.setattr(viewlog, "position", the_other_folder_finishes_it_first)
    viewlog.fold()
    assert views(article) == 3
    assert not ViewLogPosition.objects.exists()


def test_a_file_is_deleted_only_once_the_database_has_it_read_to_its_end(log_dir, monkeypatch):
    """The database failed over and its new primary lacks the folder's last commit
    (replicated asynchronously): the folder remembers the file read to its end, the
    database has it unread. nginx writes another file now; this one is deleted only when
    its position in the database is at its end, so its lines are read again, once."""
    article = make_article()
    path = write(log_dir, *(line(article.pk, f"198.51.100.{130 + n}", browser()) for n in range(3)))
    assert viewlog.fold() == 3
    ViewLogPosition.objects.filter(name=path.name).update(offset=0)  # the commit lost
    ArticleStats.objects.all().delete()
    DailyViews.objects.all().delete()
    ViewMark.objects.all().delete()
    monkeypatch.setattr(viewlog, "SLOT_SECONDS", viewlog.SLOT_SECONDS // 10)  # time passes
    viewlog.fold()
    viewlog.fold()
    assert views(article) == 3
    assert not path.exists()


def test_a_batch_committed_whose_answer_was_lost_is_not_added_again(log_dir, monkeypatch):
    """The connection dropped after a batch's commit, before its answer: the folder does
    not know its position moved. The next fold finds the row moved on from where the
    folder remembers it (adds nothing), then reads on from the row: each line once."""
    article = make_article()
    write(log_dir, line(article.pk, "198.51.100.140", browser()))
    viewlog.fold()
    write(log_dir, *(line(article.pk, f"198.51.100.{141 + n}", browser()) for n in range(2)))
    real = viewlog._commit_batch

    def commits_then_fails(*args):
        real(*args)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(viewlog, "_commit_batch", commits_then_fails)
    with pytest.raises(OperationalError):
        viewlog.fold()
    monkeypatch.setattr(viewlog, "_commit_batch", real)
    write(log_dir, line(article.pk, "198.51.100.150", browser()))
    viewlog.fold()
    viewlog.fold()
    assert views(article) == 4


def fail_the_second_batch(monkeypatch, retried_for: float = 0.0):
    """Run ``viewlog.fold()`` with its second batch failing before the commit (the
    database went away, the process was killed); with ``retried_for``, that batch fails
    again at a fold every 0.3 s for that many seconds (the folder retrying it while the
    database stays away). Returns the real ``_commit_batch``."""
    real = viewlog._commit_batch
    calls = []

    def fails_from_the_second_batch(*args):
        calls.append(args)
        if len(calls) >= 2:
            raise RuntimeError("killed")
        return real(*args)

    monkeypatch.setattr(viewlog, "_commit_batch", fails_from_the_second_batch)
    with pytest.raises(RuntimeError):
        viewlog.fold()
    until = time.monotonic() + retried_for
    while time.monotonic() < until:
        time.sleep(0.3)
        with pytest.raises(RuntimeError):
            viewlog.fold()
    return real


def test_a_fold_that_fails_mid_batch_and_runs_again_counts_every_line_once(log_dir, monkeypatch):
    """The marks and limits are written, then the batch fails before its commit (the
    database went away, the process was killed): the rerun decides the same, exactly."""
    article = make_article()
    monkeypatch.setattr(viewlog, "BATCH_BYTES", 400)  # a few lines a transaction
    agents = [browser() for _ in range(12)]
    write(
        log_dir,
        *(line(article.pk, f"198.51.100.{50 + n}", agent) for n, agent in enumerate(agents)),
        *(line(article.pk, f"198.51.100.{50 + n}", agent) for n, agent in enumerate(agents[:4])),
    )
    real = fail_the_second_batch(monkeypatch)
    first = views(article)
    assert 0 < first < 12
    monkeypatch.setattr(viewlog, "_commit_batch", real)
    viewlog.fold()
    assert views(article) == 12


def test_the_app_flush_folds_the_log_and_a_read_file_is_deleted(log_dir):
    """``viewbuffer.flush()`` (the app's periodic flush, `byline flush_views`) folds the log
    too; a file nginx has moved on from is deleted once read, with its position."""
    article = make_article()
    old_slot = int(time.time()) // viewlog.SLOT_SECONDS - 3
    old = write(log_dir, line(article.pk, "198.51.100.70", browser()), slot=old_slot)
    current = write(log_dir, line(article.pk, "198.51.100.71", browser()))
    assert viewbuffer.flush() == 2
    assert not old.exists()
    assert current.exists()  # nginx may still write to it
    assert list(ViewLogPosition.objects.values_list("name", flat=True)) == [current.name]


def test_a_file_replaced_under_the_same_name_is_read_from_its_start(log_dir):
    """Another inode, or shorter than the position read: a new file (the name came back)."""
    article = make_article()
    path = write(log_dir, line(article.pk, "198.51.100.80", browser()))
    write(log_dir, line(article.pk, "198.51.100.82", browser()))
    viewlog.fold()
    path.unlink()
    write(log_dir, line(article.pk, "198.51.100.81", browser()))
    viewlog.fold()
    assert views(article) == 3


def test_addresses_and_agents_with_escapes_are_read_as_nginx_wrote_them(log_dir):
    """nginx writes a quote or a non-ASCII byte in a User-Agent as \\xHH."""
    article = make_article()
    write(log_dir, line(article.pk, "2001:db8::1", "Mozilla/5.0 \\x22Caf\\xC3\\xA9\\x22 test"))
    assert viewlog.fold() == 1


def test_without_a_view_log_folder_nothing_is_read(settings):
    settings.BYLINE_VIEW_LOG_DIR = ""
    assert viewlog.fold() == 0


def test_two_folders_at_once_without_redis_keep_one_addresses_limit(
    tmp_path, settings, monkeypatch
):
    """Two folders on two files (the app's own flush and `flush_views --every 1`), each
    with views from one address: together they count no more than the limit."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's write transactions queue by themselves")
    settings.REDIS_URL = ""
    settings.BYLINE_VIEWS_PER_MINUTE = 20
    monkeypatch.setattr(viewlog, "BATCH_BYTES", 300)  # a line or two a transaction
    article = make_article()
    at = time.time() // 60 * 60 + 1
    folders = [tmp_path / "a", tmp_path / "b"]
    for n, folder in enumerate(folders):
        folder.mkdir()
        slot = int(at) // viewlog.SLOT_SECONDS - n
        write(
            folder,
            *(line(article.pk, "198.51.100.90", browser(), at=at) for _ in range(30)),
            slot=slot,
        )
    run_together(lambda n: viewlog.fold(folders[n]), len(folders))
    assert views(article) == 20


def test_the_bot_verdict_kept_for_a_user_agent_is_the_one_asked_again(log_dir):
    """The folder keeps each User-Agent's verdict across folds: a bot stays a bot, a
    browser stays counted, the same as asking ``is_declared_bot`` every line."""
    from byline.engagement import actions

    for agent in (
        BOT,
        "",
        "  ",
        "Mozilla/5.0 \\x22CRAWLER\\x22",
        browser(),
        "Mozilla/5.0 (Caf\\xC3\\xA9)",
    ):
        raw = agent.encode()
        first, again = viewlog.agent_hash(raw), viewlog.agent_hash(raw)
        assert first == again
        assert (first == "") == actions.is_declared_bot(viewlog.unescape(raw))
    article = make_article()
    write(log_dir, *(line(article.pk, f"198.51.100.{100 + n}", BOT) for n in range(3)))
    assert viewlog.fold() == 0


def test_a_reader_repeated_within_one_batch_counts_once_and_still_counts_to_the_limit(
    log_dir, settings
):
    """The same browser three times in a minute (one batch): one view; the repeats still
    count towards the address's limit, so a fourth browser there is over it."""
    settings.BYLINE_VIEWS_PER_MINUTE = 3
    article = make_article()
    agent = browser()
    at = time.time() // 60 * 60 + 1
    write(
        log_dir,
        *(line(article.pk, "198.51.100.120", agent, at=at + n) for n in range(3)),
        line(article.pk, "198.51.100.120", browser(), at=at + 4),
    )
    assert viewlog.fold() == 1
    assert views(article) == 1


def test_a_repeat_with_a_reader_cookie_still_marks_that_reader(log_dir):
    """A browser seen again, now with a reader cookie (they voted in between): not
    counted, but the reader is marked, so the same reader at another address is not
    counted either."""
    article = make_article()
    agent = browser()
    cookie = readers.cookie_value(readers.new_reader_id())
    write(
        log_dir,
        line(article.pk, "198.51.100.130", agent),
        line(article.pk, "198.51.100.130", agent, cookie),
        line(article.pk, "203.0.113.130", browser(), cookie),
    )
    assert viewlog.fold() == 1
    assert views(article) == 1


def test_one_addresss_limit_is_kept_by_a_fold_that_fails_and_runs_again(log_dir, monkeypatch):
    """One address over its limit, its lines split across batches, the second batch
    failing before its commit: the rerun ranks each line as the first run did (the
    address's first line, then the lines after it), so exactly the limit counts."""
    monkeypatch.setattr(viewlog, "BATCH_BYTES", 300)  # a few lines a transaction
    from django.conf import settings

    monkeypatch.setattr(settings, "BYLINE_VIEWS_PER_MINUTE", 5)
    article, other = make_article(), make_article()
    at = time.time() // 60 * 60 + 1
    write(
        log_dir,
        *(line(article.pk, "198.51.100.140", browser(), at=at + n / 10) for n in range(9)),
        line(other.pk, "198.51.100.141", browser(), at=at),  # alone in its minute
    )
    real = fail_the_second_batch(monkeypatch)
    assert 0 < views(article) < 5
    monkeypatch.setattr(viewlog, "_commit_batch", real)
    viewlog.fold()
    viewlog.fold()
    assert (views(article), views(other)) == (5, 1)


@needs_redis
def test_an_addresss_limit_holds_while_a_batch_after_its_first_line_is_retried_for_long(
    log_dir, monkeypatch
):
    """The address's first line is committed; the batch of its second fails again and
    again for longer than a limit key lives (the database stays away): each retry keeps
    the first line's key alive with the address's limit, so the second line is still
    over the limit when its batch goes through."""
    from django.conf import settings

    monkeypatch.setattr(settings, "BYLINE_VIEWS_PER_MINUTE", 1)
    monkeypatch.setattr(viewlog, "LIMIT_KEY_SECONDS", 1)
    article = make_article()
    at = time.time() // 60 * 60 + 1
    first, second = (line(article.pk, "198.51.100.150", browser(), at=at + n) for n in (0, 1))
    monkeypatch.setattr(viewlog, "BATCH_BYTES", len(first) + 10)  # a line a transaction
    write(log_dir, first, second)
    real = fail_the_second_batch(monkeypatch, retried_for=2.0)
    assert views(article) == 1
    monkeypatch.setattr(viewlog, "_commit_batch", real)
    viewlog.fold()
    assert views(article) == 1


@needs_redis
def test_an_addresss_limit_holds_for_a_batch_retried_after_its_limit_keys_expired(
    log_dir, monkeypatch
):
    """One address over its limit: its first lines committed, the batch of the rest
    decided in Redis and then not committed (the database went away between the two),
    and the database away for longer than a limit key lives (the folds fail before
    they reach Redis: nothing keeps the keys alive). The retried batch applies the
    decisions it took the first time: the address still counts exactly its limit."""
    from django.conf import settings

    monkeypatch.setattr(settings, "BYLINE_VIEWS_PER_MINUTE", 5)
    monkeypatch.setattr(viewlog, "LIMIT_KEY_SECONDS", 1)
    article = make_article()
    at = time.time() // 60 * 60 + 1
    lines = [line(article.pk, "198.51.100.160", browser(), at=at + n / 10) for n in range(6)]
    monkeypatch.setattr(viewlog, "BATCH_BYTES", len(lines[0]) * 3 + 10)  # 3 lines a batch
    path = write(log_dir, *lines)
    real = fail_the_second_batch(monkeypatch)
    assert views(article) == 3
    time.sleep(2.5)  # the database still away: every key of that minute expires
    client = redis_client()
    minute = int(at) // 60
    address = readers.ip_bytes_hasher(viewlog._day(minute).isoformat())(b"198.51.100.160")
    assert not client.hexists(f"{viewlog.FIRST_PREFIX}{minute}:{address[0]}", address)
    assert not client.exists(f"{viewlog.LIMIT_PREFIX}{address}:{minute}")
    monkeypatch.setattr(viewlog, "_commit_batch", real)
    viewlog.fold()
    assert views(article) == 5  # the retried batch: two counted, the third over the limit
    assert not client.keys(f"{viewlog.DECIDED_PREFIX}*{path.name}*")  # gone once committed


@needs_redis
def test_a_retried_batch_keeps_the_decisions_of_lines_left_out_while_unpublished(
    log_dir, monkeypatch
):
    """A batch decided, then not committed; retried while one of its articles is
    unpublished (its lines left out), again not committed; retried once more, the
    article published again and every limit key expired. The lines left out the second
    time keep their first decisions: the address counts exactly its limit, never its
    limit again."""
    from django.conf import settings

    monkeypatch.setattr(settings, "BYLINE_VIEWS_PER_MINUTE", 5)
    monkeypatch.setattr(viewlog, "LIMIT_KEY_SECONDS", 1)
    first, other = make_article(), make_article()
    at = time.time() // 60 * 60 + 1
    address = "198.51.100.162"
    lines = [line(first.pk, address, browser(), at=at + n / 10) for n in range(4)]
    lines += [line(other.pk, address, browser(), at=at + n / 10) for n in range(4, 6)]
    monkeypatch.setattr(viewlog, "BATCH_BYTES", max(map(len, lines)) * 3 + 10)
    write(log_dir, *lines)
    real = fail_the_second_batch(monkeypatch)  # decided: 1, 1 and over the limit
    assert views(first) == 3
    published_among = viewlog.countfiles.published_among
    monkeypatch.setattr(
        viewlog.countfiles,
        "published_among",
        lambda ids: published_among(ids) - {other.pk},  # unpublished for a while
    )
    with pytest.raises(RuntimeError):
        viewlog.fold()  # the database still away
    monkeypatch.setattr(viewlog.countfiles, "published_among", published_among)
    time.sleep(2.5)  # every limit key of that minute expires
    monkeypatch.setattr(viewlog, "_commit_batch", real)
    viewlog.fold()
    assert (views(first), views(other)) == (4, 1)


@needs_redis
def test_a_batch_s_decisions_are_kept_only_until_it_is_committed(log_dir):
    """Decided and committed: nothing of its decisions is left in Redis."""
    article = make_article()
    path = write(log_dir, line(article.pk, "198.51.100.161", browser()))
    viewlog.fold()
    assert views(article) == 1
    assert not redis_client().keys(f"{viewlog.DECIDED_PREFIX}*{path.name}*")


@needs_redis
def test_a_committed_batch_s_decisions_go_in_the_round_trip_of_its_views_mark(log_dir, monkeypatch):
    """After the commit one round trip both deletes the batch's decisions and marks its
    articles' counts changed for the other folders."""
    from byline import redisconn

    sent = []
    round_trip = redisconn.round_trip

    def recording(client, commands):
        sent.append([command[0] for command in commands])
        return round_trip(client, commands)

    monkeypatch.setattr(redisconn, "round_trip", recording)
    article = make_article()
    path = write(log_dir, line(article.pk, "198.51.100.179", browser()))
    assert viewlog.fold() == 1
    assert ["DEL", "XADD"] in sent
    assert not redis_client().keys(f"{viewlog.DECIDED_PREFIX}*{path.name}*")
    ((_, mark),) = redis_client().xrevrange(viewlog.countfiles.stats.CHANGED_KEY, count=1)
    assert mark[b"a"] == str(article.pk).encode()


@needs_redis
def test_a_batch_another_folder_committed_first_still_deletes_its_decisions(log_dir):
    """Nothing added (another folder moved the position on under it): its decisions are
    deleted all the same."""
    article = make_article()
    path = write(log_dir, line(article.pk, "198.51.100.180", browser()))
    viewlog.fold()
    known = dict(viewlog._read_to)
    write(log_dir, line(article.pk, "198.51.100.181", browser()))
    viewlog._read_to.clear()  # another folder: it reads the position row
    assert viewlog.fold() == 1
    viewlog._read_to.update(known)  # this one still has the position it committed
    write(log_dir, line(article.pk, "198.51.100.182", browser()))
    assert viewlog.fold() == 0  # its batch from there finds the position moved
    assert not redis_client().keys(f"{viewlog.DECIDED_PREFIX}*{path.name}*")
    viewlog.fold()
    assert views(article) == 3


@pytest.mark.parametrize("address", [b"198.51.100.7", b"2001:db8::1f", b"bad\xff\x00address"])
def test_the_folder_hashes_an_address_as_the_app_does(address):
    """The folder hashes the log's bytes; the app the address's text: one hash, so one
    reader's marks and limit are the same whichever counted them."""
    text = address.decode("ascii", "replace")
    assert readers.ip_bytes_hasher()(address) == readers.hash_ip(text)
    assert readers.ip_bytes_hasher("2026-01-02")(address) == readers.hash_ip(text, "2026-01-02")


def test_the_published_check_of_a_fold_joins_nothing():
    """The folder asks which of a batch's articles are published at every fold: on
    PostgreSQL each article found is tested against the ids (``id = ANY(ids)``), where
    ``id IN (SELECT unnest(ids))`` was planned as a join of every published article with
    the ids (a nested loop, without fresh statistics: ms of the server's CPU a fold)."""
    if connection.vendor != "postgresql":
        pytest.skip("the ORM's own query elsewhere")
    from byline.engagement import stats

    article, draft = make_article(), make_article(status="draft")
    sql, params = stats.PUBLISHED_AMONG.query([article.pk, draft.pk, 10**12], timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert [row[0] for row in cursor.fetchall()] == [article.pk]
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Join" not in plan, plan


# --- the decisions as the twelfth round took them, the reference for the ones taken now --
# (the lines were parsed, then packed in a second pass, sent one argument each, and the
# script answered an integer each; now ``_parse`` packs as it reads, the lines go as one
# argument and the answer is one string: the same lines, rules and keys)
OLD_DECIDE = """
local ttl, limit, limit_ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local seen, limits, firsts = ARGV[4], ARGV[5], ARGV[6]
local find, sub, call = string.find, string.sub, redis.call
local out, expiring = {}, {}
for i = 7, #ARGV do
    local line = ARGV[i]
    local a = find(line, '\t', 1, true)
    local b = find(line, '\t', a + 1, true)
    local id = sub(line, 1, a - 1)
    local minute = sub(line, a + 1, (b or 0) - 1)
    local rank = 0
    if not call('SET', firsts .. minute, id, 'NX', 'EX', limit_ttl) then
        local first = call('GET', firsts .. minute)
        if first ~= id then
            local limit_key = limits .. minute
            if first then
                call('ZADD', limit_key, 'NX', 0, first, 0, id)
            else
                call('ZADD', limit_key, 'NX', 0, id)
            end
            if not expiring[limit_key] then
                expiring[limit_key] = true
                call('EXPIRE', limit_key, limit_ttl)
                if first then call('EXPIRE', firsts .. minute, limit_ttl) end
            end
            rank = call('ZRANK', limit_key, id)
        end
    end
    local counted = 0
    if b and rank < limit then
        counted = 1
        local c = find(line, '\t', b + 1, true)
        local article = sub(line, b + 1, c - 1)
        while c do
            local d = find(line, '\t', c + 1, true)
            local key = seen .. article .. ':' .. sub(line, c + 1, (d or 0) - 1)
            if not call('SET', key, id, 'NX', 'EX', ttl) and call('GET', key) ~= id then
                counted = 0
            end
            c = d
        end
    end
    out[#out + 1] = counted
end
return out
"""


def old_packed(lines):
    """The twelfth round's ``_packed``: each parsed line as the script took it."""
    packed, earlier = [], set()
    for each in lines:
        key = (each.article_id, each.identities, each.minute)
        if key in earlier:
            packed.append(f"{each.id}\t{each.ip_hash}:{each.minute}")
        else:
            earlier.add(key)
            marks = "\t".join(each.identities)
            packed.append(f"{each.id}\t{each.ip_hash}:{each.minute}\t{each.article_id}\t{marks}")
    return packed


def old_batch(lines, counted):
    """The twelfth round's ``_batch``."""
    from collections import Counter

    batch = Counter()
    for each, yes in zip(lines, counted, strict=True):
        if yes:
            batch[(each.article_id, viewlog._day(each.minute))] += 1
    return batch


def a_busy_log(seed: int = 7) -> bytes:
    """A log with what the rules tell apart: repeats within a minute and across minutes,
    one address over its limit, reader cookies (valid, forged, shared by two browsers),
    bots, malformed lines, escapes, a midnight crossed."""
    import random

    rng = random.Random(seed)
    midnight = time.time() // 86400 * 86400
    cookies = [readers.cookie_value(readers.new_reader_id()) for _ in range(3)] + ["forged:x"]
    agents = [f"Mozilla/5.0 Firefox/{n}" for n in range(4)] + [BOT, "-", "A\\x09B"]
    text = []
    for n in range(400):
        at = midnight - 90 + n * 0.45  # from 90 s before midnight to 90 after
        address = "198.51.100.9" if n % 3 == 0 else f"203.0.113.{rng.randrange(12)}"
        cookie = rng.choice([*cookies, "-", "-", "-"])
        text.append(line(rng.randrange(1, 5), address, rng.choice(agents), cookie, at=at))
        if n % 97 == 0:
            text.append("not a line\n")
    return "".join(text).encode()


def test_the_lines_are_packed_for_the_script_as_the_second_pass_packed_them():
    """``_parse`` packs each line as it reads it: the same text, repeats included, as
    packing the parsed lines afterwards gave; the views batched per day the same."""
    data = a_busy_log()
    lines, packed = viewlog._parse(data, 17_700_000, 1234, 0)
    assert lines == viewlog.parse(data, 17_700_000, 1234, 0)
    assert packed == old_packed(lines)
    assert sum(1 for each in packed if each.count("\t") == 1) > 10  # repeats were packed
    counted = [n % 3 != 0 for n in range(len(lines))]
    assert len({each.minute // 1440 for each in lines}) == 2
    assert viewlog._batch(lines, counted) == old_batch(lines, counted)


@needs_redis
@pytest.mark.parametrize("round_trip_lines", [1000, 7])
def test_the_script_decides_each_line_as_the_twelfth_rounds_did(monkeypatch, round_trip_lines):
    """The same log decided by the twelfth round's script (a line an argument, an integer
    an answer) and by today's (the lines in one argument, one string back), each on keys
    of its own, from nothing and then rerun: the same decision for every line. The limit
    is low, so ranks and sorted sets decide some lines."""
    from django.conf import settings

    from byline.redisconn import redis_client

    monkeypatch.setattr(settings, "BYLINE_VIEWS_PER_MINUTE", 4)
    monkeypatch.setattr(viewlog, "_ROUND_TRIP_LINES", round_trip_lines)
    client = redis_client()
    lines, packed = viewlog._parse(a_busy_log(), 17_700_000, 1234, 0)
    run = secrets.token_hex(4)
    answers = {}
    try:
        for name in ("old", "new"):
            prefixes = [f"test:{run}:{name}:{kind}:" for kind in ("seen", "limit", "first")]
            monkeypatch.setattr(viewlog, "SEEN_PREFIX", prefixes[0])
            monkeypatch.setattr(viewlog, "LIMIT_PREFIX", prefixes[1])
            monkeypatch.setattr(viewlog, "FIRST_PREFIX", prefixes[2])
            head = [1800, 4, viewlog.LIMIT_KEY_SECONDS, *prefixes]
            for _ in range(2):  # from nothing, then a rerun of the same lines
                if name == "old":
                    decided = []
                    for start in range(0, len(packed), round_trip_lines):
                        chunk = packed[start : start + round_trip_lines]
                        flags = client.eval(OLD_DECIDE, 0, *head, *chunk)
                        decided += [flag == 1 for flag in flags]
                else:
                    decided = viewlog._counted_in_redis(packed)
                answers.setdefault(name, []).append(decided)
    finally:
        for key in client.scan_iter(match=f"test:{run}:*", count=1000):
            client.delete(key)
    assert answers["new"] == answers["old"]
    first, rerun = answers["new"]
    assert first == rerun
    assert 0 < sum(first) < len(first)


@needs_redis
@pytest.mark.parametrize("seed", range(6))
def test_an_old_and_a_new_folder_taking_turns_count_at_most_one_view_more_a_minute(
    monkeypatch, seed
):
    """The rolling upgrade: a twelfth-round folder (an address's first line a key of its
    own) and one of today (a field of the minute's hash) deciding the lines of one
    address in one minute in turns, on the same marks and sorted sets. Each sees only
    its own first line, so one line may be counted beyond the limit, never two; on
    either alone, exactly the limit."""
    import random

    from django.conf import settings

    from byline.redisconn import redis_client

    limit = 4
    monkeypatch.setattr(settings, "BYLINE_VIEWS_PER_MINUTE", limit)
    rng = random.Random(seed)
    at = time.time() // 60 * 60 + 1
    log = "".join(
        line(1 + n % 3, "198.51.100.77", f"Mozilla/5.0 Firefox/{n}", at=at + n * 0.1)
        for n in range(3 * limit)
    ).encode()
    lines, packed = viewlog._parse(log, 17_700_000, 1234, 0)
    assert len({each.minute for each in lines}) == 1
    client = redis_client()
    run = secrets.token_hex(4)
    seen, limits, old_first, new_first = (
        f"test:{run}:{kind}:" for kind in ("seen", "limit", "first", "firsts")
    )
    monkeypatch.setattr(viewlog, "SEEN_PREFIX", seen)
    monkeypatch.setattr(viewlog, "LIMIT_PREFIX", limits)
    monkeypatch.setattr(viewlog, "FIRST_PREFIX", new_first)
    counts = {}
    try:
        for turns in ("mixed", "old", "new"):
            decided = []
            for each in packed:  # a round trip a line: the folders take turns at will
                version = rng.choice(["old", "new"]) if turns == "mixed" else turns
                if version == "old":
                    head = [1800, limit, viewlog.LIMIT_KEY_SECONDS, seen, limits, old_first]
                    decided += [flag == 1 for flag in client.eval(OLD_DECIDE, 0, *head, each)]
                else:
                    decided += viewlog._counted_in_redis([each])
            counts[turns] = sum(decided)
            for key in client.scan_iter(match=f"test:{run}:*", count=1000):
                client.delete(key)
    finally:
        for key in client.scan_iter(match=f"test:{run}:*", count=1000):
            client.delete(key)
    assert counts["old"] == counts["new"] == limit
    assert limit <= counts["mixed"] <= limit + 1


@needs_redis
def test_a_minutes_first_lines_are_kept_in_sixteen_hashes_freed_apart(monkeypatch):
    """A busy minute's first lines in one hash were one big free when it expired (tens of
    ms of Redis stalled for every vote at ten servers' views): they are split by the
    address hash's first digit, each hash a sixteenth of the minute."""
    from byline.redisconn import redis_client

    at = time.time() // 60 * 60 + 1
    log = "".join(
        line(1, f"198.51.{n // 250}.{n % 250}", "Mozilla/5.0 Firefox/128.0", at=at + n * 0.01)
        for n in range(800)
    ).encode()
    _, packed = viewlog._parse(log, 17_700_000, 4321, 0)
    client = redis_client()
    run = secrets.token_hex(4)
    for name, kind in (("SEEN", "seen"), ("LIMIT", "limit"), ("FIRST", "firsts")):
        monkeypatch.setattr(viewlog, f"{name}_PREFIX", f"test:{run}:{kind}:")
    try:
        assert all(viewlog._counted_in_redis(packed))
        hashes = list(client.scan_iter(match=f"test:{run}:firsts:*", count=1000))
        sizes = [len(set(client.hkeys(key)) - {b""}) for key in hashes]  # (b"": hash table)
        assert len(hashes) == 16 and sum(sizes) == 800
        assert max(sizes) < 100
        assert all(0 < client.ttl(key) <= viewlog.LIMIT_KEY_SECONDS for key in hashes)
    finally:
        for key in client.scan_iter(match=f"test:{run}:*", count=1000):
            client.delete(key)


@needs_redis
def test_a_minutes_first_lines_are_a_hash_table_from_its_first_line(monkeypatch):
    """An address's first line is looked up in its minute's hash at every line. A hash of
    up to Redis's ``hash-max-listpack-entries`` (512 by default) short fields was a
    listpack, scanned field by field: at a few hundred views a second each of the 16
    hashes stayed one for most of its minute, and ``HSETNX`` cost 4-9 µs a line against
    ~1 in a hash table. The script makes each hash a hash table when it makes it (a field
    ``""`` with a value longer than ``hash-max-listpack-value``), and no address is ``""``."""
    from byline.redisconn import redis_client

    at = time.time() // 60 * 60 + 1
    log = "".join(
        line(1, f"198.51.100.{n}", "Mozilla/5.0 Firefox/128.0", at=at + n * 0.01) for n in range(40)
    ).encode()
    lines, packed = viewlog._parse(log, 17_700_000, 4321, 0)
    client = redis_client()
    run = secrets.token_hex(4)
    for name, kind in (("SEEN", "seen"), ("LIMIT", "limit"), ("FIRST", "firsts")):
        monkeypatch.setattr(viewlog, f"{name}_PREFIX", f"test:{run}:{kind}:")
    try:
        assert all(viewlog._counted_in_redis(packed))
        hashes = list(client.scan_iter(match=f"test:{run}:firsts:*", count=1000))
        assert hashes
        assert {client.object("encoding", key) for key in hashes} == {b"hashtable"}
        fields = set()
        for key in hashes:
            fields |= set(client.hkeys(key)) - {b""}
        assert fields == {each.ip_hash.encode() for each in lines}
        assert all(0 < client.ttl(key) <= viewlog.LIMIT_KEY_SECONDS for key in hashes)
        assert viewlog._counted_in_redis(packed) == [True] * len(packed)  # a rerun: the same
    finally:
        for key in client.scan_iter(match=f"test:{run}:*", count=1000):
            client.delete(key)


# The thirteenth round's script, verbatim: the folder a rolling upgrade runs beside this one.
THIRTEENTH_DECIDE = """
local ttl, limit, limit_ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local seen, limits, firsts = ARGV[4], ARGV[5], ARGV[6]
local find, sub, call = string.find, string.sub, redis.call
local out, expiring, minutes = {}, {}, {}
local lines, from = ARGV[7], 1
while from <= #lines do
    local stop = find(lines, '\\n', from, true) or #lines + 1
    local line = sub(lines, from, stop - 1)
    from = stop + 1
    local a = find(line, '\t', 1, true)
    local b = find(line, '\t', a + 1, true)
    local colon = find(line, ':', a + 1, true)
    local id = sub(line, 1, a - 1)
    local address = sub(line, a + 1, colon - 1)
    local minute = sub(line, colon + 1, (b or 0) - 1)
    local part = minute .. ':' .. sub(address, 1, 1)  -- one of the minute's 16 hashes
    local firsts_key = minutes[part]
    if not firsts_key then
        firsts_key = firsts .. part
        minutes[part] = firsts_key
    end
    local rank = 0
    if call('HSETNX', firsts_key, address, id) == 0 then
        local first = call('HGET', firsts_key, address)
        if first ~= id then  -- not the address's first line this minute
            local limit_key = limits .. address .. ':' .. minute
            call('ZADD', limit_key, 'NX', 0, first, 0, id)
            if not expiring[limit_key] then
                expiring[limit_key] = true
                call('EXPIRE', limit_key, limit_ttl)
            end
            rank = call('ZRANK', limit_key, id)
        end
    end
    if not expiring[firsts_key] then  -- once a call: the first lines live on
        expiring[firsts_key] = true
        call('EXPIRE', firsts_key, limit_ttl)
    end
    local counted = 0
    if b and rank < limit then
        counted = 1
        local c = find(line, '\t', b + 1, true)
        local article = sub(line, b + 1, c - 1)
        while c do
            local d = find(line, '\t', c + 1, true)
            local key = seen .. article .. ':' .. sub(line, c + 1, (d or 0) - 1)
            if not call('SET', key, id, 'NX', 'EX', ttl) and call('GET', key) ~= id then
                counted = 0
            end
            c = d
        end
    end
    out[#out + 1] = counted
end
return table.concat(out)
"""


@needs_redis
@pytest.mark.parametrize("seed", range(6))
def test_a_thirteenth_round_folder_and_this_one_taking_turns_count_exactly_the_limit(
    monkeypatch, seed
):
    """The rolling upgrade from the thirteenth round: its folder and this one share every
    key (this one only adds the field ``""`` to a minute's hash, which no address is), so
    deciding one address's lines of a minute in turns counts exactly the limit, and a
    line decided by both is decided the same."""
    import random

    from django.conf import settings

    from byline.redisconn import redis_client

    limit = 4
    monkeypatch.setattr(settings, "BYLINE_VIEWS_PER_MINUTE", limit)
    rng = random.Random(seed)
    at = time.time() // 60 * 60 + 1
    log = "".join(
        line(1 + n % 3, "198.51.100.78", f"Mozilla/5.0 Firefox/{n}", at=at + n * 0.1)
        for n in range(3 * limit)
    ).encode()
    lines, packed = viewlog._parse(log, 17_700_000, 1234, 0)
    assert len({each.minute for each in lines}) == 1
    client = redis_client()
    run = secrets.token_hex(4)
    prefixes = [f"test:{run}:{kind}:" for kind in ("seen", "limit", "firsts")]
    for name, prefix in zip(("SEEN", "LIMIT", "FIRST"), prefixes, strict=True):
        monkeypatch.setattr(viewlog, f"{name}_PREFIX", prefix)
    head = [1800, limit, viewlog.LIMIT_KEY_SECONDS, *prefixes]

    def thirteenth(chunk):
        flags = client.eval(THIRTEENTH_DECIDE, 0, *head, "\n".join(chunk))
        return [flag == ord("1") for flag in (flags.encode() if isinstance(flags, str) else flags)]

    answers = {}
    try:
        for turns in ("mixed", "old", "new"):
            decided = []
            for each in packed:  # a round trip a line: the folders take turns at will
                version = rng.choice(["old", "new"]) if turns == "mixed" else turns
                decided += (
                    thirteenth([each]) if version == "old" else viewlog._counted_in_redis([each])
                )
            # then the other folder decides them all again (a batch retried by it)
            again = viewlog._counted_in_redis(packed) if turns == "old" else thirteenth(packed)
            assert again == decided
            answers[turns] = decided
            for key in client.scan_iter(match=f"test:{run}:*", count=1000):
                client.delete(key)
    finally:
        for key in client.scan_iter(match=f"test:{run}:*", count=1000):
            client.delete(key)
    assert answers["old"] == answers["new"] == answers["mixed"]
    assert sum(answers["mixed"]) == limit
