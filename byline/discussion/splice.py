"""An article's page after its comments were published: only what comments change is
drawn again, and spliced into the page the cache holds (``pagecache.page_layer.redraw``).

A published comment changes three places of the article's page, and nothing else of it:
the discussion (between ``<!--discussion-->`` and ``<!--/discussion-->``, which
``articles/article_detail.html`` writes around it), the counter under the headline
(between ``<!--comments-->`` and ``<!--/comments-->``) and the ``commentCount`` of the
page's JSON-LD. Drawing those three is a fraction of drawing the page (no article row
through the ORM, no story, related stories, chrome, engagement block or head), and the
result is the bytes the whole page's render gives at that moment (``tests/discussion/
test_splice.py`` compares them). Anything unsure gives None, and the page is drawn whole:
a marker missing or written twice (an editor's HTML in the story may hold one), another
count of JSON-LD figures, an article no longer open to readers, protected, or now at
another address.
"""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace

from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.db import connection
from django.template.loader import get_template
from django.urls import set_script_prefix
from django.utils import timezone

from byline.articles.models import Article
from byline.db import Statement, prepared_cursor
from byline.engagement.models import ArticleStats
from byline.pagecache.decorators import STORABLE

COUNTER = (b"<!--comments-->", b"<!--/comments-->")
DISCUSSION = (b"<!--discussion-->", b"<!--/discussion-->")
# The comment count of the page's JSON-LD (``structured_data.json_ld``: no spaces). A
# quote inside a JSON string is escaped (\"), so no headline or name can write this;
# it is looked for above the counter only (a comment's text, below, may hold it).
JSON_COUNT = re.compile(rb'"commentCount":\d+')
# What the discussion reads of the article (``discussion_for``, ``respond.html``): the
# article by id if readers may open its page, its SQL written once (``db.Statement``: the
# ORM's query cost ~0.55 ms of CPU at each splice, a sixth of it).
FIELDS = ("id", "slug", "password", "comment_state", "comments_close_days", "published_at")
FIELDS += ("removed_threads",)
REACHABLE = Statement(
    lambda pk, now: Article.objects.reachable(now).filter(pk=pk).only(*FIELDS)[:1], int, datetime
)
COUNT_SQL = f"SELECT comments FROM {ArticleStats._meta.db_table} WHERE article_id = %s"  # noqa: S608


def _between(body: bytes, marks: tuple[bytes, bytes], start: int) -> tuple[int, int] | None:
    """Where the region of ``marks`` is (inside its markers), each written once, after
    ``start``; None if not so."""
    opening, closing = marks
    if body.count(opening) != 1 or body.count(closing) != 1:
        return None
    begin = body.find(opening) + len(opening)
    end = body.find(closing)
    return (begin, end) if start <= begin - len(opening) and begin <= end else None


def reachable_article(article_id: int) -> Article | None:
    """The article (``FIELDS`` of it) if readers may open its page (``reachable``)."""
    return REACHABLE.first(article_id, timezone.now())


def splice_comments(article_id: int, environ: dict, body: bytes) -> bytes | None:
    """``body`` (the stored page of ``environ``'s address, showing ``article_id``'s
    comments) with its discussion, comment counter and JSON-LD comment count drawn
    again from the database; None when unsure (the page is then drawn whole)."""
    counter = _between(body, COUNTER, 0)
    if counter is None:
        return None
    # Above the counter: the head and the article's header, where no reader writes (a
    # comment quoting ``"commentCount":0`` is below, and left as it is).
    counts = list(JSON_COUNT.finditer(body, 0, counter[0] - len(COUNTER[0])))
    discussion = _between(body, DISCUSSION, counter[1])
    if len(counts) != 1 or discussion is None:
        return None
    in_head, after_count = counts[0].span()
    article = reachable_article(article_id)
    if article is None or article.is_protected:
        return None
    set_script_prefix(get_script_name(environ))
    if article.get_absolute_url() != environ.get("PATH_INFO"):
        return None
    request = WSGIRequest(environ)  # its META is ``environ``: what the page layer reads
    with prepared_cursor(connection) as cursor:
        cursor.execute(COUNT_SQL, [article_id])
        row = cursor.fetchone()
    count = row[0] if row is not None else 0
    figures = SimpleNamespace(comments=count)
    counter_html = get_template("articles/comment_counter.html").render({"figures": figures})
    context = {"article": article, "request": request}
    discussion_html = get_template("discussion/discussion_include.html").render(context)
    if environ.get(STORABLE) is False:  # not the page of the address (never, for a path)
        return None
    return b"".join(
        (
            body[:in_head],
            b'"commentCount":%d' % count,
            body[after_count : counter[0]],
            counter_html.encode(),
            body[counter[1] : discussion[0]],
            discussion_html.encode(),
            body[discussion[1] :],
        )
    )
