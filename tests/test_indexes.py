"""Every hot list query is served by an index (PostgreSQL's EXPLAIN, never timings).

With ``enable_seqscan`` off the planner takes any index that can answer the
query; only a query no index serves still reads the whole table. So a
``Seq Scan`` on the articles or the comments in these plans means a listing that
would read every row on a site of 100,000 articles and 1,000,000 comments.

On SQLite (the embedded default) the queries every page runs are checked by
``EXPLAIN QUERY PLAN``: a ``SCAN`` of the articles or the comments (of the table or
of a whole index) reads them all; a ``SEARCH`` reads the rows an index bounds.
"""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from byline import sqlitestats
from byline.articles import keyset, navigation, sitemaps
from byline.articles.models import Article
from byline.articles.sitemaps import ArticleSitemap
from byline.discussion import actions, popular
from byline.discussion.models import Comment
from tests.conftest import using_postgres
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_section

pytestmark = [pytest.mark.django_db]
postgres_only = pytest.mark.skipif(
    not using_postgres(), reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
)
sqlite_only = pytest.mark.skipif(using_postgres(), reason="SQLite's plans (the default database)")
TABLES = ("articles_article", "discussion_comment")


def plan_of(queryset, sort: bool = True) -> str:
    """``queryset``'s plan with sequential scans priced out (and sorts, ``sort=False``)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not sort:
            cursor.execute("SET LOCAL enable_sort = off")
        return queryset.explain()


def hot_queries(article, root) -> dict:
    section, tag, author = article.section, article.tags.get(), article.authors.get()
    listing = Article.objects.for_listing()
    at, pk = article.published_at, article.pk
    deep = {}  # a deep page (?before=) and its "Newer stories" link, by cursor
    for name, filtered in {
        "front page": listing,
        "section": listing.filter(section=section),
        "tag": listing.filter(tags=tag),
        "author": listing.filter(authors=author),
    }.items():
        deep[f"{name}, deep page"] = keyset.older_than(filtered, at, pk)[:21]
        deep[f"{name}, newer link"] = keyset.newer_than(filtered, at, pk)[:21]
    return {
        "front page": listing[:10],
        "section": listing.filter(section=section)[:10],
        "section count": Article.objects.published().filter(section=section).only("pk"),
        "tag": listing.filter(tags=tag)[:10],
        "author": listing.filter(authors=author)[:10],
        **deep,
        "sitemap": ArticleSitemap().paginator.page(1).object_list,
        "sitemap, last page": ArticleSitemap().paginator.page(2).object_list,
        "tags sitemap": sitemaps.TagSitemap().paginator.page(1).object_list,
        "authors sitemap": sitemaps.AuthorSitemap().paginator.page(1).object_list,
        "thread roots": Comment.objects.thread_roots(article.pk).values_list("pk", flat=True),
        "thread roots, most reacted": Comment.objects.thread_roots(article.pk)
        .order_by("-reactions", "submitted_at", "pk")
        .values_list("pk", flat=True),
        "removed thread roots": Comment.objects.removed_roots(article.pk).values_list("pk"),
        # Approved comments and the removed ones with replies (a placeholder each).
        "threads of a page": Comment.objects.in_discussion()
        .on_article(article.pk)
        .filter(thread_id__in=[root.pk])
        .values_list("pk", "parent_id", "thread_id"),
        "moderation queue": Comment.objects.filter(status=Comment.Status.PENDING).order_by(
            "-submitted_at", "-pk"
        )[:50],
        "admin comments": Comment.objects.order_by("-submitted_at", "-pk")[:50],
        # A commenter's data download: their comments' ids, from the address index.
        "comment-data download": Comment.objects.by_email(root.author_email)
        .order_by("submitted_at", "pk")
        .values_list("pk", flat=True),
        "admin articles": Article.objects.order_by("-published_at", "-pk")[:100],
        **chrome_queries(),
        "front page lead": listing.filter(featured=True)[:1],
        "sitemap, first id": ArticleSitemap().items().filter(pk__gt=0).order_by("pk")[:1],
    }


def chrome_queries() -> dict:
    """Queries of (nearly) every reader page: the navigation's sections and the "most
    discussed" ranking."""
    return {
        "sections with articles": navigation.sections_with_articles(),
        "most discussed": popular.week_counts(timezone.now()),
    }


