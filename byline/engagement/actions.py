"""What a reader does: view, react, rate. Each check first, then the write.

A vote states the reader's choice (this reaction, these stars, or none),
never a toggle, so a retried vote changes nothing. ``vote()`` is the one
path of every vote, from the JSON API, the vote layer and the no-JS forms:
it rate-limits the reader and their address and checks the article
(``refusal``), then sets the reader's choice with ``stats.cast_votes``, the
one write (on PostgreSQL one statement, ``votesql.py``), which moves the
running totals in the same transaction and returns the figures after it.
On PostgreSQL the votes that arrive together go to the write together,
through this process's vote caster (``batches.py``), which then also counts
their rate limits in one Redis round trip (a vote that finds nothing waiting
is cast the same way on its own thread).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.http import HttpRequest

from byline import postgres, readers, redisconn
from byline.articles.models import Article
from byline.engagement import batches, seen, stats, viewbuffer
from byline.engagement.models import STARS, Rating, Reaction
from byline.engagement.stats import Figures
from byline.logthrottle import ThrottledLog, reason_of
from byline.parsing import MAX_ID, loads_json
from byline.redisconn import redis_client
from byline.signals import NAMES

VIEW_REPEAT_SECONDS = seen.SECONDS
BOT_USER_AGENT = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|"
    r"curl/|wget|python-|httpclient|go-http-client|java/|okhttp|lighthouse|scrapy",
    re.IGNORECASE,
)


class VoteRefused(Exception):
    """A vote that cannot be taken: its message is for the reader, ``status`` for HTTP."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


@dataclass(frozen=True)
class Voter:
    """A reader allowed to vote on an article right now."""

    article_id: int
    reader: str
    new_reader: bool
    pending_views: int | None = None  # read from Redis with the rate limit, if it is there


_LIVE_SECONDS = 10
_live_until: dict[int, float] = {}


def is_live(article_id: int) -> bool:
    """Whether readers may see the article, remembered in this process for a few seconds.

    Every vote, beacon and counts request asks; the answer is kept for
    ``_LIVE_SECONDS`` and dropped at once when ``article_changed`` says the
    article changed in this process (other processes catch up within the TTL).
    """
    if not 0 < article_id <= MAX_ID:
        return False
    if known_live(article_id):
        return True
    if not Article.objects.published().filter(pk=article_id).exists():
        _live_until.pop(article_id, None)
        return False
    seen_live([article_id])
    return True


def known_live(article_id: int) -> bool:
    """Whether this process saw the article published in the last ``_LIVE_SECONDS``."""
    return _live_until.get(article_id, 0.0) > time.monotonic()


def seen_live(article_ids: Iterable[int]) -> None:
    """These articles were published just now (``is_live`` remembers it)."""
    until = time.monotonic() + _LIVE_SECONDS
    if len(_live_until) > 10_000:
        _live_until.clear()
    for article_id in article_ids:
        _live_until[article_id] = until


def forget_liveness(
    article_id: int | None = None, what: str | None = None, **kwargs: object
) -> None:
    """``article_changed`` receiver: ask the database again next time (not when only
    names changed: ``NAMES`` publishes or takes down nothing)."""
    if what == NAMES:
        return
    if article_id is None:
        _live_until.clear()
    else:
        _live_until.pop(article_id, None)


def published_article(article_id: int) -> Article | None:
    """The published article with just what a vote needs (its URL and headline), or None."""
    if not 0 < article_id <= MAX_ID:
        return None
    return (
        Article.objects.published()
        .filter(pk=article_id)
        .only("pk", "slug", "headline", "status", "published_at")
        .first()
    )


def reaction_keys() -> list[str]:
    return [kind.key for kind in settings.BYLINE_REACTIONS]


def parse_reaction(value: object) -> str:
    """The reaction key a reader sent, or VoteRefused naming the ones that exist."""
    if isinstance(value, str) and value.strip().lower() in reaction_keys():
        return value.strip().lower()
    raise VoteRefused(f"Choose one of these reactions: {', '.join(reaction_keys())}.")


def parse_stars(value: object) -> int:
    """A whole number of stars from 1 to 5 (a JSON number, or a form's digit), or
    VoteRefused."""
    if isinstance(value, str):
        value = _STARS_TYPED.get(value.strip(" \t"))
    if isinstance(value, int) and not isinstance(value, bool) and value in STARS:
        return value
    raise VoteRefused("A rating is a whole number of stars from 1 to 5.")


_STARS_TYPED = {str(stars): stars for stars in STARS}


def refusal(over_limit: bool, article_id: int) -> VoteRefused | None:
    """Why a vote whose rate limit was counted is refused (429, then 404), or None."""
    if over_limit:
        return over_the_limit(True)
    if not is_live(article_id):
        return unpublished(article_id)
    return None


def over_the_limit(over_limit: bool) -> VoteRefused | None:
    """The 429 of a vote over the limit (None for one within it)."""
    if not over_limit:
        return None
    limit = settings.BYLINE_VOTES_PER_MINUTE
    return VoteRefused(
        f"You have voted more than {limit} times in a minute. Wait a minute and try again.",
        status=429,
    )


