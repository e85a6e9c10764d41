"""Votes cast in batches (PostgreSQL): as if cast one after another, each answered alone.

A batch is the votes that reached one app-server process while its previous
batch was in the database, cast in one statement (``stats.cast_votes``).
Whatever a batch holds, every vote's answer and the totals after it are what
the same votes cast one at a time, in the same order, would have given.
"""

from __future__ import annotations

import os
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline import readers, redisconn
from byline.engagement import actions, batches, stats
from byline.engagement.models import Rating, Reaction
from byline.engagement.recount import recount
from byline.engagement.stats import figures_for
from byline.wsgi import application, django_application
from tests.conftest import postgres_only
from tests.engagement.test_fast_path import SCENARIO, Browser, comparable
from tests.factory import make_article

pytestmark = postgres_only("batches are cast by a PostgreSQL function")

ANN, BOB, CAT, DAN = (letter * 32 for letter in "abcd")
# What a JSON vote's check refuses with, and how it learns which articles are published.
REFUSALS = (actions.over_the_limit, actions.unpublished, actions.known_live, actions.seen_live)
KEYS = ["happy", "sad", "excited", "sleepy", "angry", "surprise"]


def one_at_a_time(article_id: int, votes: list[tuple[str, str, str | None]]) -> list[object]:
    """Each (kind, reader, value) cast on its own, in order: each reader's vote after it."""
    after: list[object] = []
    for kind, reader, value in votes:
        if kind == "reaction":
            after.append(actions.cast("reaction", article_id, reader, value)[0])
        else:
            stars = int(value) if value is not None else None
            after.append(actions.cast("rating", article_id, reader, stars)[0])
    return after


def in_one_batch(article_id: int, votes: list[tuple[str, str, str | None]]) -> list[object]:
    """The same votes cast as one batch."""
    outcomes = stats.cast_votes(
        [(kind, article_id, reader, value or "" if kind == "reaction" else value)
         for kind, reader, value in votes],
        shard=3,
    )  # fmt: skip
    return [int(v) if v is not None and kind == "rating" else v
            for (kind, _, _), (v, _) in zip(votes, outcomes, strict=True)]  # fmt: skip


@pytest.mark.django_db
def test_a_reader_s_votes_in_one_batch_count_as_if_cast_one_after_another():
    votes = [
        ("reaction", ANN, "happy"),
        ("rating", ANN, "3"),
        ("reaction", ANN, "happy"),  # the same again: kept
        ("reaction", ANN, "sad"),
        ("rating", ANN, "5"),  # changed
        ("reaction", ANN, "excited"),  # moved
        ("rating", ANN, None),  # withdrawn
        ("reaction", ANN, None),  # withdrawn
        ("reaction", ANN, "sad"),
        ("rating", ANN, "2"),
        ("rating", ANN, "2"),  # the same rating again stays
    ]
    batched, alone = make_article(), make_article()
    assert in_one_batch(batched.pk, votes) == [
        "happy", 3, "happy", "sad", 5, "excited", None, None, "sad", 2, 2
    ]  # fmt: skip
    assert one_at_a_time(alone.pk, votes) == in_one_batch(make_article().pk, votes)
    assert figures_for(batched.pk) == figures_for(alone.pk)
    figures = figures_for(batched.pk)
    assert [(r.key, r.count) for r in figures.reactions if r.count] == [("sad", 1)]
    assert figures.rating_counts == {1: 0, 2: 1, 3: 0, 4: 0, 5: 0}
    assert Reaction.objects.filter(article=batched).count() == 1
    assert Rating.objects.filter(article=batched).count() == 1
    assert recount() == []


