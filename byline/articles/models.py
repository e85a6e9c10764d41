"""Publishing: authors, sections, tags and articles."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.text import slugify

from byline.articles import readingtime
from byline.articles.names import SubjectQuerySet, names_changed, saved_shown
from byline.articles.rendering import (
    CONTROL,
    DIRECTION_CONTROLS,
    ESCAPE_SEQUENCES,
    SPACING,
    plain_text,
    render_markdown,
    typed_text,
)
from byline.links import url_for
from byline.modelfields import done_by, imported_once
from byline.signals import article_changed

UPDATE_GRACE = timedelta(minutes=10)
DELETES_SAID_ONE_BY_ONE = 100  # articles deleted together (each moves the page cache on)

# What a headline or a page's title with nothing visible is stored as, saved any way but
# the form, which refuses it (a restored revision, the shell, an import, a migration).
UNTITLED = "Untitled"


# The rule of every name, here beside the names it rules (an author's, a section's, a
# tag's, a headline, a page's title) and used by the apps built on them (a commenter's
# name: ``discussion.forms``, ``discussion.imports``, the admin). One rule, never a copy:
# a copy in the discussion app once drifted (it kept a byte-order mark and direction
# overrides). A comment's path runs this module already (the article), no other.


def name_text(value: str) -> str:
    """A name (of a section, a tag, an author, a commenter) as one line of plain text: what
    ``rendering.typed_text`` keeps, without direction controls, one space between words."""
    value = ESCAPE_SEQUENCES.sub("", value)
    kept = DIRECTION_CONTROLS.sub("", CONTROL.sub("", SPACING.sub(" ", value)))
    return SPACING.sub(" ", kept).strip()


def shows_text(text: str) -> bool:
    """Whether ``text`` has a character a reader can see: not only spaces and invisible
    format characters (zero-width space, joiners, word joiner, byte-order mark)."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text)


def title_text(value: str) -> str:
    """A headline or a static page's title as stored: one line of plain text
    (``name_text``), "Untitled" when no character a reader can see is left (never a
    blank ``<h1>``)."""
    text = name_text(value)
    return text if shows_text(text) else UNTITLED


# What a slug may hold (``SlugField(allow_unicode=True)``'s own rule): the one part of
# a listing's address, so no "/", space, "?" or "#" in it.
SLUG = re.compile(r"[-\w]+")


class Subject:
    """What files articles (an author, a section, a tag): named, with a listing page.

    Its name is one line of plain text and its slug one part of an address, whichever
    way it is written (the admin, an import, the shell): ``tidy()`` runs in ``clean()``,
    ``save()`` and ``create_all()`` (the WordPress import's bulk write).

    What pages show of it (``shown_fields``) changed by a save, or it deleted: cached
    pages are redrawn (``names.names_changed``; bulk writes through ``SubjectQuerySet``).
    """

    name: str
    slug: str
    url_name = ""  # the listing's URL name in ``articles``
    text_fields: tuple[str, ...] = ()  # its longer text (a bio, a description)
    shown_fields: tuple[str, ...] = ("name", "slug")  # what readers' pages show of it

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.tidy()
        save = super().save  # type: ignore[misc]
        saved_shown(
            self,  # type: ignore[arg-type]
            lambda: save(*args, **kwargs),
            kwargs.get("update_fields"),
            kwargs.get("using"),
        )

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)  # type: ignore[misc]
        names_changed(type(self))
        return result

    @classmethod
    def create_all(cls, rows: list) -> list:
        """Store many at once (``bulk_create``), each tidied as ``save()`` would."""
        for row in rows:
            row.tidy()
        return cls._default_manager.bulk_create(rows)  # type: ignore[attr-defined]

    def get_absolute_url(self) -> str:
        return url_for(f"articles:{self.url_name}", self.slug)

    def clean(self) -> None:
        if not shows_text(name_text(self.name or "")):
            raise ValidationError({"name": "Give a name readers can see."})
        self.tidy()

    def tidy(self) -> None:
        """The name without control characters or line ends (``name_text``; the slug if
        nothing is left), the longer text as an article's (``typed_text``), and a slug
        an address can carry (one that cannot is made again from itself, or the name)."""
        self.name = name_text(self.name or "")
        for field in self.text_fields:
            setattr(self, field, typed_text(getattr(self, field) or "", multiline=True))
        if not SLUG.fullmatch(self.slug or ""):
            longest = self._meta.get_field("slug").max_length  # type: ignore[attr-defined]
            slug = slugify(self.slug or "", allow_unicode=True) or slugify(
                self.name, allow_unicode=True
            )
            self.slug = slug[:longest] or self.url_name
        self.name = self.name or self.slug


