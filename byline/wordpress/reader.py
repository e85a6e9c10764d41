"""Reading WordPress exports (WXR 1.0, 1.1 and 1.2) into plain dataclasses.

The parser knows nothing of Byline's models: it turns the file into
``WxrExport`` (site, authors, categories, tags, items) with every item's
comments as ``WxrComment`` rows (threads by parent id, statuses, dates, the
commenter's details, WordPress ids). ``importer`` decides what to keep.

The file is untrusted. It is parsed with lxml with entity resolution, DTD
loading and network access off, and a file that declares a DTD at all is
refused (WordPress never writes one), so neither external entities (XXE) nor
entity expansion ("billion laughs") can do anything. Every problem is a
``WxrError`` naming the line.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO
from urllib.parse import unquote

from lxml import etree

from byline.articles.rendering import unescape

# WordPress writes http://wordpress.org/export/1.2/; WordPress.com and the Theme Unit
# Test data write https://. Any version is read; one Byline does not know is reported.
WXR_NAMESPACE = re.compile(r"^https?://(?:www\.)?wordpress\.org/export/([^/]{1,20})/?$")
KNOWN_VERSIONS = {"1.0", "1.1", "1.2"}
# Items without <wp:post_id> (WordPress's importer accepts them) get a stable id from
# their guid or link, above every real WordPress id.
SYNTHETIC_ID_BASE = 1 << 62
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
NO_DATE = {"", "0000-00-00 00:00:00"}
COMMENT_STATUSES = {"1": "approved", "0": "pending", "spam": "spam", "trash": "trash"}
# Post metadata worth keeping: the featured image of a post, the alt text of an image.
# WordPress exports much more (some of it large serialized blobs); the rest is dropped.
KEPT_META = {
    "_thumbnail_id",
    "_wp_attachment_image_alt",
    "footnotes",
    # A menu item (nav_menu_item): what it links to, for the pages put in the footer.
    "_menu_item_type",
    "_menu_item_object",
    "_menu_item_object_id",
}
# The children of <channel> the reader uses (``{*}``: in any namespace, the wp: one
# is known only from the root); lxml reports no other element.
CHANNEL_TAGS = (
    "item", "title", "link", "language", "{*}author", "{*}category", "{*}tag", "{*}term",
    "{*}base_site_url", "{*}base_blog_url", "{*}wxr_version",
)  # fmt: skip
WP_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
# A slug is one part of an address (``articles.models.SLUG``, read without Django).
SLUG = re.compile(r"[-\w]+")


class WxrError(ValueError):
    """The file is not a WordPress export we can read; the message names the line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class WxrAuthor:
    """A ``<wp:author>``; ``display_name`` as WordPress stores it, HTML (``content.plain``)."""

    login: str
    display_name: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    wp_id: int | None = None

    @property
    def name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return self.display_name or full or self.login


@dataclass(frozen=True)
class WxrTerm:
    """A category or a tag. ``slug`` is decoded (WordPress percent-encodes non-ASCII slugs);
    ``name`` is as WordPress stores it, HTML (``&amp;`` for "&": ``content.plain``)."""

    slug: str
    name: str
    description: str = ""
    parent: str = ""
    wp_id: int | None = None  # wp:term_id, for the old ?cat=12 links


@dataclass(frozen=True)
class WxrComment:
    """One comment, pingback or trackback as WordPress exported it.

    ``status`` is ``approved``, ``pending``, ``spam`` or ``trash``; ``kind`` is
    ``comment``, ``pingback``, ``trackback`` or whatever the export says.
    ``parent_id`` is the WordPress id of the comment it answers (None: top
    level). ``author_ip`` is the raw address from the export: whoever stores a
    comment must hash it, never keep it.
    """

    wp_id: int
    post_wp_id: int
    parent_id: int | None
    author_name: str
    author_email: str
    author_url: str
    author_ip: str
    posted_at: datetime | None
    content: str
    status: str
    kind: str
    user_id: int | None
    line: int