@pytest.mark.django_db(transaction=True)
def test_a_reader_s_votes_in_one_batch_are_all_answered_with_where_they_ended_up():
    """Two answers to one reader that arrive in either order agree with the figures."""
    article = make_article()
    votes = [
        batches.Vote("reaction", article.pk, ANN, "happy"),
        batches.Vote("reaction", article.pk, BOB, "sad"),
        batches.Vote("reaction", article.pk, ANN, "happy"),  # the same again: kept
        batches.Vote("rating", article.pk, ANN, "4"),
    ]
    batches.cast_batch(votes)
    answers = [vote.wait() for vote in votes]
    assert [mine for mine, _ in answers] == ["happy", "sad", "happy", "4"]
    figures = answers[0][1]
    assert all(other == figures for _, other in answers)
    assert [(r.key, r.count) for r in figures.reactions if r.count] == [("happy", 1), ("sad", 1)]
    assert figures.rating_counts[4] == 1


@pytest.mark.django_db
def test_any_batches_give_what_the_same_votes_give_one_by_one():
    rng = random.Random(3)
    readers = [ANN, BOB, CAT, DAN]
    batched, alone = make_article(), make_article()
    for _ in range(20):
        votes: list[tuple[str, str, str | None]] = []
        for _ in range(rng.randint(1, 30)):
            reader = rng.choice(readers)
            if rng.random() < 0.5:
                votes.append(("reaction", reader, rng.choice([*KEYS[:3], None])))
            else:
                votes.append(("rating", reader, rng.choice(["1", "2", "4", "5", None])))
        assert in_one_batch(batched.pk, votes) == one_at_a_time(alone.pk, votes)
        assert figures_for(batched.pk) == figures_for(alone.pk)
    assert recount() == []


@pytest.mark.django_db
def test_votes_reach_the_database_as_array_text_whatever_their_characters():
    """The vote's columns go to PostgreSQL as the text of arrays (cheaper than psycopg
    adapting lists): every text comes back as it was sent."""
    awkward = ["plain", "", None, 'a"b', "back\\slash", "a,b", "{x}", "NULL", " spaced ", "ünï"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [stats.text_array_literal(awkward)])
        assert cursor.fetchone()[0] == awkward
    article = make_article()
    reader = 'a"b\\c,{d} NULL'
    outcomes = stats.cast_votes(
        [("reaction", article.pk, reader, "happy"), ("rating", article.pk, reader, "2")]
    )
    assert [mine for mine, _ in outcomes] == ["happy", "2"]
    assert Reaction.objects.get(article=article).reader == reader
    assert Rating.objects.get(article=article, reader=reader).stars == 2


@pytest.mark.django_db
def test_a_batch_over_several_articles_answers_each_vote_with_its_article_s_figures():
    first, second = make_article(), make_article()
    outcomes = stats.cast_votes(
        [
            ("reaction", first.pk, ANN, "happy"),
            ("rating", second.pk, ANN, "4"),
            ("reaction", second.pk, BOB, "sad"),
            ("rating", first.pk, BOB, "1"),
        ],
        shard=0,
    )
    assert [value for value, _ in outcomes] == ["happy", "4", "sad", "1"]
    assert [figures for _, figures in outcomes] == [
        figures_for(first.pk), figures_for(second.pk), figures_for(second.pk),
        figures_for(first.pk),
    ]  # fmt: skip
    assert figures_for(first.pk).rating_counts[1] == 1
    assert [r.count for r in figures_for(second.pk).reactions if r.key == "sad"] == [1]


@pytest.mark.django_db(transaction=True)
def test_a_vote_the_database_refuses_fails_alone_and_the_rest_of_its_batch_counts():
    article = make_article()
    votes = [
        batches.Vote("rating", article.pk, ANN, "5"),
        batches.Vote("rating", 10**12, BOB, "5"),  # an article deleted after the check
        batches.Vote("reaction", article.pk, CAT, "happy"),
    ]
    batches.cast_batch(votes)
    assert votes[0].wait()[0] == "5"
    with pytest.raises(IntegrityError):
        votes[1].wait()
    assert votes[2].wait()[0] == "happy"
    assert not Rating.objects.filter(reader=BOB).exists()
    figures = figures_for(article.pk)
    assert figures.rating_count == 1 and figures.reaction_total == 1
    assert recount() == []


