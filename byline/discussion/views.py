"""Reader-facing discussion views: thin wrappers around ``actions``.

The article page (cached, the same for everyone) carries the comment form
without a token; posts are marked ``cached_page_form``, which the CSRF middleware
checks (``byline.csrf``). Whatever is personal (a pending comment, a form that
came back with an error, a fresh form timestamp) is served from the uncached
views here.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote, unquote

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from byline.articles import protection
from byline.articles.models import Article
from byline.csrf import CSRF_REFUSED, cached_page_form, token_of
from byline.db import Statement
from byline.discussion import actions, commenterdata, editing, notifications
from byline.discussion.datapolicy import data_policy
from byline.discussion.forms import (
    HONEYPOT,
    CommentForm,
    DataRequestForm,
    form_timestamp,
)
from byline.discussion.markup import single_comment
from byline.discussion.models import REMOVED, Comment, may_moderate
from byline.discussion.threads import is_shown, place_of
from byline.errors import error_body
from byline.parsing import loads_json, parse_id
from byline.readers import (
    COMMENTER_MAX_AGE,
    REMEMBER_COOKIE,
    client_ip,
    commenter_token,
    hash_ip,
    hash_key,
    hits,
    mark_session,
    new_commenter_token,
    set_commenter_cookie,
    set_session_marker,
)

logger = logging.getLogger(__name__)
REMEMBER_MAX_AGE = 60 * 60 * 24 * 365


def wants_json(request: HttpRequest) -> bool:
    """A script's request: it accepts JSON, or it sent JSON (so it reads JSON errors)."""
    accepts = request.headers.get("Accept", "")
    return "application/json" in accepts or request.content_type == "application/json"


def json_refusal(payload: dict, status: int) -> HttpResponse:
    """A refused comment for the page's script: its fields (``status``, ``message``,
    ``errors``) beside the site's one error shape (``byline.errors``)."""
    body = {**payload, **error_body(status, payload["message"])}
    return private(JsonResponse(body, status=status))


def site_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def remembered_details(request: HttpRequest) -> dict[str, str]:
    """Name, e-mail and website the reader asked this browser to remember."""
    raw = request.COOKIES.get(REMEMBER_COOKIE, "")
    try:
        data = loads_json(unquote(raw)[:4096]) if raw else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(data.get(k, ""))[:500] for k in ("name", "email", "website")}


def shown_at(comment: Comment) -> str | None:
    """Where an approved comment is shown: its article's page, or its long thread's own;
    None while it waits with a comment above it that is held for moderation."""
    place = place_of(comment)
    if place is None:
        return None
    return f"{comment.article.get_absolute_url()}{place}#comment-{comment.pk}"


def comment_url(comment: Comment) -> str:
    """Where to send a reader to an approved comment: its place in the discussion, or
    its own page (``comment_detail``, which says why) while no page shows it."""
    return shown_at(comment) or comment.get_absolute_url()


def form_page(
    request: HttpRequest,
    form: CommentForm,
    article: Article | None,
    message: str,
    status: int,
    waited: bool = False,
    removed: str = "",
) -> HttpResponse:
    """An uncached page with the comment form as the reader filled it, a token and a
    fresh timestamp, and the reason it came back. ``waited``: the minimum time to
    submit is already served (the no-script confirmation, ``post_comment``).
    ``removed``: the placeholder's words shown where the comment replied to was quoted
    (a moderator removed it since the reader's page was loaded: ``resolve_parent``)."""
    data = form.data.copy() if form.is_bound else {}
    served = settings.BYLINE_COMMENT_MIN_SECONDS if waited else 0
    data["ts"] = form_timestamp(issued=time.time() - served)
    if form.is_bound:
        form.data = data
    reply_to = None
    parent_id = parse_id(form.data.get("parent")) if form.is_bound else None
    if article and parent_id is not None:
        reply_to = Comment.objects.approved().on_article(article.pk).filter(pk=parent_id).first()
    context = {
        "form": form,
        "article": article,
        "message": message,
        "reply_to": reply_to,
        "removed": removed,
        "with_token": True,
    }
    return private(render(request, "discussion/form_page.html", context, status=status))


