"""Importing a WordPress export: posts become articles, in one transaction.

``import_export()`` takes the parsed ``WxrExport`` (see ``wxr.py``) and writes
authors, sections (from categories), tags, articles, their old addresses (for
permanent redirects) and the record of which WordPress post each article came
from, so importing the same file again adds nothing twice. Pages, attachments
and other post types are counted and reported, never silently dropped.

Comments are handed, in thread order, to :func:`import_comments`, which has the
discussion app store them (``byline.discussion.imports``) in the same transaction.

With ``copy_media``, the images the posts use are copied first, outside the
transaction (``wxr_media``); bodies then point at the copies and featured
images become lead images. Already imported articles get the same rewrite.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import Truncator, slugify

from byline.articles import wxr_content, wxr_media
from byline.articles.models import Article, Author, ImportedPost, LegacyURL, Section, Tag
from byline.articles.wxr import WxrComment, WxrExport, WxrItem, WxrTerm, in_thread_order
from byline.discussion.imports import ImportResult, store_imported_comments
from byline.signals import article_changed

BATCH = 500
# What changes when copied images are put into an article imported earlier.
RENDERED_FIELDS = [
    "body", "body_html", "body_text", "standfirst_html", "word_count", "reading_seconds",
    "lead_image", "lead_image_alt", "lead_image_caption",
]  # fmt: skip
STATUSES = {
    "publish": Article.Status.PUBLISHED,
    "future": Article.Status.SCHEDULED,
    "draft": Article.Status.DRAFT,
    "pending": Article.Status.DRAFT,
    "private": Article.Status.DRAFT,
}
SKIPPED_STATUSES = {
    "trash": "posts in WordPress's trash",
    "auto-draft": "automatic drafts WordPress saved while editing",
    "inherit": "revisions",
}
OTHER_TYPES = {
    "page": "pages (Byline has articles only)",
    "attachment": "attachments (not articles; with --copy-media the images posts use are copied)",
    "revision": "revisions",
    "nav_menu_item": "menu items",
}


@dataclass
class ImportSummary:
    source: str
    version: str
    articles: int = 0
    already_imported: int = 0
    authors: int = 0
    sections: int = 0
    tags: int = 0
    redirects: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    comments_found: Counter[str] = field(default_factory=Counter)
    comments: ImportResult = field(default_factory=ImportResult)
    media: wxr_media.MediaCopy | None = None
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "Would import" if self.dry_run else "Imported"
        out = [
            f"{verb} from {self.source} (WXR {self.version}):",
            f"  {self.articles} articles, {self.authors} new authors, {self.sections} new "
            f"sections, {self.tags} new tags, {self.redirects} old addresses redirected",
        ]
        if self.already_imported:
            out.append(f"  {self.already_imported} posts were already imported: left as they are")
        total = sum(self.comments_found.values())
        if total:
            kinds = ", ".join(f"{n} {status}" for status, n in sorted(self.comments_found.items()))
            out.append(f"  {total} comments found ({kinds}); {self.comments.stored} stored")
            if self.comments.already_stored:
                out.append(f"    {self.comments.already_stored} comments were already stored")
            for reason, count in sorted(self.comments.not_stored.items()):
                out.append(f"    not stored: {count}: {reason}")
        if self.skipped:
            out.append("Skipped:")
            out.extend(f"  {count} {reason}" for reason, count in sorted(self.skipped.items()))
        if self.notes:
            out.append("Notes:")
            out.extend(f"  {note}" for note in self.notes)
        if self.media is not None:
            out.extend(self.media.lines())
        if self.dry_run:
            out.append("Dry run: nothing was saved.")
        return out


def import_comments(
    comments: Sequence[WxrComment], article_ids: Mapping[int, int], source: str
) -> ImportResult:
    """Have the discussion app store the comments of the imported posts.

    ``comments`` come in thread order (every parent before its replies);
    ``article_ids`` maps a WordPress post id to the Byline article id; ``source``
    names the exporting site, and with each comment's WordPress id keys the
    stored rows, so a second import adds nothing twice. No spam check, no
    notification, no per-comment signal; the approved-comment counts are
    rewritten, and the caller tells the page cache once per article when the
    import commits. It runs inside the import's transaction: raising rolls the
    whole import back.
    """
    return store_imported_comments(comments, article_ids, source)


def import_export(
    export: WxrExport,
    *,
    dry_run: bool = False,
    copy_media: bool = False,
    on_progress: Callable[[int, int], object] | None = None,
    on_media_progress: Callable[[int, int], object] | None = None,
) -> ImportSummary:
    """Write ``export`` to the database in one transaction (rolled back on a dry run).

    ``on_progress(done, total)`` is called as posts are written. With
    ``copy_media`` the posts' images are copied into MEDIA_ROOT first (on a dry
    run, only counted), calling ``on_media_progress(done, total)``; a file that
    cannot be fetched is listed in the summary and never stops the import.
    """
    summary = ImportSummary(source=export.source, version=export.version, dry_run=dry_run)
    importer = _Importer(export, summary, on_progress or (lambda done, total: None))
    posts = importer.select_posts()
    if copy_media:
        # Outside the transaction: downloads must not hold the database's write lock.
        summary.media = wxr_media.copy(
            wxr_media.plan(export, posts), dry_run=dry_run, on_progress=on_media_progress
        )
    with transaction.atomic():
        importer.run(posts)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        transaction.on_commit(lambda: announce(importer.visible))
    return summary


def announce(article_ids: list[int]) -> None:
    """Tell page caches that these articles (and the listings they appear in) changed."""
    for article_id in dict.fromkeys(article_ids):
        article_changed.send(sender=Article, article_id=article_id)


def existing_rows(model_or_queryset, field: str, values: Iterable[str]) -> list:
    """Rows whose ``field`` is one of ``values``, asked in slices (SQLite caps query parameters)."""
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    values = sorted(set(values))
    rows = []
    for start in range(0, len(values), BATCH):
        rows.extend(queryset.filter(**{f"{field}__in": values[start : start + BATCH]}))
    return rows


class _Importer:
    def __init__(self, export: WxrExport, summary: ImportSummary, on_progress) -> None:
        self.export = export
        self.summary = summary
        self.on_progress = on_progress
        self.now = timezone.now()
        self.shortcodes: Counter[str] = Counter()
        self.visible: list[int] = []  # articles readers can now see, or whose comments changed
        self.attachments = {
            item.wp_id: item.attachment_url
            for item in export.items
            if item.post_type == "attachment" and item.attachment_url
        }

    @property
    def media(self) -> wxr_media.MediaCopy | None:
        return self.summary.media

    @cached_property
    def new_urls(self) -> dict[str, str]:
        return self.media.new_urls() if self.media and not self.media.dry_run else {}

    def run(self, posts: list[WxrItem]) -> None:
        wanted_ids = {post.wp_id for post in posts}
        done = {
            wp_id: article_id
            for wp_id, article_id in ImportedPost.objects.filter(
                source=self.export.source
            ).values_list("wp_id", "article_id")
            if wp_id in wanted_ids
        }
        self.summary.already_imported = len(done)
        new_posts = [post for post in posts if post.wp_id not in done]
        self.media_for_imported_articles(done)
        self.note_featured_images(new_posts)
        authors = self.authors(new_posts)
        sections = self.terms(
            Section, self.export.categories, [p.categories[:1] for p in new_posts]
        )
        # Byline files an article in one section: further categories become tags.
        tags = self.terms(Tag, self.export.tags, [p.tags + p.categories[1:] for p in new_posts])
        several = sum(1 for post in new_posts if len(post.categories) > 1)
        if several:
            self.summary.notes.append(
                f"{several} posts had several categories: the first became the section, "
                "the others tags"
            )
        hidden = Counter(post.status for post in new_posts if post.status in {"private", "pending"})
        for status, count in sorted(hidden.items()):
            self.summary.notes.append(
                f"{count} {status} posts were imported as drafts: readers do not see them"
            )
        slugs = self.slugs(new_posts)
        article_ids = dict(done)
        self.on_progress(0, len(new_posts))
        for start in range(0, len(new_posts), BATCH):
            batch = new_posts[start : start + BATCH]
            article_ids.update(self.create(batch, slugs, authors, sections, tags))
            self.on_progress(start + len(batch), len(new_posts))
        for name, count in sorted(self.shortcodes.items()):
            self.summary.notes.append(
                f"{count} posts use the shortcode [{name}], left in the text as written"
            )
        self.summary.articles = len(new_posts)
        self.comments(posts, article_ids)

    # -- what to import ------------------------------------------------------------

    def select_posts(self) -> list[WxrItem]:
        posts, seen = [], set()
        for item in self.export.items:
            if item.post_type != "post":
                reason = OTHER_TYPES.get(
                    item.post_type, f"items of unknown type '{item.post_type}'"
                )
                self.summary.skipped[reason] += 1
            elif item.status not in STATUSES:
                reason = SKIPPED_STATUSES.get(item.status, f"posts with status '{item.status}'")
                self.summary.skipped[reason] += 1
            elif item.wp_id in seen:
                self.summary.skipped["posts listed twice in the file (same wp:post_id)"] += 1
            else:
                seen.add(item.wp_id)
                posts.append(item)
        return posts

    def authors(self, posts: list[WxrItem]) -> dict[str, Author]:
        wanted: dict[str, tuple[str, str]] = {}
        for login in sorted({post.creator for post in posts if post.creator}):
            known = self.export.authors.get(login)
            slug = slugify(login, allow_unicode=True)[:200] or "author"
            wanted[login] = (slug, (known.name if known else login)[:200])
        slugs = {slug: name for slug, name in wanted.values()}
        existing = {a.slug: a for a in existing_rows(Author, "slug", slugs)}
        new = [Author(slug=slug, name=name) for slug, name in slugs.items() if slug not in existing]
        for author in Author.objects.bulk_create(new):
            existing[author.slug] = author
        self.summary.authors = len(new)
        return {login: existing[slug] for login, (slug, _) in wanted.items()}

    def terms(self, model, declared: Mapping[str, WxrTerm], used: Iterable[list[WxrTerm]]) -> dict:
        wanted: dict[str, WxrTerm] = {}
        for terms in used:
            for term in terms:
                wanted.setdefault(term.slug, declared.get(term.slug, term))
        existing = {row.slug: row for row in existing_rows(model, "slug", wanted)}
        new = []
        for slug, term in wanted.items():
            if slug not in existing:
                extra = {"description": term.description} if model is Section else {}
                new.append(model(slug=slug, name=term.name, **extra))
        for row in model.objects.bulk_create(new):
            existing[row.slug] = row
        if model is Section:
            self.summary.sections = len(new)
        else:
            self.summary.tags = len(new)
        return existing

    def slugs(self, posts: list[WxrItem]) -> dict[int, str]:
        """A unique slug for each post: WordPress's own, with -2, -3 added when taken."""
        base = {}
        for post in posts:
            slug = post.slug or slugify(wxr_content.plain(post.title), allow_unicode=True)
            base[post.wp_id] = (slug or f"post-{post.wp_id}")[:290]
        wanted = set(base.values())
        taken = {
            article.slug for article in existing_rows(Article.objects.only("slug"), "slug", wanted)
        }
        numbered = Article.objects.filter(slug__regex=r"-[0-9]+$").values_list("slug", flat=True)
        taken.update(slug for slug in numbered if slug.rsplit("-", 1)[0] in wanted)
        # Posts whose own slug is free keep it; the others are numbered after them.
        result = {}
        for post in posts:
            slug = base[post.wp_id]
            if slug not in taken:
                taken.add(slug)
                result[post.wp_id] = slug
        renamed = 0
        for post in posts:
            if post.wp_id in result:
                continue
            slug, n = base[post.wp_id], 2
            while f"{slug}-{n}" in taken:
                n += 1
            taken.add(f"{slug}-{n}")
            result[post.wp_id] = f"{slug}-{n}"
            renamed += 1
        if renamed:
            self.summary.notes.append(
                f"{renamed} posts had a slug already in use and got a number added (slug-2, ...)"
            )
        return result

    # -- writing -------------------------------------------------------------------

    def article(self, post: WxrItem, slug: str, sections: Mapping[str, Section]) -> Article:
        status = STATUSES[post.status]
        published_at = post.published_at if status != Article.Status.DRAFT else None
        if status != Article.Status.DRAFT:
            published_at = published_at or self.now
            future = published_at > self.now
            status = Article.Status.SCHEDULED if future else Article.Status.PUBLISHED
        headline = Truncator(wxr_content.plain(post.title)).chars(300) or "Untitled"
        html_body = wxr_content.body_html(
            post.content,
            base_url=self.export.base_site_url,
            attachments=self.attachments,
            new_urls=self.new_urls,
        )
        article = Article(
            headline=headline,
            slug=slug,
            standfirst=wxr_content.plain(post.excerpt),
            body=wxr_content.as_markdown_source(html_body),
            status=status,
            published_at=published_at,
            section=sections[post.categories[0].slug] if post.categories else None,
        )
        self.set_lead_image(article, post.wp_id)
        article.render(body_html=html_body)
        return article

    def set_lead_image(self, article: Article, post_id: int) -> bool:
        """The post's featured image, if it was copied, becomes the article's lead image."""
        lead = self.media.lead_image(post_id) if self.media else None
        if lead is None:
            return False
        name, featured = lead
        article.lead_image.name = name
        article.lead_image_alt = featured.alt
        article.lead_image_caption = featured.caption
        return True

    def media_for_imported_articles(self, done: Mapping[int, int]) -> None:
        """Articles imported by an earlier run: their copied images are used too.

        Only the addresses of copied images change, in whatever the body says
        now (an editor's changes are kept); a lead image is set only where
        there is none. Each changed article is rendered (so sanitized) again.
        """
        if not self.media or self.media.dry_run or not done:
            return
        post_ids = {article_id: wp_id for wp_id, article_id in done.items()}
        updated = 0
        for article in existing_rows(Article, "pk", post_ids):
            body = wxr_content.replace_urls(article.body, self.new_urls)
            changed = body != article.body
            article.body = body
            if not article.lead_image:
                changed = self.set_lead_image(article, post_ids[article.pk]) or changed
            if changed:
                article.render()
                Article.objects.filter(pk=article.pk).update(
                    **{name: getattr(article, name) for name in RENDERED_FIELDS}
                )
                self.visible.append(article.pk)
                updated += 1
        if updated:
            self.summary.notes.append(
                f"{updated} articles imported earlier now use the copied images"
            )

    def note_featured_images(self, posts: list[WxrItem]) -> None:
        if self.media is not None:
            return
        featured = sum(1 for post in posts if post.meta.get("_thumbnail_id", "0") != "0")
        if featured:
            self.summary.notes.append(
                f"{featured} posts have a featured image: it becomes the lead image only with "
                "--copy-media"
            )

    def create(self, posts, slugs, authors, sections, tags) -> dict[int, int]:
        articles = [self.article(post, slugs[post.wp_id], sections) for post in posts]
        for post in posts:
            self.shortcodes.update(wxr_content.unknown_shortcodes(post.content))
        Article.objects.bulk_create(articles, batch_size=BATCH)
        self.restore_dates(posts, articles)
        author_links, tag_links, imported, redirects = [], [], [], []
        for post, article in zip(posts, articles, strict=True):
            if post.creator in authors:
                author_links.append(
                    Article.authors.through(
                        article_id=article.pk, author_id=authors[post.creator].pk
                    )
                )
            tag_ids = {tags[term.slug].pk for term in post.tags + post.categories[1:]}
            tag_links.extend(Article.tags.through(article_id=article.pk, tag_id=t) for t in tag_ids)
            imported.append(
                ImportedPost(source=self.export.source, wp_id=post.wp_id, article=article)
            )
            if article.status != Article.Status.DRAFT:
                redirects.extend(
                    LegacyURL(path=path, article=article) for path in self.old_paths(post)
                )
        Article.authors.through.objects.bulk_create(author_links, batch_size=BATCH)
        Article.tags.through.objects.bulk_create(tag_links, batch_size=BATCH)
        ImportedPost.objects.bulk_create(imported, batch_size=BATCH)
        self.save_redirects(redirects)
        self.visible.extend(a.pk for a in articles if a.status != Article.Status.DRAFT)
        return {post.wp_id: article.pk for post, article in zip(posts, articles, strict=True)}

    def restore_dates(self, posts: list[WxrItem], articles: list[Article]) -> None:
        """auto_now stamped the import time: put back when each post was written and changed."""
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        for post, article in zip(posts, articles, strict=True):
            dates = [d for d in (post.modified_at, post.published_at) if d]
            article.updated_at = max(dates) if dates else self.now
            article.created_at = post.published_at or self.now
            rows.append((adapt(article.updated_at), adapt(article.created_at), article.pk))
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE articles_article SET updated_at = %s, created_at = %s WHERE id = %s", rows
            )

    @staticmethod
    def old_paths(post: WxrItem) -> list[str]:
        """The post's permalink path, and WordPress's date-based one (/yyyy/mm/dd/slug/)."""
        paths = []
        link = urlsplit(post.link)
        if link.path and link.path != "/" and not link.query:
            paths.append(link.path)
        if post.slug and post.local_date:
            dated = f"/{post.local_date:%Y/%m/%d}/{post.slug}/"
            paths.append(dated)
        unique = []
        for path in paths:
            path = path[:500]
            if path not in unique:
                unique.append(path)
        return unique

    def save_redirects(self, redirects: list[LegacyURL]) -> None:
        wanted = {r.path: r for r in redirects}
        taken = set(LegacyURL.objects.filter(path__in=list(wanted)).values_list("path", flat=True))
        new = [r for path, r in wanted.items() if path not in taken]
        clashes = len(redirects) - len(new)
        LegacyURL.objects.bulk_create(new, batch_size=BATCH)
        self.summary.redirects += len(new)
        if clashes:
            self.summary.notes.append(
                f"{clashes} old addresses already led to another article and were left as they were"
            )

    def comments(self, posts: list[WxrItem], article_ids: Mapping[int, int]) -> None:
        wanted: list[WxrComment] = []
        for item in self.export.items:
            for comment in item.comments:
                self.summary.comments_found[comment.status] += 1
            if item.wp_id in article_ids:
                wanted.extend(in_thread_order(item.comments))
            elif item.comments:
                self.summary.skipped["comments on items that were not imported"] += len(
                    item.comments
                )
        outcome = import_comments(wanted, article_ids, self.export.source)
        self.summary.comments = outcome
        self.summary.notes.extend(outcome.notes)
        # Pages showing these articles change too: their caches hear of it once each.
        self.visible.extend(sorted(outcome.article_ids))