@pytest.mark.django_db(transaction=True)
def test_a_checked_vote_on_an_article_not_published_is_refused_in_the_statement_alone():
    """The statement that casts a batch checks its articles are published (no query
    before it): a vote on a draft, a protected or a missing article is not cast and
    fails with the 404; the rest of its batch counts."""
    article, draft = make_article(), make_article(status="draft")

    def vote(reader: str, article_id: int) -> batches.Vote:
        check = batches.Check((), None, 100, *REFUSALS)
        return batches.Vote("rating", article_id, reader, "3", check)

    votes = [vote(ANN, article.pk), vote(BOB, draft.pk), vote(CAT, 10**12), vote(DAN, article.pk)]
    batches.cast_batch(votes)
    assert votes[0].wait()[0] == votes[3].wait()[0] == "3"
    for refused in votes[1:3]:
        with pytest.raises(actions.VoteRefused) as refusal:
            refused.wait()
        assert refusal.value.status == 404
    assert figures_for(article.pk).rating_count == 2
    assert not Rating.objects.filter(reader__in=[BOB, CAT]).exists()
    assert recount() == []


@pytest.mark.django_db(transaction=True)
def test_an_article_found_published_is_not_checked_again_for_a_few_seconds():
    """The statement that checked the article remembers it published in this process
    (``actions.is_live``'s memory): the next votes on it (a hot article's) are cast by
    the plain call, with no check; unpublished since, it is checked again."""
    article = make_article()

    def statements_of_a_vote(reader: str) -> list[str]:
        check = batches.Check((), None, 100, *REFUSALS)
        with CaptureQueriesContext(connection) as captured:
            batches.cast_checked(batches.Vote("rating", article.pk, reader, "4", check))
        return [query["sql"] for query in captured.captured_queries]

    first, second = statements_of_a_vote(ANN), statements_of_a_vote(BOB)
    assert len(first) == len(second) == 1
    checks = '"articles_article"'  # the published check in the statement
    assert checks in first[0] and checks not in second[0]
    assert actions.is_live(article.pk)
    article.status = "draft"
    article.save()  # article_changed: this process forgets it
    with pytest.raises(actions.VoteRefused):
        statements_of_a_vote(CAT)
    assert figures_for(article.pk).rating_count == 2


@pytest.mark.django_db(transaction=True)  # autocommit, as the caster runs
def test_a_batch_cast_again_vote_by_vote_counts_each_vote_once_against_the_limits():
    if redisconn.redis_client() is None:
        pytest.skip("needs Redis (REDIS_URL=redis://...): batches count rate limits there")
    article = make_article()
    identity = f"batch-retry-{random.getrandbits(64)}"

    def vote(reader: str, stars: str) -> batches.Vote:
        check = batches.Check((identity,), None, 100, *REFUSALS)
        return batches.Vote("rating", article.pk, reader, stars, check)

    votes = [vote(ANN, "4"), vote(BOB, "9"), vote(CAT, "4")]  # 9 stars: the database refuses
    batches.cast_batch(votes)  # refused as a whole, then cast again one by one
    assert [v.wait()[0] for v in (votes[0], votes[2])] == ["4", "4"]
    with pytest.raises(IntegrityError):
        votes[1].wait()
    assert readers.remaining_hits("vote", identity, 100) == 97  # three votes, each once
    assert figures_for(article.pk).rating_count == 2


@pytest.mark.django_db(transaction=True)
def test_the_caster_outlives_a_batch_that_fails_unexpectedly(monkeypatch):
    """Its votes fail (a JSON 500 for their readers); the next batch is cast."""
    monkeypatch.setattr(batches, "CAST_WHEN_IDLE", False)  # every vote through the caster
    article = make_article()
    real = batches.close_old_connections
    calls: list[int] = []

    def broken_once():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("something no one expected")
        real()

    monkeypatch.setattr(batches, "close_old_connections", broken_once)
    with pytest.raises(RuntimeError, match="no one expected"):
        batches.cast("rating", article.pk, ANN, "3")
    assert batches.cast("rating", article.pk, BOB, "4")[0] == "4"
    assert figures_for(article.pk).rating_count == 1