def unpublished(article_id: int) -> VoteRefused:
    """The 404 of a vote on an article readers may not see."""
    return VoteRefused("There is no published article with this number.", status=404)


def batching() -> bool:
    """Whether this thread's votes go through the vote caster (PostgreSQL, outside a
    transaction, ``BYLINE_VOTE_BATCHES`` on)."""
    return bool(
        settings.BYLINE_VOTE_BATCHES
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


def vote(
    kind: str, article_id: int, reader: str | None, ip: str, choice: str | int | None
) -> tuple[Voter, str | int | None, Figures]:
    """The one path of a vote: check, then set the reader's choice (None clears).

    ``kind`` is "reaction" or "rating"; ``reader`` comes from the cookie (None:
    a new reader). Returns the voter, their vote of that kind afterwards and the
    article's figures after it; raises ``VoteRefused`` (429, then 404). Setting
    what the reader already has changes nothing, so a retry is harmless. With
    Redis, the article's buffered views (which the answer shows) are read in
    the rate limit's round trip; when votes are batched, the vote caster counts
    the rate limits of its whole batch in that one call (``batches.Check``).
    """
    new = reader is None
    reader = reader or readers.new_reader_id()
    identities = [f"reader:{reader}", f"ip:{readers.hash_ip(ip)}"]
    read = stats.pending_views_field(article_id)
    limit = settings.BYLINE_VOTES_PER_MINUTE
    value = None if choice is None else str(choice)
    # A number no database id can be (Django's ``<int:...>`` routes hand any through)
    # never reaches a batch, whose statement the database would refuse as a whole: it is
    # counted and refused here (429, else 404), as ``is_live`` refuses it.
    if batching() and redisconn.available() and 0 < article_id <= MAX_ID:
        # The caster's statement checks the article is published (no query before it).
        check = batches.Check(
            tuple(identities), read, limit, over_the_limit, unpublished, known_live, seen_live
        )
        (mine, figures), pending = batches.cast_checked(
            batches.Vote(kind, article_id, reader, value, check)
        )
    else:
        over, pending = readers.over_limit_and("vote", identities, limit, read=read)
        voter_id = reader

        def checked_cast() -> stats.Outcome:
            if (refused := refusal(over, article_id)) is not None:
                raise refused
            return _cast(kind, article_id, voter_id, value)

        # Counted once; cast again on a new connection if a restart dropped the kept one.
        mine, figures = postgres.again_if_dropped(checked_cast)
    # The buffered views read with the rate limit; None when they must be read again
    # (no Redis, or it failed just now and counted nothing).
    pending_views = int(pending or 0) if redisconn.available() else None
    voter = Voter(article_id, reader, new, pending_views)
    return voter, _choice(kind, mine), figures


def cast(
    kind: str, article_id: int, reader: str, choice: str | int | None
) -> tuple[str | int | None, Figures]:
    """Set a reader's choice with no check (the demo, tests); their vote afterwards and
    the article's figures. Every vote a reader sends goes through ``vote()``."""
    mine, figures = _cast(kind, article_id, reader, None if choice is None else str(choice))
    return _choice(kind, mine), figures


def _cast(kind: str, article_id: int, reader: str, value: str | None) -> stats.Outcome:
    if batching():
        return batches.cast(kind, article_id, reader, value)
    return stats.cast_votes([(kind, article_id, reader, value)])[0]


def _choice(kind: str, value: str | None) -> str | int | None:
    """A choice as the API shows it: a reaction key, a number of stars, or None."""
    return value if kind == "reaction" or value is None else int(value)


def react(article_id: int, reader: str, reaction: str | None) -> str | None:
    """Set the reader's reaction (``None`` withdraws it) with no check; returns it."""
    mine = cast("reaction", article_id, reader, reaction)[0]
    assert mine is None or isinstance(mine, str)
    return mine


def rate(article_id: int, reader: str, stars: int | None) -> int | None:
    """Set, change or (``None``) withdraw the reader's rating with no check; returns it."""
    mine = cast("rating", article_id, reader, stars)[0]
    assert mine is None or isinstance(mine, int)
    return mine


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON vote's body: an object (empty when there is no body); VoteRefused otherwise."""
    try:
        data = loads_json(body or b"{}")
    except ValueError:
        raise VoteRefused("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise VoteRefused("The request body must be a JSON object.")
    return data


# A vote in the query string is one short field ("?reaction=surprised", "?stars=4").
MAX_VOTE_QUERY = 100


def query_vote(kind: str, query: str, has_body: bool, method: str = "POST") -> dict[str, Any]:
    """The payload ``parse_vote`` takes from a vote sent in the query string, as the
    page's script sends it: ``POST ?reaction=<key>`` or ``?stars=<1-5>`` with no body;
    an empty value (``?reaction=``) withdraws. VoteRefused (400) for a body as well
    (the choice is sent once), a DELETE with a query, another field, the field twice,
    a field without ``=`` or a query that is not UTF-8."""
    field = "reaction" if kind == "reaction" else "stars"
    if has_body or method != "POST":
        raise VoteRefused("Send the choice once: in the query string or in the body, not both.")
    try:
        if len(query) > MAX_VOTE_QUERY:
            raise ValueError(query)
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True, errors="strict")
    except ValueError:  # UnicodeDecodeError included
        pairs = []
    if len(pairs) != 1 or pairs[0][0] != field:
        raise VoteRefused(
            f"Send one field in the query string: ?{field}=<choice> (empty to withdraw)."
        )
    value = pairs[0][1]
    return {field: value if value else None}


def parse_vote(kind: str, payload: dict[str, Any] | None) -> str | int | None:
    """The choice in a vote (``kind`` "reaction" or "rating"); None withdraws.

    ``payload`` None (a DELETE) or a field sent as null (JSON) withdraws;
    otherwise the field must name a reaction or a number of stars.
    """
    field = "reaction" if kind == "reaction" else "stars"
    if payload is None or (field in payload and payload[field] is None):
        return None
    if kind == "reaction":
        return parse_reaction(payload.get(field))
    return parse_stars(payload.get(field))


def vote_json(kind: str, voter: Voter, mine: str | int | None, figures: Figures) -> dict[str, Any]:
    """The JSON API's answer to a vote: the reader's vote and the counts after it."""
    return {
        "mine": {"reaction" if kind == "reaction" else "rating": mine},
        "counts": stats.counts_json(voter.article_id, figures, voter.pending_views),
    }


def votes_of(article_id: int, reader: str | None) -> dict[str, object]:
    """The reader's own reaction and rating of the article (None for each when absent)."""
    if reader is None or not 0 < article_id <= MAX_ID:
        return {"reaction": None, "rating": None}
    reaction = (
        Reaction.objects.filter(article_id=article_id, reader=reader)
        .values_list("reaction", flat=True)
        .first()
    ) or None
    rating = (
        Rating.objects.filter(article_id=article_id, reader=reader)
        .values_list("stars", flat=True)
        .first()
    )
    return {"reaction": reaction, "rating": rating}


# The same words, searched in a lower-cased ASCII User-Agent: the same answer as the
# case-insensitive search, fifteen times faster (the view folder asks it of every
# browser in nginx's view log).
_BOT_WORDS = re.compile(BOT_USER_AGENT.pattern)


def is_declared_bot(user_agent: str) -> bool:
    """True for a client that says it is a bot, or says nothing at all ("" or "-", which
    is how nginx's log writes a missing User-Agent: the same on both counting paths)."""
    if not user_agent.strip() or user_agent == "-":
        return True
    if user_agent.isascii():
        return bool(_BOT_WORDS.search(user_agent.lower()))
    return bool(BOT_USER_AGENT.search(user_agent))


def count_view(request: HttpRequest, article_id: int) -> bool:
    """Count the reader's view of a published article; False when it is not counted.

    Not counted: self-declared bots, the same reader again within 30 minutes
    (the same browser at the same salted IP hash, or the same reader cookie),
    and views beyond ``BYLINE_VIEWS_PER_MINUTE`` from one IP.
    """
    user_agent = request.headers.get("User-Agent", "")
    if is_declared_bot(user_agent):
        return False
    ip_hash = readers.ip_hash(request)
    if readers.over_limit("view", [f"ip:{ip_hash}"], settings.BYLINE_VIEWS_PER_MINUTE):
        return False
    # Seen as this browser at this address, and as the cookie's reader if any:
    # a reader who votes (and so gets a cookie) and reloads is still the same. The
    # marks are the view log folder's too (``seen``): counted once by either path.
    who = seen.identities(ip_hash, hash_text(user_agent), readers.reader_id(request))
    log_folder = bool(settings.BYLINE_VIEW_LOG_DIR)
    # Without Redis behind nginx the marks and the view are rows, written in one
    # transaction: SQLite's write lock, which the view log's fold takes too, may be
    # held longer than a request waits ("database is locked"). The view is then not
    # counted, and the reader's answer is the same (the mark is not kept either: their
    # next view counts).
    in_database = log_folder and redis_client() is None
    try:
        with transaction.atomic() if in_database else nullcontext():
            keys = seen.first_sight(article_id, who, log_folder)
            if keys is None:
                return False
            if not is_live(article_id):
                seen.forget(keys, log_folder)
                return False
            viewbuffer.record_view(article_id)
    except OperationalError as error:
        if not (in_database and connection.vendor == "sqlite" and "locked" in str(error)):
            raise
        uncounted.failure("the view marks", reason_of(error), "a view not counted: %s", error)
        return False
    if uncounted.down:
        uncounted.answered("the view marks")
    return True


logger = logging.getLogger(__name__)
# One line a while (and one when it is over) while views wait for SQLite's write lock
uncounted = ThrottledLog(logger, "views not counted", again="can be written again")


def hash_text(text: str) -> str:
    """The hash of a User-Agent's bytes as the client sent them, whichever path read it:
    WSGI gives a header as those bytes decoded as latin-1 (the view log's folder reads
    nginx's unescaped bytes the same way); text that latin-1 cannot hold is UTF-8."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        raw = text.encode()
    return hashlib.sha256(raw).hexdigest()[:16]
