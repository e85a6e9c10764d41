"""A vote's statement run later than the app waits for it casts nothing (PostgreSQL).

A vote's statement sent into a server that froze is given up by the app
after its wait (a 503: "not taken"); when the server thaws it runs the
statement. So the statement carries a cut-off in the server's own clock
(``byline.postgres.cutoff``): the server's clock at the end of the
connection's last vote, plus the time since by the app's clock, plus the
least the app waits. Run past it, at its start or after its writes, the
statement casts nothing, and the reader gets the 503 that lets them send the
vote again. Here a statement "runs late" because the connection's memory of
the server's clock is moved back: to the server, the statement arrives that
much later than it was sent, as it would after a freeze (the real freeze:
``tests/faults/test_database_first_seconds.py``).
"""

from __future__ import annotations

import json
import socket
import threading
import time

import psycopg
import pytest
from django.db import OperationalError, connection

from byline import postgres
from byline.engagement import batches, stats, votesql
from byline.engagement.models import Rating
from byline.engagement.stats import figures_for
from byline.postgres import cutoff
from byline.wsgi import application
from tests.conftest import postgres_only
from tests.engagement.test_fast_path import Browser
from tests.factory import make_article

pytestmark = [
    *postgres_only("the cut-off is in the PostgreSQL function"),
    pytest.mark.django_db(transaction=True),
]

ANN, BOB = "a" * 32, "b" * 32


@pytest.fixture
def serving(monkeypatch, settings):
    """This process answers readers, as an app server does: its connections wait at most
    ``BYLINE_DATABASE_TIMEOUT`` + 1 s (30 here) before giving up (``postgres.serve``)."""
    monkeypatch.setattr(postgres, "_serving", True)
    settings.BYLINE_DATABASE_TIMEOUT = 30
    connection.close()  # the next one is opened with the deadline
    yield
    connection.close()


@pytest.fixture(params=["batched", "one by one"])
def article(request, settings, serving):
    settings.BYLINE_VOTE_BATCHES = request.param == "batched"
    return make_article()


def statements_reach_the_server_late(seconds: float) -> None:
    """The next statement on this thread's connection runs ``seconds`` later, by the
    server's clock, than the app believes it sent it (as after a freeze that long)."""
    raw = connection.connection
    micros, answered_at = raw.server_clock
    raw.server_clock = (micros - int(seconds * 1_000_000), answered_at)


def server_micros() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")
        return int(cursor.fetchone()[0])


def cast_by(start_by: int | None, end_by: int | None, article: int, reader: str, stars: int):
    """The vote function called as the app calls it, with its cut-offs (server micros)."""
    with connection.cursor() as cursor:
        cursor.execute(
            votesql.CALL,
            ["{rating}", f"{{{article}}}", f"{{{reader}}}", f"{{{stars}}}", 0, start_by, end_by],
        )
        return cursor.fetchall()


def stars_of(article: int, reader: str) -> int | None:
    row = Rating.objects.filter(article_id=article, reader=reader).first()
    return None if row is None else row.stars


def test_a_vote_whose_statement_runs_after_the_app_gave_up_is_not_cast(article):
    """The reader is told 503 (Retry-After), and it is true: their vote is what it was,
    the figures too; sent again, it is cast."""
    reader = Browser(application, "203.0.113.9")
    path = f"/api/articles/{article.pk}/rating/"
    assert reader.send("POST", path, {"stars": 4}).status == 200  # the clock is learnt
    statements_reach_the_server_late(40)  # past even the 31 s deadline
    late = reader.send("POST", path, {"stars": 5})
    assert late.status == 503, late.body
    assert int(late.headers["retry-after"]) > 0
    assert json.loads(late.body)["error"]["status"] == 503  # JSON, as the page asked
    figures = figures_for(article.pk)
    assert (figures.rating_count, figures.rating_counts[4], figures.rating_counts[5]) == (1, 1, 0)
    again = reader.send("POST", path, {"stars": 5})
    assert again.status == 200, again.body
    figures = figures_for(article.pk)
    assert (figures.rating_count, figures.rating_counts[4], figures.rating_counts[5]) == (1, 0, 1)


def test_a_vote_sent_in_time_is_cast_with_its_cut_off(article):
    """A vote on a connection trusted without a health check is sent with its cut-offs,
    and cast: a live server begins it long before them."""
    reader = Browser(application, "203.0.113.10")
    path = f"/api/articles/{article.pk}/rating/"
    assert reader.send("POST", path, {"stars": 2}).status == 200
    assert cutoff.deadlines(connection) != (None, None)
    assert reader.send("POST", path, {"stars": 3}).status == 200
    assert figures_for(article.pk).rating_counts[3] == 1