def _rejected_by_csrf(request: HttpRequest) -> HttpResponse:
    """A post that proved neither its origin nor a token: keep what was typed, ask again."""
    form = CommentForm(request.POST)
    article = _article_of(form, request)
    message = (
        "We could not confirm that this form was sent from this site. "
        "Please check your comment and send it again."
    )
    if wants_json(request):
        return json_refusal({"status": "rejected", "reason": CSRF_REFUSED, "message": message}, 403)
    return form_page(request, form, article, message, status=403)


def _article_of(form: CommentForm, request: HttpRequest) -> Article | None:
    """The article a posted comment form is for (the form is checked: its id is one of
    its fields, read once), if this reader may read it."""
    form.is_valid()
    return _article_from(form.cleaned_data.get("article"), request, form.data.get("unlock", ""))


TEXT = ("body", "body_html", "body_text")
# The article's text is not read: a comment, a session need its id, headline and state
# (a rejected comment's page reads the text when it draws it). Its SQL written once
# (``db.Statement``): a reachable article, by id.
REACHABLE_ARTICLE = Statement(
    lambda pk, now: Article.objects.reachable(now).filter(pk=pk).defer(*TEXT)[:1], int, datetime
)


def _article_from(article_id: int | None, request: HttpRequest, unlock: str) -> Article | None:
    """The article ``article_id`` of a comment or a session, if this reader may read it.

    A password-protected article takes comments only from readers who unlocked
    it (their form carries its pass); for everyone else it does not exist here.
    """
    if article_id is None:
        return None
    article = REACHABLE_ARTICLE.first(article_id, timezone.now())
    if article is None:
        return None
    if article.is_protected and not protection.may_read(request, article, unlock):
        return None
    return article


def _field_errors(form: CommentForm) -> dict[str, list[str]]:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


@require_POST
@cached_page_form(on_rejected=_rejected_by_csrf)
def post_comment(request: HttpRequest) -> HttpResponse:
    """Receive a comment from the form under an article (with or without JavaScript).

    Parse the form, call ``actions.post_comment``, answer: JSON for the page's
    script, the article (or the form again, with what was typed) for a browser.
    """
    if request.content_type not in FORM_TYPES:  # Django reads forms only (a JSON body...)
        return _refused(request, CommentForm(), None, NOT_A_FORM, 400, {"status": "invalid"})
    form = CommentForm(request.POST)
    article = _article_of(form, request)
    if article is None:
        return _refused(request, form, None, actions.ARTICLE_GONE, 404, {"status": "rejected"})
    if not form.is_valid():
        if (too_many := _refusal_counted(request)) is not None:
            return _rejected(request, form, article, too_many)
        refusal = {"status": "invalid", "errors": _field_errors(form)}
        return _refused(request, form, article, _invalid_message(form), 400, refusal)
    data = form.cleaned_data
    token = commenter_token(request) or new_commenter_token()
    context = _comment_context(request, data, token)
    if _needs_confirmation(request, context):
        # The cached page has no per-reader timestamp: a reader without JavaScript
        # confirms once on an uncached page that carries one. The reader wrote the
        # comment before this page, so its token has the minimum time already served
        # and a prompt second press is taken. What a bot gains: posting at once, by
        # reading the token back from this page (two requests instead of one post). It
        # gains no more than by waiting a few seconds with a script's token: the token is
        # still signed and single-use, and the honeypot, the rate limits (per reader,
        # e-mail and address), the duplicate check and the spam filter still apply.
        message = "One more step: please check your comment and press “Post Comment” again."
        return form_page(request, form, article, message, status=200, waited=True)
    new = _new_comment(data)
    try:
        outcome = actions.post_comment(article, new, context)
    except actions.CommentRejected as rejection:
        if rejection.status != 429 and (too_many := _refusal_counted(request)) is not None:
            rejection = too_many
        return _rejected(request, form, article, rejection)
    response = _posted_response(request, article, outcome, token)
    set_commenter_cookie(response, token, secure=request.is_secure())
    remembered = bool(data.get("remember"))
    _remember_details(request, response, new if remembered else None)
    _set_marker(response, remembered, request.is_secure())
    return response