@postgres_only
def test_hot_list_queries_never_scan_articles_or_comments(monkeypatch):
    """Front page, section, tag and author listings, the sitemap, an article's threads,
    the moderation queue and the admin change lists: each is served by an index."""
    from byline.articles.models import Author, Section, Tag

    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 3)  # so the sitemap has two pages
    section = Section.objects.create(name="Politics", slug="politics")
    tag = Tag.objects.create(name="Budget", slug="budget")
    author = Author.objects.create(name="Ada", slug="ada")
    article = make_article("A story", section=section)
    article.tags.add(tag)
    article.authors.add(author)
    for n in range(3):
        make_article(f"Another story {n}")
    root = make_comment(article)
    make_comment(article, parent=root)
    binned = make_comment(article, status=Comment.Status.TRASH)  # a placeholder's thread
    make_comment(article, parent=binned)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    failures = {}
    queries = hot_queries(article, root)
    for name, queryset in queries.items():
        plan = plan_of(queryset)
        if any(f"Seq Scan on {table}" in plan for table in TABLES):
            failures[name] = plan
    assert not failures, failures
    # A deep page starts reading at its cursor: the index scan is bounded by it, so the rows
    # of the pages before it are never read (what an OFFSET would read and throw away).
    # (The front page's: a filtered listing's plan on a table this small may start from the
    # section's index instead, which is no scan of the articles either.) On a table of four
    # articles the planner may as well read another index whole and sort the few rows it
    # finds: how it weighs them depends on the statistics the tests before this one left
    # (seen after tests/discussion and tests/wordpress, on main too). With sorting priced
    # out, the index that gives the listing's order is the one it takes, as on a big site.
    for name in ("front page, deep page",):
        plan = plan_of(queries[name], sort=False)
        conditions = [line for line in plan.splitlines() if "Index Cond" in line]
        assert any("published_at <=" in line for line in conditions), plan
    # And the check can fail: a filter no index serves is a sequential scan.
    assert "Seq Scan on discussion_comment" in plan_of(
        Comment.objects.filter(author_url="x").order_by()
    )


