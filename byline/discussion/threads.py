"""An article's discussion as readers see it: one page of threads, built without N+1.

Two queries whatever the number of comments: the ids of the article's approved
top-level comments (for paging), then every approved comment of the threads on
the requested page. The tree is built in Python and flattened into the order
the template writes it, with how many nested lists to open and close.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from byline.discussion.models import Comment
from byline.parsing import parse_page


@dataclass
class Node:
    comment: Comment
    depth: int
    has_children: bool = False
    closes: range = field(default_factory=lambda: range(0))


@dataclass
class ThreadPage:
    nodes: list[Node]
    number: int
    page_count: int
    thread_count: int

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
        return next((n.comment for n in self.nodes if n.comment.pk == comment_id), None)


def flatten(comments: list[Comment]) -> list[Node]:
    """Order comments depth-first, oldest first at every level (input is oldest first)."""
    children: dict[int | None, list[Comment]] = defaultdict(list)
    known = {c.pk for c in comments}
    for comment in comments:
        parent = comment.parent_id if comment.parent_id in known else None
        if parent is None and comment.parent_id is not None:
            continue  # its parent is not approved: the reply waits with it
        children[parent].append(comment)
    nodes: list[Node] = []
    stack: list[tuple[Comment, int]] = [(c, 0) for c in reversed(children[None])]
    while stack:
        comment, depth = stack.pop()
        kids = children.get(comment.pk, [])
        nodes.append(Node(comment, depth, has_children=bool(kids)))
        stack.extend((kid, depth + 1) for kid in reversed(kids))
    for index, node in enumerate(nodes):
        next_depth = nodes[index + 1].depth if index + 1 < len(nodes) else 0
        if not node.has_children:
            node.closes = range(node.depth - next_depth)
    return nodes


def _shown(parents: dict[int, int | None]) -> set[int]:
    """Of the approved comments given (comment -> its parent), the ones the page shows:
    those whose every ancestor is approved too. A reply under a held, spammed or
    trashed comment waits with it, as ``flatten`` leaves it out."""
    known: dict[int, bool] = {}
    for pk in parents:
        chain: list[int] = []
        node = pk
        while True:  # up the thread to a known answer, the top, or a missing ancestor
            if node in known:
                visible = known[node]
                break
            if node not in parents:  # an ancestor that is not approved
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
    return {pk for pk, visible in known.items() if visible}


def shown_counts(article_ids: Iterable[int]) -> dict[int, int]:
    """How many comments each article's page shows, for its counter. One query."""
    ids = sorted(set(article_ids))
    rows = Comment.objects.approved().filter(article_id__in=ids)
    parents: dict[int, int | None] = {}
    article_of: dict[int, int] = {}
    for pk, parent_id, article_id in rows.values_list("pk", "parent_id", "article_id").iterator(
        chunk_size=5000
    ):
        parents[pk] = parent_id
        article_of[pk] = article_id
    counts = dict.fromkeys(ids, 0)
    for pk in _shown(parents):
        counts[article_of[pk]] += 1
    return counts


def page_of_threads(article_id: int, page: int | str | None = 1) -> ThreadPage:
    """The requested page of an article's threads (out-of-range pages give the last one)."""
    per_page = settings.BYLINE_COMMENT_THREADS_PER_PAGE
    root_ids = list(Comment.objects.thread_roots(article_id).values_list("pk", flat=True))
    page_count = max(1, math.ceil(len(root_ids) / per_page))
    number = min(page if isinstance(page, int) and page > 0 else parse_page(page), page_count)
    on_page = root_ids[(number - 1) * per_page : number * per_page]
    comments = list(Comment.objects.in_threads(article_id, on_page))
    return ThreadPage(flatten(comments), number, page_count, len(root_ids))


def page_number_of(comment: Comment) -> int:
    """Which page of its article's discussion shows this (approved) comment's thread."""
    root_id = comment.thread_id or comment.pk
    root_ids = list(Comment.objects.thread_roots(comment.article_id).values_list("pk", flat=True))
    try:
        position = root_ids.index(root_id)
    except ValueError:
        return 1
    return position // settings.BYLINE_COMMENT_THREADS_PER_PAGE + 1


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
    shown = _shown(dict(approved.values_list("pk", "parent_id")))
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
    root_ids = Comment.objects.thread_roots(article.pk).values_list("pk", flat=True)
    position = {pk: index for index, pk in enumerate(root_ids)}
    base = article.get_absolute_url()
    entries = []
    for comment in comments:
        page = position.get(comment.thread_id or comment.pk, 0) // per_page + 1
        query = f"?cpage={page}" if page > 1 else ""
        entries.append(
            FeedEntry(
                comment.pk,
                comment.author_name,
                comment.body_html,
                comment.submitted_at,
                f"{base}{query}#comment-{comment.pk}",
            )
        )
    return entries
