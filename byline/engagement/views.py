"""HTTP for engagement: the JSON API, the no-JavaScript forms and the view beacon.

Thin: parse the request, call ``actions``, answer. Every error of the JSON
API is JSON with a ``message`` and the right status; see docs/api.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition, require_GET, require_POST

from byline import errors, readers
from byline.articles.models import Article
from byline.csrf import cached_page_form, came_from_this_site
from byline.engagement import actions, stats, viewbuffer
from byline.engagement.actions import VoteRefused

View = Callable[..., HttpResponse]
COUNTS_MAX_AGE = 2
NO_ARTICLE = "There is no published article with this number."
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def json_error(message: str, status: int, retry_after: int | None = None) -> JsonResponse:
    """An error of the JSON API, in the site's one shape (``byline.errors``)."""
    return errors.json_error(status, message, retry_after)


def json_methods(*methods: str) -> Callable[[View], View]:
    """Like ``require_http_methods``, but a wrong method gets a JSON 405 with ``Allow``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = json_error(f"Use {' or '.join(methods)} here.", 405)
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _rejected_json(request: HttpRequest) -> HttpResponse:
    return json_error(
        "This request was not sent from this site. Send the X-CSRFToken header "
        "(a token comes from /api/csrf/) or post from the article page.",
        403,
    )


def _payload(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object (or form fields); VoteRefused when it is malformed."""
    if request.content_type == "application/json":
        return actions.parse_json_object(request.body)
    return request.POST.dict()


def _vote_payload(request: HttpRequest, kind: str) -> dict[str, Any] | None:
    """A vote's payload: from the query string (the page's script: ``?reaction=happy``,
    no body), else from the body; None for a DELETE (withdraw)."""
    query = request.META.get("QUERY_STRING", "")
    if query:
        return actions.query_vote(kind, query, bool(request.body), request.method or "")
    return _payload(request) if request.method == "POST" else None