def test_a_trusted_connections_vote_begun_after_the_2_s_the_app_waits_is_not_cast(article):
    """On a connection trusted without a health check the app gives up after about 2 s
    (``DeadlineConnection.least_wait``), not its whole deadline: a statement that begins
    later (10 s here, well within the 31 s deadline) casts nothing, and the reader's
    503 is true."""
    reader = Browser(application, "203.0.113.11")
    path = f"/api/articles/{article.pk}/rating/"
    assert reader.send("POST", path, {"stars": 2}).status == 200
    statements_reach_the_server_late(10)
    late = reader.send("POST", path, {"stars": 5})
    assert late.status == 503, late.body
    assert figures_for(article.pk).rating_counts[5] == 0


def test_a_cast_past_its_cut_off_fails_as_not_cast_for_the_app(serving):
    """``stats.cast_votes`` raises ``RanLate`` (an OperationalError: a 503), and a
    batch's votes fail with ``NotCast``; nothing is written, and the connection
    forgets the server's clock, so the next cast is checked and learns it again."""
    article = make_article().pk
    stats.cast_votes([("rating", article, ANN, "2")])
    statements_reach_the_server_late(40)
    with pytest.raises(stats.RanLate) as raised:
        stats.cast_votes([("rating", article, ANN, "5")])
    assert isinstance(raised.value, OperationalError)
    assert stars_of(article, ANN) == 2
    assert not cutoff.covered(connection)  # forgotten: health-checked, then learnt again
    stats.cast_votes([("rating", article, BOB, "3")])
    assert cutoff.covered(connection)
    statements_reach_the_server_late(40)
    vote = batches.Vote("rating", article, ANN, "5")
    batches.cast_batch([vote])
    with pytest.raises(batches.NotCast):
        vote.wait()
    assert (stars_of(article, ANN), stars_of(article, BOB)) == (2, 3)
    assert figures_for(article).rating_counts[5] == 0


def test_a_cast_with_its_published_check_is_cut_off_too(serving):
    """The caster's cast of votes on articles it has not seen published lately checks
    them in the same statement (``stats.cast_published_votes``): cut off the same way."""
    article = make_article().pk
    assert stats.cast_published_votes([("rating", article, ANN, "2")])[0] is not None
    statements_reach_the_server_late(40)
    with pytest.raises(stats.RanLate):
        stats.cast_published_votes([("rating", article, ANN, "5")])
    assert stars_of(article, ANN) == 2
    assert cutoff.deadlines(connection) == (None, None)  # forgotten
    assert stats.cast_published_votes([("rating", article, ANN, "5")])[0] is not None
    assert stars_of(article, ANN) == 5
    assert cutoff.covered(connection)  # learnt again from the published check's cast


def test_the_function_begun_after_its_start_cut_off_casts_nothing(db):
    """By the server's own clock: begun past ``start_by`` it casts nothing (SQLSTATE
    ``cutoff.STATE``); with both cut-offs ahead it casts, and with none (NULL) too."""
    article = make_article().pk
    with pytest.raises(OperationalError) as raised:
        cast_by(server_micros() - 1_000, server_micros() + 30_000_000, article, ANN, 4)
    assert cutoff.ran_late(raised.value)
    assert stars_of(article, ANN) is None
    rows = cast_by(server_micros() + 5_000_000, server_micros() + 30_000_000, article, ANN, 4)
    assert stars_of(article, ANN) == 4
    kind, _, _, clock, _ = rows[-1]  # last, the server's clock as it ended
    assert kind == "c" and abs(clock - server_micros()) < 5_000_000
    cast_by(None, None, article, BOB, 1)
    assert stars_of(article, BOB) == 1


