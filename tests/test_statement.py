"""``db.Statement``: a hot path's read whose SQL the ORM writes once answers as its
queryset does, at every run: the same rows, as the same instances (columns, deferred
fields, the database's converters), with the values of each run (a time among them),
from the database the router (or the statement) names. A build it could not run
as the queryset would is refused at its first run."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline import db
from byline.articles.models import Article
from byline.db import PRIMARY, AnyOf, Ids, Statement
from byline.discussion.models import Comment
from byline.discussion.views import REACHABLE_ARTICLE, TEXT
from tests.discussion.factory import make_comment
from tests.factory import make_article

pytestmark = [pytest.mark.django_db]
Status = Article.Status


def as_read(instance) -> dict:
    """What a read instance holds: its fields read, those deferred, where it came from."""
    deferred = instance.get_deferred_fields()
    values = {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in deferred
    }
    return {
        "values": values,
        "deferred": deferred,
        "db": instance._state.db,
        "adding": instance._state.adding,
    }


def orm_reachable(pk: int) -> Article | None:
    """The queryset ``views._article_from`` ran before."""
    return Article.objects.reachable().filter(pk=pk).defer(*TEXT).first()


def test_the_reachable_article_is_read_as_the_queryset_reads_it():
    now = timezone.now()
    articles = [
        make_article(status=Status.PUBLISHED),
        make_article(status=Status.SCHEDULED, published_at=now - timedelta(minutes=1)),
        make_article(status=Status.SCHEDULED, published_at=now + timedelta(hours=1)),
        make_article(status=Status.DRAFT),
        make_article(status=Status.PUBLISHED, password="open sesame"),
    ]
    ids = [a.pk for a in articles] + [max(a.pk for a in articles) + 1000, 2**63 - 1]
    read = [REACHABLE_ARTICLE.first(pk, timezone.now()) for pk in ids]
    assert [a is not None for a in read] == [True, True, False, False, True, False, False]
    for pk, found in zip(ids, read, strict=True):
        expected = orm_reachable(pk)
        assert (found and as_read(found)) == (expected and as_read(expected))
    assert read[0].get_deferred_fields() == set(TEXT)
    assert read[0].body == articles[0].body  # a deferred field still reads when asked for


def test_each_run_compares_with_the_time_it_is_given():
    """Compiled while the article was still to come, the statement finds it once the time
    it is given has come, as ``reachable(now)`` does."""
    now = timezone.now()
    article = make_article(status=Status.SCHEDULED, published_at=now + timedelta(minutes=1))
    assert REACHABLE_ARTICLE.first(article.pk, now) is None
    later = now + timedelta(minutes=2)
    assert Article.objects.reachable(later).filter(pk=article.pk).exists()
    assert REACHABLE_ARTICLE.first(article.pk, later) == article
    assert REACHABLE_ARTICLE.first(article.pk, now) is None


def test_many_rows_come_in_the_querysets_order_with_each_runs_values():
    article, other = make_article(), make_article()
    since = timezone.now() - timedelta(minutes=30)
    for minutes, status in ((40, "approved"), (20, "pending"), (10, "approved"), (5, "spam")):
        at = timezone.now() - timedelta(minutes=minutes)
        make_comment(article, status=status, owner_key="k1", submitted_at=at)
    make_comment(other, owner_key="k1")
    make_comment(article, owner_key="k2")

    def build(article_id: int, key: str, after: datetime):
        in_order = Comment.objects.on_article(article_id).filter(owner_key=key)
        return in_order.filter(submitted_at__gte=after).order_by("submitted_at")

    statement = Statement(build, int, str, datetime)
    for values in ((article.pk, "k1", since), (article.pk, "k2", since), (other.pk, "k1", since)):
        found, expected = statement.rows(*values), list(build(*values))
        assert [as_read(c) for c in found] == [as_read(c) for c in expected]
    assert [c.status for c in statement.rows(article.pk, "k1", since)] == [
        "pending",
        "approved",
        "spam",
    ]


@pytest.mark.django_db(transaction=True)  # outside a transaction, reads may go to a replica
def test_it_is_one_statement_read_where_the_router_or_the_statement_says(lagging_replica):
    """Without ``using``, the router's choice (a replica here, which is not there: the read
    fails, as the queryset's would); with ``using``, that database."""
    article = make_article()
    db.unpin()  # a new request, which has not written
    on_primary = Statement(lambda pk: Article.objects.filter(pk=pk)[:1], int, using=PRIMARY)
    anywhere = Statement(lambda pk: Article.objects.filter(pk=pk)[:1], int)
    with CaptureQueriesContext(connection) as captured:
        assert on_primary.first(article.pk) == article
    assert len(captured.captured_queries) == 1
    with pytest.raises(Exception, match="replica_1"):
        anywhere.first(article.pk)
    with pytest.raises(Exception, match="replica_1"):
        Article.objects.filter(pk=article.pk).first()