@pytest.mark.django_db(transaction=True)
def test_a_caster_that_has_stopped_is_replaced_and_its_queue_cast(monkeypatch):
    monkeypatch.setattr(batches, "CAST_WHEN_IDLE", False)  # every vote through the caster
    article = make_article()
    batches.cast("rating", article.pk, ANN, "5")  # starts this process's caster
    inbox, thread = batches._inbox, batches._thread_of
    assert inbox is not None and thread is not None
    inbox.put(batches._STOP)  # it stops, as if it had died
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert batches.cast("rating", article.pk, BOB, "2")[0] == "2"
    assert batches._thread_of is not thread and batches._thread_of.is_alive()
    assert figures_for(article.pk).rating_count == 2


@pytest.mark.django_db(transaction=True)
def test_votes_arriving_while_a_batch_is_cast_go_together_in_the_next_one(monkeypatch):
    """The caster takes everything that queued meanwhile: no timer, no vote left behind."""
    article = make_article()
    sizes: list[int] = []
    first_batch_cast = threading.Event()
    cast_votes = stats.cast_votes

    def watched(votes, shard=None):
        if not sizes:  # hold the first batch in the database until 15 more votes queue
            first_batch_cast.set()
            deadline = time.monotonic() + 30
            while batches.queued() < 15 and time.monotonic() < deadline:
                time.sleep(0.01)
        sizes.append(len(votes))
        return cast_votes(votes, shard)

    monkeypatch.setattr(stats, "cast_votes", watched)

    def reader(n: int) -> object:
        try:
            return actions.cast("rating", article.pk, f"{n:032x}", 1 + n % 5)[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=16) as pool:
        first = pool.submit(reader, 0)
        assert first_batch_cast.wait(timeout=30)
        others = [pool.submit(reader, n) for n in range(1, 16)]
        answers = [first.result(), *(other.result() for other in others)]
    assert answers == [1 + n % 5 for n in range(16)]
    assert sizes == [1, 15]
    assert figures_for(article.pk).rating_count == 16
    assert recount() == []


@pytest.mark.django_db(transaction=True)  # autocommit, as a request thread runs
def test_a_vote_with_nothing_to_wait_for_is_cast_on_its_own_thread(monkeypatch):
    """No batch in the database, none queued: handing the vote to the caster and waking
    this thread again would cost more than the cast. The vote is a batch of one, cast
    here, and answered as the caster would answer it."""
    article = make_article()
    casters: list[threading.Thread] = []
    cast_votes = stats.cast_votes

    def watched(votes, shard=None):
        casters.append(threading.current_thread())
        return cast_votes(votes, shard)

    monkeypatch.setattr(stats, "cast_votes", watched)
    assert batches.cast("rating", article.pk, ANN, "4") == batches.cast(
        "rating", article.pk, ANN, "4"
    )  # the same vote again: nothing changes
    assert batches.cast("reaction", article.pk, BOB, "happy")[0] == "happy"
    assert casters == [threading.current_thread()] * 3
    figures = figures_for(article.pk)
    assert figures.rating_counts[4] == 1 and figures.reaction_total == 1
    assert recount() == []


