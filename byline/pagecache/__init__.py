"""The page cache: anonymous pages served whole, before Django runs.

An anonymous GET of an article, the front page or a section, tag or author
listing returns the same bytes for every reader (PRODUCT.md, rule 1), so the
finished response is stored and replayed by a few lines of WSGI in front of
Django (``byline.pagecache.page_layer.PageCacheApp``). Django's middleware, URL
resolver, template engine and database are skipped on a hit; the stored
response already carries the security headers Django's middleware added.

- ``decorators.cached_page`` marks a view's anonymous responses as storable.
- ``store`` holds the pages: process memory in every worker, shared through
  Redis when ``REDIS_URL`` is set, and a site-wide *generation* that names
  which pages are current.
- ``invalidation`` moves the generation on ``byline.signals.article_changed``.
"""