def other_readers_comments(article, count: int) -> None:
    """``count`` approved comments on ``article``, each by another reader; then ANALYZE."""
    Comment.objects.bulk_create(
        Comment(
            article=article,
            body="Hi.",
            author_email=f"reader{n}@example.org",
            status=Comment.Status.APPROVED,
            submitted_at=article.published_at,
        )
        for n in range(count)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE discussion_comment")


@postgres_only
def test_a_commenters_history_is_counted_from_the_address_index_alone():
    """A new comment asks how many of its author's earlier comments were approved and how
    many were spam (``actions.judge``). A known commenter on a big site has thousands:
    both counts read the (address, status) index only, never the comments' rows."""
    article = make_article("A story")
    for status in (Comment.Status.APPROVED, Comment.Status.SPAM, Comment.Status.TRASH):
        make_comment(article, author_email="Known@Example.org", status=status)
    other_readers_comments(article, 300)  # approved, by other readers: a status is no filter
    with CaptureQueriesContext(connection) as counted:
        assert actions.history_counts("known@example.org") == (1, 1)
    assert len(counted.captured_queries) == 1
    plan = plan_without_scans(counted.captured_queries[0]["sql"])
    assert "Index Only Scan using comment_email_status_ci" in plan, plan


@postgres_only
@pytest.mark.django_db(transaction=True)  # VACUUM (the visibility map) runs outside one
def test_the_counts_files_read_the_comments_reaction_counts_from_an_index_alone():
    """The view folder reads the reaction counts of the comments of every article being
    read, every few seconds: those with any for the counts JSON
    (``reactions.counts_of_articles``), all of them for the reaction counts files
    (``reaction_files.reaction_bodies``). Both read the ids and counts from the approved
    comments' index alone (an index-only scan), never the comments' wide rows; the
    counts are the comments' own."""
    from byline.discussion import reaction_files, reactions

    article = make_article("A story")
    other_readers_comments(article, 200)
    pending = make_comment(article, status=Comment.Status.PENDING)
    first, second = Comment.objects.filter(article=article, status="approved")[:2]
    Comment.objects.filter(pk__in=[first.pk, second.pk, pending.pk]).update(reactions=3)
    other_readers_comments(make_article("Another story"), 200)
    with connection.cursor() as cursor:  # as autovacuum leaves a table read more than written
        cursor.execute("VACUUM ANALYZE discussion_comment")
    reads = {
        "counts JSON": lambda: reactions.counts_of_articles([article.pk]),
        "reaction files": lambda: reaction_files.reaction_bodies([article.pk]),
    }
    for name, read in reads.items():
        with CaptureQueriesContext(connection) as counted:
            found = read()
        assert len(counted.captured_queries) == 1, name
        plan = plan_without_scans(counted.captured_queries[0]["sql"])
        assert "Index Only Scan using comment_approved_reactions" in plan, (name, plan)
        if name == "counts JSON":
            assert found == {article.pk: {str(first.pk): 3, str(second.pk): 3}}
    counts = json.loads(found[article.pk])["counts"]
    assert len(counts) == 200 and counts[str(first.pk)] == 3 and str(pending.pk) not in counts


def plan_without_scans(sql: str) -> str:
    """PostgreSQL's plan of ``sql`` with sequential and bitmap scans priced out: which
    index serves it, whatever the table's size."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@postgres_only
def test_a_commenters_download_reads_their_comments_from_the_address_index():
    """The comment-data download reads one commenter's comments, oldest first, through a
    cursor. PostgreSQL plans a cursor to start fast: offered the date's order, it walked
    the date index of every comment on the site. The download's query (``export_rows``)
    reads the address index and sorts the commenter's rows."""
    from byline.discussion.commenterdata import export_rows

    article = make_article("A story")
    for _ in range(20):
        make_comment(article, author_email="Prolific@Example.org")
    other_readers_comments(article, 2000)

    def cursor_plan(queryset) -> str:
        sql, params = queryset.query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN DECLARE download CURSOR FOR {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())

    mine = export_rows("prolific@example.org")
    plan = cursor_plan(mine)
    date_index = "using discussion_comment_submitted_at"
    assert "comment_email_status_ci" in plan and date_index not in plan, plan
    # And the check can fail: ordered by the column, the cursor walks the date index.
    walked = cursor_plan(mine.order_by("submitted_at", "pk"))
    assert date_index in walked, walked


def sqlite_plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(row[3] for row in cursor.fetchall())


def full_reads(plan: str) -> list[str]:
    """The plan's scans of a whole table or index, but the sections' (a few rows).
    (A subquery's table is named by its alias, ``U0``: any scan but the sections' counts.)"""
    return [line for line in plan.splitlines() if re.match(r"SCAN (?!articles_section\b)", line)]


def by_section(plan: str) -> bool:
    """Whether the plan reads the articles one section at a time, from a section index."""
    return (
        re.search(r"^SEARCH \w+ USING (COVERING )?INDEX \w+ \(section_id=\?", plan, re.M)
        is not None
    )


@sqlite_only
def test_the_chrome_of_every_page_never_scans_articles_or_comments_on_sqlite():
    """The navigation's sections and "most discussed" read only what an index bounds on
    SQLite: one row of each section's listing index, and the week's comments from the
    (status, submitted_at) index. Before and after ANALYZE: its statistics (a handful
    of statuses for thousands of comments) turned the ranking to the article index."""
    now = timezone.now()
    sections = [make_section(f"Section {n}") for n in range(3)]
    articles = [make_article(f"Story {n}", section=sections[n % 3]) for n in range(6)]
    Comment.objects.bulk_create(
        Comment(
            article=articles[n % 6],
            body="Hi.",
            author_email=f"reader{n}@example.org",
            status=Comment.Status.APPROVED if n % 10 else Comment.Status.PENDING,
            submitted_at=now - timedelta(days=30 if n % 3 else 1),
        )
        for n in range(600)
    )
    for analyzed in (False, True):
        if analyzed:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for name, queryset in chrome_queries().items():
            plan = sqlite_plan(queryset)
            assert not full_reads(plan), (name, analyzed, plan)
        sections_plan = sqlite_plan(navigation.sections_with_articles())
        assert by_section(sections_plan), (analyzed, sections_plan)
    # The week's comments went to every third article (the others' are a month old).
    ranked = sorted(article for article, _ in popular.ranking(now))
    assert ranked == [articles[0].pk, articles[3].pk]
    # And the checks can fail: grouped by the bare article column, the ranking walks the
    # article index (every comment); ``pk__in`` the published articles' sections reads
    # them all from the status index (a range as wide as the site: no SCAN, no section).
    grouped = Comment.objects.approved().filter(submitted_at__gte=now - timedelta(days=7))
    walked = sqlite_plan(grouped.values("article_id").annotate(n=Count("id")).order_by("-n"))
    assert full_reads(walked), walked
    live = Article.objects.published().values("section_id")
    read = sqlite_plan(navigation.Section.objects.filter(pk__in=live))
    assert not by_section(read), read


def plans_of(run) -> list[tuple[str, str]]:
    """(SQL, SQLite's plan) of each query ``run()`` sends."""
    with CaptureQueriesContext(connection) as captured:
        run()
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plans.append((query["sql"], "\n".join(row[3] for row in cursor.fetchall())))
    return plans


def sorts_or_scans(plans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The plans that read a whole table or index, or sort what they read (a tag's every
    article, a word's every match): what grows with the site."""
    found = []
    for sql, plan in plans:
        if not re.search(r'FROM "?articles_(article|search)"? ', sql):
            continue  # the page's authors, sections (a few rows)
        if re.search(r'"id" IN \(\d', sql):
            continue  # the rows of a page, by their ids (sorting them costs nothing)
        # (An FTS5 match reads the word's entries; a subquery's few rows are its own.)
        scans = [
            line for line in full_reads(plan) if not re.search(r"VIRTUAL TABLE|\(subquery", line)
        ]
        if scans or "TEMP B-TREE FOR ORDER BY" in plan:
            found.append((sql, plan))
    return found


@sqlite_only
def test_a_popular_tag_related_stories_and_a_common_word_never_sort_what_they_find_on_sqlite(
    monkeypatch,
):
    """A tag on a tenth of the articles, an article's related stories and a word in every
    article are read from the latest articles down (``article_visible_latest``), asking
    the tag's index or the word's matches of each, until a page is found; never all of
    the tag's articles or the word's matches, sorted (110, 165 and 430 ms at 100,000
    articles). A rare tag is read from its own rows. With the statistics an app server
    takes when it finds none (``sqlitestats``), and after more articles."""
    from byline.articles import search as searching
    from byline.articles.models import Tag
    from byline.articles.search import search

    monkeypatch.setattr(searching, "MAX_RANKED", 10)  # "council" is in more than that
    popular, rare = Tag.objects.create(name="Budget", slug="budget"), None
    section = make_section("Politics")
    articles = []
    for n in range(60):
        tags = [popular] if n % 3 == 0 else []
        articles.append(make_article(f"Council story {n}", section=section, tags=tags))
    rare = Tag.objects.create(name="Harbour", slug="harbour")
    articles[7].tags.add(rare)
    story = articles[0]
    tag_ids = [popular.pk, rare.pk]
    listing = Article.objects.for_listing()

    def pages():
        list(listing.tagged(popular.pk)[:21])
        at, pk = articles[30].published_at, articles[30].pk
        list(keyset.older_than(listing.tagged(popular.pk), at, pk)[:21])
        list(Article.objects.related_to(story, tag_ids))
        results = search("council")
        list(results[0:10])

    connection.ensure_connection()
    assert sqlitestats.analyze_if_stale(connection.connection)  # a new site: none yet
    assert not sqlitestats.stale(connection.connection)
    for analyzed in (True, False):
        if not analyzed:
            Article.objects.filter(pk__in=[a.pk for a in articles[40:]]).update(password="x")
        plans = plans_of(pages)
        assert not sorts_or_scans(plans), (analyzed, sorts_or_scans(plans))
        walked = [plan for _, plan in plans if "article_visible_latest" in plan]
        assert len(walked) >= 4, (analyzed, plans)
        rare_plan = sqlite_plan(listing.tagged(rare.pk)[:21])
        assert "article_tag_listing" in rare_plan, rare_plan
    # What readers see is the same: the tag's latest, the related stories' latest.
    assert list(listing.tagged(popular.pk)[:3]) == articles[0:9:3][:3]
    related = list(Article.objects.related_to(story, tag_ids))
    assert related == articles[1:5]
    assert [hit.article for hit in search("council")[0:3]] != []
    # And the check can fail: without statistics (a site nothing analyzed) even the front
    # page read every published article from the status index, and sorted them.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
        cursor.execute("ANALYZE sqlite_schema")  # the planner rereads the (no) statistics
    guessed = plans_of(lambda: list(listing[:21]))
    assert sorts_or_scans(guessed), guessed


@sqlite_only
def test_an_embedded_site_takes_statistics_when_it_has_none_or_has_grown(monkeypatch):
    """Nothing runs ANALYZE on an embedded site: an app server looks (``sqlitestats``)
    whether an index has no statistics or the articles grew tenfold since, and analyzes.
    Without statistics, the front page read every published article and sorted them."""
    for n in range(12):
        make_article(f"Story {n}")
    connection.ensure_connection()
    db = connection.connection
    listing = Article.objects.for_listing()
    assert sqlitestats.stale(db)
    assert "TEMP B-TREE FOR ORDER BY" in sqlite_plan(listing[:21])
    assert sqlitestats.analyze_if_stale(db)
    assert not sqlitestats.stale(db) and not sqlitestats.analyze_if_stale(db)
    assert sorts_or_scans(plans_of(lambda: list(listing[:21]))) == []
    monkeypatch.setattr(sqlitestats, "SMALL", 1)
    monkeypatch.setattr(sqlitestats, "GROWTH", 2)
    for n in range(12 * 2):
        make_article(f"Later story {n}")
    assert sqlitestats.stale(db)  # tenfold the articles
