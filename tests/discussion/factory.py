"""Plain factory functions for discussion tests."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

from django.utils import timezone

from byline.discussion import shapes
from byline.discussion.forms import form_timestamp
from byline.discussion.markup import render_body
from byline.discussion.models import Comment
from byline.discussion.threads import refresh_shown

_counter = itertools.count(1)
SAME_SITE = {"HTTP_SEC_FETCH_SITE": "same-origin"}


def make_comment(article, *, parent=None, status=Comment.Status.APPROVED, **fields) -> Comment:
    """A stored comment; replies inherit thread and depth from their parent."""
    n = next(_counter)
    body = fields.pop("body", f"Comment number {n}.")
    comment = Comment.objects.create(
        article=article,
        parent=parent,
        depth=parent.depth + 1 if parent else 0,
        thread_id=parent.thread_id if parent else None,
        status=status,
        body=body,
        body_html=render_body(body),
        author_name=fields.pop("author_name", f"Reader {n}"),
        author_email=fields.pop("author_email", f"reader{n}@example.org"),
        submitted_at=fields.pop("submitted_at", timezone.now() - timedelta(hours=1, seconds=-n)),
        **fields,
    )
    if parent is None:
        comment.thread_id = comment.pk
        comment.save(update_fields=["thread_id"])
    if parent is not None and status == Comment.Status.APPROVED:
        # As every write path does (``threads.refresh_shown``): a reply may put a removed
        # comment at the head of a thread readers see. (The counter is left as it was.)
        refresh_shown([article.pk])
    # As every write path's ``article_changed`` does: the cached thread shapes go.
    shapes.forget(Comment, article_id=article.pk)
    return comment


def comment_form(article, /, **overrides) -> dict:
    """What a reader's browser sends from the form under an article."""
    data = {
        "article": article.pk,
        "body": "A thoughtful comment about this story.",
        "name": "Ada Reader",
        "email": "ada@example.org",
        "website": "",
        "parent": "",
        "ts": form_timestamp(issued=time.time() - 60),  # handed out a minute ago
        "url_confirm": "",
    }
    data.update(overrides)
    return data


def post_comment(client, article, /, json: bool = False, headers=None, **overrides):
    """Post the comment form as a same-site browser would (no-JS unless ``json``)."""
    extra = dict(SAME_SITE if headers is None else headers)
    if json:
        extra["HTTP_ACCEPT"] = "application/json"
    return client.post("/comments/post/", comment_form(article, **overrides), **extra)
