"""Votes nginx answered itself, cast from its vote log in batches exactly once.

nginx writes one line a vote (deploy/nginx.conf, ``log_format byline_vote``);
``votelog.fold()`` applies the rules of ``actions.vote`` (a valid choice, the
reader's and the address's limit a minute by the line's own minute, a published
article) and casts the batch's votes in line order in the transaction that moves
the file's read position, so a fold that fails anywhere and runs again casts each
line once. tests/deploy/test_votelog.py does the same through a real nginx.
"""

import logging
import secrets
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from byline import readers
from byline.engagement import actions, stats, viewbuffer, votelog
from byline.engagement.models import Rating, Reaction, ViewLogPosition
from tests.corpora import NAUGHTY
from tests.engagement.test_viewlog import write as write_log
from tests.factory import make_article

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def log_dir(settings, tmp_path) -> Path:
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path)
    return tmp_path


def reader() -> str:
    """A reader id as nginx mints it ($request_id)."""
    return secrets.token_hex(16)


def line(
    article_id: int,
    kind: str,
    value: str,
    cookie: str,
    address: str = "198.51.100.1",
    agent: str = "Mozilla/5.0 Firefox/130.0",
    at: float | None = None,
) -> str:
    """One line as nginx writes it (the choice after "=": empty withdraws)."""
    return (
        f"{at or time.time():.3f}\t{article_id}\t{kind}\t={value}\t{address}\t{agent}\t{cookie}\n"
    )


def write(folder: Path, *lines: str, slot: int | None = None) -> Path:
    return write_log(folder, *lines, slot=slot, log="votes")


def keys() -> list[str]:
    return actions.reaction_keys()


def reaction_of(article, reader_id: str) -> str | None:
    row = Reaction.objects.filter(article=article, reader=reader_id).first()
    return (row.reaction or None) if row else None


def stars_of(article, reader_id: str) -> int | None:
    row = Rating.objects.filter(article=article, reader=reader_id).first()
    return row.stars if row else None


def reactions(article) -> dict[str, int]:
    figures = stats.figures_for(article.pk)
    return {r.key: r.count for r in figures.reactions if r.count}


def test_a_logged_reaction_and_rating_are_cast_for_their_reader(log_dir):
    """A reaction and a rating in the log: cast for the reader the line names, and the
    counts show them once."""
    article = make_article()
    who = reader()
    write(
        log_dir, line(article.pk, "reaction", keys()[0], who), line(article.pk, "rating", "4", who)
    )
    assert votelog.fold() == 2
    assert reaction_of(article, who) == keys()[0]
    assert stars_of(article, who) == 4
    assert reactions(article) == {keys()[0]: 1}
    assert stats.figures_for(article.pk).rating_count == 1


def test_a_reader_changing_their_vote_in_one_batch_ends_with_the_last(log_dir):
    """Several votes of one reader in one batch are cast as if one after another: the last
    one wins and the counts hold one vote."""
    article = make_article()
    who = reader()
    first, second = keys()[0], keys()[1]
    write(
        log_dir,
        line(article.pk, "reaction", first, who),
        line(article.pk, "reaction", second, who),
        line(article.pk, "reaction", first, who),
        line(article.pk, "rating", "2", who),
        line(article.pk, "rating", "5", who),
    )
    votelog.fold()
    assert reaction_of(article, who) == first
    assert reactions(article) == {first: 1}
    assert stars_of(article, who) == 5
    assert stats.figures_for(article.pk).rating_count == 1


def test_an_empty_choice_withdraws(log_dir):
    """ "reaction=" and "stars=" withdraw the reader's vote, in the same batch or a later."""
    article = make_article()
    who = reader()
    write(
        log_dir, line(article.pk, "reaction", keys()[0], who), line(article.pk, "rating", "3", who)
    )
    votelog.fold()
    write(log_dir, line(article.pk, "reaction", "", who), line(article.pk, "rating", "", who))
    votelog.fold()
    assert reaction_of(article, who) is None
    assert stars_of(article, who) is None
    assert reactions(article) == {}
    assert stats.figures_for(article.pk).rating_count == 0


