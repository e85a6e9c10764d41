"""Importing a WordPress export: posts become articles, pages static pages, in one transaction.

``import_export()`` takes the parsed ``WxrExport`` (see ``reader.py``) and writes
authors (every author of the file, with their display names; e-mail addresses
are not kept), sections (every category, with its parent), tags (every tag,
used or not), articles, static pages, the old addresses (``legacy_urls``) and the
record of which WordPress post each article came from. Importing the same blog
again updates what changed on WordPress since, and never adds anything twice.

Nothing private becomes public. Each WordPress status has its Byline state::

    publish  → published (with wp:post_password: published, password-protected)
    future   → scheduled (readers see it at its time)
    draft, pending, private, a missing or unknown status → draft
    trash, auto-draft, inherit → not imported

An item without ``wp:post_type`` (WordPress's own importer refuses it as an
invalid post type) is imported as a draft for an editor to check; items of
other types (attachments, revisions, menu items, custom types) are counted.
The summary lists every item that was not published, and why.

Comments are handed, in thread order, to :func:`import_comments`, which has the
discussion app store them (``byline.discussion.imports``) in the same transaction.

With ``copy_media``, the images the posts use are copied first, outside the
transaction (``media``); bodies then point at the copies and featured
images become lead images. Already imported articles get the same rewrite.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator, slugify

from byline import bulkcopy
from byline.articles import rendering
from byline.articles.models import Article, Author, Section, StaticPage, Tag, name_text
from byline.discussion.imports import ImportResult, store_imported_comments, stored_comment_nodes
from byline.signals import article_changed
from byline.sitetime import site_time
from byline.wordpress import content, legacy_urls, media
from byline.wordpress.models import ImportedPost
from byline.wordpress.reader import WxrComment, WxrExport, WxrItem, in_thread_order
from byline.wordpress.report import (
    HIDDEN_BECAUSE,
    NOT_IMPORTED_STATUSES,
    OTHER_TYPES,
    STATUSES,
    ImportSummary,
    NotPublished,
)

BATCH = 500
ANNOUNCED_ONE_BY_ONE = 100
COMMENT_BATCH = 20_000  # comments stored together (their articles written first)
# What changes when copied images are put into an article imported earlier.
RENDERED_FIELDS = [
    "body", "body_html", "body_text", "standfirst_html", "word_count", "reading_seconds",
    "lead_image", "lead_image_alt", "lead_image_caption",
]  # fmt: skip
# What WordPress decides about a post; applied again when a re-import finds it changed.
STATE_FIELDS = ["status", "published_at", "password", "featured"]
CONTENT_FIELDS = ["headline", "standfirst", *RENDERED_FIELDS[:6]]


def import_comments(
    comments: Sequence[WxrComment],
    article_ids: Mapping[int, int],
    source: str,
    stored: dict | None = None,
) -> ImportResult:
    """Have the discussion app store the comments of the imported posts.

    ``comments`` come in thread order (every parent before its replies);
    ``article_ids`` maps a WordPress post id to the Byline article id; ``source``
    names the exporting blog, and with each comment's WordPress id keys the
    stored rows, so a second import adds nothing twice. No spam check, no
    notification, no per-comment signal; the approved-comment counts are
    rewritten, and the caller tells the page cache once per article when the
    import commits. It runs inside the import's transaction: raising rolls the
    whole import back. ``stored`` (``stored_comment_nodes(source)``) is shared by
    the calls of one import, which store the comments a few thousand at a time.
    """
    return store_imported_comments(comments, article_ids, source, stored)


def import_export(
    export: WxrExport,
    *,
    dry_run: bool = False,
    copy_media: bool = False,
    on_progress: Callable[[int, int], object] | None = None,
    on_media_progress: Callable[[int, int], object] | None = None,
    reread: Callable[[], Iterable[WxrItem]] | None = None,
) -> ImportSummary:
    """Write ``export`` to the database in one transaction (rolled back on a dry run).

    ``reread`` gives the items in full again, in the file's order, when
    ``export`` was read lean (``wxr.parse(lean=True)``, for files too big to
    hold): posts are then written as they are read.

    ``on_progress(done, total)`` is called as posts are written. With
    ``copy_media`` the posts' images are copied into MEDIA_ROOT first (on a dry
    run, only counted), calling ``on_media_progress(done, total)``; a file that
    cannot be fetched is listed in the summary and never stops the import.
    """
    summary = ImportSummary(source=export.source, version=export.version, dry_run=dry_run)
    summary.warnings.extend(export.warnings)
    importer = _Importer(export, summary, on_progress or (lambda done, total: None), reread)
    posts, pages = importer.select()
    if copy_media:
        # Outside the transaction: downloads must not hold the database's write lock.
        wanted = {post.wp_id for post in posts}
        full = (i for i in importer.full_items() if i.post_type != "page" and i.wp_id in wanted)
        summary.media = media.copy(
            media.plan(export, full), dry_run=dry_run, on_progress=on_media_progress
        )
    with transaction.atomic():
        importer.run(posts, pages)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        transaction.on_commit(lambda: announce(importer.visible))
    return summary


def announce(article_ids: list[int]) -> None:
    """Tell page caches that these articles (and the listings they appear in) changed.

    Past ``ANNOUNCED_ONE_BY_ONE`` articles, one signal without an id says that
    everything changed: a big import does not rewrite the cache's generation
    ten thousand times.
    """
    unique = list(dict.fromkeys(article_ids))
    if len(unique) > ANNOUNCED_ONE_BY_ONE:
        article_changed.send(sender=Article, article_id=None)
        return
    for article_id in unique:
        article_changed.send(sender=Article, article_id=article_id)


def existing_rows(model_or_queryset, field: str, values: Iterable) -> list:
    """Rows whose ``field`` is one of ``values``, asked in slices (SQLite caps query parameters)."""
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    values = sorted(set(values))
    rows = []
    for start in range(0, len(values), BATCH):
        rows.extend(queryset.filter(**{f"{field}__in": values[start : start + BATCH]}))
    return rows


def title_of(item: WxrItem) -> str:
    """A WordPress title as one line of plain text: ``H<sub>2</sub>O`` → ``H2O``,
    entities decoded, cleaned as a name (``name_text``: no terminal escape, control or
    direction control; the report prints it) before it is cut to 300 characters."""
    return Truncator(name_text(content.plain(item.title))).chars(300)


class _Importer:
    def __init__(self, export: WxrExport, summary: ImportSummary, on_progress, reread) -> None:
        self.export = export
        self.reread = reread
        self.summary = summary
        self.on_progress = on_progress
        self.now = timezone.now()
        self.shortcodes: Counter[str] = Counter()
        # The pages WordPress had in a menu (page id: the item's place), and whether
        # the export held a menu at all: only those pages go in the footer.
        self.menu_pages: dict[int, int] = {}
        self.has_menu = False
        self.visible: list[int] = []  # articles readers can now see, or whose comments changed
        self.attachments = content.Attachments.of(export.items)
        # Read lean (a file past 64 MB), items hold no text: patterns then show nothing.
        self.patterns = content.patterns_of(export.items)
        self.urls = legacy_urls.LegacyPaths(export, summary)

    @property
    def media(self) -> media.MediaCopy | None:
        return self.summary.media

    @cached_property
    def new_urls(self) -> dict[str, str]:
        return self.media.new_urls() if self.media and not self.media.dry_run else {}

    # -- what to import ------------------------------------------------------------

    def select(self) -> tuple[list[WxrItem], list[WxrItem]]:
        """The posts (articles) and pages to import; everything else is counted or listed."""
        posts: list[WxrItem] = []
        pages: list[WxrItem] = []
        seen: set[tuple[str, int]] = set()
        for item in self.export.items:
            kind = item.post_type or "post"
            if item.post_type == "nav_menu_item":
                self.menu_item(item)
            if item.post_type not in {"post", "page", ""}:
                reason = OTHER_TYPES.get(item.post_type, f"items of type '{item.post_type}'")
                self.summary.skipped[reason] += 1
                if item.post_type not in OTHER_TYPES:
                    self.not_published(item, "not imported", "Byline does not know this type")
            elif item.status in NOT_IMPORTED_STATUSES:
                self.not_published(item, "not imported", NOT_IMPORTED_STATUSES[item.status])
            elif (kind, item.wp_id) in seen:
                self.summary.skipped["items listed twice in the files (same wp:post_id)"] += 1
            else:
                seen.add((kind, item.wp_id))
                (pages if item.post_type == "page" else posts).append(item)
        return posts, pages

    def menu_item(self, item: WxrItem) -> None:
        """A published menu item linking to a page: that page goes in the footer, at the
        item's place (the first menu listing it wins). Links to posts, categories or
        other addresses are not pages and stay out."""
        self.has_menu = True
        meta = item.meta
        if item.status != "publish" or meta.get("_menu_item_type") != "post_type":
            return
        if meta.get("_menu_item_object") != "page":
            return
        page_id = meta.get("_menu_item_object_id", "")
        if page_id.isdigit():
            self.menu_pages.setdefault(int(page_id), item.menu_order)

    def not_published(self, item: WxrItem, outcome: str, reason: str) -> None:
        self.summary.not_published.append(
            NotPublished(
                kind=item.post_type or "item without a type",
                wp_id=item.wp_id if item.has_id else None,
                title=title_of(item),
                outcome=outcome,
                reason=reason,
            )
        )

    def state(self, post: WxrItem) -> tuple[str, object, bool]:
        """The Byline status, publication time and whether readers can see it at once."""
        status = STATUSES.get(post.status, Article.Status.DRAFT)
        if not post.post_type:
            status = Article.Status.DRAFT
        if status == Article.Status.DRAFT:
            return status, None, False
        published_at = post.published_at or self.now.replace(microsecond=0)  # to the second
        if published_at > self.now:
            return Article.Status.SCHEDULED, published_at, False
        return Article.Status.PUBLISHED, published_at, True

    def report_state(self, post: WxrItem, article: Article) -> None:
        if not post.post_type:
            self.not_published(
                post,
                "draft",
                "the item has no <wp:post_type> (WordPress's own importer refuses it as an "
                "invalid post type): an editor should check it",
            )
        elif article.status == Article.Status.DRAFT:
            reason = HIDDEN_BECAUSE.get(
                post.status, f"its WordPress status '{post.status[:30]}' is not one Byline knows"
            )
            self.not_published(post, "draft", reason)
        elif article.status == Article.Status.SCHEDULED:
            when = site_time(article.published_at)
            self.not_published(post, "scheduled", f"readers see it from {when}")
        if article.password:
            self.not_published(
                post, "password-protected", "readers must enter its WordPress password to read it"
            )

    # -- the run -------------------------------------------------------------------

    def run(self, posts: list[WxrItem], pages: list[WxrItem]) -> None:
        source = self.export.source
        wanted_ids = {post.wp_id for post in posts}
        done_rows = {
            row.wp_id: row
            for row in ImportedPost.objects.filter(source=source).only(
                "wp_id", "article_id", "wp_status", "wp_modified"
            )
            if row.wp_id in wanted_ids
        }
        done = {wp_id: row.article_id for wp_id, row in done_rows.items()}
        self.summary.already_imported = len(done)
        new_posts = [post for post in posts if post.wp_id not in done]
        self.media_for_imported_articles(done)
        self.note_featured_images(new_posts)
        authors = self.authors(new_posts)
        sections = self.sections()
        tags = self.tags(new_posts)
        several = sum(1 for post in new_posts if len(post.categories) > 1)
        if several:
            self.summary.notes.append(
                f"{several} posts had several categories: the first became the section, "
                "the others tags"
            )
        slugs = self.slugs(new_posts)
        article_ids = dict(done)
        self.on_progress(0, len(new_posts))
        # The items in full, in the file's order (read again from the file when the
        # export was read lean): posts written a batch at a time, their comments
        # stored once their articles exist, so memory stays bounded.
        new_ids = {post.wp_id for post in new_posts}
        page_ids = {page.wp_id for page in pages}
        batch: list[WxrItem] = []
        changed: list[WxrItem] = []
        full_pages: list[WxrItem] = []
        comments = _CommentQueue(self, article_ids)
        written = 0
        for item in self.full_items():
            if item.post_type in {"post", ""} and item.wp_id in new_ids:
                new_ids.discard(item.wp_id)
                batch.append(item)
            elif item.post_type in {"post", ""} and item.wp_id in done_rows:
                changed.append(item)
            elif item.post_type == "page" and item.wp_id in page_ids:
                page_ids.discard(item.wp_id)
                full_pages.append(item)
            comments.add(item)
            if len(batch) >= BATCH:
                article_ids.update(self.create(batch, slugs, authors, sections, tags))
                written += len(batch)
                self.on_progress(written, len(new_posts))
                batch = []
                comments.flush_if_full()
            if len(changed) >= BATCH:
                self.update(changed, done_rows, sections)
                changed = []
        if batch:
            article_ids.update(self.create(batch, slugs, authors, sections, tags))
            self.on_progress(written + len(batch), len(new_posts))
        self.update(changed, done_rows, sections)
        for name, count in sorted(self.shortcodes.items()):
            self.summary.notes.append(
                f"{count} {'post uses' if count == 1 else 'posts use'} the shortcode [{name}], "
                "which Byline does not know: it was "
                "removed from the text (its content, if any, kept)"
            )
        self.summary.articles = len(new_posts)
        self.pages(full_pages)
        self.urls.for_terms(sections, tags, authors_by_login=self.all_authors)
        self.urls.for_attachments(self.attachments, article_ids)
        self.urls.save()
        comments.flush()
        self.summary.comments = comments.result
        self.summary.notes.extend(dict.fromkeys(comments.result.notes))
        # Pages showing these articles change too: their caches hear of it once each.
        self.visible.extend(sorted(comments.result.article_ids))

    # -- authors, sections, tags -----------------------------------------------------

    def authors(self, posts: list[WxrItem]) -> dict[str, Author]:
        """Every author the file names (writers of no imported post too), by login."""
        wanted: dict[str, tuple[str, str]] = {}
        logins = set(self.export.authors) | {post.creator for post in posts if post.creator}
        for login in sorted(logins):
            known = self.export.authors.get(login)
            slug = slugify(login, allow_unicode=True)[:200] or "author"
            wanted[login] = (slug, content.plain(known.name if known else login)[:200])
        slugs = {slug: name for slug, name in wanted.values()}
        existing = {a.slug: a for a in existing_rows(Author, "slug", slugs)}
        new = [
            Author(slug=slug, name=name or slug)
            for slug, name in slugs.items()
            if slug not in existing
        ]
        for author in Author.create_all(new):
            existing[author.slug] = author
        self.summary.authors = len(new)
        self.all_authors = {login: existing[slug] for login, (slug, _) in wanted.items()}
        return self.all_authors

    def sections(self) -> dict[str, Section]:
        """Every category becomes a section, used or not, keeping its parent."""
        declared = dict(self.export.categories)
        for item in self.export.items:
            for term in item.categories:
                declared.setdefault(term.slug, term)
        existing = {row.slug: row for row in existing_rows(Section, "slug", declared)}
        new = [
            Section(slug=slug, name=content.plain(term.name)[:100] or slug,
                    description=term.description)
            for slug, term in declared.items()
            if slug not in existing
        ]  # fmt: skip
        for row in Section.create_all(new):
            existing[row.slug] = row
        self.summary.sections = len(new)
        parented = []
        for slug, term in declared.items():
            section, parent = existing[slug], existing.get(term.parent)
            if parent is not None and parent is not section and section.parent_id is None:
                if not self._would_loop(section, parent, existing):
                    section.parent = parent
                    parented.append(section)
        Section.objects.bulk_update(parented, ["parent"], batch_size=BATCH)
        return existing

    @staticmethod
    def _would_loop(section: Section, parent: Section, sections: Mapping[str, Section]) -> bool:
        by_pk = {s.pk: s for s in sections.values()}
        node: Section | None = parent
        for _ in range(len(by_pk) + 1):
            if node is None:
                return False
            if node.pk == section.pk:
                return True
            node = by_pk.get(node.parent_id) if node.parent_id else None
        return True

    def tags(self, posts: list[WxrItem]) -> dict[str, Tag]:
        """Every tag of the file, used or not, and the further categories of posts."""
        wanted = {slug: term.name for slug, term in self.export.tags.items()}
        for item in self.export.items:
            for term in item.tags:
                wanted.setdefault(term.slug, term.name)
        for post in posts:
            for term in post.categories[1:]:
                wanted.setdefault(term.slug, term.name)
        existing = {row.slug: row for row in existing_rows(Tag, "slug", wanted)}
        new = [
            Tag(slug=slug, name=content.plain(name)[:100] or slug)
            for slug, name in wanted.items()
            if slug not in existing
        ]
        for row in Tag.create_all(new):
            existing[row.slug] = row
        self.summary.tags = len(new)
        return existing

    def slugs(self, posts: list[WxrItem]) -> dict[int, str]:
        """A unique slug for each post: WordPress's own, with -2, -3 added when taken."""
        base = {}
        for post in posts:
            slug = post.slug or slugify(Article.headline_of(title_of(post)), allow_unicode=True)
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

    # -- writing articles ------------------------------------------------------------

    def body(self, post: WxrItem) -> str:
        """The post's body as sanitized HTML, without pasted control characters (XML
        1.0 carries C1 controls and the byte-order mark), as an article's own text."""
        html_body = content.body_html(
            post.content,
            base_url=self.export.base_site_url,
            attachments=self.attachments,
            post_id=post.wp_id,
            new_urls=self.new_urls,
            patterns=self.patterns,
            footnotes=post.meta.get("footnotes", ""),
        )
        return rendering.typed_text(html_body, multiline=True)

    def article(self, post: WxrItem, slug: str, sections: Mapping[str, Section]) -> Article:
        status, published_at, _ = self.state(post)
        html_body = self.body(post)
        article = Article(
            headline=title_of(post),  # "Untitled" if nothing shows (tidy, below)
            slug=slug,
            standfirst=content.plain(post.excerpt),
            body=content.as_markdown_source(html_body),
            status=status,
            published_at=published_at,
            password=post.password[:255],
            featured=post.sticky,
            section=sections.get(post.categories[0].slug) if post.categories else None,
        )
        self.set_lead_image(article, post.wp_id)
        article.tidy()  # as save() would: bulk_create does not call it
        article.render(body_html=rendering.expand(html_body))
        self.report_state(post, article)
        return article

    def set_lead_image(self, article: Article, post_id: int) -> bool:
        """The post's featured image, if it was copied, becomes the article's lead image,
        its alt text and caption cleaned as ``Article.tidy`` cleans them (no terminal
        escape or control character): an article imported earlier is written with
        ``update()``, which no ``save()`` cleans."""
        lead = self.media.lead_image(post_id) if self.media else None
        if lead is None:
            return False
        name, featured = lead
        article.lead_image.name = name
        article.lead_image_alt = rendering.typed_text(featured.alt, multiline=False)
        article.lead_image_caption = rendering.typed_text(featured.caption, multiline=False)
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
            body = content.replace_urls(article.body, self.new_urls)
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
            self.shortcodes.update(content.unknown_shortcodes(post.content))
        author_links, tag_links, imported = [], [], []
        if bulkcopy.available():
            # PostgreSQL: ids first, then every row in one COPY, dates as WordPress had them.
            for post, article, pk in zip(
                posts, articles, bulkcopy.reserve_ids(Article, len(articles)), strict=True
            ):
                article.pk = pk
                self.set_dates(post, article)
            fields = [f.attname for f in Article._meta.concrete_fields]
            bulkcopy.copy_rows(
                Article, ({name: getattr(a, name) for name in fields} for a in articles)
            )
        else:
            Article.objects.bulk_create(articles, batch_size=BATCH)
            self.restore_dates(posts, articles)
        for post, article in zip(posts, articles, strict=True):
            if post.creator in authors:
                author_links.append(
                    {"article_id": article.pk, "author_id": authors[post.creator].pk}
                )
            tag_ids = {tags[term.slug].pk for term in post.tags + post.categories[1:]}
            tag_links.extend({"article_id": article.pk, "tag_id": t} for t in sorted(tag_ids))
            imported.append(
                {
                    "source": self.export.source,
                    "wp_id": post.wp_id,
                    "article_id": article.pk,
                    "wp_status": post.status[:20],
                    "wp_modified": post.modified_at,
                }
            )
            # Drafts too: their old addresses start working once they are published.
            self.urls.for_post(post, article)
        bulkcopy.write_rows(Article.authors.through, author_links)
        bulkcopy.write_rows(Article.tags.through, tag_links)
        bulkcopy.write_rows(ImportedPost, imported)
        self.visible.extend(a.pk for a in articles if a.status != Article.Status.DRAFT)
        return {post.wp_id: article.pk for post, article in zip(posts, articles, strict=True)}

    def update(
        self, posts: list[WxrItem], done: Mapping[int, ImportedPost], sections: Mapping
    ) -> None:
        """Posts imported before: apply what changed on WordPress since, keep the rest.

        A new WordPress status (published, made private, trashed is not in the
        file) or a password change is applied; the text is replaced only when
        WordPress changed the post after the last import. Edits made in Byline
        to anything WordPress did not change are kept.
        """
        changed_posts = {
            post.wp_id: post
            for post in posts
            if post.wp_id in done
            and (
                post.status != done[post.wp_id].wp_status
                or (post.modified_at or self.now) > (done[post.wp_id].wp_modified or self.now)
            )
        }
        self.summary.updated += len(changed_posts)
        if not changed_posts:
            return
        by_article = {done[wp_id].article_id: wp_id for wp_id in changed_posts}
        rows = []
        for article in existing_rows(Article, "pk", by_article):
            post = changed_posts[by_article[article.pk]]
            row = done[post.wp_id]
            fields = []
            if post.status != row.wp_status or post.modified_at != row.wp_modified:
                status, published_at, _ = self.state(post)
                article.status, article.published_at = status, published_at
                article.password, article.featured = post.password[:255], post.sticky
                fields += STATE_FIELDS
            newer = post.modified_at and (
                row.wp_modified is None or post.modified_at > row.wp_modified
            )
            if newer:
                html_body = self.body(post)
                article.headline = Article.headline_of(title_of(post)) or article.headline
                article.standfirst = content.plain(post.excerpt)
                article.body = content.as_markdown_source(html_body)
                article.tidy()
                article.render(body_html=rendering.expand(html_body))
                fields += CONTENT_FIELDS
            if fields:
                Article.objects.filter(pk=article.pk).update(
                    **{name: getattr(article, name) for name in dict.fromkeys(fields)}
                )
                self.report_state(post, article)
                self.visible.append(article.pk)
                rows.append((post, row))
        for post, row in rows:
            row.wp_status, row.wp_modified = post.status[:20], post.modified_at
        ImportedPost.objects.bulk_update([row for _, row in rows], ["wp_status", "wp_modified"])

    def set_dates(self, post: WxrItem, article: Article) -> None:
        """When the post was written and last changed on WordPress (dateModified too)."""
        dates = [d for d in (post.modified_at, post.published_at) if d]
        article.updated_at = max(dates) if dates else self.now
        article.created_at = post.published_at or self.now
        article.content_changed_at = article.updated_at

    def restore_dates(self, posts: list[WxrItem], articles: list[Article]) -> None:
        """auto_now stamped the import time: put back when each post was written and changed."""
        for post, article in zip(posts, articles, strict=True):
            self.set_dates(post, article)
        Article.objects.write_dates(articles)

    # -- pages -----------------------------------------------------------------------

    def pages(self, pages: list[WxrItem]) -> None:
        """WordPress pages become static pages at their old paths (see ``legacy_urls``)."""
        source = self.export.source
        existing = {
            page.wp_id: page
            for page in StaticPage.objects.filter(
                wp_source=source, wp_id__in=[p.wp_id for p in pages]
            )
        }
        paths = self.urls.page_paths(pages)
        taken = set(StaticPage.objects.values_list("path", flat=True))
        created = 0
        for item in pages:
            published = item.status == "publish" and not item.password and item.post_type
            if item.password:
                self.not_published(
                    item, "draft", "a password-protected page: static pages have no password"
                )
            elif not published:
                reason = HIDDEN_BECAUSE.get(
                    item.status,
                    f"its WordPress status '{item.status[:30]}' (pages are published or drafts)",
                )
                self.not_published(item, "draft", reason)
            html_body = self.body(item)
            page = existing.get(item.wp_id)
            if page is None:
                path = paths[item.wp_id]
                if path in taken:
                    path = legacy_urls.free_path(path, taken)
                taken.add(path)
                page = StaticPage(wp_source=source, wp_id=item.wp_id, path=path)
                created += 1
            page.title = title_of(item)  # "Untitled" if nothing shows (save)
            page.body = content.as_markdown_source(html_body)
            page.status = StaticPage.Status.PUBLISHED if published else StaticPage.Status.DRAFT
            if page.pk is None:
                place = self.menu_pages.get(item.wp_id)
                page.in_footer = bool(published and place is not None)
                page.footer_order = min(max(place or 0, 0), 32767)
            page.save()  # renders the body: Markdown passes the imported HTML through
            self.urls.for_page(item, page)
        self.summary.pages = created
        if created and not self.has_menu:
            self.summary.notes.append(
                "The export holds no WordPress menu: no page was put in the header or footer. "
                "Pick them in the admin's Static pages (In header, In footer)"
            )

    # -- comments --------------------------------------------------------------------

    def full_items(self) -> Iterable[WxrItem]:
        return self.reread() if self.reread is not None else self.export.items