@pytest.mark.django_db(transaction=True)
def test_a_vote_on_a_thread_without_a_connection_goes_to_the_caster(monkeypatch):
    """Connecting first would cost more than handing the vote over."""
    article = make_article()
    casters: list[str] = []
    cast_votes = stats.cast_votes

    def watched(votes, shard=None):
        casters.append(threading.current_thread().name)
        return cast_votes(votes, shard)

    monkeypatch.setattr(stats, "cast_votes", watched)

    def fresh_thread() -> object:
        try:
            return batches.cast("rating", article.pk, ANN, "2")[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(fresh_thread).result() == "2"
    assert casters == ["byline-vote-caster"]


@pytest.mark.django_db(transaction=True)
def test_one_batch_at_a_time_in_a_process_whichever_thread_casts_it(monkeypatch):
    """A vote cast on its request thread holds the caster back: the votes that arrive
    meanwhile queue, and the caster casts them all together once it is done."""
    article = make_article()
    casts: list[tuple[str, int]] = []
    first_in_database = threading.Event()
    cast_votes = stats.cast_votes

    def watched(votes, shard=None):
        if not casts:  # hold the first vote in the database until 15 more queue
            first_in_database.set()
            deadline = time.monotonic() + 30
            while batches.queued() < 15 and time.monotonic() < deadline:
                time.sleep(0.01)
        casts.append((threading.current_thread().name, len(votes)))
        return cast_votes(votes, shard)

    monkeypatch.setattr(stats, "cast_votes", watched)

    def reader(n: int) -> object:
        try:
            connections["default"].ensure_connection()  # a request thread's, open
            return actions.cast("rating", article.pk, f"{n:032x}", 1 + n % 5)[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="request") as pool:
        first = pool.submit(reader, 0)
        assert first_in_database.wait(timeout=30)
        others = [pool.submit(reader, n) for n in range(1, 16)]
        answers = [first.result(), *(other.result() for other in others)]
    assert answers == [1 + n % 5 for n in range(16)]
    assert casts[0][0].startswith("request") and casts[0][1] == 1
    assert casts[1:] == [("byline-vote-caster", 15)]
    assert figures_for(article.pk).rating_count == 16
    assert recount() == []


@pytest.mark.django_db(transaction=True)
def test_a_vote_cast_on_its_own_thread_that_fails_unexpectedly_fails_alone(monkeypatch):
    """Its reader gets the error (a JSON 500); the next vote is cast all the same."""
    if redisconn.redis_client() is None:
        pytest.skip("needs Redis (REDIS_URL=redis://...): the checks are counted there")
    article = make_article()
    real = readers.hits_and_reads
    calls: list[int] = []

    def broken_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("something no one expected")
        return real(*args, **kwargs)

    monkeypatch.setattr(readers, "hits_and_reads", broken_once)

    def vote(reader: str) -> batches.Vote:
        check = batches.Check((f"reader:{reader}",), None, 100, *REFUSALS)
        return batches.Vote("rating", article.pk, reader, "3", check)

    with pytest.raises(RuntimeError, match="no one expected"):
        batches.cast_checked(vote(ANN))
    assert not batches._casting.locked()
    assert batches.cast_checked(vote(BOB))[0][0] == "3"
    assert figures_for(article.pk).rating_count == 1


class PausingInbox(queue.SimpleQueue):
    """A caster's inbox that stops the caster just after it takes its first vote."""

    def __init__(self) -> None:
        super().__init__()
        self.taken, self.go_on = threading.Event(), threading.Event()

    def get(self, block: bool = True, timeout: float | None = None):
        item = super().get(block, timeout)
        if isinstance(item, batches.Vote) and not self.taken.is_set():
            self.taken.set()
            self.go_on.wait(timeout=30)
        return item


@pytest.mark.django_db(transaction=True)
def test_a_reader_s_newer_vote_is_never_overwritten_by_one_the_caster_took_before(
    monkeypatch,
):
    """A vote the caster has taken from its inbox but not yet cast still counts as
    waiting: the same reader's next vote, on a request thread that could cast it at once,
    waits behind it, and the reader ends up with the newer vote."""
    article = make_article()
    batches.stop()
    inbox = PausingInbox()
    caster = threading.Thread(target=batches._run, args=(inbox,), daemon=True)
    monkeypatch.setattr(batches, "_inbox", inbox)
    monkeypatch.setattr(batches, "_thread_of", caster)
    monkeypatch.setattr(batches, "_pid", os.getpid())
    caster.start()

    def older() -> object:  # a thread without a connection hands its vote to the caster
        try:
            return batches.cast("rating", article.pk, ANN, "1")[0]
        finally:
            connections.close_all()

    def newer() -> object:  # a thread with a connection open: it may cast alone
        try:
            connection.ensure_connection()
            return batches.cast("rating", article.pk, ANN, "5")[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(older)
        assert inbox.taken.wait(timeout=30)  # the caster holds the older vote
        second = pool.submit(newer)
        deadline = time.monotonic() + 30
        while not second.done() and batches.queued() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # cast alone (the defect) or queued behind the older vote
        inbox.go_on.set()
        answers = first.result(timeout=30), second.result(timeout=30)
    assert answers == ("5", "5")  # both answered with where the reader ended up
    assert Rating.objects.get(article=article, reader=ANN).stars == 5
    assert batches._handed == 0
    batches.stop()


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_over_the_same_readers_never_deadlock():
    """Batches from several app-server processes lock rows in one order, whatever their own."""
    articles = [make_article().pk for _ in range(2)]
    readers = [f"{n:032x}" for n in range(24)]

    def process(n: int) -> None:
        rng = random.Random(n)
        try:
            for _ in range(25):
                votes = [
                    ("reaction", article, reader, rng.choice(KEYS))
                    if rng.random() < 0.5
                    else ("rating", article, reader, str(rng.randint(1, 5)))
                    for article in articles
                    for reader in rng.sample(readers, 12)
                ]
                rng.shuffle(votes)
                stats.cast_votes(votes, shard=rng.randrange(2))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(process, n) for n in range(8)]:
            future.result()
    assert recount() == []
    assert figures_for(articles[0]).rating_count > 0


@pytest.mark.django_db(transaction=True)
def test_votes_alone_racing_batches_on_the_same_readers_never_deadlock():
    """A vote alone (its own steps, migration 0014) takes the totals' locks in the batch's
    order: readers moving up and down the keys' order alone, while batches move the same
    readers' votes on the same article in the same shard, never deadlock, and the totals
    equal a recount."""
    article = make_article().pk
    readers = [f"{n:032x}" for n in range(6)]
    errors: list[BaseException] = []

    def process(n: int) -> None:
        rng = random.Random(n)
        try:
            for _ in range(60):
                if n % 2:
                    reader = rng.choice(readers)
                    stats.cast_votes([("reaction", article, reader, rng.choice(KEYS[:3]))], 0)
                    stats.cast_votes([("rating", article, reader, str(rng.randint(1, 5)))], 0)
                else:
                    votes = [
                        ("reaction", article, reader, rng.choice(KEYS[:3]))
                        if rng.random() < 0.5
                        else ("rating", article, reader, str(rng.randint(1, 5)))
                        for reader in rng.sample(readers, 3)
                    ]
                    stats.cast_votes(votes, shard=0)
        except BaseException as error:  # noqa: BLE001  (reported below, with the others)
            errors.append(error)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(process, n) for n in range(8)]:
            future.result()
    assert errors == []  # no "deadlock detected"
    assert recount() == []
    assert figures_for(article).rating_count > 0