@dataclass
class WxrItem:
    """One ``<item>``: a post, page, attachment or anything else, with its comments."""

    wp_id: int
    post_type: str
    status: str
    title: str
    slug: str
    link: str
    guid: str
    content: str
    excerpt: str
    creator: str
    published_at: datetime | None
    local_date: datetime | None  # the site-local date WordPress builds permalinks from
    modified_at: datetime | None
    categories: list[WxrTerm] = field(default_factory=list)
    tags: list[WxrTerm] = field(default_factory=list)
    comments: list[WxrComment] = field(default_factory=list)
    parent_id: int = 0
    attachment_url: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # only the keys in KEPT_META
    line: int = 0
    password: str = ""  # wp:post_password: readers must give it to read the post
    sticky: bool = False
    menu_order: int = 0
    has_id: bool = True  # False: the file had no <wp:post_id>, ``wp_id`` is derived


@dataclass
class WxrExport:
    version: str
    title: str = ""
    link: str = ""
    base_site_url: str = ""
    base_blog_url: str = ""
    language: str = ""
    authors: dict[str, WxrAuthor] = field(default_factory=dict)
    categories: dict[str, WxrTerm] = field(default_factory=dict)
    tags: dict[str, WxrTerm] = field(default_factory=dict)
    items: list[WxrItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    declared_version: str | None = None  # what <wp:wxr_version> said, None when absent

    @property
    def source(self) -> str:
        """What identifies the exporting blog: its own address, never the host's alone.

        ``base_site_url`` is the same for every blog of a WordPress.com or
        multisite host (``https://wordpress.com``), so the blog's address
        (``base_blog_url``, else the channel's ``link``) comes first.
        """
        found = self.base_blog_url or self.link or self.base_site_url or self.title or "wordpress"
        return found.strip().rstrip("/")[:300]

    @property
    def blog_folder(self) -> str:
        """The folder WordPress lived in (``/blog``), empty at the root of its host."""
        from urllib.parse import urlsplit

        return urlsplit(self.base_blog_url or self.link).path.rstrip("/")

    @property
    def comment_count(self) -> int:
        return sum(len(item.comments) for item in self.items)


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def text_of(element) -> str:
    return (element.text or "") if element is not None else ""


def clean_slug(value: str) -> str:
    """A WordPress slug, decoded (it percent-encodes non-ASCII ones), as one part of an
    address: one that cannot be (a "/", a space, a control character) is slugified."""
    slug = unquote(value.strip())
    if slug and not SLUG.fullmatch(slug):
        from django.utils.text import slugify

        slug = slugify(slug, allow_unicode=True)
    return slug


def as_int(value: str, what: str, line: int, default: int | None = None) -> int | None:
    value = value.strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise WxrError(f"<{what}> {value[:40]!r} is not a whole number", line) from None


def as_date(value: str, what: str, line: int, utc: bool = True) -> datetime | None:
    """WordPress writes ``YYYY-MM-DD HH:MM:SS``; the ``_gmt`` fields are UTC."""
    value = value.strip()
    if value in NO_DATE:
        return None
    try:
        if WP_DATE.fullmatch(value):  # what WordPress writes: the fast way
            parsed = datetime.fromisoformat(value)
        else:
            parsed = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 (zone added below)
    except ValueError:
        raise WxrError(
            f"<{what}> {value[:40]!r} is not a date (YYYY-MM-DD HH:MM:SS)", line
        ) from None
    return parsed.replace(tzinfo=UTC) if utc else parsed


def rfc822_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _ProgressReader:
    """A file wrapper that reports how many bytes were read, for the progress bar."""

    def __init__(self, stream: IO[bytes], on_read: Callable[[int], object]) -> None:
        self.stream = stream
        self.on_read = on_read

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.on_read(len(chunk))
        return chunk


def parse(
    stream: IO[bytes], on_read: Callable[[int], object] | None = None, *, lean: bool = False
) -> WxrExport:
    """Read a whole WXR file. Raises ``WxrError`` (with the line) on anything unreadable.

    ``lean``: for files too big to hold, items keep everything but their text
    (``content``, and a post's ``excerpt``) and their comments; ``iter_items()``
    reads them again, one at a time, when they are written. The whole file is
    still checked.
    """
    export: WxrExport | None = None
    for export, element, name, wp in _channel_children(stream, on_read):
        _read_channel_child(export, element, name, wp, lean)
    if export is None:
        raise WxrError("the file is empty")
    check_version(export)
    return export


def iter_items(stream: IO[bytes]) -> Iterator[WxrItem]:
    """Every ``<item>`` of the file in full, one at a time (memory stays bounded)."""
    for _, element, name, wp in _channel_children(stream):
        namespace = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
        if name == "item" and not namespace:
            yield _item(element, wp)


def _channel_children(
    stream: IO[bytes], on_read: Callable[[int], object] | None = None
) -> Iterator[tuple[WxrExport, object, str, str]]:
    """Each finished child of ``<channel>`` Byline reads, freed once the caller has read it.

    lxml reports only the elements named in ``CHANNEL_TAGS`` (matched in C), so
    the tens of elements inside every comment cost no Python at all; those
    that are not the channel's own (an item's ``<title>``) are passed over.
    """
    source = _ProgressReader(stream, on_read) if on_read else stream
    events = etree.iterparse(
        source,
        events=("end",),
        tag=CHANNEL_TAGS,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )
    export: WxrExport | None = None
    wp = ""
    try:
        for _, element in events:
            parent = element.getparent()
            if parent is None or local(parent.tag) != "channel":
                continue
            if export is None:
                export, wp = _check_root(element.getroottree().getroot())
            yield export, element, local(element.tag), wp
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        line = error.lineno or (error.position[0] if error.position else None) or 1
        raise WxrError(f"the XML is malformed: {error.msg}", line) from None
    if export is None and events.root is not None:
        _check_root(events.root)  # not an export at all, rather than an empty one


def check_version(export: WxrExport) -> None:
    """An unknown or missing version is read as WXR 1.2, with a warning naming it."""
    declared = export.declared_version
    if declared is None:
        export.warnings.append(
            f"the file does not say its WXR version (no <wp:wxr_version>): it was read as "
            f"WXR {export.version}; check the result"
        )
    elif declared not in KNOWN_VERSIONS:
        export.warnings.append(
            f"the file says it is WXR version {declared[:40]!r}, which Byline does not know "
            "(it reads 1.0 to 1.2): it was read as WXR 1.2; check the result"
        )
    if export.version not in KNOWN_VERSIONS:
        export.version = "1.2"


def _check_root(root) -> tuple[WxrExport, str]:
    line = root.sourceline
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise WxrError(
            "the file declares a DTD (<!DOCTYPE ...>); WordPress exports never do, "
            "and it is refused for safety",
            line,
        )
    if local(root.tag) != "rss":
        raise WxrError(
            f"this is not a WordPress export: the document is <{local(root.tag)}>, "
            "expected <rss> with the WordPress export namespace",
            line,
        )
    # The namespace bound to ``wp`` wins (a file may declare others, wp2: 1.1 ...).
    candidates = [root.nsmap.get("wp"), *root.nsmap.values()]
    for namespace in candidates:
        match = WXR_NAMESPACE.match(namespace or "")
        if match:
            return WxrExport(version=match.group(1)), namespace
    raise WxrError(
        "this RSS file is not a WordPress export: it lacks the namespace "
        "http://wordpress.org/export/1.x/ (export it from WordPress: Tools → Export)",
        line,
    )


_KEYS: dict[tuple[str, str], str] = {}  # (tag, wp namespace) → key, for _children


def _key(tag: str, wp: str) -> str:
    """``{wp namespace}post_id`` → ``wp:post_id`` (``content:``, ``dc:``, ``excerpt:`` too)."""
    if not tag.startswith("{"):
        return tag
    namespace, name = tag[1:].split("}", 1)
    prefix = {wp: "wp:", CONTENT_NS: "content:", DC_NS: "dc:"}.get(namespace)
    if prefix is None:
        prefix = "excerpt:" if namespace.endswith("/excerpt/") else f"{{{namespace}}}"
    return prefix + name


def _children(element, wp: str) -> dict[str, object]:
    """Map each child's name (``wp:post_id``, ``content:encoded``, ``title``) to the element."""
    found: dict[str, object] = {}
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        key = _KEYS.get((tag, wp))
        if key is None:
            key = _key(tag, wp)
            if len(_KEYS) < 4096:  # a file names few distinct tags; a hostile one, many
                _KEYS[(tag, wp)] = key
        if key not in found:
            found[key] = child
    return found


def _read_channel_child(export: WxrExport, element, name: str, wp: str, lean: bool) -> None:
    namespace = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
    if namespace == wp:
        fields = {k: text_of(v) for k, v in _children(element, wp).items()}
        if name == "author":
            login = fields.get("wp:author_login", "").strip()
            if login:
                export.authors[login] = WxrAuthor(
                    login=login,
                    display_name=fields.get("wp:author_display_name", "").strip(),
                    email=fields.get("wp:author_email", "").strip(),
                    first_name=fields.get("wp:author_first_name", "").strip(),
                    last_name=fields.get("wp:author_last_name", "").strip(),
                    wp_id=as_int(
                        fields.get("wp:author_id", ""), "wp:author_id", element.sourceline
                    ),
                )
        elif name == "category":
            term = _term(fields.get("wp:category_nicename", ""), fields.get("wp:cat_name", ""))
            if term:
                description = fields.get("wp:category_description", "").strip()
                parent = clean_slug(fields.get("wp:category_parent", ""))
                term_id = _term_id(fields.get("wp:term_id", ""))
                export.categories[term.slug] = WxrTerm(
                    term.slug, term.name, unescape(description), parent, term_id
                )
        elif name == "tag":
            term = _term(fields.get("wp:tag_slug", ""), fields.get("wp:tag_name", ""))
            if term:
                description = unescape(fields.get("wp:tag_description", "").strip())
                term_id = _term_id(fields.get("wp:term_id", ""))
                export.tags[term.slug] = WxrTerm(term.slug, term.name, description, "", term_id)
        elif name == "term":
            # WordPress 4.x+ writes terms of other taxonomies as <wp:term>; some tools
            # write categories and tags that way too.
            taxonomy = fields.get("wp:term_taxonomy", "").strip()
            term = _term(fields.get("wp:term_slug", ""), fields.get("wp:term_name", ""))
            if term and taxonomy in {"category", "post_tag"}:
                description = unescape(fields.get("wp:term_description", "").strip())
                parent = clean_slug(fields.get("wp:term_parent", ""))
                found = WxrTerm(term.slug, term.name, description, parent,
                                _term_id(fields.get("wp:term_id", "")))  # fmt: skip
                terms = export.categories if taxonomy == "category" else export.tags
                terms.setdefault(term.slug, found)
        elif name == "base_site_url":
            export.base_site_url = text_of(element).strip()
        elif name == "base_blog_url":
            export.base_blog_url = text_of(element).strip()
        elif name == "wxr_version":
            export.declared_version = text_of(element).strip()
            export.version = export.declared_version or export.version
    elif not namespace:
        if name == "item":
            export.items.append(_item(element, wp, lean))
        elif name in {"title", "link", "language"}:
            setattr(export, name, html.unescape(text_of(element).strip()))


def _term_id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _term(slug: str, name: str) -> WxrTerm | None:
    from django.utils.text import slugify

    name = name.strip()
    slug = clean_slug(slug) or slugify(html.unescape(name), allow_unicode=True)
    # The name is cut when it is plain text (the importer): "&lt;" is one character.
    return WxrTerm(slug=slug[:100], name=name or slug) if slug else None


def _item(element, wp: str, lean: bool = False) -> WxrItem:
    line = element.sourceline
    children = _children(element, wp)

    def value(key: str) -> str:
        return text_of(children.get(key))

    post_id = as_int(value("wp:post_id"), "wp:post_id", line)
    has_id = bool(post_id)
    if not post_id:
        # WordPress's importer gives such an item a new id; ours is derived from what
        # names the item, so importing the file again finds it.
        key = value("guid").strip() or value("link").strip()
        key = key or f"{value('title')}\x00{value('wp:post_date')}\x00{value('wp:post_name')}"
        digest = int(hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:15], 16)
        post_id = SYNTHETIC_ID_BASE + digest
    published = as_date(value("wp:post_date_gmt"), "wp:post_date_gmt", line)
    local_date = as_date(value("wp:post_date"), "wp:post_date", line, utc=False)
    if published is None:
        published = rfc822_date(value("pubDate")) or (
            local_date.replace(tzinfo=UTC) if local_date else None
        )
    post_type = value("wp:post_type").strip()
    item = WxrItem(
        wp_id=post_id,
        has_id=has_id,
        # Empty when the file does not say: the importer decides (it never publishes it).
        post_type=post_type,
        # WordPress's importer saves an item without a status as a draft.
        status=value("wp:status").strip() or "draft",
        password=value("wp:post_password"),
        sticky=value("wp:is_sticky").strip() not in {"", "0"},
        menu_order=as_int(value("wp:menu_order"), "wp:menu_order", line, 0) or 0,
        title=value("title"),
        slug=clean_slug(value("wp:post_name")),
        link=value("link").strip(),
        guid=value("guid").strip(),
        content="" if lean else value("content:encoded"),
        # Read lean, a post's excerpt waits for the second reading too (an attachment's
        # is its caption, which galleries and featured images need from the first).
        excerpt="" if lean and post_type != "attachment" else value("excerpt:encoded"),
        creator=value("dc:creator").strip(),
        published_at=published,
        local_date=local_date,
        modified_at=as_date(value("wp:post_modified_gmt"), "wp:post_modified_gmt", line),
        parent_id=as_int(value("wp:post_parent"), "wp:post_parent", line, 0) or 0,
        attachment_url=value("wp:attachment_url").strip(),
        line=line,
    )
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local(child.tag)
        if name == "category" and not child.tag.startswith("{"):
            _add_term(item, child)
        elif name == "comment" and child.tag == f"{{{wp}}}comment":
            if lean:
                _comment(child, wp, item.wp_id)  # checked now, kept when written
            else:
                item.comments.append(_comment(child, wp, item.wp_id))
        elif name == "postmeta" and child.tag == f"{{{wp}}}postmeta":
            fields = _children(child, wp)
            key = text_of(fields.get("wp:meta_key")).strip()
            if key in KEPT_META:
                item.meta[key] = text_of(fields.get("wp:meta_value")).strip()
    return item


