"""Where the apps built on articles plug in, so articles imports none of them.

``articles`` is the core: engagement, discussion and the page cache build on it
and register here in their ``AppConfig.ready()``; nothing here names them.
With none registered, articles works alone: no extra context, no comments in
the comment feeds, pages not marked for a cache, navigation keyed on "0".

- ``register_article_context(provider)``: ``provider(article) -> dict`` adds to
  the context of the article page and its preview (engagement: the figures).
- ``register_comment_source(source)``: ``source(article, limit)`` returns the
  latest approved comments as ``FeedComment``-shaped objects (discussion).
- ``register_page_cache(decorator, generation, ...)``: the decorator that
  marks a view's pages as cacheable, and the site generation that cached
  lists are keyed under (the page cache).
- ``register_canonical_address(answer)``: ``answer(request) -> str | None``, the
  one address of an article page asked for by another (the discussion: ``?cpage=1``
  is the page without it); the article page redirects there (301).
- ``register_share_image(source)``: ``source(article) -> (url, alt)``, the image
  link previews and JSON-LD show (the media library: the lead image, else the
  site's default image).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]
ContextProvider = Callable[[Any], dict]
CommentSource = Callable[[Any, int], list]

_context_providers: list[ContextProvider] = []
_comment_source: list[CommentSource] = []
_page_cache: dict[str, Callable] = {}
ShareImage = Callable[[Any], tuple[str, str]]
_share_image: list[ShareImage] = []
_canonical_address: list[Callable[[HttpRequest], str | None]] = []


def register_article_context(provider: ContextProvider) -> None:
    """Add ``provider(article) -> dict`` to every article page's context (once)."""
    if provider not in _context_providers:
        _context_providers.append(provider)


def extra_article_context(article) -> dict:
    """What the registered providers add to ``article``'s page."""
    context: dict = {}
    for provider in _context_providers:
        context.update(provider(article))
    return context


def register_comment_source(source: CommentSource) -> None:
    """The one function the comment feeds read approved comments from."""
    _comment_source[:] = [source]


def latest_comments(article, limit: int) -> list:
    """The latest approved comments on ``article`` (none without a comment source)."""
    return _comment_source[0](article, limit) if _comment_source else []


def register_page_cache(decorator: Callable[[View], View], generation: Callable[[], str]) -> None:
    """The page cache's view decorator and its current site generation."""
    _page_cache["decorator"] = decorator
    _page_cache["generation"] = generation


def cacheable(view: View) -> View:
    """Mark ``view``'s anonymous pages as cacheable by whichever page cache is registered.

    Looked up on each request, so the order in which URLconfs and apps load
    does not matter; without a page cache the view is called as it is.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        decorator = _page_cache.get("decorator")
        if decorator is None:
            return view(request, *args, **kwargs)
        return decorator(view)(request, *args, **kwargs)

    return wrapped


def site_generation() -> str:
    """The page cache's current generation, which moves on whenever an article changes."""
    generation = _page_cache.get("generation")
    return generation() if generation is not None else "0"


def register_share_image(source: ShareImage) -> None:
    """The one function that picks the image link previews and JSON-LD show."""
    _share_image[:] = [source]


def share_image(article) -> tuple[str, str]:
    """(URL, alt text) of ``article``'s image for link previews and JSON-LD.

    Without a registered source: the uploaded lead image, else ("", "").
    """
    if _share_image:
        return _share_image[0](article)
    if article.lead_image:
        return article.lead_image.url, article.lead_image_alt
    return "", ""


def register_canonical_address(answer: Callable[[HttpRequest], str | None]) -> None:
    """The function that says an article page was asked for by a second address."""
    _canonical_address[:] = [answer]


def canonical_address(request: HttpRequest) -> str | None:
    """Where an article page asked for by a second address lives (None: right here)."""
    return _canonical_address[0](request) if _canonical_address else None
