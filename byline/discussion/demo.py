"""Demo discussions: an article's page with a realistic thread of approved comments.

Used by ``bench/pages.py`` (the reference page carries 200 threaded comments)
and handy for trying the site. The comments are written in bulk (one INSERT
per level of nesting, not one per comment), then the article's approved-comment
count is rewritten and ``article_changed`` sent once, through the same
``actions.refresh_articles()`` every other write uses.

Demo commenters have addresses at ``DEMO_DOMAIN`` (a reserved name that can
receive no mail), which is how a second run finds and replaces the comments of
the first: the article ends with ``count`` demo comments however often it runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from byline.articles.models import Article
from byline.discussion.actions import refresh_articles
from byline.discussion.markup import render_body
from byline.discussion.models import Comment, ModerationRecord

DEMO_DOMAIN = "demo.example"
REPLY_SHARE = 0.65  # of comments after the first: the rest start a new thread
FOLLOW_ON_SHARE = 0.5  # of replies: answer the latest comment rather than an older one

FIRST_NAMES = (
    "Amira", "Ben", "Carlos", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kemal", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Samir", "Tess",
    "Umar", "Vera", "Wen", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Haddad", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Rahimi", "Kowalski", "Brennan",
    "Costa", "Yilmaz", "Novak", "Fischer", "Abbasi", "Reyes", "Walsh",
)  # fmt: skip
OPENINGS = (
    "Thanks for the clear reporting on this.",
    "I was in the region last year and this matches what people told me.",
    "The timeline in the third paragraph is the part that surprised me most.",
    "Good piece, though the headline undersells how long this has been building.",
    "Hard to read, but important.",
    "Can anyone explain why the earlier offensive stalled?",
    "This is the first account I have read that mentions the supply lines.",
    "I keep coming back to the question of who pays for the reconstruction.",
    "Interesting that the official statements changed so quickly.",
    "My family is from Anbar, so I read every update on this.",
)
MIDDLES = (
    "The article makes the point that <em>nobody</em> expected the move, but several "
    "analysts had been warning about it for months.",
    "What worries me is the civilians caught between the front lines.",
    "There is a good background explainer here: https://example.org/background",
    "If the advisers really were not told in advance, that says a lot about the "
    "coordination between the allies.",
    "I would like to see a follow-up once the humanitarian agencies have access.",
    "The map would help a lot; without it the distances are hard to picture.",
    "It is worth remembering how different the situation looked only a year ago.",
    "The quote from the ministry is doing a lot of work in this story.",
    "Regional politics explain more of this than the military side does.",
    "<strong>Accountability</strong> has to be part of whatever comes next.",
)
CLOSINGS = (
    "Looking forward to the next report.",
    "Let us hope the ceasefire talks go somewhere.",
    "Time will tell.",
    "Keep up the good work.",
    "I would be curious to hear what others here think.",
    "",
    "",
)
REPLY_OPENINGS = (
    "I see it differently.",
    "Agreed, and I would add one thing.",
    "That is a fair point.",
    "Not quite: the article says the opposite further down.",
    "Good question.",
    "Thanks, I had missed that.",
    "I am not sure that follows.",
    "Exactly this.",
)


@dataclass(frozen=True)
class Phrases:
    """What demo comments are made of."""

    openings: tuple[str, ...] = OPENINGS
    middles: tuple[str, ...] = MIDDLES
    closings: tuple[str, ...] = CLOSINGS
    replies: tuple[str, ...] = REPLY_OPENINGS


NEWS = Phrases()  # about a war: the captured article's (bench/pages.py); the demo site has its own


@dataclass
class _Planned:
    """One comment to write: its place in the tree and what it says."""

    index: int
    parent: _Planned | None
    depth: int
    name: str
    body: str
    website: str
    submitted_at: datetime | None = None
    row: Comment | None = None

    @property
    def root(self) -> _Planned:
        return self if self.parent is None else self.parent.root


def _text(rng: random.Random, replying_to: str | None, phrases: Phrases = NEWS) -> str:
    paragraphs = []
    if replying_to is not None:
        first = rng.choice(phrases.replies)
        paragraphs.append(f"@{replying_to} {first}" if rng.random() < 0.4 else first)
        paragraphs.append(rng.choice(phrases.middles))
    else:
        paragraphs.append(f"{rng.choice(phrases.openings)} {rng.choice(phrases.middles)}")
        if rng.random() < 0.3:
            paragraphs.append(rng.choice(phrases.middles))
    closing = rng.choice(phrases.closings)
    if closing:
        paragraphs.append(closing)
    return "\n\n".join(paragraphs)


def _plan(
    count: int, max_depth: int, rng: random.Random, phrases: Phrases = NEWS
) -> list[_Planned]:
    """The discussion's shape, oldest first: threads, replies, and replies to replies.

    The first comments form one chain down to the deepest level, so every
    nesting level the page can show is there; after that each comment starts
    a thread or answers the latest comment or an earlier one. A reply to the
    deepest level joins that level, as a reader's reply would.
    """
    planned: list[_Planned] = []
    for index in range(count):
        if not planned:
            parent = None
        elif index < max_depth:
            parent = planned[-1]
        elif rng.random() >= REPLY_SHARE:
            parent = None
        elif rng.random() < FOLLOW_ON_SHARE:
            parent = planned[-1]
        else:
            parent = rng.choice(planned)
        if parent is not None and parent.depth >= max_depth - 1:
            parent = parent.parent
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        website = f"https://{name.split()[0].lower()}.example.com/" if rng.random() < 0.2 else ""
        planned.append(
            _Planned(
                index=index,
                parent=parent,
                depth=parent.depth + 1 if parent else 0,
                name=name,
                body=_text(rng, parent.name.split()[0] if parent else None, phrases),
                website=website,
            )
        )
    return planned


def _times(article: Article, count: int, rng: random.Random) -> list[datetime]:
    """When each comment came in: increasing, after publication, never in the future."""
    now = timezone.now()
    start = article.published_at if article.published_at and article.published_at < now else now
    gaps = [rng.uniform(20, 900) for _ in range(count)]
    span = (now - start).total_seconds()
    scale = min(1.0, span / sum(gaps)) if gaps and span > 0 else 0.0
    times, elapsed = [], 0.0
    for gap in gaps:
        elapsed += gap * scale
        times.append(start + timedelta(seconds=elapsed))
    if scale == 0.0:  # published this instant: the discussion happened just before now
        times = [now - timedelta(milliseconds=count - n) for n in range(count)]
    return times


def _row(article: Article, item: _Planned, number: int) -> Comment:
    parent_row = item.parent.row if item.parent else None
    return Comment(
        article=article,
        parent=parent_row,
        depth=item.depth,
        thread_id=item.root.row.pk if parent_row is not None else None,
        status=Comment.Status.APPROVED,
        body=item.body,
        body_html=render_body(item.body),
        author_name=item.name,
        author_email=f"{item.name.replace(' ', '.').lower()}.{number}@{DEMO_DOMAIN}",
        author_url=item.website,
        submitted_at=item.submitted_at,
        spam_reasons=["Demo comment, added by byline.discussion.demo."],
        moderated_at=item.submitted_at,
        moderation=ModerationRecord.Decision.APPROVE,
    )


def add_demo_comments(
    article: Article, count: int = 200, *, seed: int = 2014, phrases: Phrases = NEWS
) -> list[Comment]:
    """Give the article ``count`` approved, threaded demo comments; return them oldest first.

    Replaces the demo comments it already had; readers' own comments stay,
    except replies to a demo comment, which go with it. Nesting goes down to
    ``BYLINE_COMMENT_MAX_DEPTH``.
    """
    rng = random.Random(seed)  # noqa: S311 - demo text, not security
    planned = _plan(count, settings.BYLINE_COMMENT_MAX_DEPTH, rng, phrases)
    for item, submitted_at in zip(planned, _times(article, count, rng), strict=True):
        item.submitted_at = submitted_at
    with transaction.atomic():
        Comment.objects.on_article(article.pk).filter(
            author_email__endswith=f"@{DEMO_DOMAIN}"
        ).delete()
        for depth in range(max((item.depth for item in planned), default=-1) + 1):
            level = [item for item in planned if item.depth == depth]
            rows = Comment.objects.bulk_create([_row(article, item, item.index) for item in level])
            for item, row in zip(level, rows, strict=True):
                if row.pk is None:  # pragma: no cover - every supported database returns ids
                    raise RuntimeError("the database did not return the new comments' ids")
                item.row = row
            if depth == 0:
                Comment.objects.filter(pk__in=[row.pk for row in rows]).update(thread_id=F("pk"))
                for row in rows:
                    row.thread_id = row.pk
    refresh_articles([article.pk])
    return [item.row for item in planned]