class Author(Subject, models.Model):
    url_name = "author"
    text_fields = ("bio",)
    shown_fields = ("name", "slug", "bio", "photo")  # not its login
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    bio = models.TextField(blank=True)
    photo = models.ImageField(
        upload_to="authors/",
        blank=True,
        max_length=300,
        help_text="A square head shot, shown small beside the author's bio.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        help_text="The login this author writes with, if any.",
    )

    objects = SubjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]


class Section(Subject, models.Model):
    url_name = "section"
    text_fields = ("description",)
    shown_fields = ("name", "slug", "description", "position")  # not its parent
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in the site's navigation, lowest first."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsections",
        help_text="The section this one belongs to (a WordPress category's parent).",
    )

    objects = SubjectQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]


class Tag(Subject, models.Model):
    url_name = "tag"
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    objects = SubjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]


class ArticleQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete them (the admin's "delete selected"), and say each one changed, as
        ``Article.delete`` does: their pages and the listings are drawn again, their
        counts and reaction files removed. Past ``DELETES_SAID_ONE_BY_ONE``, once for
        all (``article_id=None``), as a big WordPress import does."""
        article_ids: list[int | None] = list(self.order_by().values_list("pk", flat=True))
        result = super().delete()
        for article_id in article_ids if len(article_ids) <= DELETES_SAID_ONE_BY_ONE else [None]:
            article_changed.send(sender=Article, article_id=article_id)
        return result

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def reachable(self, now: datetime | None = None) -> ArticleQuerySet:
        """Articles with a page readers may open: not drafts, and their publish time has
        come (by ``now``, the clock's time if not given).

        This includes password-protected articles, whose page asks for the
        password. Anything listed, fed, indexed or counted uses ``published()``.
        A scheduled article becomes visible the moment its time passes, with no
        job to flip its status.
        """
        return self.filter(
            status__in=[Article.Status.PUBLISHED, Article.Status.SCHEDULED],
            published_at__lte=now or timezone.now(),
        )

    def published(self, now: datetime | None = None) -> ArticleQuerySet:
        """Articles anyone may see, list, feed, index and count: reachable (by ``now``,
        the clock's time if not given), no password."""
        return self.reachable(now).filter(password="")

    def teasers(self) -> ArticleQuerySet:
        """Published articles as listings show them: latest first, without their bodies."""
        return self.for_listing().defer("body", "body_html", "body_text")

    def related_to(self, article: Article, tag_ids: list[int], limit: int = 4) -> ArticleQuerySet:
        """The latest published articles sharing the article's section or one of its tags.

        PostgreSQL: one query (the tags as a subquery), whatever the sizes of the section
        and tags. SQLite read every article of the section and the tags and sorted them
        (165 ms at 100,000 articles): there, the latest few of the section (its listing
        index) and of each tag (``tagged``) are read, and the latest of those kept.
        """
        if not tag_ids and article.section_id is None:
            return self.none()
        if connections[self.db].vendor != "sqlite":
            through = Article.tags.through
            tagged = through.objects.filter(tag_id__in=tag_ids).values("article_id")
            shared = models.Q(pk__in=tagged)
            if article.section_id is not None:
                shared |= models.Q(section_id=article.section_id)
            return self.teasers().filter(shared).exclude(pk=article.pk)[:limit]
        others = self.published().exclude(pk=article.pk)
        walks = self._walks(tag_ids)
        parts = [others.tagged(tag_id, walk=walks[tag_id]) for tag_id in tag_ids]
        if article.section_id is not None:
            parts.append(others.filter(section_id=article.section_id))
        # One query whatever the number of tags: each part's latest, one after the other.
        selects, params = [], []
        for part in parts:
            rows = part.order_by("-published_at", "-pk").values_list("published_at", "pk")
            sql, part_params = rows[:limit].query.sql_with_params()
            selects.append(f"SELECT * FROM ({sql})")  # noqa: S608 (Django's own SQL)
            params.extend(part_params)
        with connections[self.db].cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects), params)
            latest = set(cursor.fetchall())  # (published_at as SQLite stores it: sortable, pk)
        chosen = [pk for _, pk in sorted(latest, reverse=True)[:limit]]
        return self.teasers().filter(pk__in=chosen)

    def _walks(self, tag_ids: list[int]) -> dict[int, bool]:
        """Which of these tags ``tagged`` reads by walking the latest articles (SQLite):
        two queries, from the indexes, whatever the number of tags."""
        through = Article.tags.through
        counts = dict(
            through.objects.using(self.db)
            .filter(tag_id__in=tag_ids)
            .values_list("tag_id")
            .annotate(n=models.Count("id"))
            .order_by()
        )
        last = Article.objects.using(self.db).aggregate(last=models.Max("pk"))["last"] or 0
        # A step of the walk (two index reads) costs about a tenth of a row read and
        # sorted; a page asks for up to 21 rows.
        return {tag_id: counts.get(tag_id, 0) ** 2 * 10 >= 21 * last for tag_id in tag_ids}

    def tagged(self, tag_id: int, walk: bool | None = None) -> ArticleQuerySet:
        """These articles with the tag, for reading latest first, a page at a time.

        PostgreSQL's planner picks from its statistics how to read a tag's latest: from
        the tag's rows, or walking the latest articles until enough have the tag. SQLite's
        knows no tag's size, and read every article of the tag and sorted them (a popular
        tag on a site of 100,000 articles: 10,000 rows, 110 ms). Here the tag's rows are
        counted from its index (cheap): a tag on many articles is read by walking the
        latest articles (the ``article_visible_latest`` index) and asking the tag's index
        of each (about ``page * articles / tagged`` steps), a rare one from its rows as
        before (``tagged`` rows): whichever is fewer, at most about ``sqrt(page *
        articles)`` (a few hundred on a site of 100,000 articles).
        """
        if connections[self.db].vendor != "sqlite":
            return self.filter(tags=tag_id)
        if walk is None:
            walk = self._walks([tag_id])[tag_id]
        if walk:
            through = Article.tags.through
            pairs = through.objects.filter(tag_id=tag_id, article_id=models.OuterRef("pk"))
            return self.filter(models.Exists(pairs))
        return self.filter(tags=tag_id)

    def write_dates(self, articles: list[Article]) -> None:
        """Store the articles' own ``created_at``, ``updated_at`` and ``content_changed_at``
        as they are set (an import's dates, as WordPress had them): ``save()`` and
        ``bulk_create()`` stamp the time of writing instead (``auto_now``).

        One statement, run for each article: ``bulk_update()`` would build a CASE of
        every row in Python, 40 times the CPU for an import's batch of 500.
        """
        connection = connections[self.db]
        adapt = connection.ops.adapt_datetimefield_value
        rows = [
            (adapt(a.created_at), adapt(a.updated_at), adapt(a.content_changed_at), a.pk)
            for a in articles
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE articles_article SET created_at = %s, updated_at = %s, "
                "content_changed_at = %s WHERE id = %s",
                rows,
            )

    def for_listing(self) -> ArticleQuerySet:
        return (
            self.published()
            .select_related("section", "lead_media")
            .prefetch_related("authors")
            .order_by("-published_at", "-pk")
        )


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    class Comments(models.TextChoices):
        DEFAULT = "default", "Site default (closes after BYLINE_COMMENTS_CLOSE_AFTER_DAYS)"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        AFTER = "after", "Close after the number of days below"

    # What a save compares to tell a real change of content (dateModified) from
    # a change of status, flags or counters.
    CONTENT_FIELDS = (
        "headline",
        "standfirst",
        "body",
        "lead_image",
        "lead_image_alt",
        "lead_image_caption",
    )

    headline = models.CharField(max_length=300)
    slug = models.SlugField(max_length=300, unique=True, allow_unicode=True)
    standfirst = models.TextField(
        blank=True, help_text="The dek: one or two sentences under the headline."
    )
    body = models.TextField(help_text="Markdown.")
    body_html = models.TextField(editable=False, default="")
    body_text = models.TextField(
        editable=False, default="", help_text="The body as plain text, for search."
    )
    standfirst_html = models.TextField(editable=False, default="")
    word_count = models.PositiveIntegerField(editable=False, default=0)
    reading_seconds = models.PositiveIntegerField(editable=False, default=0)
    authors = models.ManyToManyField(Author, related_name="articles", blank=True)
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, related_name="articles", blank=True)
    lead_media = models.ForeignKey(
        "media.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="lead image",
        help_text="From the media library: leads the article, its teasers and link previews.",
    )
    lead_image = models.ImageField(
        "uploaded lead image",
        upload_to="lead/%Y/%m/",
        blank=True,
        max_length=300,
        help_text="An image uploaded before the media library (and WordPress imports); the "
        "library's lead image takes its place when chosen.",
    )
    lead_image_alt = models.CharField(
        max_length=300, blank=True, help_text="Describes the image for readers who cannot see it."
    )
    lead_image_caption = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    password = models.CharField(
        max_length=255,
        blank=True,
        help_text="Readers must enter this password to read the article. A protected article "
        "is never cached, listed, in feeds, sitemaps, search or the API.",
    )
    featured = models.BooleanField(
        default=False,
        help_text="Featured on the front page (the latest featured article leads it; a "
        "WordPress sticky post imports as featured).",
    )
    # Indexed by ``article_visible_latest`` (first column), not alone: SQLite chose the
    # narrower index for a listing and read each article's row to learn its status.
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When readers may see it. In the future, the article is scheduled.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Newsroom editing (byline/newsroom): who started it, the version forms
    # load and must still find when they save, the last real change of
    # content, and whether readers may comment.
    created_by = done_by()
    # Database defaults too: rows written in bulk by raw SQL (bench, imports) get them.
    version = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    content_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The last change of headline, dek, body or image, or a correction added.",
    )
    comment_state = models.CharField(
        "comments",
        max_length=10,
        choices=Comments.choices,
        default=Comments.DEFAULT,
        db_default=Comments.DEFAULT,
    )
    comments_close_days = models.PositiveSmallIntegerField(
        "close comments after (days)",
        null=True,
        blank=True,
        help_text="Days after publication, for “Close after”.",
    )
    # How many removed (trashed or spam) top-level comments head a thread that still has
    # an approved comment, shown under "This comment was removed.". Kept by the
    # discussion app whenever an article's comments change (``threads.refresh_shown``);
    # 0 on almost every article, whose page then skips the query that finds them.
    removed_threads = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        permissions = [
            ("publish_article", "Can publish, schedule and unpublish articles"),
            ("edit_any_article", "Can edit any article, not only their own drafts"),
            ("restore_revision", "Can restore an earlier revision of an article"),
        ]
        indexes = [
            models.Index(fields=["status", "published_at"]),
            # A section's listing, latest first, read from the index (no sort of the section).
            models.Index(fields=["section", "-published_at", "-id"], name="article_section_latest"),
            # The sitemaps' lastmod: the latest edit, without reading every article.
            models.Index(fields=["updated_at"], name="article_updated"),
            # The front page's lead, the latest featured article, read at its first row: the
            # featured ones alone, latest first (a few articles). By the featured column
            # SQLite walked the articles newest first to the latest featured one: every
            # article on a site that features none (its statistics call a boolean unselective).
            models.Index(
                fields=["-published_at", "-id"],
                condition=models.Q(featured=True),
                name="article_featured_latest",
            ),
            # The published articles, latest first, with what tells a published one, read
            # without the rows (on SQLite a row's status and password lie past its body):
            # a popular tag's listing and a common word's search walk it (``tagged``).
            models.Index(
                fields=["-published_at", "-id", "status", "password"],
                name="article_visible_latest",
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args, **kwargs) -> None:
        if self.is_public_status and self.published_at is None:
            # To the second, as the admin's date/time widget reads and writes it.
            self.published_at = timezone.now().replace(microsecond=0)
        if self.is_public_status:
            future = self.published_at > timezone.now()
            self.status = self.Status.SCHEDULED if future else self.Status.PUBLISHED
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(self.CONTENT_FIELDS):
            self.tidy()
            self.render()
            key = self.content_key()
            if self.content_changed_at is None or key != getattr(self, "_loaded_content", None):
                self.content_changed_at = timezone.now()
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "content_changed_at"}
            self._loaded_content = key
        if not self.slug:  # from the headline as readers see it (tidied above)
            self.slug = slugify(self.headline, allow_unicode=True)[:300] or "article"
        super().save(*args, **kwargs)
        article_changed.send(sender=Article, article_id=self.pk)

    def get_absolute_url(self) -> str:
        return url_for("articles:detail", self.slug)

    def clean(self) -> None:
        if not self.headline_of(self.headline):
            raise ValidationError({"headline": "Give a headline readers can see."})
        self.tidy()

    @staticmethod
    def headline_of(value: str | None) -> str:
        """``value`` as a headline is stored: one line of plain text (``name_text``), or ""
        when no character a reader can see is left (the form and autosave refuse it)."""
        text = name_text(value or "")
        return text if shows_text(text) else ""

    def tidy(self) -> None:
        """The text without the control characters browsers draw as boxes (``typed_text``),
        whichever way it is saved: the form, autosave, a restored revision, the shell,
        the WordPress import. The headline is one line, cleaned as names are
        (``title_text``: no direction controls, one space between words; "Untitled" when
        nothing visible is left, never a blank ``<h1>``), the same wherever it is shown:
        the page's ``<h1>`` and ``<title>``, teasers, share links, feeds, structured data,
        sitemaps, exports. Migration 0016 cleaned the headlines stored before."""
        self.headline = title_text(self.headline or "")
        for name in ("lead_image_alt", "lead_image_caption"):
            setattr(self, name, typed_text(getattr(self, name) or "", multiline=False))
        for name in ("standfirst", "body"):
            setattr(self, name, typed_text(getattr(self, name) or "", multiline=True))

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_content = instance.content_key()
        return instance

    def content_key(self) -> tuple | None:
        """The content readers see, to compare with what was loaded (None if deferred)."""
        deferred = self.get_deferred_fields()
        if any(name in deferred for name in self.CONTENT_FIELDS):
            return None
        return tuple(str(getattr(self, name) or "") for name in self.CONTENT_FIELDS)

    @property
    def is_public_status(self) -> bool:
        return self.status in (self.Status.PUBLISHED, self.Status.SCHEDULED)

    def delete(self, *args, **kwargs):
        article_id = self.pk
        result = super().delete(*args, **kwargs)
        article_changed.send(sender=Article, article_id=article_id)
        return result

    def render(self, body_html: str | None = None) -> None:
        """Render Markdown to sanitized HTML and derive word count and reading time, once.

        ``body_html`` is the body already as sanitized HTML (a WordPress import
        stores HTML, which Markdown passes through unchanged): Markdown is skipped.
        """
        self.standfirst_html = render_markdown(self.standfirst) if self.standfirst else ""
        self.body_html = render_markdown(self.body) if body_html is None else body_html
        self.body_text = plain_text(self.body_html)
        stats = readingtime.text_stats(f"<p>{self.standfirst_html}</p>{self.body_html}")
        self.word_count = stats.words
        self.reading_seconds = readingtime.seconds_for(
            stats,
            words_per_minute=settings.BYLINE_READING_WPM,
            cjk_chars_per_minute=settings.BYLINE_READING_CJK_CPM,
        )

    @property
    def is_live(self) -> bool:
        return (
            self.is_public_status
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_protected(self) -> bool:
        return bool(self.password)

    @property
    def modified_at(self):
        """The last real change readers can see (dateModified, feeds' updated dates):
        content edits and corrections, never a status flip, a flag or a comment."""
        changed = self.content_changed_at or self.updated_at
        if self.published_at is None:
            return changed
        return max(changed, self.published_at) if changed else self.published_at

    @property
    def was_updated(self) -> bool:
        """Edited after publication (saves within the first minutes do not count)."""
        if not self.published_at or self.modified_at is None:
            return False
        return self.modified_at - self.published_at > UPDATE_GRACE

    @property
    def comments_close_at(self):
        """When comments close by themselves: the article's own number of days after
        publication, else BYLINE_COMMENTS_CLOSE_AFTER_DAYS (None: never, or closed by hand)."""
        if self.comment_state in (self.Comments.OPEN, self.Comments.CLOSED):
            return None
        days = settings.BYLINE_COMMENTS_CLOSE_AFTER_DAYS
        if self.comment_state == self.Comments.AFTER and self.comments_close_days is not None:
            days = self.comments_close_days
        if not days or self.published_at is None:
            return None
        return self.published_at + timedelta(days=days)

    @property
    def comments_open(self) -> bool:
        """Whether readers may comment now (editors set the state: ``byline.newsroom``)."""
        if self.comment_state == self.Comments.CLOSED:
            return False
        closes = self.comments_close_at
        return closes is None or timezone.now() < closes

    @property
    def effective_status(self) -> str:
        """What readers experience now: a scheduled article whose time has come is published."""
        if not self.is_public_status:
            return self.Status(self.status).label
        return self.Status.PUBLISHED.label if self.is_live else self.Status.SCHEDULED.label

    @property
    def reading_time_iso(self) -> str:
        return readingtime.iso_duration(self.reading_seconds)

    @property
    def reading_time_text(self) -> str:
        return readingtime.humanize(self.reading_seconds)

    @property
    def reading_minutes(self) -> int:
        """The reading time in whole minutes, at least one, for teasers ("5 min read")."""
        return max(1, round(self.reading_seconds / 60))


class StaticPageQuerySet(models.QuerySet):
    def published(self) -> StaticPageQuerySet:
        return self.filter(status=StaticPage.Status.PUBLISHED)


class StaticPage(models.Model):
    """A page outside the news flow (About, Contact, Ethics policy), served at its own path.

    WordPress pages become these, at their old addresses.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=300)
    path = models.CharField(
        max_length=500,
        unique=True,
        help_text="Filled in from the title: about-us is served at /about-us/, company/about "
        "at /company/about/ (the slashes are added when you save).",
    )
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    in_footer = models.BooleanField(default=False, help_text="Link to it in the footer menu.")
    in_header = models.BooleanField(
        "in navigation",
        default=False,
        help_text="Link to it in the header's navigation, after the sections.",
    )
    footer_order = models.PositiveSmallIntegerField(
        "menu order", default=0, help_text="Order in its menus, lowest first."
    )
    wp_source = models.CharField(max_length=300, blank=True, editable=False)
    wp_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaticPageQuerySet.as_manager()

    class Meta:
        ordering = ["footer_order", "title"]
        constraints = [imported_once("wp_source", "wp_id", name="static_page_unique_wp_id")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.tidy()
        self.path = normalize_page_path(self.path or slugify(self.title, allow_unicode=True))
        self.render()
        super().save(*args, **kwargs)
        # Every page's footer may list it: cached pages are rendered again.
        article_changed.send(sender=StaticPage, article_id=None)

    def get_absolute_url(self) -> str:
        return self.path

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        article_changed.send(sender=StaticPage, article_id=None)
        return result

    def clean(self) -> None:
        if not shows_text(name_text(self.title or "")):
            raise ValidationError({"title": "Give a title readers can see."})
        self.tidy()
        self.path = normalize_page_path(self.path or slugify(self.title, allow_unicode=True))
        if UNREACHABLE_PATH.search(self.path):
            raise ValidationError(
                {
                    "path": "Give the path from the site's root, such as /about/: no other "
                    "site's address, no “?”, “#” or “..”."
                }  # fmt: skip
            )
        if is_byline_path(self.path):
            raise ValidationError(
                {
                    "path": f"The site itself answers at {self.path} (a section, a feed, an "
                    "article, the admin...), so the page would never be shown: choose another "
                    f"path, such as /pages{self.path}."
                }  # fmt: skip
            )

    def tidy(self) -> None:
        """The title cleaned as a headline is (``title_text``: one line, no direction
        controls, "Untitled" when nothing visible is left), whichever way it is saved (the
        admin, the WordPress import, the shell); the body without pasted control
        characters, as an article's. Migration 0017 cleaned the titles stored before."""
        self.title = title_text(self.title or "")
        self.body = typed_text(self.body or "", multiline=True)

    def render(self, body_html: str | None = None) -> None:
        """Sanitized HTML, once, like an article body (imported HTML is passed in as is)."""
        self.body_html = render_markdown(self.body) if body_html is None else body_html


# A query or fragment mark, a dot segment, or a scheme ("https:"): no request's path is that.
UNREACHABLE_PATH = re.compile(r"[?#]|/\.\.?/|^/[^/]*:")


def is_byline_path(path: str) -> bool:
    """Whether Byline itself answers ``path`` (so a static page cannot live there)."""
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def normalize_page_path(path: str) -> str:
    """``about`` or ``/company/about`` → ``/about/``, ``/company/about/``."""
    parts = [part for part in path.strip().split("/") if part]
    return "/" + "".join(f"{part}/" for part in parts) if parts else "/page/"