def _refusal_counted(request: HttpRequest) -> actions.CommentRejected | None:
    """Count a refused comment POST (``actions.count_refusal``): the 429 to answer
    instead past the limit, else None."""
    return actions.count_refusal(commenter_token(request) or "", hash_ip(client_ip(request)))


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
NOT_A_FORM = (
    "Send the comment as a form (application/x-www-form-urlencoded or multipart/form-data)."
)


def _invalid_message(form: CommentForm) -> str:
    """Why a form came back: a hidden field's error says it (nothing is marked for it)."""
    hidden = [str(error) for field in form.hidden_fields() for error in field.errors]
    return (
        hidden[0] if hidden else "Your comment was not sent: please correct what is marked below."
    )


def _new_comment(data: dict) -> actions.NewComment:
    return actions.NewComment(
        body=data["body"],
        name=data["name"],
        email=data["email"],
        website=data.get("website") or "",
        parent_id=data.get("parent"),
        notify=data.get("notify", False),
    )


def _refused(request, form, article, message: str, status: int, refusal: dict) -> HttpResponse:
    """A comment not taken: JSON ``refusal`` (with the message and the CSRF token the
    script sends the next post with) or the form again."""
    if wants_json(request):
        return json_refusal(
            {**refusal, "message": message, "csrfToken": get_token(request)}, status
        )
    return form_page(request, form, article, message, status=status)


def _rejected(request, form, article, rejection: actions.CommentRejected) -> HttpResponse:
    """What the action refused (rate limit, closed thread, missing parent...); a rate
    limit's refusal says when to send it again (``Retry-After``)."""
    if rejection.status == 404:  # the article was deleted while the comment was sent
        article = None
    refusal: dict = {"status": "rejected", **rejection.details}
    if rejection.field:
        refusal["errors"] = {rejection.field: [rejection.message]}
    if rejection.field == "parent" and not wants_json(request):
        # The page without a script, as the script's page does (discussion.js takeBack):
        # the form starts a new thread, and a comment a moderator removed since is
        # "This comment was removed." where it was quoted; a held one is not shown.
        form.data = form.data.copy()
        form.data["parent"] = ""
        removed = rejection.details.get("placeholder", "")
        return form_page(
            request, form, article, rejection.message, rejection.status, removed=removed
        )
    response = _refused(request, form, article, rejection.message, rejection.status, refusal)
    return with_retry_after(response, rejection)


def with_retry_after(response: HttpResponse, rejection: actions.CommentRejected) -> HttpResponse:
    """A refusal's answer with the seconds to wait (``Retry-After``) when a rate limit
    refused it: a script (or the page's) knows when to send it again."""
    if rejection.retry_after is not None:
        response["Retry-After"] = str(rejection.retry_after)
    return response


def request_context(request: HttpRequest, token: str, **form) -> actions.Context:
    """Where a comment or an edit comes from, as the action and the spam check see it
    (``form``: what the comment form adds, its token and honeypot)."""
    ip = client_ip(request)
    return actions.Context(
        ip_hash=hash_ip(ip),
        ip_address=ip,
        user_agent=request.headers.get("User-Agent", "")[:300],
        referrer=request.headers.get("Referer", "")[:500],
        owner_token=token,
        site_url=site_url(request),
        **form,
    )


def _comment_context(request: HttpRequest, data: dict, token: str) -> actions.Context:
    form_token = data.get("ts")  # CommentForm.clean_ts: a FormToken or None
    return request_context(
        request,
        token,
        seconds_to_submit=form_token.seconds if form_token else None,
        form_token=form_token.key if form_token else "",
        honeypot_filled=bool(data.get(HONEYPOT)),
    )


