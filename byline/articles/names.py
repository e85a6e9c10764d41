"""Names pages show: when an author's, a section's or a tag's change, or an article's
tags and authors do, every page showing them is out of date.

One function says so (``names_changed``: ``article_changed`` with ``what=NAMES``), from
each way the change is written:

- a save of one (``Subject.save``: the admin's change form, the shell), when it wrote
  another value of what pages show of it (name, slug, bio, description, photo, place in
  the navigation) than the row held (``saved_shown``: the row is read, locked, in the
  save's transaction, so a value loaded long ago, changed meanwhile by someone else and
  written back is a change, and a field left out of ``update_fields`` is not); an
  author's login alone is not shown, so changing it sends nothing, and a new one is
  shown nowhere (no page lists a tag, section or author without a published article,
  and no page cache keeps a 404) until an article is filed under it, which sends it.
  (Nothing is kept on the loaded objects: authors, tags and sections are read on every
  page drawn, and a copy of what was loaded doubled the CPU of reading them);
- a delete of one (``Subject.delete``), or of many (``SubjectQuerySet.delete``: the
  admin's "delete selected" action), or an ``update()`` of what pages show (a bulk
  update, ``bulk_update``): once a query, and only when a row was touched;
- an article's tags or authors added, removed or cleared, from either end
  (``article.tags.add(tag)``, ``tag.articles.remove(article)``), only when a link was
  actually made or taken away: adding a tag the article has, removing one it has not,
  clearing an empty list send nothing.

The page cache moves its generation on, now and again once the transaction commits, so
every worker and app server redraws its pages (and the navigation, cached under the
generation, lists a renamed section). Receivers that keep something per article (counts
files, reaction files) ignore it: no article's own state changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import models, router, transaction
from django.db.models.signals import m2m_changed

from byline.signals import NAMES, article_changed


def names_changed(sender: type) -> None:
    """Names shown on pages changed (an author, a section, a tag, an article's filing)."""
    article_changed.send(sender=sender, article_id=None, what=NAMES)


def saved_shown(
    instance: models.Model,
    save: Callable[[], None],
    update_fields: Iterable[str] | None = None,
    using: str | None = None,
) -> None:
    """Run ``save`` (``instance``'s own ``Model.save``) and say the names changed if it
    wrote a field pages show (``shown_fields``) with another value than the row held.

    The row's shown fields are read first, ``FOR UPDATE`` (PostgreSQL: no other save
    of it between that read and this write), in one transaction with the write. Only
    the fields the save writes are compared: those in ``update_fields`` when given, and
    never a deferred one (Django writes only the loaded fields then). A row not stored
    yet (a new one) says nothing."""
    model = type(instance)
    deferred = instance.get_deferred_fields()
    chosen = None if update_fields is None else set(update_fields)
    written = [
        field
        for field in map(model._meta.get_field, getattr(model, "shown_fields", ()))
        if field.attname not in deferred
        and (chosen is None or field.name in chosen or field.attname in chosen)
    ]
    if instance.pk is None or not written:
        save()
        return
    using = using or router.db_for_write(model, instance=instance)
    with transaction.atomic(using=using, savepoint=False):
        stored = (
            model._base_manager.using(using)
            .select_for_update()
            .filter(pk=instance.pk)
            .values_list(*(field.attname for field in written))
            .first()
        )
        save()
    if stored is None:
        return  # it was not stored before: new
    shown = [field.get_prep_value(getattr(instance, field.attname)) for field in written]
    if [field.get_prep_value(value) for field, value in zip(written, stored, strict=True)] != shown:
        names_changed(model)


class SubjectQuerySet(models.QuerySet):
    """Authors', sections' and tags' queries: a bulk delete, or an update of what pages
    show, says the names changed (once, when it touched a row)."""

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted, counts = super().delete()
        if deleted:
            names_changed(self.model)
        return deleted, counts

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def update(self, **kwargs) -> int:
        rows = super().update(**kwargs)
        shown = self.model.shown_fields
        if rows and any(self.model._meta.get_field(name).name in shown for name in kwargs):
            names_changed(self.model)
        return rows

    update.alters_data = True  # type: ignore[attr-defined]


# The links' two foreign keys, by through model: (to the article, to the tag or author).
_sides: dict[type[models.Model], tuple[str, str]] = {}


def _filing_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """``m2m_changed`` receiver of an article's tags and authors: a link made (``pk_set``
    holds only the new ones: Django leaves out those already there), or one there taken
    away (asked before the delete: Django names what it was asked to remove)."""
    if action == "post_add":
        if pk_set:
            names_changed(sender)
    elif action == "pre_clear" or action == "pre_remove" and pk_set:
        article_side, other_side = _sides[sender]
        mine, theirs = (other_side, article_side) if reverse else (article_side, other_side)
        linked = sender._default_manager.using(kwargs["using"]).filter(**{mine: instance.pk})
        if pk_set is not None:
            linked = linked.filter(**{f"{theirs}__in": pk_set})
        if linked.exists():
            names_changed(sender)


def connect(*fields: models.ManyToManyField) -> None:
    """Listen to the links of an article's ``fields`` (its tags, its authors)."""
    for field in fields:
        through = field.remote_field.through
        _sides[through] = (field.m2m_field_name(), field.m2m_reverse_field_name())
        m2m_changed.connect(
            _filing_changed, sender=through, dispatch_uid=f"articles.names.{field.name}"
        )