def test_signed_minted_and_tampered_cookies(log_dir):
    """The app's signed cookie and nginx's bare id are both that reader; a tampered
    cookie is a new reader, the same one when the line is read again."""
    article = make_article()
    signed, minted = reader(), reader()
    tampered = readers.cookie_value(reader())[:-2] + "xx"
    lines = [
        line(article.pk, "reaction", keys()[0], readers.cookie_value(signed)),
        line(article.pk, "reaction", keys()[0], minted),
        line(article.pk, "reaction", keys()[1], tampered),
    ]
    path = write(log_dir, *lines)
    votelog.fold()
    assert reaction_of(article, signed) == keys()[0]
    assert reaction_of(article, minted) == keys()[0]
    assert reactions(article) == {keys()[0]: 2, keys()[1]: 1}
    stranger = Reaction.objects.exclude(reader__in=[signed, minted]).get(article=article)
    offset = len(lines[0]) + len(lines[1])
    assert stranger.reader == votelog.parse(lines[2].encode(), path.name, offset)[0].reader


def test_the_app_reads_a_minted_id_as_that_reader():
    """``reader_from_cookie`` takes a bare 32-hex id (nginx's) and the app's signed value;
    nothing else."""
    who = reader()
    assert readers.reader_from_cookie(who) == who
    assert readers.reader_from_cookie(readers.cookie_value(who)) == who
    assert readers.reader_from_cookie(who.upper()) is None
    assert readers.reader_from_cookie(who[:-1]) is None
    assert readers.reader_from_cookie(who + "0") is None


def test_votes_of_unpublished_unknown_and_huge_articles_and_bad_choices_are_dropped(
    log_dir, monkeypatch, caplog
):
    """Nothing is cast for an article that is not published or does not exist, an id no
    database holds, or a choice that is not one; the votes around them are. The lines
    dropped are counted in one log line (at most one a minute), not a line each."""
    monkeypatch.setattr(votelog, "_refused", Counter())
    monkeypatch.setattr(votelog, "_refused_logged", [float("-inf")])
    caplog.set_level(logging.INFO, logger="byline.engagement.votelog")
    article = make_article()
    draft = make_article(status="draft")
    who = reader()
    write(
        log_dir,
        line(draft.pk, "reaction", keys()[0], who),
        line(article.pk + 1000, "reaction", keys()[0], who),
        line(9999999999999999999, "reaction", keys()[0], who),
        line(0, "rating", "3", who),
        line(article.pk, "reaction", "not-a-reaction", who),
        line(article.pk, "rating", "6", who),
        line(article.pk, "rating", "0", who),
        line(article.pk, "rating", "3", who),
    )
    assert votelog.fold() == 1
    assert stars_of(article, who) == 3
    assert not Reaction.objects.exists()
    told = [r.getMessage() for r in caplog.records if r.name == "byline.engagement.votelog"]
    assert told == [
        "vote log: lines dropped: 2 article not published, 3 choice not valid, 2 malformed"
    ]


