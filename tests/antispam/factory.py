"""Plain factories for the spam filter's tests."""

from __future__ import annotations

import itertools

from byline.antispam import Submission

_counter = itertools.count(1)


def make_submission(body: str = "A thoughtful remark about the article.", **fields) -> Submission:
    """A comment as the discussion app would describe it: a person who took their time."""
    n = next(_counter)
    fields.setdefault("author_name", f"Reader {n}")
    fields.setdefault("author_email", f"reader{n}@example.org")
    fields.setdefault("article_id", 1)
    fields.setdefault("seconds_to_submit", 45.0)
    return Submission(body=body, **fields)
