"""HTTP for comment reactions: the JSON API, the form for readers without script, the counts.

Thin: parse the request, call ``reactions``, answer. Writes are protected like
every form on a cached page (``byline.csrf.cached_page_form``: the browser's
``Sec-Fetch-Site``/``Origin``, or a CSRF token); a service that is down is
answered 503 with ``Retry-After`` by ``byline.outages``. See docs/api.md.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from byline import errors, readers
from byline.articles.models import Article
from byline.csrf import cached_page_form
from byline.discussion import reactions, sorting
from byline.discussion.models import Comment
from byline.discussion.reactions import ReactionRefused
from byline.discussion.threads import place_of
from byline.engagement.views import COUNTS_MAX_AGE, json_methods
from byline.parsing import loads_json, parse_id

TRUE = frozenset({"1", "true", "on", "yes"})
FALSE = frozenset({"0", "false", "off", "no"})


def _refused(refused: ReactionRefused, request: HttpRequest) -> HttpResponse:
    retry = readers.seconds_left_in_window() if refused.status == 429 else None
    return errors.error_response(request, refused.status, refused.message, retry)


def _wanted(value: Any) -> bool:
    """The state a request asks for: reacted (True) or not; ReactionRefused otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise ReactionRefused('"reacted" is true (react) or false (take the reaction back).')


def _api_choice(request: HttpRequest) -> bool:
    if request.method == "DELETE":
        return False
    if request.content_type == "application/json":
        try:
            payload = loads_json(request.body or b"{}")
        except ValueError:
            raise ReactionRefused("The request body is not valid JSON.") from None
        if not isinstance(payload, dict):
            raise ReactionRefused("The request body must be a JSON object.")
    else:
        payload = request.POST.dict()
    return _wanted(payload.get("reacted", True))


def _rejected_json(request: HttpRequest) -> HttpResponse:
    return errors.json_error(
        403,
        "This request was not sent from this site. Send the X-CSRFToken header "
        "(a token comes from /api/csrf/) or react from the article page.",
    )


def _react(request: HttpRequest, pk: int, reacted: bool) -> reactions.Outcome:
    return reactions.react(
        pk,
        readers.reader_id(request),
        readers.client_ip(request),
        request.headers.get("User-Agent", ""),
        reacted,
    )


def _private(response: HttpResponse, outcome: reactions.Outcome | None = None) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    if outcome is not None and outcome.new_reader:
        readers.remember_reader(response, outcome.reader)
    return response


@cached_page_form(on_rejected=_rejected_json)
@json_methods("POST", "DELETE")
def reaction_api(request: HttpRequest, pk: int) -> HttpResponse:
    """POST {"reacted": true} reacts to the comment; {"reacted": false} or DELETE takes
    the reaction back. Answers the reader's state and the comment's count."""
    try:
        outcome = _react(request, pk, _api_choice(request))
    except ReactionRefused as refused:
        return _refused(refused, request)
    return _private(JsonResponse(outcome.as_json()), outcome)


@csrf_exempt  # read-only: any other method is answered 405, as JSON
@json_methods("GET", "HEAD")
def counts_api(request: HttpRequest) -> HttpResponse:
    """``?ids=1,2,3``: the reaction counts of those published comments, the same for
    every reader (any cache may keep them a couple of seconds)."""
    raw = request.GET.get("ids", "")
    parts = [part for part in raw.split(",") if part]
    ids = [parse_id(part) for part in parts]
    if not parts or None in ids or len(ids) > reactions.MAX_IDS:
        return errors.json_error(
            400, f"Ask for ?ids= with 1 to {reactions.MAX_IDS} comment numbers, comma-separated."
        )
    found = reactions.counts([pk for pk in ids if pk is not None])
    response = JsonResponse({"counts": {str(pk): count for pk, count in found.items()}})
    patch_cache_control(response, public=True, max_age=COUNTS_MAX_AGE)
    return response


def _place(request: HttpRequest, pk: int, article_id: int) -> str:
    """The page the reader reacted from (its query, checked), back at the comment; the
    extra ``reacted`` keeps it out of the page cache, so the new count shows."""
    query = ""
    for name in ("cpage", "thread", "tpage"):
        number = parse_id(request.GET.get(name))
        if number is not None:
            query += f"{name}={number}&"
    sort = sorting.parse_sort(request.GET.get("sort"))
    article = Article.objects.only("slug").get(pk=article_id)
    if not query and sort == sorting.DEFAULT:
        comment = Comment.objects.get(pk=pk)
        place = place_of(comment)
        if place is None:  # a reply waiting with a held comment: its own page says so
            return comment.get_absolute_url()
        query = place.lstrip("?")
        query += "&" if query else ""
    return (
        f"{article.get_absolute_url()}?{query}{sorting.sort_query(sort)}reacted={pk}#comment-{pk}"
    )


def _page(request: HttpRequest, pk: int, status: int, **context: Any) -> HttpResponse:
    context.update({"pk": pk, "label": reactions.label()})
    return _private(render(request, "discussion/reaction_page.html", context, status=status))


def _confirm(request: HttpRequest) -> HttpResponse:
    """A post the browser did not prove same-site: confirm it on an uncached page (a token)."""
    pk = parse_id(request.resolver_match.kwargs.get("pk")) if request.resolver_match else None
    reacted = request.POST.get("reacted", "1").strip().lower() not in FALSE
    return _page(request, pk or 0, 403, confirm=True, reacted=reacted)


@cached_page_form(on_rejected=_confirm)
@require_POST
def reaction_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The reaction button without script: react (``reacted=1``) or take it back
    (``reacted=0``), then back to the comment. Pressing it again after reacting lands
    on a page that offers to take the reaction back (a retried press changes nothing)."""
    try:
        outcome = _react(request, pk, _wanted(request.POST.get("reacted", "1")))
    except ReactionRefused as refused:
        return _refused(refused, request)
    place = _place(request, pk, outcome.article_id)
    if outcome.reacted and not outcome.changed:
        return _private(_page(request, pk, 200, already=True, place=place), outcome)
    response = HttpResponse(status=303)
    response["Location"] = place
    return _private(response, outcome)