def _add_term(item: WxrItem, element) -> None:
    domain = element.get("domain", "category")
    term = _term(element.get("nicename", ""), text_of(element))
    if term is None:
        return
    if domain == "category":
        item.categories.append(term)
    elif domain in {"post_tag", "tag"}:
        item.tags.append(term)


def _comment(element, wp: str, post_id: int) -> WxrComment:
    line = element.sourceline
    fields = {k: text_of(v) for k, v in _children(element, wp).items()}
    approved = fields.get("wp:comment_approved", "1").strip()
    posted = as_date(fields.get("wp:comment_date_gmt", ""), "wp:comment_date_gmt", line)
    if posted is None:
        posted = as_date(fields.get("wp:comment_date", ""), "wp:comment_date", line)
    parent = as_int(fields.get("wp:comment_parent", ""), "wp:comment_parent", line, 0)
    user = as_int(fields.get("wp:comment_user_id", ""), "wp:comment_user_id", line, 0)
    comment_id = as_int(fields.get("wp:comment_id", ""), "wp:comment_id", line)
    if comment_id is None:
        raise WxrError("this <wp:comment> has no <wp:comment_id>", line)
    return WxrComment(
        wp_id=comment_id,
        post_wp_id=post_id,
        parent_id=parent or None,
        author_name=unescape(fields.get("wp:comment_author", "").strip()),
        author_email=fields.get("wp:comment_author_email", "").strip(),
        author_url=fields.get("wp:comment_author_url", "").strip(),
        author_ip=fields.get("wp:comment_author_IP", "").strip(),
        posted_at=posted,
        content=fields.get("wp:comment_content", ""),
        status=COMMENT_STATUSES.get(approved, "trash" if "trash" in approved else "pending"),
        kind=fields.get("wp:comment_type", "").strip() or "comment",
        user_id=user or None,
        line=line,
    )


