"""The comments' reaction counts as small files nginx serves, one per article being read.

A page's script asks for its comments' reaction counts when the discussion
comes into view (``GET /api/comments/reactions/?article=<id>&ids=...``).
Behind the shipped nginx configuration that request never reaches the app
for an article readers are reading: after each fold of the view log, the
folder (``engagement.countfiles.publish``, which knows those articles) calls
``publish`` here, which writes ``<BYLINE_VIEW_LOG_DIR>/reactions/<id>.json``:
the counts of every approved comment of the article, the body the app's
counts API answers for them (``reactions.counts``). nginx answers the
request from it whatever ``ids`` lists (the page's own comments are all in
it) and revalidates it with its ``ETag``.

- A file is rewritten only when its bytes change (a reaction, a comment
  approved or removed), and an article's comments are read again only when
  something a file shows may have changed: its counts JSON (which carries the
  comments' reaction counts and the number of approved comments), looked at
  every ``countfiles.PUBLISH_SECONDS`` (2 s), changed in those (a vote or a
  rating on the article leaves them be), or its file is gone (an article with
  no approved comment has none, and is not read again for it). Every file is
  read again at least every ``FULL_SECONDS`` (60 s), for what the counts
  cannot tell (a comment approved and another removed in the same 2 s). So a
  reader's counts are at most a few seconds old, and a quiet discussion costs
  no query.
- An article with more than ``MAX_COMMENTS`` approved comments, one no longer
  read, or no longer published, has no file: nginx then asks the app, which
  answers for the ``ids`` asked (nginx keeps that answer 5 s).
- ``forget`` (on ``article_changed``) removes an article's file at once, as
  ``countfiles.forget`` does its counts file (a comment removed too: the file
  names it); comments published only leave both files, rewritten at the next look.

Without a view log folder (the embedded tier) nothing is written and the app
answers.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import defaultdict
from pathlib import Path

from byline.db import AnyOf
from byline.discussion.models import Comment
from byline.engagement.countfiles import (
    file_ids,
    in_batches,
    read_file,
    remove_files,
    without_views,
    write_file,
)
from byline.signals import COMMENTS, NAMES

FOLDER = "reactions"
MAX_COMMENTS = 2000  # a longer discussion's file would be larger than what readers ask for
FULL_SECONDS = 60.0  # every file is read again at least this often
_COMMENTS = re.compile(rb'"comments":[0-9]+,')

# article -> its counts JSON's ``discussion_part``, when its file was last made from it
_made_from: dict[int, bytes] = {}
_full = [float("-inf")]  # when every file was last read again (monotonic)
# the articles whose file was made last time (the others have no comments, or too many:
# their comments are not read again until their counts JSON says they may have changed)
_with_file: set[int] = set()


def publish(directory: Path, counts: dict[int, bytes]) -> int:
    """Write the reaction counts files of these articles (published, being read; their
    counts JSON just written) where they changed, remove the others; the files written
    (``countfiles.publish`` calls it every ``PUBLISH_SECONDS``)."""
    folder = directory / FOLDER
    folder.mkdir(exist_ok=True)
    present = file_ids(folder)
    now = time.monotonic()
    full = now - _full[0] >= FULL_SECONDS
    if full:
        _full[0] = now
    shown = {article_id: discussion_part(body) for article_id, body in counts.items()}
    asked = [
        article_id
        for article_id in sorted(counts)
        if full
        or _made_from.get(article_id) != shown[article_id]
        or (article_id not in present and article_id in _with_file)  # removed since
    ]
    bodies = in_batches(reaction_bodies, asked)
    written = 0
    base = os.fspath(folder)
    for article_id in present - counts.keys():  # no longer read or published
        try:
            os.unlink(f"{base}/{article_id}.json")
        except FileNotFoundError:
            pass
        _made_from.pop(article_id, None)
        _with_file.discard(article_id)
    for article_id in asked:
        path = f"{base}/{article_id}.json"
        body = bodies.get(article_id)
        _made_from[article_id] = shown[article_id]
        if body is None:  # no approved comment, or too many
            _with_file.discard(article_id)
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        else:
            _with_file.add(article_id)
            if read_file(path) != body:
                write_file(path, body)
                written += 1
    return written


def discussion_part(body: bytes) -> bytes:
    """What of an article's counts JSON moves with its reaction counts file: the number of
    approved comments and the comments' reaction counts (a vote or a rating on the
    article does not); all of it but the views when it does not carry the comments'
    reaction counts (a discussion too long for it)."""
    at = body.rfind(b'"comment_reactions":')
    comments = _COMMENTS.search(body)
    if at < 0 or comments is None:
        return without_views(body)
    return comments[0] + body[at:]


def reaction_bodies(article_ids: list[int]) -> dict[int, bytes]:
    """The counts API's answer for all the approved comments of each of these articles
    (assumed published) that has any, and at most ``MAX_COMMENTS``."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Comment.objects.approved()
        .filter(AnyOf("article_id", article_ids), erased_at__isnull=True)
        .order_by("article_id", "pk")
        .values_list("article_id", "pk", "reactions")
    )
    for article_id, pk, reactions in rows:
        counts[article_id][str(pk)] = reactions
    return {
        article_id: json.dumps({"counts": found}, separators=(",", ":")).encode()
        for article_id, found in counts.items()
        if len(found) <= MAX_COMMENTS
    }


def forget(
    article_id: int | None = None, what: str | None = None, removed: bool = True, **kwargs: object
) -> None:
    """``article_changed`` receiver: remove the article's file (every file when no
    article is named) until the folder writes it again; not when only names changed
    (``NAMES``: no reaction did). When comments were published only (``what=COMMENTS,
    removed=False``) the file stays and this process's next look reads its comments
    again (its counts file's new number of comments tells the other processes'); until
    then a new comment's count is its 0. A comment removed goes at once (the file lists
    every approved comment's id and count)."""
    if what == NAMES:
        return
    if what != COMMENTS or removed or article_id is None:
        remove_files(FOLDER, article_id)
    if article_id is None:
        _made_from.clear()
    else:
        _made_from.pop(article_id, None)