@pytest.mark.django_db(transaction=True)
def test_batched_fast_votes_answer_exactly_like_django_one_by_one(settings):
    batched_article, alone_article = make_article(), make_article()
    batched = Browser(application, "203.0.113.1")
    alone = Browser(django_application, "203.0.113.2")
    for method, kind, body in SCENARIO:
        settings.BYLINE_VOTE_BATCHES = True
        ours = batched.send(method, f"/api/articles/{batched_article.pk}/{kind}/", body)
        settings.BYLINE_VOTE_BATCHES = False
        theirs = alone.send(method, f"/api/articles/{alone_article.pk}/{kind}/", body)
        assert comparable(ours) == comparable(theirs), (method, kind, body)
    assert figures_for(batched_article.pk) == figures_for(alone_article.pk)
    assert recount() == []


@pytest.mark.django_db(transaction=True)
def test_batched_votes_are_refused_like_votes_one_by_one(settings):
    """Over the limit: the same 429 with Retry-After; a missing article: the same 404."""
    settings.BYLINE_VOTES_PER_MINUTE = 2
    article, twin = make_article(), make_article()
    batched = Browser(application, "203.0.113.3")
    alone = Browser(django_application, "203.0.113.4")
    for ids in [(article.pk, twin.pk)] * 3 + [(999999, 999999)]:
        settings.BYLINE_VOTE_BATCHES = True
        ours = batched.send("POST", f"/api/articles/{ids[0]}/rating/", {"stars": 3})
        settings.BYLINE_VOTE_BATCHES = False
        theirs = alone.send("POST", f"/api/articles/{ids[1]}/rating/", {"stars": 3})
        assert comparable(ours) == comparable(theirs), ids
    assert ours.status == 429
    settings.BYLINE_VOTES_PER_MINUTE = 100
    settings.BYLINE_VOTE_BATCHES = True
    assert batched.send("POST", "/api/articles/999999/rating/", {"stars": 3}).status == 404
    assert figures_for(article.pk).rating_count == 1  # one reader: one rating, set twice