@pytest.mark.django_db(transaction=True)
def test_its_rows_say_which_database_they_were_read_from(lagging_replica):
    """``rows_and_db``: the rows, and the database the run read them from (the one the
    instances of its queryset would name), so a caller that makes objects of
    ``values_list`` rows needs one statement, not one per database."""
    article = make_article()
    ids = Statement(lambda pk: Article.objects.filter(pk=pk).values_list("pk", flat=True), int)
    on_primary = Statement(lambda pk: Article.objects.filter(pk=pk), int, using=PRIMARY)
    db.unpin()
    rows, alias = on_primary.rows_and_db(article.pk)
    assert (rows, alias) == ([article], rows[0]._state.db) == ([article], PRIMARY)
    with db.reading_from_primary():
        assert ids.rows_and_db(article.pk) == ([article.pk], PRIMARY)
    with pytest.raises(Exception, match="replica_1"):  # the router's choice: a replica
        ids.rows_and_db(article.pk)


@pytest.mark.parametrize(
    ("build", "kinds", "refused"),
    [
        # reads the clock: its first answer would be its only one
        (lambda pk: Article.objects.reachable().filter(pk=pk), (int,), "clock"),
        # reads a time computed from the clock (``now() - 15 minutes``): the window would
        # be the first run's, at every run after it
        (
            lambda pk: Comment.objects.filter(
                pk=pk, submitted_at__gte=timezone.now() - timedelta(minutes=15)
            ),
            (int,),
            "clock",
        ),
        # a value that does not reach the parameters as given
        (lambda key: Comment.objects.filter(owner_key__contains=key), (str,), "values"),
        # a value it does not use
        (lambda pk, key: Comment.objects.filter(pk=pk), (int, str), "values"),
        # more than one model's rows
        (lambda pk: Comment.objects.select_related("article").filter(pk=pk), (int,), "one"),
    ],
)
def test_a_build_it_could_not_run_as_the_queryset_is_refused(build, kinds, refused):
    with pytest.raises(ValueError, match=refused):
        Statement(build, *kinds).rows(*[kind() for kind in kinds])


def test_a_value_of_another_kind_is_refused():
    with pytest.raises(TypeError):
        Statement(lambda value: Article.objects.filter(word_count=value), float).rows(1.0)
    by_id = Statement(lambda pk: Article.objects.filter(pk=pk), int)
    for values in (("1",), (None,), (1, 2), ()):  # the queryset would have converted some
        with pytest.raises(TypeError):
            by_id.rows(*values)


@pytest.mark.parametrize(
    "ids", [["1,2"], [1, "2"], [1, 2.0], [True], {1: "a", "2": "b"}, [None], "12", b"12"]
)
def test_ids_that_are_not_all_ints_are_refused_at_the_call(ids):
    """``Ids`` and ``AnyOf`` take ints alone: an element such as ``"1,2"`` would read as
    two ids in the one parameter (``{1,2}``), ``True`` as no id at all; the queryset's
    ``pk__in`` would have converted some. Refused where they are given, never sent."""
    statement = Statement(published_among, Ids, datetime)
    statement.rows([1], timezone.now())  # compiled: only the run's values are refused
    with CaptureQueriesContext(connection) as captured:
        with pytest.raises(TypeError):
            statement.rows(ids, timezone.now())
        with pytest.raises(TypeError):
            Article.objects.filter(AnyOf("pk", ids))
    assert captured.captured_queries == []


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_it_on_its_own_connection():
    """Kept on each thread's connection: a thread's run is on the connection its
    queryset would use (its transaction), never another thread's."""
    import threading

    from django.db import connections, transaction

    article = make_article()
    found: dict[str, object] = {}

    def in_a_thread() -> None:
        try:
            found["article"] = REACHABLE_ARTICLE.first(article.pk, timezone.now())
            found["connection"] = connections["default"]
            found["kept"] = REACHABLE_ARTICLE in vars(connections["default"])["byline_statements"]
        finally:
            connections["default"].close()

    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(headline="Changed, not committed")
        assert (
            REACHABLE_ARTICLE.first(article.pk, timezone.now()).headline == "Changed, not committed"
        )
    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert found["article"] == article and found["kept"]
    assert found["connection"] is not connections["default"]