def held_up_by_a_lock_on(article: int, reader: str, past: int, cast) -> None:
    """``cast()`` while another connection holds ``reader``'s vote row: released once a
    statement waits for it and the server's clock is past ``past`` (its micros)."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as holder, psycopg.connect(**params, autocommit=True) as eye:
        holder.execute(
            "SELECT 1 FROM engagement_rating WHERE article_id = %s AND reader = %s FOR UPDATE",
            (article, reader),
        )

        def release() -> None:
            try:
                for _ in range(600):  # (a minute at most)
                    row = eye.execute(
                        "SELECT EXISTS (SELECT FROM pg_locks WHERE NOT granted),"
                        " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
                    ).fetchone()
                    if row is not None and row[0] and row[1] > past:
                        return
                    time.sleep(0.1)
            finally:
                holder.rollback()

        releaser = threading.Thread(target=release)
        releaser.start()
        try:
            cast()
        finally:
            releaser.join()


def test_a_statement_that_ends_after_its_end_cut_off_rolls_back_its_writes(db):
    """Begun in time, ended past ``end_by`` (held up in the server, here by a lock on the
    reader's row): its writes are rolled back, as if it had never run."""
    article = make_article().pk
    cast_by(None, None, article, ANN, 2)
    now = server_micros()
    start_by, end_by = now + 30_000_000, now + 500_000

    def cast() -> None:
        with pytest.raises(OperationalError) as raised:
            cast_by(start_by, end_by, article, ANN, 5)
        assert cutoff.ran_late(raised.value)

    held_up_by_a_lock_on(article, ANN, end_by, cast)  # waited past end_by, then wrote
    assert stars_of(article, ANN) == 2
    assert figures_for(article).rating_counts[5] == 0


def test_a_statement_held_up_past_its_start_cut_off_but_not_its_end_is_cast(db):
    """A live server's slow statement (a lock) begun in time is cast however long past
    ``start_by`` it ends: the app waits for it (its server let a new connection in)."""
    article = make_article().pk
    cast_by(None, None, article, ANN, 2)
    now = server_micros()
    start_by, end_by = now + 3_000_000, now + 60_000_000

    def cast() -> None:
        cast_by(start_by, end_by, article, ANN, 5)

    held_up_by_a_lock_on(article, ANN, start_by, cast)  # ended past start_by
    assert stars_of(article, ANN) == 5


def test_a_new_connection_is_not_trusted_until_it_knows_the_servers_clock(serving):
    """No cut-off without the server's clock: a new connection's first vote is sent with
    none, and the vote paths keep Django's health check for it (``covered``)."""
    article = make_article().pk
    connection.ensure_connection()
    assert not cutoff.covered(connection)
    assert cutoff.deadlines(connection) == (None, None)
    stats.cast_votes([("rating", article, ANN, "1")])
    assert cutoff.covered(connection)
    start_by, end_by = cutoff.deadlines(connection)
    assert start_by is not None and end_by is not None and end_by >= start_by


def test_the_vote_function_has_one_signature_the_one_every_call_sends(db):
    """The five-argument call 0012 kept for the release before it is gone (0015): the
    one function left takes the seven arguments that ``votesql.CALL`` and its published
    forms send (the previous release's too: the same call since 0012)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_function_identity_arguments(oid) FROM pg_proc"
            " WHERE proname = 'engagement_cast_votes'"
        )
        signatures = [row[0] for row in cursor.fetchall()]
    assert len(signatures) == 1 and signatures[0].count(",") == 6, signatures
    assert votesql.CALL.count("%s::") == 7
    article = make_article().pk
    assert cast_by(None, None, article, ANN, 4)
    assert stars_of(article, ANN) == 4


def test_a_vote_answered_while_the_app_asks_whether_its_server_froze_is_answered(
    serving, monkeypatch
):
    """On a trusted connection a statement unanswered for ``PROBE_SECONDS`` (held up by
    a lock) makes the app ask whether the server lets a new connection in. A server
    slow to let one in (here a listener that never answers, as a frozen server's
    kernel) may still answer the statement meanwhile: it began before its start
    cut-off and committed, so giving up then (a 503) would be a vote taken after its
    reader was told it was not. The answer that came is taken: the vote is answered."""
    monkeypatch.setattr(postgres, "PROBE_SECONDS", 3.0)  # the answer has 3 s to come back
    article = make_article().pk
    stats.cast_votes([("rating", article, ANN, "2")])  # the row, and the server's clock
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with socket.socket() as silent, psycopg.connect(**params) as holder:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent.settimeout(20)
        holder.execute(
            "SELECT 1 FROM engagement_rating WHERE article_id = %s AND reader = %s FOR UPDATE",
            (article, ANN),
        )

        asking: list[socket.socket] = []  # kept open, unanswered, till the end

        def release_when_the_app_asks() -> None:
            try:
                asking.append(silent.accept()[0])  # the app's new connection: it asks now
            finally:
                holder.rollback()  # the statement goes on, commits and is answered

        releaser = threading.Thread(target=release_when_the_app_asks)
        releaser.start()
        try:
            postgres.trust(connection)
            connection.connection.conninfo = f"host=127.0.0.1 port={silent.getsockname()[1]}"
            try:
                answer: object = stats.cast_votes([("rating", article, ANN, "5")])[0][0]
            except OperationalError as error:  # what the reader would be told: a 503
                answer = error
                connection.close()  # (given up: the next query opens another)
            finally:
                postgres.answered()  # (a wait given up leaves this process's breaker open)
        finally:
            releaser.join()
            for asked in asking:
                asked.close()
    assert stars_of(article, ANN) == 5  # cast
    assert answer == "5"  # and answered so
