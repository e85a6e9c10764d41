"""An article's discussion as readers see it: one page of threads, built without N+1.

Two queries whatever the number of comments: the ids of the article's approved
top-level comments (for paging), then every approved comment of the threads on
the requested page. The tree is built in Python and flattened into the order
the template writes it, with how many nested lists to open and close.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from byline.discussion.models import Comment


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


def page_of_threads(article_id: int, page: int | str | None = 1) -> ThreadPage:
    """The requested page of an article's threads (out-of-range pages give the last one)."""
    per_page = settings.BYLINE_COMMENT_THREADS_PER_PAGE
    root_ids = list(Comment.objects.thread_roots(article_id).values_list("pk", flat=True))
    page_count = max(1, math.ceil(len(root_ids) / per_page))
    try:
        number = min(max(1, int(page or 1)), page_count)
    except (TypeError, ValueError):
        number = 1
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