def test_a_naive_time_is_refused():
    """The queryset reads a naive time in the site's time zone (with a warning); the
    statement would send it as it is (UTC on SQLite, the connection's zone on
    PostgreSQL), answering differently wherever ``TIME_ZONE`` is not UTC."""
    since = Statement(lambda at: Comment.objects.filter(submitted_at__gte=at), datetime)
    assert since.rows(timezone.now()) == []
    with pytest.raises(TypeError):
        since.rows(datetime(2026, 3, 29, 1, 30))  # noqa: DTZ001 (naive on purpose)


def published_among(ids, now: datetime):
    """The published articles among ``ids``, by ``now`` (the view folder's and the votes'
    check, ``stats.PUBLISHED_AMONG``)."""
    return Article.objects.published(now).filter(AnyOf("pk", ids)).values_list("pk", flat=True)


@pytest.mark.parametrize("count", [0, 1, 2, 150])
def test_a_list_of_ids_is_one_value_and_the_rows_are_the_orms(count):
    """``Ids``: any number of ids (none, one, many; past 2**31, as a ``bigint`` key
    reaches) in one parameter, its SQL the same whatever their number, and the rows those
    the ORM's ``pk__in`` finds."""
    now = timezone.now()
    made = [
        make_article(),
        make_article(status=Status.DRAFT),
        make_article(password="secret"),
        make_article(status=Status.SCHEDULED, published_at=now + timedelta(hours=1)),
        make_article(),
    ]
    pool = [a.pk for a in made] + [2**31, 2**31 + 1, 2**40, 2**63 - 1]
    ids = (pool * 20)[:count]
    statement = Statement(published_among, Ids, datetime)
    with CaptureQueriesContext(connection) as captured:
        found = statement.rows(ids, now)
        again = statement.rows(set(ids), now)  # any collection
    expected = list(
        Article.objects.published(now).filter(pk__in=ids).order_by("-published_at", "-pk")
    )
    assert sorted(found) == sorted(again) == sorted(a.pk for a in expected)
    assert len(captured.captured_queries) == 2  # each run one statement, none built
    assert statement.query(ids, now)[0] == statement.query([1], now)[0]  # one SQL for all


def test_rows_past_two_to_the_31_are_found():
    article = make_article()
    Article.objects.filter(pk=article.pk).update(id=2**31 + 5)
    statement = Statement(published_among, Ids, datetime)
    assert statement.rows([2**31 + 5, 2**31 + 6], timezone.now()) == [2**31 + 5]


def test_a_list_of_ids_and_a_time_each_run_its_own():
    """The time is one of the values: a scheduled article is found once the time given
    has come, never by the time of the first run; and a build that reads the clock
    itself (``published()`` without a time) is refused."""
    soon = make_article(status=Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=1))
    statement = Statement(published_among, Ids, datetime)
    ids = [soon.pk, 10**9]
    assert statement.rows(ids, timezone.now()) == []
    assert statement.rows(ids, timezone.now() + timedelta(hours=2)) == [soon.pk]
    assert statement.rows(ids, timezone.now()) == []
    reads_the_clock = Statement(
        lambda ids: Article.objects.published().filter(AnyOf("pk", ids)).values_list("pk"), Ids
    )
    with pytest.raises(ValueError, match="clock"):
        reads_the_clock.rows(ids)


