"""An article page's short lists (its tags, authors, notes), their SQL built once.

Django builds and compiles a query's SQL again on every call: for these lists that
was most of their cost (about 0.4 ms of CPU each, the statement itself 0.1), paid by
every render, so again after every comment. Here the ORM builds each list's query
once per process and kind of database, for a marker id in place of the article's;
each page puts its article's id in and reads the rows through ``raw()`` (Django's
own converters, the same model instances). Only the SQL text is kept between
renders, never a row: the lists are read fresh for every page.

A query with any other parameter, a join loaded with it (``select_related``) or
rows prefetched after it is not one this can fill in: it runs through the ORM at
each call (logged once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import connections, models, router
from django.db.models.query import ModelIterable

logger = logging.getLogger("byline.articles")

MARKER = -7_340_032_915  # the article id while a list's query is built: never a real id

Build = Callable[[Any], models.QuerySet]
# (list name, database kind) -> (model, SQL, parameters) or None (the ORM at each call)
_compiled: dict[tuple[str, str], tuple[type[models.Model], str, tuple[Any, ...]] | None] = {}


def article_list(name: str, build: Build, article: models.Model) -> list:
    """``build(article)`` as a list: a queryset of the article's rows whose one parameter
    is its id (``lambda article: article.tags.all()``), read with the SQL built for
    ``name`` the first time."""
    db = router.db_for_read(type(article))
    key = (name, connections[db].vendor)
    if key not in _compiled:
        _compiled[key] = _compile(name, build, type(article), db)
    compiled = _compiled[key]
    if compiled is None:
        return list(build(article))
    model, sql, params = compiled
    return list(model._default_manager.raw(sql, [article.pk] * len(params)).using(db))


def _compile(
    name: str, build: Build, article_model: type[models.Model], db: str
) -> tuple[type[models.Model], str, tuple[Any, ...]] | None:
    queryset = build(article_model(pk=MARKER))
    query = queryset.query
    sql, params = query.get_compiler(using=db).as_sql()
    plain = (
        queryset._iterable_class is ModelIterable
        and not queryset._prefetch_related_lookups
        and not query.select_related
        and not query.deferred_loading[0]
        and not query.annotation_select
    )
    if not plain or not params or any(value != MARKER for value in params):
        logger.warning(
            "The article page's %s list is not a plain query of the article's id (%r): "
            "the ORM builds it on every page.",
            name,
            params,
        )
        return None
    return queryset.model, sql, tuple(params)