@pytest.mark.django_db(transaction=True)
def test_batched_votes_on_articles_not_out_are_404s_that_count_like_votes_one_by_one(settings):
    """A vote alone on a draft or on an article scheduled for later (the one-article
    check, migration 0014): the same 404 as Django's, counted against the limit the same
    way (the third vote over it: the same 429), nothing cast."""
    settings.BYLINE_VOTES_PER_MINUTE = 2
    later = timezone.now() + timedelta(hours=1)
    pairs = [
        (make_article(status="draft").pk, make_article(status="draft").pk),
        (make_article(status="scheduled", published_at=later).pk,) * 2,
        (make_article().pk, make_article().pk),
    ]
    batched = Browser(application, "203.0.113.5")
    alone = Browser(django_application, "203.0.113.6")
    statuses = []
    for ours_id, theirs_id in pairs:
        settings.BYLINE_VOTE_BATCHES = True
        ours = batched.send("POST", f"/api/articles/{ours_id}/rating/", {"stars": 3})
        settings.BYLINE_VOTE_BATCHES = False
        theirs = alone.send("POST", f"/api/articles/{theirs_id}/rating/", {"stars": 3})
        assert comparable(ours) == comparable(theirs), ours_id
        statuses.append(ours.status)
    assert statuses == [404, 404, 429]
    assert not Rating.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("huge", [2**63, 10**20 - 1])
def test_a_vote_on_an_article_number_no_database_holds_is_a_404_never_batched(huge, client):
    """As on an unpublished article, through the JSON API (either tier) and the no-JS
    form, with votes batched and Redis there: the number never reaches a batch's
    statement (the database cannot take it: the whole batch would fail)."""
    if redisconn.redis_client() is None:
        pytest.skip("needs Redis (REDIS_URL=redis://...): batched votes are checked there")
    article = make_article()
    for app in (application, django_application):
        browser = Browser(app, "203.0.113.5")
        for kind, choice in (("reaction", {"reaction": "sad"}), ("rating", {"stars": 3})):
            assert browser.send("POST", f"/api/articles/{huge}/{kind}/", choice).status == 404
    assert client.post(f"/engagement/{huge}/react/", {"reaction": "sad"}).status_code == 404
    assert client.post(f"/engagement/{article.pk}/react/", {"reaction": "sad"}).status_code != 500
    assert figures_for(article.pk).reaction_total == 1


@pytest.mark.django_db(transaction=True)
def test_a_vote_the_caster_took_is_answered_only_once_it_is_cast(monkeypatch):
    """However long its batch holds it in the database (here behind another transaction's
    lock on the reader's row), past ``wait_seconds``: an answer before it is cast (a
    503) would let it overwrite the reader's next vote, answered meanwhile by another
    process."""
    monkeypatch.setattr(batches, "CAST_WHEN_IDLE", False)  # through the caster
    monkeypatch.setattr(batches, "wait_seconds", lambda: 0.1)
    article = make_article()
    assert batches.cast("rating", article.pk, ANN, "2")[0] == "2"
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            other.set_autocommit(False)
            cursor.execute("SELECT 1 FROM engagement_rating WHERE reader = %s FOR UPDATE", [ANN])
            answers: queue.SimpleQueue = queue.SimpleQueue()
            vote = batches.Vote("rating", article.pk, ANN, "5")

            def cast() -> None:
                try:
                    answers.put(batches.cast_checked(vote)[0])
                except Exception as error:  # noqa: BLE001  (reported to the test)
                    answers.put(error)

            threading.Thread(target=cast, daemon=True).start()
            while not vote.taken or not waiting_for_a_lock(cursor):
                time.sleep(0.01)
            with pytest.raises(queue.Empty):  # ten times wait_seconds: still waiting
                answers.get(timeout=1.0)
            other.rollback()
        assert answers.get(timeout=30)[0] == "5"
    finally:
        other.close()
        batches.stop()
    assert figures_for(article.pk).rating_counts[5] == 1


