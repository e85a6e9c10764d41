"""Every comment of some articles, for a site export (``byline export-wxr``).

The export carries everything an importer needs to rebuild the discussions:
every status, the thread (each comment's parent), dates and the commenters'
details, e-mail included (WordPress's format has it; the file is the site
owner's). Only the hashed IP address stays behind: the address itself was
never stored. Readers' reactions to comments stay behind too: WordPress has no
place for them, and they are other readers' data, kept under a hash that means
nothing to another site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from byline.discussion.models import Comment

BATCH = 500


@dataclass(frozen=True)
class ExportedComment:
    id: int
    article_id: int
    parent_id: int | None
    status: str  # approved, pending, spam or trash
    author_name: str
    author_email: str
    author_url: str
    submitted_at: datetime
    body: str


def comments_for_export(article_ids: Sequence[int]) -> dict[int, list[ExportedComment]]:
    """The comments of these articles, by article id, parents before replies.

    A reply is always stored after the comment it answers, so the id order puts
    parents first. Asked in slices of article ids (SQLite caps query parameters).
    """
    fields = (
        "pk",
        "article_id",
        "parent_id",
        "status",
        "author_name",
        "author_email",
        "author_url",
        "submitted_at",
        "body",
    )
    found: dict[int, list[ExportedComment]] = {}
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), BATCH):
        rows = (
            Comment.objects.filter(article_id__in=ids[start : start + BATCH])
            .order_by("pk")
            .values_list(*fields)
        )
        for row in rows.iterator(chunk_size=2000):
            comment = ExportedComment(*row)
            found.setdefault(comment.article_id, []).append(comment)
    return found
