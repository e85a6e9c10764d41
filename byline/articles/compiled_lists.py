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
each call (logged once). So is one that reads anything of the article but its id (its
section, a count for a LIMIT: the marker article has only its id, any other field
read is looked up, not found, and the list left to the ORM), and one the ORM cannot
write as SQL. Rows that point back at the article (its notes) get the page's article,
as the ORM's do (``note.article`` is no query).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router
from django.db.models.query import ModelIterable

logger = logging.getLogger("byline.articles")

MARKER = -7_340_032_915  # the article id while a list's query is built: never a real id

Build = Callable[[Any], models.QuerySet]


@dataclass(frozen=True)
class Compiled:
    model: type[models.Model]
    sql: str
    parameters: int  # how many: each is the article's id
    back_to_article: tuple[str, ...]  # the rows' fields that point at the article


# (list name, database kind) -> its SQL, or None (the ORM at each call)
_compiled: dict[tuple[str, str], Compiled | None] = {}


def article_list(name: str, build: Build, article: models.Model) -> list:
    """``build(article)`` as a list: a queryset of the article's rows whose one parameter
    is its id (``lambda article: article.tags.all()``), read with the SQL built for
    ``name`` the first time."""
    db = router.db_for_read(type(article), instance=article)  # the ORM's: the article's
    key = (name, connections[db].vendor)
    if key not in _compiled:
        _compiled[key] = _compile(name, build, type(article), db)
    compiled = _compiled[key]
    if compiled is None:
        return list(build(article))
    rows = list(
        compiled.model._default_manager.raw(compiled.sql, [article.pk] * compiled.parameters).using(
            db
        )
    )
    for row in rows:
        for field in compiled.back_to_article:
            setattr(row, field, article)
    return rows


def _compile(
    name: str, build: Build, article_model: type[models.Model], db: str
) -> Compiled | None:
    # The marker article has only its id: any other field the build reads is looked up
    # in the database, where no article has this id (DoesNotExist), so it is never
    # frozen into the SQL as the marker had it (a section of None: "IS NULL").
    marker = article_model.from_db(db, [article_model._meta.pk.attname], [MARKER])
    try:
        queryset = build(marker)
        sql, params = queryset.query.get_compiler(using=db).as_sql()
    except Exception as error:  # noqa: BLE001 (whatever it is, the ORM's own path runs)
        return _left_to_the_orm(name, f"{type(error).__name__}: {error}")
    if not _plain(queryset) or not params or any(value != MARKER for value in params):
        return _left_to_the_orm(name, f"parameters {params!r}")
    back = tuple(
        field.name
        for field, objects in queryset._known_related_objects.items()
        if set(objects) == {MARKER}
    )
    return Compiled(queryset.model, sql, len(params), back)


def _plain(queryset: models.QuerySet) -> bool:
    """Rows of its model, each made from its own columns alone (what ``raw()`` makes)."""
    query = queryset.query
    return (
        queryset._iterable_class is ModelIterable
        and not queryset._prefetch_related_lookups
        and not query.select_related
        and not query.deferred_loading[0]
        and not query.annotation_select
    )


def _left_to_the_orm(name: str, why: str) -> None:
    logger.warning(
        "The article page's %s list is not a plain query of the article's id (%s): "
        "the ORM builds it on every page.",
        name,
        why,
    )