def _answer(voter: actions.Voter, body: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(body)
    patch_cache_control(response, private=True, no_store=True)
    if voter.new_reader:
        readers.remember_reader(response, voter.reader)
    return response


COUNTS_BODY = "byline.engagement.counts_body"  # the body its ETag was computed from


def _counts_etag(request: HttpRequest, article_id: int) -> str | None:
    """The counts' ETag (the body is kept for the view); None when the article is not live."""
    viewbuffer.maybe_flush()
    if not actions.is_live(article_id):
        return None
    body, etag = counts_body(article_id)
    request.META[COUNTS_BODY] = body
    return etag


def _briefly_public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Counts, full (200) or unchanged (304), may be kept by any cache for a few seconds."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            patch_cache_control(response, public=True, max_age=COUNTS_MAX_AGE)
        return response

    return wrapped


@csrf_exempt  # read-only: any other method is answered 405, as JSON
@json_methods("GET", "HEAD")
@_briefly_public
@condition(etag_func=_counts_etag)  # Django answers If-None-Match with a 304
def counts(request: HttpRequest, article_id: int) -> HttpResponse:
    """Current counts of a published article, the same for every reader (cacheable briefly)."""
    body = request.META.get(COUNTS_BODY)
    if body is None:
        return json_error(NO_ARTICLE, 404)
    return HttpResponse(body, content_type="application/json")


def counts_body(article_id: int) -> tuple[bytes, str]:
    """The counts JSON of a live article and its ETag (the same for every reader)."""
    counts = stats.counts_json(article_id)
    stats.with_more_counts({article_id: counts})
    body = json.dumps(counts, separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@csrf_exempt  # read-only, as above
@never_cache
@json_methods("GET", "HEAD")
def mine(request: HttpRequest, article_id: int) -> HttpResponse:
    """The reader's own reaction and rating (never cached; sets no cookie)."""
    response = JsonResponse(actions.votes_of(article_id, readers.reader_id(request)))
    patch_cache_control(response, private=True)
    return response


def _vote_api(request: HttpRequest, article_id: int, kind: str) -> HttpResponse:
    try:
        payload = _vote_payload(request, kind)
        choice = actions.parse_vote(kind, payload)
        voter, mine, figures = actions.vote(
            kind, article_id, readers.reader_id(request), readers.client_ip(request), choice
        )
    except VoteRefused as refused:
        response = json_error(refused.message, refused.status)
        if refused.status == 429:
            response["Retry-After"] = str(readers.seconds_left_in_window())
        return response
    return _answer(voter, actions.vote_json(kind, voter, mine, figures))


@cached_page_form(on_rejected=_rejected_json)
@json_methods("POST", "DELETE")
def reaction_api(request: HttpRequest, article_id: int) -> HttpResponse:
    """POST {"reaction": key} (or ?reaction=key, no body) sets the reaction
    ({"reaction": null}, ?reaction= or DELETE withdraws it)."""
    return _vote_api(request, article_id, "reaction")


@cached_page_form(on_rejected=_rejected_json)
@json_methods("POST", "DELETE")
def rating_api(request: HttpRequest, article_id: int) -> HttpResponse:
    """POST {"stars": 1..5} (or ?stars=1..5, no body) sets the rating
    ({"stars": null}, ?stars= or DELETE withdraws it)."""
    return _vote_api(request, article_id, "rating")


@cached_page_form(on_rejected=_rejected_json)
@json_methods("POST")
def view_beacon(request: HttpRequest, article_id: int) -> HttpResponse:
    """The page's script reports a view as the page loads; 204 whether counted or not.

    Asked with ``Accept: application/json`` (the page's script), it answers
    200 with the counts instead (which include this view, with their ETag), so
    a page view costs the app one request, not a beacon and a counts GET; for
    an article that is not published, the counts' JSON 404 (as nginx does).
    """
    actions.count_view(request, article_id)
    viewbuffer.maybe_flush()
    if "application/json" not in request.headers.get("Accept", ""):
        response = HttpResponse(status=204)
    elif actions.is_live(article_id):
        body, etag = counts_body(article_id)
        response = HttpResponse(body, content_type="application/json")
        response["ETag"] = etag
    else:  # what the counts (and nginx, answering the beacon with them) answer
        response = json_error(NO_ARTICLE, 404)
    # A commenter's browser without the comment session marker gets it, as on the layer.
    readers.mark_session(response, request.COOKIES, request.is_secure(), unmark=False)
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def view_pixel(request: HttpRequest, article_id: int) -> HttpResponse:
    """A view from a reader without JavaScript: a 1×1 image in the page's <noscript>."""
    if came_from_this_site(request) or _referred_from_this_site(request):
        actions.count_view(request, article_id)
        viewbuffer.maybe_flush()
    response = HttpResponse(PIXEL, content_type="image/gif")
    patch_cache_control(response, private=True, no_store=True)
    return response


def _referred_from_this_site(request: HttpRequest) -> bool:
    referer = request.headers.get("Referer", "")
    return referer.startswith(f"{request.scheme}://{request.get_host()}/")


# Forms for readers without JavaScript: POST, then 303 back to the block.


def _problem(
    request: HttpRequest, message: str, status: int, article: Article | None = None
) -> HttpResponse:
    response = render(
        request,
        "engagement/problem.html",
        {"message": message, "article": article},
        status=status,
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _confirm(request: HttpRequest) -> HttpResponse:
    """A post the browser did not prove same-site: ask again on an uncached page with a token."""
    response = render(
        request,
        "engagement/confirm.html",
        {"action": request.path, "fields": request.POST.dict()},
        status=403,
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _form_choice(request: HttpRequest, kind: str) -> str | int | None:
    """The choice a no-JS form sent: the "withdraw" button clears, any other names one."""
    if "withdraw" in request.POST:
        return None
    return actions.parse_vote(kind, request.POST.dict())


def _vote_form(request: HttpRequest, article_id: int, kind: str) -> HttpResponse:
    article = None
    try:
        choice = _form_choice(request, kind)
        voter, mine, _ = actions.vote(
            kind, article_id, readers.reader_id(request), readers.client_ip(request), choice
        )
        article = actions.published_article(article_id)
        if article is None:  # unpublished since the vote was checked
            raise VoteRefused("There is no published article with this number.", status=404)
    except VoteRefused as refused:
        article = article or actions.published_article(article_id)
        response = _problem(request, refused.message, refused.status, article)
        if refused.status == 429:
            response["Retry-After"] = str(readers.seconds_left_in_window())
        return response
    anchor = "reactions" if kind == "reaction" else "rating"
    response = HttpResponse(status=303)
    # The query string keeps the page out of the page cache (and nginx's page files):
    # the cached copy may predate this vote, and the reader must see it counted. It also
    # says what the block's status line tells the reader: counted, or withdrawn.
    voted = kind if mine is not None else "withdrawn"
    response["Location"] = f"{article.get_absolute_url()}?voted={voted}#{anchor}"
    patch_cache_control(response, private=True, no_store=True)
    if voter.new_reader:
        readers.remember_reader(response, voter.reader)
    _note_voted(response)
    return response


# "This browser has voted", for engagement.js (which keeps it in local storage): a vote
# the script sent notes it itself, but a form posted without the script cannot, and the
# reader cookie is HttpOnly. With it, a later visit with the script asks for the reader's
# choices, marks them and offers to withdraw them. It says nothing else: the choices are
# read with the reader cookie. Neither the page cache nor nginx looks at it.
VOTED_COOKIE = "byline_voted"


def _note_voted(response: HttpResponse) -> None:
    response.set_cookie(
        VOTED_COOKIE,
        "1",
        max_age=readers.COOKIE_MAX_AGE,
        httponly=False,  # read by engagement.js
        samesite="Lax",
        secure=settings.SECURE_COOKIES,
    )


@cached_page_form(on_rejected=_confirm)
@require_POST
def reaction_form(request: HttpRequest, article_id: int) -> HttpResponse:
    """The reactions form without JavaScript."""
    return _vote_form(request, article_id, "reaction")


@cached_page_form(on_rejected=_confirm)
@require_POST
def rating_form(request: HttpRequest, article_id: int) -> HttpResponse:
    """The rating form without JavaScript."""
    return _vote_form(request, article_id, "rating")