def test_a_reader_and_an_address_vote_at_most_the_limit_in_the_lines_own_minute(log_dir, settings):
    """Past ``BYLINE_VOTES_PER_MINUTE`` in a line's minute, a reader's or an address's
    further votes are dropped; the next minute they count again, whenever folded."""
    settings.BYLINE_VOTES_PER_MINUTE = 2
    articles = [make_article() for _ in range(4)]
    minute = (int(time.time()) // 60 - 5) * 60  # lines from five minutes ago
    who = reader()
    write(
        log_dir,
        *[line(a.pk, "rating", "5", who, address="198.51.100.9", at=minute + 1) for a in articles],
        *[
            line(a.pk, "rating", "4", reader(), address="198.51.100.8", at=minute + 2)
            for a in articles
        ],
        line(articles[3].pk, "rating", "1", who, address="198.51.100.9", at=minute + 61),
    )
    votelog.fold()
    assert [stars_of(a, who) for a in articles] == [5, 5, None, 1]
    assert sum(stats.figures_for(a.pk).rating_count for a in articles) == 2 + 2 + 1


def test_the_limit_holds_across_batches_of_one_minute(log_dir, settings):
    """An address's votes in one minute, folded in two batches: the limit counts both."""
    settings.BYLINE_VOTES_PER_MINUTE = 3
    article = make_article()
    at = (int(time.time()) // 60) * 60 + 0.5
    write(log_dir, *[line(article.pk, "rating", "5", reader(), at=at) for _ in range(2)])
    votelog.fold()
    write(log_dir, *[line(article.pk, "rating", "5", reader(), at=at) for _ in range(3)])
    votelog.fold()
    assert stats.figures_for(article.pk).rating_count == 3


def test_the_limits_rows_are_plain_statements_their_counts_and_times_moved_on(
    log_dir, settings, monkeypatch
):
    """The limits' rows (``ViewMark``) are read and written without the ORM building a
    query (its filter and upsert were ~60% of a fold's CPU with a dozen votes): a row
    of an earlier fold goes on counting, and each written lives ``LIMIT_SECONDS``."""
    from datetime import timedelta

    from django.db.models.sql import compiler
    from django.utils import timezone

    from byline.engagement.models import ViewMark

    settings.BYLINE_VOTES_PER_MINUTE = 3
    article = make_article()
    at = (int(time.time()) // 60) * 60 + 0.5
    built = []
    for kind in (compiler.SQLCompiler, compiler.SQLInsertCompiler):
        real = kind.as_sql

        def as_sql(self, *args, real=real, **kwargs):
            built.append(self.query.model)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(kind, "as_sql", as_sql)
    who = reader()
    write(log_dir, *[line(article.pk, "rating", "5", who, at=at) for _ in range(2)])
    votelog.fold()
    write(log_dir, line(article.pk, "rating", "4", who, address="192.0.2.1", at=at))
    before = timezone.now()
    votelog.fold()
    assert ViewMark not in built
    monkeypatch.undo()
    rows = dict(ViewMark.objects.values_list("key", "count"))
    minute = int(at) // 60
    assert rows[f"{votelog.LIMIT_PREFIX}r:{who}:{minute}"] == 3
    assert sorted(rows.values()) == [1, 2, 3]  # the reader; the addresses 198.51.100.1, 192.0.2.1
    until = before + timedelta(seconds=votelog.LIMIT_SECONDS)
    for expires_at in ViewMark.objects.values_list("expires_at", flat=True):
        assert until - timedelta(seconds=5) <= expires_at <= until + timedelta(seconds=5)


def test_a_crash_between_the_cast_and_the_commit_casts_every_line_once(log_dir, monkeypatch):
    """The fold dies after casting a batch, before its commit: nothing of it stays; the
    next fold casts each line once, with the same limit decisions."""
    article = make_article()
    who, other = reader(), reader()
    write(
        log_dir,
        line(article.pk, "reaction", keys()[0], who),
        line(article.pk, "reaction", keys()[1], other),
        line(article.pk, "reaction", keys()[1], who),
    )
    real = stats.cast_published_votes

    def cast_then_crash(votes, shard=None, by=""):
        real(votes, shard, by)
        raise RuntimeError("killed between the cast and the commit")

    monkeypatch.setattr(stats, "cast_published_votes", cast_then_crash)
    with pytest.raises(RuntimeError):
        votelog.fold()
    assert not Reaction.objects.exists()
    assert not ViewLogPosition.objects.filter(name__startswith="votes-").exists()
    monkeypatch.setattr(stats, "cast_published_votes", real)
    assert votelog.fold() == 3
    assert votelog.fold() == 0
    assert reactions(article) == {keys()[1]: 2}


def test_a_line_nginx_is_still_writing_waits_for_its_newline(log_dir):
    """The last line without its newline is not read until it has one."""
    article = make_article()
    who = reader()
    whole = line(article.pk, "rating", "2", who)
    path = write(log_dir, whole, whole[:-9])
    assert votelog.fold() == 1
    with path.open("a") as file:
        file.write(whole[-9:])
    assert votelog.fold() == 1
    assert stats.figures_for(article.pk).rating_count == 1


def test_the_app_flush_folds_the_votes_and_a_finished_file_is_deleted(log_dir):
    """``viewbuffer.flush()`` (``flush_views``) folds the vote log too; a file nginx has
    moved on from is deleted once read, with its position."""
    article = make_article()
    who = reader()
    old = int(time.time()) // votelog.SLOT_SECONDS - 3
    path = write(log_dir, line(article.pk, "rating", "3", who), slot=old)
    viewbuffer.flush()
    assert stars_of(article, who) == 3
    assert not path.exists()
    assert not ViewLogPosition.objects.filter(name=path.name).exists()


def test_a_batch_another_folder_moved_first_casts_nothing(log_dir):
    """Two folders reading the same file: the one whose position moved second casts
    nothing (compare and set)."""
    article = make_article()
    who = reader()
    path = write(log_dir, line(article.pk, "reaction", keys()[0], who))
    inode = path.stat().st_ino
    ViewLogPosition.objects.create(name=path.name, inode=inode, offset=0)
    lines = votelog.parse(path.read_bytes(), path.name, 0)
    assert votelog._commit_batch(path, path.name, (inode, 0), (inode, 10), lines) == 1
    assert votelog._commit_batch(path, path.name, (inode, 0), (inode, 10), lines) is None


def test_without_a_view_log_folder_nothing_is_read(settings):
    settings.BYLINE_VIEW_LOG_DIR = ""
    assert votelog.fold_if_configured() == 0


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    junk=st.lists(
        st.one_of(st.sampled_from(NAUGHTY), st.text(max_size=40), st.binary(max_size=40).map(repr)),
        min_size=1,
        max_size=7,
    )
)
def test_hostile_lines_never_stop_the_fold_nor_cast_anything_wrong(log_dir, junk):
    """Garbage in any field (naughty strings in the user agent and cookie, escaped as
    nginx escapes them, fields missing or extra): no error, nothing cast but the well-
    formed vote after them, for its own reader."""
    article = make_article()
    who = reader()

    def escaped(text: str) -> str:
        return "".join(
            c
            if c.isprintable() and c not in '\\\t\n"'
            else "".join(f"\\x{b:02X}" for b in c.encode())
            for c in text
        )

    bad = [escaped(each) for each in junk]
    hostile = [
        line(article.pk, "reaction", keys()[0], escaped(bad[0]), "203.0.113.9", agent=bad[-1]),
        "\t".join(bad) + "\n",
        line(article.pk, "rating", bad[0][:5], who, "203.0.113.9"),
        f"{time.time():.3f}\t{article.pk}\treaction\t{bad[0]}\t1.2.3.4\t-\t{who}\n",
    ]
    # (A fresh address each example: the examples share a minute and its limit.)
    address = f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    write(log_dir, *hostile, line(article.pk, "rating", "2", who, address, agent=bad[0]))
    votelog.fold()
    assert stars_of(article, who) == 2
    rows = Reaction.objects.filter(article=article).exclude(reaction="")
    assert all(row.reaction in keys() for row in rows)
    assert all(len(row.reader) == 32 for row in rows)


def test_a_fold_with_nothing_new_to_read_asks_the_database_nothing(log_dir):
    """Folds come every 2 s whether or not anyone voted: a file this process has read to
    its end costs no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = make_article()
    write(log_dir, line(article.pk, "rating", "4", reader()))
    votelog.fold()
    with CaptureQueriesContext(connection) as queries:
        assert votelog.fold() == 0
    assert [q["sql"] for q in queries] == []