def _needs_confirmation(request: HttpRequest, context: actions.Context) -> bool:
    """A browser form without a timestamp (posted from a cached page) confirms once."""
    return (
        context.seconds_to_submit is None
        and settings.BYLINE_COMMENT_MIN_SECONDS > 0
        and not context.honeypot_filled
        and not wants_json(request)
    )


def _remember_details(request: HttpRequest, response: HttpResponse, new) -> None:
    """Keep the commenter's name, e-mail and website for next time, or forget them."""
    if new is None:
        response.delete_cookie(REMEMBER_COOKIE, samesite="Lax")
        return
    details = {"name": new.name, "email": new.email, "website": new.website}
    response.set_cookie(
        REMEMBER_COOKIE,
        quote(json.dumps(details)),
        max_age=REMEMBER_MAX_AGE,
        httponly=True,  # the page's script gets the details from /comments/session/
        samesite="Lax",
        secure=request.is_secure(),
    )


def _set_marker(response: HttpResponse, remembered: bool, secure: bool) -> None:
    """The marker beside the cookies a comment sets: for as long as the commenter cookie,
    or the remembered details' when kept (unticking the box brings it back to the
    commenter cookie's 30 days, which still carry the reader's own comments)."""
    max_age = max(COMMENTER_MAX_AGE, REMEMBER_MAX_AGE if remembered else 0)
    set_session_marker(response, max_age, secure)


def _posted_response(request: HttpRequest, article: Article, outcome, token: str) -> HttpResponse:
    comment = outcome.comment
    if comment is None:  # discarded silently (honeypot, or the filter said so)
        if wants_json(request):
            payload = {"status": "pending", "message": AWAITING, "csrfToken": get_token(request)}
            return private(JsonResponse(payload))
        return HttpResponseRedirect(article.get_absolute_url() + "#respond")
    approved = comment.status == Comment.Status.APPROVED
    if wants_json(request):
        html = _after_commit(
            lambda: single_comment(comment, pending=not approved, on_its_page=True), ""
        )
        payload = {
            "status": "approved" if approved else "pending",
            "id": comment.pk,
            "parent": comment.parent_id,
            "html": html,
            "message": "Your comment is published." if approved else AWAITING,
            "ts": next_form_token(),
            # What the session asked again after posting gave: the Edit link on the
            # new comment (the edit window is for the typo seen right after posting),
            # and the CSRF token of the reader's next post (``byline.csrf``).
            "editable": [editable_item(comment)] if comment.editable_by(token) else [],
            "csrfToken": get_token(request),
        }
        if approved and comment.parent_id:
            payload.update(_after_commit(lambda: _waits_above(comment), {}))
        return private(JsonResponse(payload, status=201))
    # A browser lands on the comment's own uncached page: "awaiting moderation", or
    # published with its Edit link while the reader may edit it (``comment_detail``; a
    # cached page never carries one). Without edits, straight to its place in the thread.
    permalink = comment.get_absolute_url()
    if approved and settings.BYLINE_COMMENT_EDIT_MINUTES <= 0:
        return HttpResponseRedirect(_after_commit(lambda: comment_url(comment), permalink))
    return HttpResponseRedirect(permalink)


def _waits_above(reply: Comment) -> dict:
    """For the page's script: a published reply that no page shows, because a comment
    above it was taken back into the queue after the reader's page was loaded, is
    answered as "held", with the comment the page must take off (``held``: the highest
    one held above it, gone from every page but the reader's stale one with everything
    under it; its parent itself when that is the one) and where its author sees it
    (``url``). {} otherwise, and when no comment above it is held (a reply no page
    shows for another reason: its thread deleted since)."""
    if is_shown(reply):  # its thread's shape alone: not where its page is
        return {}
    held = list(_held_comments_above(reply, fresh=True))
    if not held:
        return {}
    return {
        "status": "held",
        "held": held[-1].pk,
        "under": _replies_under(held[-1].pk, reply),
        "url": reply.get_absolute_url(),
        "message": HELD_ABOVE,
    }