def test_values_list_rows_are_the_querysets_tuples_flat_values_and_counts():
    """``values_list``: the rows as the queryset yields them (tuples in its order, flat
    values), an annotation (``Count``) among the columns."""
    from django.db.models import Count

    article, other = make_article(), make_article()
    for target, reactions in ((article, 2), (article, 0), (other, 5), (article, 1)):
        Comment.objects.filter(pk=make_comment(target).pk).update(reactions=reactions)

    def tuples(ids):
        found = Comment.objects.filter(AnyOf("article_id", ids), reactions__gt=0)
        return found.order_by("article_id", "pk").values_list("reactions", "article_id", "pk")

    def flat(ids):
        return Comment.objects.filter(AnyOf("article_id", ids)).values_list("pk", flat=True)

    def counted(ids):
        by_article = Comment.objects.filter(AnyOf("article_id", ids)).values_list("article_id")
        return by_article.annotate(n=Count("id")).values_list("n", "article_id").order_by()

    ids = [article.pk, other.pk, 2**35]
    for build in (tuples, flat, counted):
        found = Statement(build, Ids).rows(ids)
        expected = list(build(ids))
        assert sorted(found) == sorted(expected)
        assert all(type(f) is type(e) for f, e in zip(sorted(found), sorted(expected), strict=True))
    assert Statement(tuples, Ids).rows(ids) == list(tuples(ids))  # its order
    assert sorted(Statement(counted, Ids).rows(ids)) == [(1, other.pk), (3, article.pk)]


def test_its_sql_and_parameters_for_a_statement_of_ones_own():
    """``query``: the SQL and parameters ``rows`` would send, for a caller that puts it
    inside a statement of its own (the votes' cast on PostgreSQL)."""
    article = make_article()
    statement = Statement(published_among, Ids, datetime)
    sql, params = statement.query([article.pk, 7], timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) AS found", params)  # noqa: S608
        assert cursor.fetchall() == [(article.pk,)]


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_and_opened_again_runs_it_on_the_new_one():
    """Kept on the connection object, only its SQL: once the server ended the session
    (the connection is then closed, as after any request) the next run opens a new one
    and answers as before, with no cursor or state of the old session."""
    from django.db import OperationalError, connections

    article = make_article()
    statement = Statement(published_among, Ids, datetime, using=PRIMARY)
    assert statement.rows([article.pk], timezone.now()) == [article.pk]
    primary = connections[PRIMARY]
    if primary.vendor == "postgresql":
        import psycopg

        with primary.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        params = primary.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(OperationalError):
            statement.rows([article.pk], timezone.now())
        primary.close_if_unusable_or_obsolete()
    primary.close()
    assert statement.rows([article.pk, 2**40], timezone.now()) == [article.pk]
    with primary.cursor() as cursor:
        if primary.vendor == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone() != (pid,)


def test_a_long_list_of_ids_is_one_parameter():
    """Far more ids than a statement takes parameters (SQLite: 32,766), a set or a
    dict's keys: one parameter, the rows the ORM finds."""
    made = [make_article(), make_article(status=Status.DRAFT), make_article()]
    ids = set(range(10**6, 10**6 + 40_000)) | {a.pk for a in made}
    statement = Statement(published_among, Ids, datetime)
    now = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        found = statement.rows(ids, now)
        keys = statement.rows(dict.fromkeys(ids), now)
    assert sorted(found) == sorted(keys) == [made[0].pk, made[2].pk]
    assert len(captured.captured_queries) == 2
    assert len(statement.query(ids, now)[1]) == len(statement.query([1], now)[1])


def test_an_integer_fields_value_is_a_value_as_a_primary_keys_is():
    """A ``BigIntegerField`` compared with a value (a comment's ``thread_id``) reaches the
    SQL as the backend writes it (on PostgreSQL psycopg's ``Int8``): its place is found,
    and each run's value goes there, typed as the queryset would type it."""
    article = make_article()
    root = make_comment(article)
    reply = make_comment(article, parent=root)
    other = make_comment(article)
    statement = Statement(
        lambda thread_id: (
            Comment.objects.filter(thread_id=thread_id).order_by("pk").values_list("pk", flat=True)
        ),
        int,
    )
    for thread, expected in ((root.thread_id, [root.pk, reply.pk]), (other.thread_id, [other.pk])):
        orm = list(
            Comment.objects.filter(thread_id=thread).order_by("pk").values_list("pk", flat=True)
        )
        assert statement.rows(thread) == orm == expected
    sql, params = statement.query(2**40)
    assert params == [2**40]
    orm_params = Comment.objects.filter(thread_id=2**40).query.get_compiler(PRIMARY).as_sql()[1]
    assert [type(value) for value in params] == [type(value) for value in orm_params]


