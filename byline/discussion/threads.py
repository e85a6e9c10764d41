"""An article's discussion as readers see it: one page of threads, built without N+1.

Three queries whatever the number of comments: the ids of the article's
approved top-level comments (for paging), the shape of the threads on the
requested page (id and parent of each approved comment, nothing else; kept in
the cache between renders, ``shapes``), then the comments that page shows. The
tree is built in Python and flattened into the order the template writes it, with
how many nested lists to open and close.

No page grows without bound: a thread shows its first
``BYLINE_COMMENT_THREAD_FOLD`` replies (depth first, oldest first at every
level) and then a plain link to the rest, "N more replies". That link opens the
thread on its own (``?thread=<id>``), in pages of
``BYLINE_COMMENT_THREAD_PAGE_SIZE`` comments (``&tpage=N``), the same order cut
into consecutive pieces; a reply whose parent is on an earlier piece opens its
piece at the top level.

A comment a moderator removed (trashed or marked spam) that has approved replies
under it is shown as a placeholder, "This comment was removed." (``Node.removed``:
built from its id and parent alone, so nothing of its author or words is ever
loaded), and its replies stay in their place; so does each removed comment up a
chain (one placeholder each, so every reply keeps its depth). A removed comment
with no approved reply below it is not shown at all, and neither is a reply under
a comment still held for moderation (it waits with it). Placeholders take their
place in a thread's order and pages, and are never counted as comments.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connections
from django.db.models import Case, Count, QuerySet, Value, When
from django.db.models.base import ModelState

from byline.articles.models import Article
from byline.db import (
    PRIMARY,
    AnyOf,
    Ids,
    Statement,
    any_of_sql,
    ids_parameter,
    prepared_cursor,
)
from byline.discussion import shapes, sorting
from byline.discussion.models import DISPLAY_FIELDS, Comment
from byline.discussion.shapes import Skeleton
from byline.parsing import parse_id, parse_page


@dataclass(frozen=True)
class More:
    """The fold at the end of a long thread: how many replies it hides and where they are."""

    hidden: int
    query: str  # ?thread=<root>[&tpage=N]#comment-<first hidden>


@dataclass
class Node:
    comment: Comment
    depth: int
    has_children: bool = False
    closes: range = field(default_factory=lambda: range(0))
    more: More | None = None  # set on the last shown comment of a folded thread
    # The comment it answers, when that one is shown at the same (deepest) level.
    answers: Comment | None = None
    removed: bool = False  # a placeholder for a removed comment with replies shown
    answers_removed: bool = False


@dataclass
class ThreadPage:
    nodes: list[Node]
    number: int
    page_count: int
    thread_count: int
    thread_id: int | None = None  # the page of one thread (``?thread=``), not of the article
    back_page: int = 1  # on a thread's page: the article's page that shows the thread
    sort: str = sorting.DEFAULT  # the order of the threads (``sorting``), kept by every link

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.page_count

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    def find(self, comment_id: int) -> Comment | None:
        """A comment this page shows (a reader may answer it); never a placeholder."""
        return next(
            (n.comment for n in self.nodes if n.comment.pk == comment_id and not n.removed),
            None,
        )


def flatten(
    comments: list[Comment],
    continued: bool = False,
    roots: list[int] | None = None,
    removed: Collection[int] = frozenset(),
) -> list[Node]:
    """Order comments depth-first, oldest first at every level (input is oldest first).

    No comment is shown deeper than ``BYLINE_COMMENT_MAX_DEPTH`` levels: replies
    beyond it (imported from a blog that allowed more) follow the comment they
    answer at the deepest level; each keeps its parent (its "in reply to" link).

    ``continued``: the comments are a piece of one thread whose earlier part is on
    another page, so a reply whose parent is not among them starts at the top level
    (otherwise such a reply is left out: its parent is not approved). ``roots``: the
    order of the top-level comments, when it is not oldest first (``sorting``).
    ``removed``: the ids of the placeholders among ``comments``.
    """
    children: dict[int | None, list[Comment]] = defaultdict(list)
    shown = {c.pk: c for c in comments}
    known = shown.keys()
    for comment in comments:
        parent = comment.parent_id if comment.parent_id in known else None
        if parent is None and comment.parent_id is not None and not continued:
            continue  # its parent is not approved: the reply waits with it
        children[parent].append(comment)
    if roots is not None:
        rank = {pk: index for index, pk in enumerate(roots)}
        children[None].sort(key=lambda c: rank.get(c.pk, len(rank)))
    # Replies deeper than the site's depth limit (imported threads can be) are shown at
    # the deepest level, each right after the comment it answers, as WordPress does.
    deepest = max(0, settings.BYLINE_COMMENT_MAX_DEPTH - 1)
    nodes: list[Node] = []
    stack: list[tuple[Comment, int, Comment | None]] = [
        (c, 0, shown.get(c.answers_id)) for c in reversed(children[None])
    ]
    while stack:
        comment, depth, answers = stack.pop()
        kids = children.get(comment.pk, [])
        node = Node(comment, depth, bool(kids) and depth < deepest, answers=answers)
        node.removed = comment.pk in removed
        node.answers_removed = answers is not None and answers.pk in removed
        nodes.append(node)
        flat = comment if depth >= deepest else None
        # A reply sent to a comment at the deepest level is attached beside it and says
        # which one it answers (``Comment.answers``), when that one is on the page.
        stack.extend(
            (kid, min(depth + 1, deepest), shown.get(kid.answers_id) or flat)
            for kid in reversed(kids)
        )
    for index, node in enumerate(nodes):
        next_depth = nodes[index + 1].depth if index + 1 < len(nodes) else 0
        if not node.has_children:
            node.closes = range(node.depth - next_depth)
    return nodes


def _shown(parents: dict[int, int | None], removed: Collection[int]) -> set[int]:
    """Of the comments given (comment -> its parent: approved ones and the ``removed``
    ones with replies, ``Comment.objects.in_discussion``), the approved ones the page
    shows: those whose every ancestor is given too. A reply under a held comment
    waits with it, as ``flatten`` leaves it out; one under a removed comment is shown."""
    known: dict[int, bool] = {}
    for pk in parents:
        chain: list[int] = []
        node = pk
        while True:  # up the thread to a known answer, the top, or a missing ancestor
            if node in known:
                visible = known[node]
                break
            if node not in parents:  # an ancestor held for moderation
                visible = False
                break
            chain.append(node)
            parent = parents[node]
            if parent is None:
                visible = True
                break
            node = parent
        for seen in chain:
            known[seen] = visible
    return {pk for pk, visible in known.items() if visible and pk not in removed}


def shown_counts(article_ids: Iterable[int]) -> dict[int, int]:
    """How many comments each article's page shows, for its counter (placeholders are
    no comments). One query (two where a removed or held comment has approved replies)."""
    return {article_id: figures[0] for article_id, figures in _figures(article_ids).items()}


def refresh_shown(article_ids: Iterable[int]) -> dict[int, int]:
    """``shown_counts``, after keeping each article's ``removed_threads`` right (the
    removed top-level comments heading a thread with an approved comment, which
    ``sorting.root_ids`` looks for only where there are some). Two statements (three
    where a removed or held comment has approved replies): the count, and one UPDATE
    that changes only the articles whose number moved (sent even when the caller read
    the same number: a moderator's refresh may have written a stale one since).

    Whatever the discussion's size, an article whose every approved comment answers an
    approved one (nearly all) is counted in the database (``_figures``): the cost of a
    comment on a 500-comment article is the cost of one on a 5-comment article.
    """
    figures = _figures(article_ids)
    removed = {article_id: n for article_id, (_, n) in figures.items() if n}
    if removed:
        number = Case(
            *(When(pk=article_id, then=Value(n)) for article_id, n in removed.items()),
            default=Value(0),
        )
        articles = Article.objects.filter(pk__in=list(figures)).exclude(removed_threads=number)
        articles.update(removed_threads=number)
    elif figures:
        _execute(NO_REMOVED_THREADS_SQL, list(figures))
    return {article_id: comments for article_id, (comments, _) in figures.items()}


def count_removed_threads() -> None:
    """Set every article's ``removed_threads`` from its comments at once: after a bulk
    load that wrote comments around the write paths (the benchmark's sites)."""
    heads = (
        Comment.objects.removed_heads()
        .order_by()
        .values_list("article_id")
        .annotate(n=Count("pk"))
        .values_list("article_id", "n")
    )
    numbers = dict(heads)
    Article.objects.exclude(pk__in=list(numbers)).filter(removed_threads__gt=0).update(
        removed_threads=0
    )
    for article_id, n in numbers.items():
        Article.objects.filter(pk=article_id).update(removed_threads=n)


CHUNK = 5000


def by_id(rows: QuerySet, fields: tuple[str, ...]) -> Iterator[tuple]:
    """``fields`` of ``rows`` (the first is ``pk``), ``CHUNK`` at a time in id order: one
    statement for a discussion of fewer, and memory bounded for a larger one. (An
    ``iterator()`` on PostgreSQL is a server-side cursor: three round trips, and outside a
    transaction ``WITH HOLD``, a copy of the whole result, for the few rows of most
    discussions.)"""
    after = 0
    while True:
        chunk = list(rows.filter(pk__gt=after).order_by("pk").values_list(*fields)[:CHUNK])
        yield from chunk
        if len(chunk) < CHUNK:
            return
        after = chunk[-1][0]


def _shown_figures(article_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Each article's shown comments and removed threads (``refresh_shown``). One query."""
    ids = sorted(set(article_ids))
    rows = Comment.objects.in_discussion().filter(article_id__in=ids)
    parents: dict[int, int | None] = {}
    article_of: dict[int, int] = {}
    removed: set[int] = set()
    answered: set[int] = set()  # threads with an approved comment
    fields = ("pk", "parent_id", "article_id", "status", "thread_id")
    for pk, parent_id, article_id, status, thread_id in by_id(rows, fields):
        parents[pk] = parent_id
        article_of[pk] = article_id
        if status != Comment.Status.APPROVED:
            removed.add(pk)
        else:
            answered.add(thread_id or pk)
    counts = dict.fromkeys(ids, 0)
    for pk in _shown(parents, removed):
        counts[article_of[pk]] += 1
    removed_threads = dict.fromkeys(ids, 0)
    for pk in removed:
        if parents[pk] is None and pk in answered:
            removed_threads[article_of[pk]] += 1
    return {article_id: (counts[article_id], removed_threads[article_id]) for article_id in ids}


_COMMENTS = Comment._meta.db_table
_APPROVED = Comment.Status.APPROVED.value
_NOT_APPROVED = ", ".join(f"'{s}'" for s in Comment.Status.values if s != _APPROVED)
# Each article's approved comments (kind 0), and the articles where an approved comment
# answers a comment that is not approved, or sits in the thread of one (kind 1): only
# there does the page show fewer comments than are approved, or a removed thread. The
# second part reads the article's comments that are not approved (usually none) and, for
# each, two index probes ((article, status, parent) and (article, status, thread)).
# Format with the article ids' placeholders (``{ids}``).
FIGURES_SQL = (
    f"SELECT c.article_id, COUNT(*), 0 FROM {_COMMENTS} c "  # noqa: S608
    f"WHERE c.article_id {{among}} AND c.status = '{_APPROVED}' GROUP BY c.article_id "
    f"UNION ALL SELECT DISTINCT p.article_id, 0, 1 FROM {_COMMENTS} p "
    f"WHERE p.article_id {{among}} AND p.status IN ({_NOT_APPROVED}) AND ("
    f"EXISTS (SELECT 1 FROM {_COMMENTS} r WHERE r.article_id = p.article_id "
    f"AND r.status = '{_APPROVED}' AND r.parent_id = p.id) "
    f"OR EXISTS (SELECT 1 FROM {_COMMENTS} t WHERE t.article_id = p.article_id "
    f"AND t.status = '{_APPROVED}' AND t.thread_id = p.id))"
)
# ``removed_threads`` back to 0 where it is not.
NO_REMOVED_THREADS_SQL = (
    f"UPDATE {Article._meta.db_table} SET removed_threads = 0 "  # noqa: S608
    "WHERE id {among} AND removed_threads > 0"
)


FIGURES_AT_ONCE = 400  # articles a statement (an import counts in batches of 1,000)


def _execute(sql: str, ids: list[int]) -> list[tuple]:
    """Run one of the statements above (plain SQL: built once, not by the ORM at each
    comment) for ``ids``, on the primary database (the counts a write path keeps): the
    ids in one parameter each time they are named, as ``db.AnyOf`` writes them, so the
    SQL is the same for any number of articles (and prepared, ``db.prepared_cursor``)."""
    connection = connections[PRIMARY]
    vendor = connection.vendor
    params = [ids_parameter(vendor, ids)] * sql.count("{among}")
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql.format(among=any_of_sql(vendor)), params)
        return cursor.fetchall() if cursor.description else []


def _figures(article_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """``_shown_figures``, read from the database's indexes for each article whose every
    approved comment answers an approved one and sits in an approved one's thread: all
    its approved comments are shown, and no removed comment heads a thread. Only the
    others' discussions are read whole (``_shown_figures``)."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    figures = dict.fromkeys(ids, (0, 0))
    whole: list[int] = []
    for start in range(0, len(ids), FIGURES_AT_ONCE):
        for article_id, approved, blocked in _execute(
            FIGURES_SQL, ids[start : start + FIGURES_AT_ONCE]
        ):
            if blocked:
                whole.append(article_id)
            else:
                figures[article_id] = (approved, 0)
    if whole:
        figures.update(_shown_figures(whole))
    return figures


def thread_orders(
    rows: Iterable[tuple[int, int | None, int]], removed: Collection[int] = frozenset()
) -> dict[int, list[int]]:
    """Each thread's shown comments, in the order the page writes them (depth first).

    ``rows`` are (id, parent id, thread id) of approved comments and of the
    ``removed`` ones with replies, oldest first. A reply under a comment that is not
    among them (held) is not shown (as ``flatten``); a removed comment is kept (as
    a placeholder) only when an approved comment is shown below it.
    """
    children: dict[int | None, list[int]] = defaultdict(list)
    roots: list[tuple[int, int]] = []
    for pk, parent_id, thread_id in rows:
        if parent_id is None:
            roots.append((pk, thread_id or pk))
        else:
            children[parent_id].append(pk)
    orders: dict[int, list[int]] = {}
    for root, thread_id in roots:
        order: list[int] = []
        stack = [root]
        while stack:
            pk = stack.pop()
            order.append(pk)
            stack.extend(reversed(children.get(pk, ())))
        if removed:
            order = _without_empty_placeholders(order, children, removed)
        if order:
            orders[thread_id] = order
    return orders


def _without_empty_placeholders(
    order: list[int], children: dict[int | None, list[int]], removed: Collection[int]
) -> list[int]:
    """The order without the removed comments that have no approved comment below them.
    Read backwards, a depth-first order meets every comment's replies before it."""
    live: set[int] = set()
    for pk in reversed(order):
        if pk not in removed or any(kid in live for kid in children.get(pk, ())):
            live.add(pk)
    return [pk for pk in order if pk in live]


def _shape_rows(comments: QuerySet) -> QuerySet:
    """What ``_shape`` reads of these comments, in the order of the conversation."""
    return comments.order_by("submitted_at", "pk").values_list(
        "pk", "parent_id", "thread_id", "status"
    )


# The shape of some threads of an article: what a draw reads of the threads not in the
# cache (``shapes``; a published comment's redraw: its own thread, whose token was
# dropped, ``shapes.forget``), its SQL written once (``db.Statement``) for any number of
# threads. The ORM built it in ~1.5 ms at each read; the statement's rows are
# ``values_list``'s tuples, as the ORM's were (no instance a comment).
THREADS = Statement(
    lambda article_id, thread_ids: _shape_rows(
        Comment.objects.in_discussion()
        .filter(AnyOf("thread_id", thread_ids))
        .on_article(article_id)
    ),
    int,
    Ids,
)


def _skeleton(article_id: int, thread_ids: list[int]) -> Skeleton:
    """The shape of these threads (ids, parents and which are removed; no text): kept in
    the cache (``shapes``); for the threads not there, one query."""
    return shapes.cached(
        article_id, thread_ids, lambda missing: _shape(THREADS.rows(article_id, missing))[0]
    )


def _shape(rows: Iterable[tuple]) -> tuple[Skeleton, dict[int, int | None]]:
    """The shape of the threads of these rows (``_shape_rows``: each comment's id, parent,
    thread and status, in the order of the conversation), and every comment's parent."""
    parents: dict[int, int | None] = {}
    removed: dict[int, int | None] = {}
    shape = []
    for pk, parent_id, thread_id, status in rows:
        parents[pk] = parent_id
        if status != Comment.Status.APPROVED:
            removed[pk] = parent_id
        shape.append((pk, parent_id, thread_id))
    return Skeleton(thread_orders(shape, removed.keys()), removed), parents


# What a page shows of a comment (``DISPLAY_FIELDS``), with its id: the columns ``_load``
# reads, by their attribute names.
_SHOWN = ("id", *DISPLAY_FIELDS)


def _shown_rows(ids: Collection[int]) -> QuerySet:
    """The approved ones of these comments, as ``_shown_comment`` makes them."""
    return Comment.objects.approved().filter(AnyOf("pk", ids)).values_list(*_SHOWN)


# What ``_load`` reads (``_shown_rows``), its SQL written once: the ORM built it at every
# draw of a discussion (a comment's redraw included: ~2-3 ms)
_SHOWN_ROWS = Statement(_shown_rows, Ids)


def _shown_comment(row: tuple, db: str) -> Comment:
    """A comment made from a row of ``_SHOWN``, as ``.only(*DISPLAY_FIELDS)`` would load
    it (the other fields deferred: read from ``db`` if asked for), without
    ``Model.__init__``'s walk over all of the model's fields: 138 comments of a page
    cost ~1 ms more made that way than their rows do, at every render a comment brings.
    (Comment has no ``pre_init``/``post_init`` receivers, which this would skip.)"""
    comment = Comment.__new__(Comment)
    comment.__dict__.update(zip(_SHOWN, row, strict=True))
    comment._state = state = ModelState()
    state.adding, state.db = False, db
    return comment


def _load(ids: list[int], skeleton: Skeleton) -> list[Comment]:
    """One query: what the page shows of these comments, in ``ids``' order. A removed
    one is a placeholder made from its id and parent: nothing else of it is read."""
    approved = [pk for pk in ids if pk not in skeleton.removed]
    rows, db = _SHOWN_ROWS.rows_and_db(approved)  # the comments are of the rows' database
    comments = {row[0]: _shown_comment(row, db) for row in rows}
    for pk in ids:
        if pk in skeleton.removed:
            comments[pk] = Comment(pk=pk, parent_id=skeleton.removed[pk])
    return [comments[pk] for pk in ids if pk in comments]


def _thread_query(thread_id: int, index: int) -> str:
    """Where the comment at ``index`` of a thread's order is: its thread's page."""
    page = index // settings.BYLINE_COMMENT_THREAD_PAGE_SIZE + 1
    return f"?thread={thread_id}" + (f"&tpage={page}" if page > 1 else "")


def page_of_threads(
    article_id: int,
    page: int | str | None = 1,
    sort: str = sorting.DEFAULT,
    removed_threads: bool = True,
) -> ThreadPage:
    """The requested page of an article's threads (out-of-range pages give the last one),
    the threads in the ``sort`` order (``sorting``). ``removed_threads`` False: the
    article has none (``Article.removed_threads``), so none is looked for.

    Each thread shows its root and first ``BYLINE_COMMENT_THREAD_FOLD`` replies; the
    last of them carries the link to the rest (``Node.more``), which keeps the order.
    """
    per_page = settings.BYLINE_COMMENT_THREADS_PER_PAGE
    fold = settings.BYLINE_COMMENT_THREAD_FOLD
    root_ids = sorting.root_ids(article_id, sort, removed_threads)
    page_count = max(1, math.ceil(len(root_ids) / per_page))
    number = min(page if isinstance(page, int) and page > 0 else parse_page(page), page_count)
    on_page = root_ids[(number - 1) * per_page : number * per_page]
    skeleton = _skeleton(article_id, on_page)
    shown: list[int] = []
    folds: dict[int, More] = {}
    for thread_id in on_page:
        order = skeleton.orders.get(thread_id, [])
        shown.extend(order[: fold + 1])
        if len(order) > fold + 1:
            kept = f"&sort={sort}" if sorting.sort_query(sort) else ""
            query = f"{_thread_query(thread_id, fold + 1)}{kept}#comment-{order[fold + 1]}"
            hidden = sum(1 for pk in order[fold + 1 :] if pk not in skeleton.removed)
            folds[order[fold]] = More(hidden, query)
    roots = None if sort == sorting.DEFAULT else on_page
    nodes = flatten(_load(shown, skeleton), roots=roots, removed=skeleton.removed)
    for node in nodes:
        node.more = folds.get(node.comment.pk)
    return ThreadPage(nodes, number, page_count, len(root_ids), sort=sort)


def page_of_thread(
    article_id: int,
    thread_id: int,
    page: int | str | None = 1,
    sort: str = sorting.DEFAULT,
    removed_threads: bool = True,
) -> ThreadPage | None:
    """One thread on its own, a page of ``BYLINE_COMMENT_THREAD_PAGE_SIZE`` comments at a time.

    None when ``thread_id`` is not a top-level comment the article's page shows.
    ``sort`` is the order the reader came from: "All comments" leads back to the
    page of that order that shows the thread.
    """
    skeleton = _skeleton(article_id, [thread_id])
    order = skeleton.orders.get(thread_id)
    if not order or order[0] != thread_id:
        return None
    size = settings.BYLINE_COMMENT_THREAD_PAGE_SIZE
    page_count = max(1, math.ceil(len(order) / size))
    number = min(page if isinstance(page, int) and page > 0 else parse_page(page), page_count)
    piece = _load(order[(number - 1) * size : number * size], skeleton)
    nodes = flatten(piece, continued=True, removed=skeleton.removed)
    position = sorting.position(article_id, thread_id, sort, removed_threads)
    back = position // settings.BYLINE_COMMENT_THREADS_PER_PAGE + 1
    return ThreadPage(nodes, number, page_count, 1, thread_id=thread_id, back_page=back, sort=sort)


def page_number_of(comment: Comment) -> int:
    """Which page of its article's discussion shows this (approved) comment's thread."""
    root_id = comment.thread_id or comment.pk
    root_ids = sorting.root_ids(comment.article_id)
    try:
        position = root_ids.index(root_id)
    except ValueError:
        return 1
    return position // settings.BYLINE_COMMENT_THREADS_PER_PAGE + 1


def is_shown(comment: Comment) -> bool:
    """Whether a page shows this approved comment: False while it waits with a comment
    above it that is held for moderation (``place_of`` is None). Reads its thread's shape
    alone (kept in the cache), never the article's list of threads."""
    root_id = comment.thread_id or comment.pk
    if comment.pk == root_id:
        return True
    return comment.pk in _skeleton(comment.article_id, [root_id]).orders.get(root_id, [])


def place_of(comment: Comment) -> str | None:
    """The query string of the page that shows this approved comment ('' for the first),
    or None while no page shows it: it waits with a comment above it that is held for
    moderation.

    In the first ``BYLINE_COMMENT_THREAD_FOLD`` replies of its thread: the article's
    page of that thread; further down a long thread: the thread's own page.
    """
    root_id = comment.thread_id or comment.pk
    if comment.pk != root_id:
        order = _skeleton(comment.article_id, [root_id]).orders.get(root_id, [])
        if comment.pk not in order:  # every comment above it is in its thread's order
            return None
        index = order.index(comment.pk)
        if index > settings.BYLINE_COMMENT_THREAD_FOLD:
            return _thread_query(root_id, index)
    page = page_number_of(comment)
    return f"?cpage={page}" if page > 1 else ""


def first_page_address(request) -> str | None:
    """``?cpage=1`` (or ``01``) asks for the article's first page of comments by a second
    address: the page without it (the other parameters kept) is the one the page
    cache stores. None for every other request."""
    value = request.GET.get("cpage")
    if value is None or parse_id(value) != 1:
        return None
    query = request.GET.copy()
    del query["cpage"]
    return request.path + (f"?{query.urlencode()}" if query else "")


@dataclass(frozen=True)
class FeedEntry:
    """One approved comment as a feed lists it: never the commenter's e-mail address."""

    id: int
    author_name: str
    html: str  # the sanitized body, as the article page shows it
    submitted_at: datetime
    url: str  # its place on the article page: /articles/slug/?cpage=2#comment-12


def latest_approved(article, limit: int) -> list[FeedEntry]:
    """The newest approved comments of ``article``, newest first, at most ``limit``.

    Only comments the page shows (``_shown``), and not those erased at their
    author's request (nothing is left of them). Three queries: the article's
    approved comments' places in their threads, the newest of them, and the thread
    order for the page each one is on.
    """
    approved = Comment.objects.approved().on_article(article.pk)
    skeleton, parents = _shape(_shape_rows(Comment.objects.in_discussion().on_article(article.pk)))
    shown = _shown(parents, skeleton.removed.keys())
    place_in_thread = {
        pk: index for order in skeleton.orders.values() for index, pk in enumerate(order)
    }
    fold = settings.BYLINE_COMMENT_THREAD_FOLD
    newest = (
        approved.filter(erased_at__isnull=True)
        .only("pk", "thread_id", "author_name", "body_html", "submitted_at")
        .order_by("-submitted_at", "-pk")
    )
    comments = list(
        itertools.islice((c for c in newest.iterator(max(limit, 1)) if c.pk in shown), limit)
    )
    if not comments:
        return []
    per_page = settings.BYLINE_COMMENT_THREADS_PER_PAGE
    root_ids = sorting.root_ids(article.pk)
    position = {pk: index for index, pk in enumerate(root_ids)}
    base = article.get_absolute_url()
    entries = []
    for comment in comments:
        thread_id = comment.thread_id or comment.pk
        index = place_in_thread.get(comment.pk, 0)
        if index > fold:  # folded away on the article's page: on its thread's own
            query = _thread_query(thread_id, index)
        else:
            page = position.get(thread_id, 0) // per_page + 1
            query = f"?cpage={page}" if page > 1 else ""
        entries.append(
            FeedEntry(
                comment.pk,
                comment.shown_name,
                comment.body_html,
                comment.submitted_at,
                f"{base}{query}#comment-{comment.pk}",
            )
        )
    return entries