def _replies_under(comment_id: int, reply: Comment) -> list[int]:
    """The ids of the comments under ``comment_id`` in ``reply``'s thread that a page
    could show, for the page's script to take off with it: on a thread's later page the
    held comment is not there, its replies are (at the top of the page). One statement,
    the thread's ids, parents, statuses and owners; on this rare answer only.

    Only what a page may have shown is named: a published comment, a removed one with a
    published reply below it (its placeholder), and the replying reader's own comments
    (their page shows those waiting: ``session``). Never another reader's comment held
    for moderation, nor one removed with nothing shown below it: not even their ids."""
    children: dict[int | None, list[int]] = defaultdict(list)
    published, removed, own = set(), set(), set()
    thread = Comment.objects.filter(article_id=reply.article_id, thread_id=reply.thread_id)
    fields = ("pk", "parent_id", "status", "owner_key")
    for pk, parent_id, status, owner_key in thread.values_list(*fields):
        children[parent_id].append(pk)
        if status == Comment.Status.APPROVED:
            published.add(pk)
        elif status in REMOVED:
            removed.add(pk)
        if reply.owner_key and owner_key == reply.owner_key:
            own.add(pk)
    under, level = [], children.get(comment_id, [])
    while level:
        under.extend(level)
        level = [kid for pk in level for kid in children.get(pk, [])]
    for pk in reversed(under):  # deepest first: a placeholder's replies come before it
        if pk in removed and any(kid in published for kid in children.get(pk, [])):
            published.add(pk)  # drawn as a placeholder (``threads``): its id is on the page
    return [pk for pk in under if pk in published or pk in own]


HELD_ABOVE = (
    "Your reply is published, but a comment above it has just been taken back for "
    "moderation: your reply will appear in the discussion once a moderator approves it."
)


def next_form_token() -> str:
    """The token for the reader's next comment on this page, answered with the one just
    posted, with the minimum time to submit already served.

    The minimum stops a bot that posts the instant it has a form; this reader has just
    waited it out, and a comment they send right after ("Sorry, typo: I meant...") is
    not that bot. A bot that waited once gains nothing it did not have: it could hold
    any number of tokens asked for at once and send them all 3 s later. What bounds a
    flood is the rest, which still applies: the rate limits (per reader, e-mail and
    address), the single-use token, the duplicate check, the honeypot and the filter.
    """
    return form_timestamp(issued=time.time() - settings.BYLINE_COMMENT_MIN_SECONDS)


def _after_commit(build, fallback):
    """Part of the answer to a stored comment that needs another query: if that fails,
    the comment is still stored, so the answer is still a success, a plainer one."""
    try:
        return build()
    except Exception:
        logger.exception("Answering a stored comment: falling back to a plainer answer.")
        return fallback


AWAITING = "Your comment is awaiting moderation."