def prepared_statements() -> list[str]:
    """The SQL of the statements this connection's session holds prepared (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [sql for (sql,) in cursor.fetchall()]


@pytest.fixture
def prepare_after():
    """A new connection (its session holds no prepared statement) whose
    ``prepare_threshold`` the test sets, as ``?prepare_threshold=`` in DATABASE_URL sets
    it at connect; closed after the test, so the next opens one as the settings say."""
    connection.close()
    connection.ensure_connection()

    def set_to(runs: int | None) -> None:
        connection.connection.prepare_threshold = runs

    yield set_to
    connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares statements")
def test_with_a_threshold_postgresql_prepares_it_and_it_answers_as_the_queryset(prepare_after):
    """With ``?prepare_threshold=N``, a statement run N times on a connection is prepared
    on the server (planned once, not at every run), and each run after still answers
    as the queryset does, with each run's values of every kind (an int, a time, ids)."""
    prepare_after(2)
    now = timezone.now()
    live = make_article(status=Status.PUBLISHED)
    later = make_article(status=Status.SCHEDULED, published_at=now + timedelta(hours=1))
    among = Statement(published_among, Ids, datetime)
    for run in range(4):
        for article in (live, later):
            found = REACHABLE_ARTICLE.first(article.pk, timezone.now())
            expected = orm_reachable(article.pk)
            assert (found and as_read(found)) == (expected and as_read(expected)), run
        assert among.rows([live.pk, later.pk, 2**40], timezone.now()) == [live.pk]
        assert among.rows([later.pk], now + timedelta(hours=2)) == [later.pk]
    held = prepared_statements()
    assert any("$1" in sql and '"articles_article"' in sql for sql in held), held
    assert len(held) == 2  # one for each statement, whatever their values


@pytest.mark.django_db(transaction=True)
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares statements")
def test_without_a_threshold_nothing_is_prepared(prepare_after):
    """Django's default (``prepare_threshold`` None; ``?prepare_threshold=off``: behind a
    pooler in transaction mode, where the next transaction may run on another server
    connection): the parameters are bound by the client and the server holds nothing."""
    prepare_after(None)
    article = make_article(status=Status.PUBLISHED)
    for _ in range(8):
        assert REACHABLE_ARTICLE.first(article.pk, timezone.now()).pk == article.pk
    assert prepared_statements() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares statements")
def test_the_comment_posts_fixed_reads_are_prepared_too(prepare_after):
    """A comment POST's reads written as SQL of their own (the spent form token and the
    duplicate, the author's history) are prepared as a
    ``Statement`` is, and answer the same once prepared."""
    from byline.discussion import actions

    prepare_after(1)
    comment = make_comment(make_article(), body="Same words.", author_email="Twice@Example.org")
    for _ in range(3):
        assert actions.first_read(
            "unspent", comment.article_id, "twice@example.org", "Same words."
        ) == (
            None,
            True,
        )
        assert actions.first_read(
            "unspent", comment.article_id, "other@example.org", "Same words."
        ) == (
            None,
            False,
        )
        assert actions.history_counts("TWICE@example.org") == (1, 0)
        assert actions.history_counts("twice@example.org", other_than=comment.pk) == (0, 0)
    held = prepared_statements()
    assert sum('"discussion_spentformtoken"' in sql for sql in held) == 1, held
    assert sum('COUNT(*) FROM "discussion_comment"' in sql for sql in held) == 2, held


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares statements")
def test_a_prepared_run_is_logged_with_its_values_as_any_other(prepare_after):
    """What tests and DEBUG see of a statement (``connection.queries``) is its SQL with
    its values, prepared or not."""
    article = make_article(status=Status.PUBLISHED)
    logged = {}
    for threshold in (None, 0):
        prepare_after(threshold)
        with CaptureQueriesContext(connection) as captured:
            REACHABLE_ARTICLE.first(article.pk, timezone.now())
        (query,) = captured.captured_queries
        logged[threshold] = query["sql"]
    assert all(f'"articles_article"."id" = {article.pk}' in sql for sql in logged.values())
    assert "$1" not in logged[0] and "%s" not in logged[0]
