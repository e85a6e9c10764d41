"""Revisions: a snapshot of an article at each save, and diffs between two.

A snapshot holds what an editor may want back or compare: headline, slug, dek,
body, the lead image's file and words, filing, and the publishing metadata.
Restoring brings back the content (``RESTORED_FIELDS``), never the status:
restoring cannot publish.
"""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta

from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from byline.articles.models import Article
from byline.newsroom.models import Revision

RESTORED_FIELDS = Article.CONTENT_FIELDS  # the content, never the status
LABELS = {
    "headline": "Headline",
    "slug": "Slug",
    "standfirst": "Dek",
    "body": "Body",
    "lead_image": "Lead image",
    "lead_image_alt": "Lead image alt text",
    "lead_image_caption": "Lead image caption",
    "lead_media": "Lead image (library)",
    "status": "Status",
    "published_at": "Publication time",
    "section": "Section",
    "tags": "Tags",
    "authors": "Authors",
    "featured": "Featured",
    "protected": "Password protected",
    "comment_state": "Comments",
    "comments_close_days": "Close comments after (days)",
}
# How revisions show a time: as the revisions page dates them, in the site's time zone.
TIME_FORMAT = "j F Y, H:i:s"
# An autosave replaces the author's previous autosave made within this time.
AUTOSAVE_COALESCE = timedelta(minutes=10)


def snapshot(article: Article, *, with_relations: bool = True) -> dict:
    data = {
        "headline": article.headline,
        "slug": article.slug,
        "standfirst": article.standfirst,
        "body": article.body,
        "lead_image": article.lead_image.name if article.lead_image else "",
        "lead_image_alt": article.lead_image_alt,
        "lead_image_caption": article.lead_image_caption,
        "status": article.status,
        "published_at": _stored_time(article.published_at),
        "featured": article.featured,
        "protected": bool(article.password),
        "comment_state": article.comment_state,
        "comments_close_days": article.comments_close_days,
        "section": article.section.name if article.section_id else "",
        # What restoring needs beside the names shown in diffs: the ids.
        "lead_media": article.lead_media_id,
        "section_id": article.section_id,
    }
    if with_relations and article.pk:
        data["tags"] = sorted(article.tags.values_list("name", flat=True))
        data["authors"] = sorted(article.authors.values_list("name", flat=True))
        data["tag_ids"] = sorted(article.tags.values_list("pk", flat=True))
        data["author_ids"] = sorted(article.authors.values_list("pk", flat=True))
    return data


def record(article: Article, user, kind: str = Revision.Kind.SAVED) -> Revision:
    """Keep the article's current state as a revision (an autosave replaces the same
    person's previous autosave if it is the latest revision and recent)."""
    data = snapshot(article)
    if kind == Revision.Kind.AUTOSAVED:
        latest = article.revisions.order_by("-created_at", "-pk").first()
        if (
            latest is not None
            and latest.kind == Revision.Kind.AUTOSAVED
            and latest.user_id == getattr(user, "pk", None)
            and timezone.now() - latest.created_at < AUTOSAVE_COALESCE
        ):
            latest.data, latest.version, latest.created_at = data, article.version, timezone.now()
            latest.save(update_fields=["data", "version", "created_at"])
            return latest
    return Revision.objects.create(
        article=article, version=article.version, kind=kind, user=user, data=data
    )


def at_version(article: Article, version: int) -> Revision | None:
    return article.revisions.filter(version=version).order_by("-created_at", "-pk").first()


def _stored_time(value: datetime | None) -> str:
    """A time as a snapshot keeps it: ISO 8601, to the second (the admin's date/time
    widget has no finer step, so a fraction is never a change an editor made)."""
    return value.replace(microsecond=0).isoformat() if value else ""


def _shown_time(value: str) -> str:
    """A snapshot's time as editors read it: the site's format and time zone. Snapshots
    kept before times were stored to the second lose their fraction here too."""
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    return dateformat.format(timezone.localtime(when.replace(microsecond=0)), TIME_FORMAT)


def _text(value, field: str = "") -> str:
    if field == "published_at":
        return _shown_time(value or "")
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


def diff_text(old: str, new: str) -> SafeString:
    """Line by line: removed lines in <del>, added in <ins>, all text escaped."""
    rows = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "- ":
            rows.append(format_html("<del>{}</del>", text or " "))
        elif tag == "+ ":
            rows.append(format_html("<ins>{}</ins>", text or " "))
        elif tag == "  ":
            rows.append(format_html("<span>{}</span>", text or " "))
    return mark_safe("\n".join(rows))  # noqa: S308 - every piece escaped by format_html


def diff(old: dict, new: dict) -> SafeString:
    """An HTML table of the fields that differ between two snapshots (empty if none)."""
    rows = []
    for field, label in LABELS.items():
        before, after = _text(old.get(field), field), _text(new.get(field), field)
        if before == after:
            continue
        rows.append(
            format_html(
                '<tr><th scope="row">{}</th><td><pre class="revision-diff">{}</pre></td></tr>',
                label,
                diff_text(before, after),
            )
        )
    if not rows:
        return mark_safe("")
    return format_html(
        '<table class="revision-diffs"><tbody>{}</tbody></table>',
        mark_safe("".join(rows)),  # noqa: S308 - rows built by format_html
    )


def restore_into(article: Article, revision: Revision) -> None:
    """Put the revision's content back into the article (not saved, status untouched):
    the text, the lead images and the section. A library image or section deleted
    since is left out (the article keeps none, or its current section)."""
    data = revision.data
    for field in RESTORED_FIELDS:
        if field in data:
            setattr(article, field, data[field] or "")
    if "lead_media" in data:
        image_model = Article._meta.get_field("lead_media").related_model
        wanted = data["lead_media"]
        exists = wanted is not None and image_model._default_manager.filter(pk=wanted).exists()
        article.lead_media_id = wanted if exists else None
    if data.get("section_id") is not None:
        section_model = Article._meta.get_field("section").related_model
        if section_model._default_manager.filter(pk=data["section_id"]).exists():
            article.section_id = data["section_id"]


def restore_relations(article: Article, revision: Revision) -> None:
    """Once the restored article is saved: its tags and authors as the revision had
    them (those that still exist). Revisions kept before ids were recorded leave
    them as they are."""
    data = revision.data
    if "tag_ids" in data:
        article.tags.set(article.tags.model._default_manager.filter(pk__in=data["tag_ids"]))
    if "author_ids" in data:
        authors = article.authors.model._default_manager.filter(pk__in=data["author_ids"])
        article.authors.set(authors)