@never_cache
@require_GET
def comment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A comment's permalink: approved comments redirect to their place on the article
    page; the commenter (by their cookie) sees their own pending comment here, and
    their own published one while they may still edit it (``editing``).

    An approved reply under a comment held for moderation waits with it (no page
    shows it yet): its author sees it here, anyone else a 404 that says it is not
    shown yet and links the article's discussion. Staff who may moderate see any
    comment no page shows (held, spam, in the bin, waiting under a held one), with
    why and a link to moderate it (``_moderator_view``), never a 404.
    """
    comment = get_object_or_404(Comment.objects.select_related("article", "parent"), pk=pk)
    token = commenter_token(request)
    editable = editing.may_edit(comment, token)
    live = comment.article.is_live
    approved = comment.status == Comment.Status.APPROVED
    place = shown_at(comment) if approved and live else None
    if place and not editable:
        return HttpResponseRedirect(place)
    waiting = comment.status in {Comment.Status.PENDING, Comment.Status.SPAM}
    held_above = approved and live and place is None
    if may_moderate(request.user) and not place:
        return _moderator_view(request, comment, held_above)
    owner = editing.owns(comment, token)
    if held_above and not owner:
        context = {"article": comment.article}
        return private(render(request, "discussion/comment_not_shown.html", context, status=404))
    if not ((waiting or editable or held_above) and owner and live):
        raise Http404("No such comment")
    context = {
        "comment": comment,
        "article": comment.article,
        "editable": editable,
        "place": place or "",
        "held_above": held_above,
    }
    if editable:
        context["until"] = editing.editable_until(comment)
    return private(render(request, "discussion/comment_page.html", context))


def _moderator_view(request: HttpRequest, comment: Comment, held_above: bool) -> HttpResponse:
    """A comment no page shows, as a moderator who followed its link sees it ("View on
    site" in the admin, a notification e-mail): the comment, why readers do not see it,
    and where to moderate it. Private, never stored: it is for staff only."""
    held = next(_held_comments_above(comment), None) if held_above else None
    context = {
        "comment": comment,
        "article": comment.article,
        "held": held,
        "held_above": held_above,
        "change_url": reverse("admin:discussion_comment_change", args=[comment.pk]),
        "held_change_url": held and reverse("admin:discussion_comment_change", args=[held.pk]),
    }
    return private(render(request, "discussion/comment_moderator.html", context))


def _held_comments_above(comment: Comment, fresh: bool = False) -> Iterator[Comment]:
    """The comments above ``comment`` that are held for moderation, nearest first, each
    level read as the walk reaches it (one statement a level): a caller that wants the
    nearest stops there. ``fresh``: its parent read again (a reply just posted holds the
    parent the POST read, as it was then: it may have been taken back since). Up to the
    top of the thread, however deep (an imported thread may be deeper than the site's
    levels)."""
    above = comment.parent
    if fresh and above is not None:
        above = Comment.objects.filter(pk=above.pk).first()
    seen: set[int] = set()
    while above is not None and above.pk not in seen:
        seen.add(above.pk)
        if above.status == Comment.Status.PENDING:
            yield above
        above = above.parent


@never_cache
@require_GET
def session(request: HttpRequest) -> JsonResponse:
    """What the page's script needs for this reader: a fresh form timestamp, their
    remembered details, their own comments still waiting for moderation, and their
    own comments they may still edit (with their words, for the inline edit form).
    (``session_layer`` answers the same before Django's request cycle when it can.)"""
    response = JsonResponse(session_data(request))
    mark_session(response, request.COOKIES, request.is_secure())
    return response


def session_data(request: HttpRequest) -> dict:
    """The body of ``session``'s answer (read from the request's query and cookies only)."""
    article_id = parse_id(request.GET.get("article"))
    article = _article_from(article_id, request, request.GET.get("unlock", ""))
    pending = []
    token = commenter_token(request)
    editable = [] if article is None else editing.editable_comments(article.pk, token)
    if article is not None and token:
        for comment in WAITING_OF_READER.rows(article.pk, hash_key(token)):
            html = single_comment(comment, pending=True)
            pending.append({"id": comment.pk, "parent": comment.parent_id, "html": html})
    remembered = remembered_details(request)
    data = {
        "ts": form_timestamp(),
        "remembered": remembered,
        "pending": pending,
        "editable": [editable_item(c) for c in editable],
    }
    # The CSRF token the form's post sends (``byline.csrf``), so the script needs no
    # ``/api/csrf/``: in the session asked for the form (setting the cookie it belongs
    # to, as ``/api/csrf/`` does), and in any other for the cookie the reader already
    # holds (a commenter's, whose session hands the form its token), setting nothing:
    # no cookie on plain reads.
    csrf = token_of(request, may_set_cookie="form" in request.GET)
    if csrf:
        data["csrfToken"] = csrf
    return data


def editable_item(comment: Comment) -> dict:
    """A comment its author may still edit, as the page's script offers it (the Edit
    link and the inline form with their words): the session's ``editable`` list, and a
    new comment's answer."""
    return {
        "id": comment.pk,
        "url": reverse("discussion:edit", args=[comment.pk]),
        "body": comment.body,
    }


# A reader's comments on an article still waiting for moderation (held or marked spam):
# their SQL written once (``db.Statement``), at every comment session.
WAITING_OF_READER = Statement(
    lambda article_id, owner_key: (
        Comment.objects.on_article(article_id)
        .filter(owner_key=owner_key)
        .filter(status__in=[Comment.Status.PENDING, Comment.Status.SPAM])
        .order_by("submitted_at")[:20]
    ),
    int,
    str,
)


@csrf_exempt  # the signed token in the URL is the credential (RFC 8058 one-click)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click from a notification e-mail stops reply notifications; no login."""
    email = notifications.email_from_unsubscribe_token(token)
    if email is None:
        return private(
            render(request, "discussion/unsubscribed.html", {"valid": False}, status=400)
        )
    commenterdata.unsubscribe(email)
    return private(render(request, "discussion/unsubscribed.html", {"valid": True}))


@require_GET
def data_page(request: HttpRequest) -> HttpResponse:
    """How commenters' data is processed, generated from the settings in force."""
    context = {"policy": data_policy(), "form": DataRequestForm()}
    return render(request, "discussion/data_policy.html", context)


def _data_request_rejected(request: HttpRequest) -> HttpResponse:
    form = DataRequestForm(request.POST)
    message = "We could not confirm this form was sent from this site. Please send it again."
    context = {"policy": data_policy(), "form": form, "message": message, "with_token": True}
    return private(render(request, "discussion/data_policy.html", context, status=403))


@require_POST
@cached_page_form(on_rejected=_data_request_rejected)
def data_request(request: HttpRequest) -> HttpResponse:
    """E-mail a link to export or erase the comments under an address.

    The answer is the same whether or not the address has comments, so the form
    cannot be used to find out who commented.
    """
    form = DataRequestForm(request.POST)
    context = {"policy": data_policy(), "form": form, "with_token": True}
    if not form.is_valid():
        context["message"] = "Please correct what is marked below."
        return private(render(request, "discussion/data_policy.html", context, status=400))
    email = form.cleaned_data["email"]
    window = 3600
    wait = hits(
        [
            ("data-request-ip", hash_ip(client_ip(request)), 5),
            ("data-request-email", hash_key(email.lower()), 3),
        ],
        window,
    )
    if wait:
        context["message"] = (
            f"Too many requests: please wait {wait // 60 + 1} minutes and try again."
        )
        return private(render(request, "discussion/data_policy.html", context, status=429))
    if Comment.objects.by_email(email).exists():
        notifications.send_data_link(email, form.cleaned_data["action"], site_url(request))
    context = {"email": email, "hours": settings.BYLINE_COMMENT_DATA_LINK_HOURS}
    return private(render(request, "discussion/data_request_sent.html", context))


@never_cache
@require_http_methods(["GET", "POST"])
def data_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: download the comments (JSON), or confirm their erasure."""
    parsed = notifications.read_data_link_token(token)
    invalid = {"invalid": True, "hours": settings.BYLINE_COMMENT_DATA_LINK_HOURS}
    if parsed is None:
        return private(render(request, "discussion/data_link.html", invalid, status=400))
    email, action = parsed
    downloading = action == "export" and request.GET.get("download")
    erasing = action == "erase" and request.method == "POST"
    if downloading or erasing:
        # The link works once: using it spends it (a second use gets the page above).
        if notifications.spend_data_link(token) is None:
            return private(render(request, "discussion/data_link.html", invalid, status=400))
    if downloading:
        # Streamed: what one commenter wrote may be megabytes (never cached: private).
        body = (piece.encode() for piece in commenterdata.export_json(email))
        response = StreamingHttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="my-comments.json"'
        return private(response)
    if erasing:
        erased = commenterdata.erase_comments(email)
        context = {"action": action, "erased": erased, "done": True}
        return private(render(request, "discussion/data_link.html", context))
    count = Comment.objects.by_email(email).count()
    context = {"action": action, "email": email, "count": count, "token": token}
    return private(render(request, "discussion/data_link.html", context))