def in_thread_order(comments: Iterable[WxrComment]) -> list[WxrComment]:
    """Comments ordered so that every parent comes before its replies (then by date, id).

    A reply whose parent is not in the export (deleted on the old site) is
    treated as a top-level comment, so nothing is lost and no thread loops.
    """
    comments = list(comments)
    by_id = {c.wp_id: c for c in comments}
    children: dict[int | None, list[WxrComment]] = {}
    for comment in comments:
        parent = comment.parent_id if comment.parent_id in by_id else None
        if parent == comment.wp_id:
            parent = None
        children.setdefault(parent, []).append(comment)
    ordered: list[WxrComment] = []
    seen: set[int] = set()
    stack = sorted(children.get(None, []), key=_thread_key, reverse=True)
    while stack:
        comment = stack.pop()
        if comment.wp_id in seen:
            continue
        seen.add(comment.wp_id)
        ordered.append(comment)
        stack.extend(sorted(children.get(comment.wp_id, []), key=_thread_key, reverse=True))
    # Comments caught in a parent loop (a → b → a) have no root: keep them as top level.
    ordered.extend(c for c in sorted(comments, key=_thread_key) if c.wp_id not in seen)
    return ordered


def _thread_key(comment: WxrComment) -> tuple:
    return (comment.posted_at or datetime.min.replace(tzinfo=UTC), comment.wp_id)