def waiting_for_a_lock(cursor) -> bool:
    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_refused_batch_cast_again_vote_by_vote_stops_within_wait_seconds(monkeypatch):
    """The votes it did not reach in time are not cast, and their readers are told so
    (503, may send them again): up to ``MAX_BATCH`` statements one after another would
    hold the batch's readers and the votes queued behind it."""
    monkeypatch.setattr(batches, "wait_seconds", lambda: 0.0)  # no time left at all
    article = make_article()
    votes = [
        batches.Vote("rating", article.pk, ANN, "5"),
        batches.Vote("rating", 10**12, BOB, "5"),  # refused: the batch is cast again
        batches.Vote("reaction", article.pk, CAT, "happy"),
    ]
    batches.cast_batch(votes)
    for vote in votes:
        with pytest.raises(batches.NotCast):
            vote.wait()
    assert figures_for(article.pk).rating_count == figures_for(article.pk).reaction_total == 0
    assert recount() == []


@pytest.mark.django_db(transaction=True)
def test_a_published_check_that_reads_the_clock_itself_is_refused(monkeypatch):
    """``published()`` changed to read the clock itself (here a second time, not the one
    given): the votes' check (``stats.PUBLISHED_AMONG``, written once) would keep the
    time of its first run, so it is refused at that run, and no vote is cast."""
    from django.db import connections

    from byline.articles.models import ArticleQuerySet

    published = ArticleQuerySet.published

    def published_twice_timed(self, now=None):
        return published(self, now).filter(updated_at__lte=timezone.now())

    monkeypatch.setattr(ArticleQuerySet, "published", published_twice_timed)
    vars(connections["default"]).get("byline_statements", {}).pop(stats.PUBLISHED_AMONG, None)
    article = make_article()
    with pytest.raises(ValueError, match="clock"):
        stats.cast_published_votes([("rating", article.pk, ANN, "4")])
    vars(connections["default"]).get("byline_statements", {}).pop(stats.PUBLISHED_AMONG, None)
    assert figures_for(article.pk).rating_count == 0


@pytest.mark.django_db(transaction=True)
def test_votes_on_one_article_are_cast_only_if_it_is_published():
    """Votes all on one article (every vote that came alone) take the cast's one-article
    check (``votesql.CALL_IF_PUBLISHED``): cast with their figures when it is published,
    nothing cast (None each) for a draft, a scheduled article not yet out, a missing id."""
    article = make_article()
    draft = make_article(status="draft")
    later = make_article(status="scheduled", published_at=timezone.now() + timedelta(hours=1))
    votes = [("rating", article.pk, ANN, "4"), ("reaction", article.pk, ANN, "sad")]
    cast = stats.cast_published_votes(votes)
    assert [o and o[0] for o in cast] == ["4", "sad"]
    assert all(o and o[1] == figures_for(article.pk) for o in cast)
    with CaptureQueriesContext(connection) as queries:
        for other in (draft.pk, later.pk, 10**12):
            assert stats.cast_published_votes([("rating", other, BOB, "5")] * 2) == [None, None]
    assert all("WHERE EXISTS" in query["sql"] for query in queries.captured_queries)
    assert len(queries.captured_queries) == 3  # one statement each, no query before it
    assert Rating.objects.filter(reader=BOB).count() == 0
    assert Reaction.objects.filter(reader=BOB).count() == 0
    assert recount() == []
