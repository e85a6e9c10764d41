"""What a reader does: view, react, rate. Each check first, then one transaction.

A vote states the reader's choice (this reaction, these stars, or none), never
a toggle, so a retried vote changes nothing. ``vote()`` is the one write path
of every vote, from the JSON API, the vote layer, the batches and the no-JS
forms: it validates and rate-limits (``check_voter``), then ``react()`` /
``rate()`` write the vote row and move the running totals in the same
transaction, so the totals always equal a recount of the rows (on PostgreSQL
the SQL of ``votesql.py``). Locking precondition, kept by every writer: the
reader's vote row is locked first, then total rows in a fixed order (reaction
keys sorted, one ``ArticleStats`` row), so concurrent votes never deadlock. A
withdrawn vote keeps its (emptied) row, so a reader's row is inserted at most
once.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest

from byline import readers
from byline.articles.models import Article
from byline.engagement import batches, tallies, viewbuffer
from byline.engagement.models import STARS, Rating, Reaction, ReactionTally, StarTally
from byline.engagement.redisclient import redis_available, redis_client
from byline.engagement.stats import Figures, figures_for
from byline.parsing import MAX_ID, loads_json, parse_id

VIEW_REPEAT_SECONDS = 30 * 60
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
    now = time.monotonic()
    if _live_until.get(article_id, 0.0) > now:
        return True
    if not Article.objects.published().filter(pk=article_id).exists():
        _live_until.pop(article_id, None)
        return False
    if len(_live_until) > 10_000:
        _live_until.clear()
    _live_until[article_id] = now + _LIVE_SECONDS
    return True


def forget_liveness(article_id: int | None = None, **kwargs: object) -> None:
    """``article_changed`` receiver: ask the database again next time."""
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
    """A whole number of stars from 1 to 5, or VoteRefused."""
    stars = parse_id(value)
    if stars in STARS:
        return stars
    raise VoteRefused("A rating is a whole number of stars from 1 to 5.")


def check_vote(request: HttpRequest, article_id: int) -> Voter:
    """Rate-limit the reader and their IP, and find the article; VoteRefused otherwise."""
    return check_voter(article_id, readers.reader_id(request), readers.client_ip(request))


def check_voter(article_id: int, reader: str | None, ip: str) -> Voter:
    """``check_vote()`` for a reader (from their cookie, None if new) at an IP address.

    With Redis, the article's buffered views (which the answer to a vote
    shows) are read in the rate limit's round trip.
    """
    new = reader is None
    reader = reader or readers.new_reader_id()
    over, pending_views = readers.over_limit_and(
        "vote",
        _limited_identities(reader, ip),
        settings.BYLINE_VOTES_PER_MINUTE,
        read=viewbuffer.pending_views_field(article_id),
    )
    if (refused := refusal(over, article_id)) is not None:
        raise refused
    return Voter(article_id, reader, new, _pending(pending_views))


def _pending(value: bytes | None) -> int | None:
    """Buffered views read with the rate limit; None when they must be read again
    (no Redis, or it failed just now and counted nothing)."""
    return int(value or 0) if redis_available() else None


def _limited_identities(reader: str, ip: str) -> list[str]:
    return [f"reader:{reader}", f"ip:{readers.hash_ip(ip)}"]


def refusal(over_limit: bool, article_id: int) -> VoteRefused | None:
    """Why a vote whose rate limit was counted is refused (429, then 404), or None."""
    if over_limit:
        limit = settings.BYLINE_VOTES_PER_MINUTE
        return VoteRefused(
            f"You have voted more than {limit} times in a minute. Wait a minute and try again.",
            status=429,
        )
    if not is_live(article_id):
        return VoteRefused("There is no published article with this number.", status=404)
    return None


def check_and_cast_json_vote(
    kind: str, article_id: int, reader: str | None, ip: str, choice: str | int | None
) -> tuple[Voter, dict[str, Any]]:
    """``vote()``, and the JSON API's answer: the reader's vote and the counts after it."""
    voter, mine, figures = vote(kind, article_id, reader, ip, choice)
    return voter, _json_answer(kind, voter, mine, figures)


def vote(
    kind: str, article_id: int, reader: str | None, ip: str, choice: str | int | None
) -> tuple[Voter, str | int | None, Figures]:
    """The one write path of a vote: check, then set the reader's choice (None clears).

    ``kind`` is "reaction" or "rating"; ``reader`` comes from the cookie (None:
    a new reader). Returns the voter, their vote of that kind afterwards and the
    article's figures after it; raises ``VoteRefused``. Setting what the reader
    already has changes nothing, so a retry is harmless. When votes are batched
    and Redis is there, the rate limit is counted by the vote caster for the
    whole batch in one Redis call (``batches.Check``), with the same refusals in
    the same order (429, then 404).
    """
    if not (batches.in_use() and redis_client() is not None):
        voter = check_voter(article_id, reader, ip)
        mine, figures = cast(kind, voter, choice)
        return voter, mine, figures
    new = reader is None
    reader = reader or readers.new_reader_id()
    check = batches.Check(
        identities=tuple(_limited_identities(reader, ip)),
        read=viewbuffer.pending_views_field(article_id),
        limit=settings.BYLINE_VOTES_PER_MINUTE,
        refusal=refusal,
    )
    value = "" if choice is None and kind == "reaction" else None if choice is None else str(choice)
    (mine, figures), pending = batches.cast_checked(
        batches.Vote(kind, article_id, reader, value, check)
    )
    voter = Voter(article_id, reader, new, _pending(pending))
    return voter, mine if kind == "reaction" or mine is None else int(mine), figures


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON vote's body: an object (empty when there is no body); VoteRefused otherwise."""
    try:
        data = loads_json(body or b"{}")
    except ValueError:
        raise VoteRefused("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise VoteRefused("The request body must be a JSON object.")
    return data


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


def cast(kind: str, voter: Voter, choice: str | int | None) -> tuple[str | int | None, Figures]:
    """Set a checked voter's choice; their vote afterwards and the article's figures."""
    if kind == "reaction":
        assert choice is None or isinstance(choice, str)
        return react_and_count(voter.article_id, voter.reader, choice)
    assert choice is None or isinstance(choice, int)
    return rate_and_count(voter.article_id, voter.reader, choice)


def cast_json_vote(kind: str, voter: Voter, choice: str | int | None) -> dict[str, Any]:
    """Cast a checked vote; the JSON API's answer: the reader's vote and the counts after it."""
    mine, figures = cast(kind, voter, choice)
    return _json_answer(kind, voter, mine, figures)


def _json_answer(
    kind: str, voter: Voter, mine: str | int | None, figures: Figures
) -> dict[str, Any]:
    """The JSON API's answer to a vote: the reader's vote and the counts after it."""
    return {
        "mine": {"reaction" if kind == "reaction" else "rating": mine},
        "counts": counts_json(voter.article_id, figures, voter.pending_views),
    }


def counts_json(
    article_id: int, figures: Figures | None = None, pending: int | None = None
) -> dict[str, Any]:
    """The counts as the API shows them: the totals plus the views still buffered.

    ``"stale": true`` is added when Redis could not be read: the figures then
    leave out the views buffered there (docs/api.md).
    """
    stale = False
    if figures is None or pending is None:
        # The totals and the buffers read together (one statement after the Redis
        # read), so a flush in between can neither hide nor double a view.
        figures, pending, stale = viewbuffer.figures_and_pending(article_id)
    counts = figures.as_json()
    counts["views"] += pending
    if stale:
        counts["stale"] = True
    return counts


def react(article_id: int, reader: str, reaction: str | None) -> str | None:
    """Set the reader's reaction (``None`` withdraws it); returns it afterwards.

    Setting the reaction the reader already has changes nothing.
    """
    if tallies.in_one_call():
        return react_and_count(article_id, reader, reaction)[0]
    shard = tallies.pick_shard()
    with transaction.atomic():
        vote_id, current = tallies.lock_vote(Reaction, article_id, reader)
        previous = current or None
        chosen = reaction or None
        if chosen == previous:
            return chosen
        tallies.set_vote(Reaction, vote_id, chosen or "")
        changes = {}
        if previous:
            changes[previous] = -1
        if chosen:
            changes[chosen] = 1
        tallies.move_tallies(ReactionTally, article_id, changes, shard)
        return chosen


def react_and_count(
    article_id: int, reader: str, reaction: str | None
) -> tuple[str | None, Figures]:
    """``react()``, and the article's figures just after it (one round trip on PostgreSQL)."""
    if tallies.in_one_call():
        return tallies.react_in_one_call(article_id, reader, reaction, tallies.pick_shard())
    return react(article_id, reader, reaction), figures_for(article_id)


def rate(article_id: int, reader: str, stars: int | None) -> int | None:
    """Set, change or (``None``) withdraw the reader's rating of the article; returns it."""
    if tallies.in_one_call():
        return rate_and_count(article_id, reader, stars)[0]
    shard = tallies.pick_shard()
    with transaction.atomic():
        vote_id, previous = tallies.lock_vote(Rating, article_id, reader)
        if previous == stars:
            return stars
        tallies.set_vote(Rating, vote_id, stars)
        changes = {}
        if previous:
            changes[previous] = -1
        if stars:
            changes[stars] = 1
        tallies.move_tallies(StarTally, article_id, changes, shard)
        return stars


def rate_and_count(article_id: int, reader: str, stars: int | None) -> tuple[int | None, Figures]:
    """``rate()``, and the article's figures just after it (one round trip on PostgreSQL)."""
    if tallies.in_one_call():
        return tallies.rate_in_one_call(article_id, reader, stars, tallies.pick_shard())
    return rate(article_id, reader, stars), figures_for(article_id)


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


def is_declared_bot(user_agent: str) -> bool:
    """True for a client that says it is a bot, or says nothing at all."""
    return not user_agent.strip() or bool(BOT_USER_AGENT.search(user_agent))


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
    # a reader who votes (and so gets a cookie) and reloads is still the same.
    identities = [f"{ip_hash}:{hash_text(user_agent)}"]
    if reader := readers.reader_id(request):
        identities.append(reader)
    keys = [f"engagement:seen:{article_id}:{identity}" for identity in identities]
    first_time = [cache.add(key, 1, timeout=VIEW_REPEAT_SECONDS) for key in keys]
    if not all(first_time):
        return False
    if not is_live(article_id):
        cache.delete_many(keys)
        return False
    viewbuffer.record_view(article_id)
    return True


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