class _CommentQueue:
    """Comments of the items read so far, stored in bulk once their articles exist."""

    def __init__(self, importer: _Importer, article_ids: Mapping[int, int]) -> None:
        self.importer = importer
        self.summary = importer.summary
        self.article_ids = article_ids
        self.waiting: list[tuple[WxrItem, list[WxrComment]]] = []
        self.count = 0
        self.result = ImportResult()
        self.stored = stored_comment_nodes(importer.export.source)

    def add(self, item: WxrItem) -> None:
        if not item.comments:
            return
        for comment in item.comments:
            self.summary.comments_found[comment.status] += 1
        self.waiting.append((item, item.comments))
        self.count += len(item.comments)

    def flush_if_full(self) -> None:
        if self.count >= COMMENT_BATCH:
            self.flush()

    def flush(self) -> None:
        wanted: list[WxrComment] = []
        for item, comments in self.waiting:
            if item.post_type != "page" and item.wp_id in self.article_ids:
                wanted.extend(in_thread_order(comments))
            else:
                reason = (
                    "comments on pages (static pages take no comments)"
                    if item.post_type == "page"
                    else "comments on items that were not imported"
                )
                self.summary.skipped[reason] += len(comments)
        self.waiting, self.count = [], 0
        if wanted:
            self.result.add(
                import_comments(wanted, self.article_ids, self.importer.export.source, self.stored)
            )
