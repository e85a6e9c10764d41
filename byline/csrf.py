"""Forms on cached pages.

An anonymous article page is the same bytes for every reader, so it cannot
carry a per-reader CSRF token or set a cookie. Byline's forms on such pages
post without a token and are protected this way instead:

1. A POST whose browser says it came from this very site is accepted: the
   ``Sec-Fetch-Site: same-origin`` header, or, from browsers that do not send
   it, an ``Origin`` header equal to this site's origin (or one of
   ``CSRF_TRUSTED_ORIGINS``). Browsers set both headers themselves; a page on
   another site cannot forge them. Cookies are ``SameSite=Lax`` as well.
2. Otherwise Django's own CSRF check runs: a script may fetch a token from an
   uncached endpoint (``csrf_token_json``) and send it, and an uncached
   confirmation page may carry one in its form.
3. Otherwise the request is refused with 403 (or the view's own fallback, for
   example a confirmation page that keeps what the reader typed).

The check runs before the view, in ``CsrfMiddleware`` (Django's ``CsrfViewMiddleware``
in ``MIDDLEWARE``, extended): a view only says, with ``cached_page_form``, that its
form is on a cached page, as ``csrf_exempt`` says a view takes no check at all.

A cross-site form post therefore always fails: its ``Sec-Fetch-Site`` is
``cross-site`` and its ``Origin`` is foreign, and it has no token.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.views.decorators.cache import never_cache

from byline.errors import error_response

View = Callable[..., HttpResponse]


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def came_from_this_site(request: HttpRequest) -> bool:
    """True when the browser's own headers say the request came from this site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    if origin == _own_origin(request):
        return True
    trusted = {urlsplit(o)._replace(path="").geturl() for o in settings.CSRF_TRUSTED_ORIGINS}
    return origin in trusted


def cached_page_form(
    on_rejected: Callable[[HttpRequest], HttpResponse] | None = None,
) -> Callable[[View], View]:
    """Mark a POST view whose form lives on a cached page (see the module docstring).

    The check itself runs before the view, in ``CsrfMiddleware``, where Django runs
    its own; as with ``csrf_exempt``, the decorator only marks the view.
    ``on_rejected(request)`` answers a request that passed neither check; by default
    a plain 403.
    """

    def decorator(view: View) -> View:
        view.cached_page_form = on_rejected or _refused  # type: ignore[attr-defined]
        return view

    return decorator


def _refused(request: HttpRequest) -> HttpResponse:
    message = "This form was not sent from this site. Reload the page and try again."
    return error_response(request, 403, message)


class CsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF middleware, which also lets a form on a cached page prove its origin.

    A view marked ``cached_page_form`` accepts a POST the browser says came from this
    site; otherwise Django's own token check runs, and a request that fails it gets
    the view's own answer (``on_rejected``). Every other view is checked exactly as
    Django checks it.
    """

    def process_view(
        self, request: HttpRequest, callback: Callable, callback_args: tuple, callback_kwargs: dict
    ) -> HttpResponse | None:
        on_rejected = getattr(callback, "cached_page_form", None)
        if on_rejected is None or request.method in {"GET", "HEAD", "OPTIONS", "TRACE"}:
            return super().process_view(request, callback, callback_args, callback_kwargs)
        if came_from_this_site(request):
            return self._accept(request)
        if super().process_view(request, callback, callback_args, callback_kwargs) is None:
            return None
        return on_rejected(request)


@never_cache
def csrf_token_json(request: HttpRequest) -> JsonResponse:
    """An uncached endpoint a script can ask for a CSRF token before posting."""
    return JsonResponse({"csrfToken": get_token(request)})


# A post refused by the CSRF check says so to a script (``"reason": "csrf"`` beside the
# error), telling it apart from the other 403s (comments closed, not one's own comment):
# the script asks for a token (``csrf_token_json``) and sends the same post again, once.
CSRF_REFUSED = "csrf"


def token_cookie_headers(request: HttpRequest) -> list[tuple[str, str]]:
    """The ``Set-Cookie`` that ``get_token(request)`` owes the answer of a layer that
    answers outside Django's middleware (``discussion.session_layer``): what
    ``CsrfMiddleware.process_response`` sets, only when the reader's cookie does not
    already hold the secret (a new one, or a malformed one replaced). The request went
    through ``CsrfMiddleware.process_request`` first (``token_of``)."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret or request.COOKIES.get(settings.CSRF_COOKIE_NAME) == secret:
        return []
    response = HttpResponse()
    CsrfMiddleware(lambda r: response).process_response(request, response)
    return [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]


def token_of(request: HttpRequest, may_set_cookie: bool = True) -> str | None:
    """``get_token(request)``, also for a request Django's middleware never saw (a
    layer's: the reader's cookie read as ``CsrfMiddleware`` reads it first; the cookie
    to set, if any, is ``token_cookie_headers(request)``). ``may_set_cookie=False``:
    only for the cookie the reader already holds, setting nothing (not even its
    renewal); None when they hold none."""
    if "CSRF_COOKIE" not in request.META:
        CsrfMiddleware(lambda r: HttpResponse()).process_request(request)
    if may_set_cookie:
        return get_token(request)
    secret = request.META.get("CSRF_COOKIE")
    if not secret or request.COOKIES.get(settings.CSRF_COOKIE_NAME) != secret:
        return None
    owed = request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False)
    token = get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = owed  # the cookie as it is: nothing to set
    return token