def merge(exports: list[WxrExport]) -> WxrExport:
    """Several files of one blog's export (split by size or by type) read as one.

    The order of the files does not matter: authors, terms and items are
    gathered, an item listed in two files is kept once (the first seen), and
    every file's warnings are kept. Files of different blogs are refused.
    """
    first = exports[0]
    sources = {export.source for export in exports}
    if len(sources) > 1:
        raise WxrError(
            "these files come from different blogs (" + ", ".join(sorted(sources)) + "): "
            "import them one at a time"
        )
    # The first file's header with the newest version; what the files list is gathered below.
    merged = replace(
        first,
        version=max(export.version for export in exports),
        authors={},
        categories={},
        tags={},
        items=[],
        warnings=[],
    )
    seen: set[tuple[str, int]] = set()
    for export in exports:
        merged.authors.update({k: v for k, v in export.authors.items() if k not in merged.authors})
        for slug, term in export.categories.items():
            merged.categories.setdefault(slug, term)
        for slug, term in export.tags.items():
            merged.tags.setdefault(slug, term)
        for item in export.items:
            key = (item.post_type, item.wp_id)
            if key not in seen:
                seen.add(key)
                merged.items.append(item)
        merged.warnings.extend(w for w in export.warnings if w not in merged.warnings)
    return merged
