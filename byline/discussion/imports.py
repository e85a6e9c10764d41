"""Storing comments brought over from another system (a WordPress export).

``store_imported_comments()`` is what ``byline import-wxr`` calls: it takes
the comments of the imported posts, parents before replies, and writes them in
a few bulk inserts, threads, statuses, dates and commenters' details kept.
Every row is keyed on (source, original id), so importing the same file again
adds nothing twice and a later export with new replies adds only those.

An import is not a reader posting: there is no spam check, no notification and
no per-comment signal. The caller runs it inside its own transaction; when it
is done, the approved-comment count of every article it touched is rewritten
(``refresh_counts``), and the caller tells the page cache once per article.

What the discussion app promises readers holds for imported comments too:

- Bodies go through the same renderer as readers' comments (nh3: paragraphs,
  em, strong, code, blockquote, autolinked URLs); WordPress's links become
  "text (URL)" so the address survives as an autolink.
- Threads keep their shape: every reply keeps its link to the comment it
  answers, however deep; its ``depth`` stops at ``BYLINE_COMMENT_MAX_DEPTH``
  (the deepest level the page indents).
- The raw IP address is never stored. It is hashed (``readers.hash_ip``, salted
  with the comment's own day) only while the comment is younger than
  ``BYLINE_COMMENT_IP_RETENTION_DAYS``; older addresses are dropped, since the
  comment-data page promises hashed addresses are gone after that.
- Website addresses other than http(s) are dropped (no ``javascript:`` link).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from byline import bulkcopy
from byline.discussion.markup import render_body
from byline.discussion.models import Comment, commenter_name
from byline.discussion.threads import refresh_shown
from byline.engagement.stats import set_comment_counts
from byline.readers import hash_ip

BATCH = 1000
STATUSES = {
    "approved": Comment.Status.APPROVED,
    "pending": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.TRASH,
}
NOT_COMMENTS = {
    "pingback": "pingbacks (Byline does not take pingbacks: the linking sites are not kept)",
    "trackback": "trackbacks (Byline does not take trackbacks: the linking sites are not kept)",
}
# Any other type is not a reader's comment: WordPress 6.9's editorial notes on blocks
# ("note", approved once resolved), plugins' records (order notes, logs). Never published.
PRIVATE_TYPE = (
    "comments of type '{}' (not readers' comments: editors' notes and plugins' records stay "
    "private)"
)
REPLY_TO_PRIVATE = "replies to comments that stay private (editors' notes, plugins' records)"
ANCHOR = re.compile(
    r"""<a\b[^>]*?\bhref\s*=\s*(["'])(https?://[^"'\s<>]+)\1[^>]*>(.*?)</a\s*>""",
    re.IGNORECASE | re.DOTALL,
)
ANY_TAG = re.compile(r"<[^>]*>")
# Structure a reader's comment cannot carry as HTML becomes lines, so no words run
# together: headings and blocks are paragraphs, list items "- " lines, table rows lines
# with their cells separated by " | ".
# A quotation stays one (the renderer keeps <blockquote>), its paragraphs as lines.
QUOTATION = re.compile(r"<blockquote\b[^>]*>(.*?)</blockquote\s*>", re.IGNORECASE | re.DOTALL)
BLOCK_BREAK = re.compile(
    r"</?(?:h[1-6]|p|div|ul|ol|dl|table|thead|tbody|tfoot|blockquote|pre|section|article|"
    r"header|footer|address|figure)\b[^>]*>",
    re.IGNORECASE,
)
LIST_ITEM = re.compile(r"<(?:li|dt|dd)\b[^>]*>", re.IGNORECASE)
ROW_END = re.compile(r"</tr\s*>", re.IGNORECASE)
CELL_END = re.compile(r"</t[dh]\s*>\s*(?=<t[dh]\b)", re.IGNORECASE)
LINE_BREAK = re.compile(r"<br\s*/?>|</(?:li|dt|dd)\s*>", re.IGNORECASE)


class ImportedComment(Protocol):
    """One comment as the exporting system had it (``wordpress.reader.WxrComment`` is one)."""

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


@dataclass
class ImportResult:
    """What became of the comments handed to :func:`store_imported_comments`."""

    stored: int = 0
    already_stored: int = 0
    not_stored: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    article_ids: set[int] = field(default_factory=set)  # articles that got new comments

    def add(self, other: ImportResult) -> None:
        """Count ``other`` (a later batch of the same import) in."""
        self.stored += other.stored
        self.already_stored += other.already_stored
        self.not_stored.update(other.not_stored)
        self.notes.extend(other.notes)
        self.article_ids |= other.article_ids


@dataclass(eq=False, slots=True)
class _Node:
    """A comment's place in its thread: stored already (``pk`` known) or about to be."""

    depth: int
    parent: _Node | None = None
    pk: int | None = None
    level: int = 0  # the round of inserts it goes in: after its parent's
    thread_id: int | None = None
    values: dict[str, object] | None = None  # the new row's columns (``_insert`` adds the rest)


def imported_body(content: str) -> str:
    """A WordPress comment's HTML as a Byline comment body (the renderer does the rest).

    Links keep their address: ``<a href="URL">text</a>`` becomes ``text (URL)``
    (just ``URL`` when the text is the address), which the renderer autolinks.
    Headings, lists and tables become paragraphs and lines (see ``BLOCK_BREAK``);
    a ``<blockquote>`` stays a quotation, its paragraphs as lines.
    """

    def link(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        text = ANY_TAG.sub("", match.group(3)).strip()
        if not text or html.unescape(text).rstrip("/") == url.rstrip("/"):
            return url
        return f"{text} ({url})"

    def quotation(match: re.Match[str]) -> str:
        lines = BLOCK_BREAK.sub("\n", match.group(1))
        inner = "\n".join(line.strip() for line in lines.split("\n") if line.strip())
        return f"\n\n\x00{inner}\x01\n\n" if inner else ""

    text = ANCHOR.sub(link, content.replace("\r\n", "\n"))
    if "<" not in text:
        return text.strip()
    keep_inline = QUOTATION.sub(quotation, text)
    keep_inline = BLOCK_BREAK.sub("\n\n", keep_inline)
    keep_inline = LIST_ITEM.sub("\n- ", keep_inline)
    keep_inline = CELL_END.sub(" | ", keep_inline)
    keep_inline = ROW_END.sub("\n", keep_inline)
    keep_inline = LINE_BREAK.sub("\n", keep_inline)
    keep_inline = re.sub(r"\n[ \t]*(?=\n- )", "", keep_inline)  # list items stay together
    keep_inline = re.sub(r"\n{3,}", "\n\n", keep_inline).strip()
    return keep_inline.replace("\x00", "<blockquote>").replace("\x01", "</blockquote>")


def safe_website(url: str) -> str:
    url = url.strip()
    return url[:500] if url.lower().startswith(("http://", "https://")) else ""


def store_imported_comments(
    comments: Sequence[ImportedComment],
    article_ids: Mapping[int, int],
    source: str,
    stored: dict[int, _Node] | None = None,
) -> ImportResult:
    """Store ``comments`` (parents before replies) under the articles in ``article_ids``.

    ``article_ids`` maps the original post id to the Byline article id; ``source``
    names the exporting site. Comments already stored from ``source`` are counted
    in ``already_stored`` and left as they are. Call it inside a transaction; it
    writes the comments level by level (a handful of bulk inserts) and then the
    approved-comment counts of the articles it touched. An import that stores
    its comments in several calls passes the same ``stored``
    (``stored_comment_nodes(source)``), which each call adds its comments to.
    """
    result = ImportResult()
    source = source[:300]
    max_depth = settings.BYLINE_COMMENT_MAX_DEPTH
    nodes = stored_comment_nodes(source) if stored is None else stored
    now = timezone.now()
    ip_cutoff = now - timedelta(days=settings.BYLINE_COMMENT_IP_RETENTION_DAYS)
    skipped_parent: dict[int, int | None] = {}  # pingbacks and trackbacks: their own parent
    private: set[int] = set()  # notes, plugins' records and the replies under them
    seen: set[int] = set()
    levels: dict[int, list[_Node]] = {}
    undated = addresses_dropped = flattened = 0
    for row in comments:
        if row.wp_id in seen:
            result.not_stored["comments listed twice in the file (same wp:comment_id)"] += 1
            continue
        seen.add(row.wp_id)
        if row.wp_id in nodes:
            result.already_stored += 1
            continue
        article_id = article_ids.get(row.post_wp_id)
        if article_id is None:
            result.not_stored["comments on posts that were not imported"] += 1
            continue
        if row.kind in NOT_COMMENTS:
            result.not_stored[NOT_COMMENTS[row.kind]] += 1
            skipped_parent[row.wp_id] = row.parent_id
            continue
        if row.kind != "comment" or row.parent_id in private:
            why = PRIVATE_TYPE.format(row.kind[:30]) if row.kind != "comment" else REPLY_TO_PRIVATE
            result.not_stored[why] += 1
            private.add(row.wp_id)
            continue
        parent = _parent_node(row, nodes, skipped_parent)
        if parent is not None and parent.depth >= max_depth - 1:
            flattened += 1  # it keeps its parent; its depth stops at the deepest level
        posted = row.posted_at
        if posted is None:
            posted, undated = now, undated + 1
        ip = ""
        if row.author_ip:
            if posted >= ip_cutoff:
                ip = hash_ip(row.author_ip, day=posted.astimezone(UTC).strftime("%Y-%m-%d"))
            else:
                addresses_dropped += 1
        body = imported_body(row.content)
        node = _Node(
            depth=min(parent.depth + 1, max_depth - 1) if parent else 0,
            parent=parent,
            level=parent.level + 1 if parent is not None and parent.pk is None else 0,
        )
        node.values = {
            "article_id": article_id,
            "depth": node.depth,
            "status": STATUSES.get(row.status, Comment.Status.PENDING),
            "body": body,
            "body_html": render_body(body),
            "author_name": commenter_name(row.author_name),  # (written around save())
            "author_email": row.author_email.strip()[:254],
            "author_url": safe_website(row.author_url),
            "ip_hash": ip,
            "submitted_at": posted,
            "spam_reasons": [f"Imported from {source} with the status {row.status}."],
            "import_source": source,
            "import_id": row.wp_id,
        }
        nodes[row.wp_id] = node
        levels.setdefault(node.level, []).append(node)
        result.article_ids.add(article_id)
        result.stored += 1
    _insert(levels)
    refresh_counts(result.article_ids)
    if flattened:
        result.notes.append(
            f"{flattened} replies were nested deeper than {max_depth} levels "
            "(BYLINE_COMMENT_MAX_DEPTH): they keep the comment they answer, shown at the "
            "deepest level"
        )
    if undated:
        result.notes.append(f"{undated} comments had no date: they are dated at the import")
    if addresses_dropped:
        days = settings.BYLINE_COMMENT_IP_RETENTION_DAYS
        result.notes.append(
            f"{addresses_dropped} commenters' IP addresses were not kept, not even hashed: "
            f"their comments are older than the {days} days hashed addresses are kept"
        )
    return result


def stored_comment_nodes(source: str) -> dict[int, _Node]:
    """The comments already imported from ``source``, by original id, linked to parents."""
    rows = list(
        Comment.objects.filter(import_source=source, import_id__isnull=False).values_list(
            "import_id", "pk", "depth", "thread_id", "parent_id"
        )
    )
    by_pk = {
        pk: _Node(depth, pk=pk, thread_id=thread_id or pk) for _, pk, depth, thread_id, _ in rows
    }
    for _, pk, _, _, parent_pk in rows:
        by_pk[pk].parent = by_pk.get(parent_pk) if parent_pk else None
    return {import_id: by_pk[pk] for import_id, pk, _, _, _ in rows}


def _parent_node(
    row: ImportedComment, nodes: Mapping[int, _Node], skipped_parent: Mapping[int, int | None]
) -> _Node | None:
    """The stored (or about to be stored) comment ``row`` answers; None: a new thread.

    A reply to a pingback answers the pingback's own parent; a reply whose parent
    is missing (deleted on the old site, or itself) starts a thread.
    """
    parent_id, hops = row.parent_id, 0
    while parent_id in skipped_parent and hops < len(skipped_parent):
        parent_id, hops = skipped_parent[parent_id], hops + 1
    if not parent_id or parent_id == row.wp_id:
        return None
    return nodes.get(parent_id)


def _insert(levels: Mapping[int, list[_Node]]) -> None:
    """Insert new comments level by level, so every reply knows its parent's id.

    On PostgreSQL the ids are taken from the table's sequence first, so every
    row is complete (its parent's and its thread's id) before it is written,
    and all of them go in one ``COPY``. Elsewhere each level is one INSERT ...
    RETURNING, and top-level comments, their own thread, get their
    ``thread_id`` in one UPDATE. Either way a stored node keeps only its id,
    depth and thread (``values`` and ``parent`` are let go: memory stays bounded).
    """
    ordered = [node for round_ in sorted(levels) for node in levels[round_]]
    if bulkcopy.available() and ordered:
        _copy_rows(ordered)
    else:
        for round_ in sorted(levels):
            _insert_level(levels[round_])
    for node in ordered:
        node.values = node.parent = None


def _insert_level(level: list[_Node]) -> None:
    for node in level:
        assert node.values is not None
        node.values["parent_id"] = node.parent.pk if node.parent else None
        node.values["thread_id"] = node.parent.thread_id if node.parent else None
    for start in range(0, len(level), BATCH):
        batch = level[start : start + BATCH]
        pks = _insert_rows([node.values for node in batch])  # type: ignore[misc]
        for node, pk in zip(batch, pks, strict=True):
            node.pk = pk
            node.thread_id = node.parent.thread_id if node.parent else pk
        roots = [node.pk for node in batch if node.parent is None]
        if roots:
            Comment.objects.filter(pk__in=roots).update(thread_id=F("pk"))


def _copy_rows(ordered: list[_Node]) -> None:
    """PostgreSQL: reserve the ids, then stream every row through one ``COPY``."""
    for node, pk in zip(ordered, bulkcopy.reserve_ids(Comment, len(ordered)), strict=True):
        node.pk = pk
        node.thread_id = node.parent.thread_id if node.parent else pk
        assert node.values is not None
        node.values.update(id=pk, parent_id=node.parent.pk if node.parent else None,
                           thread_id=node.thread_id)  # fmt: skip
    bulkcopy.copy_rows(Comment, (node.values for node in ordered if node.values))


def _insert_rows(rows: list[dict[str, object]]) -> list[int]:
    """One INSERT ... RETURNING id for many rows; the ids come back in the rows' order.

    What bulk_create() does, without preparing each of the ~30 columns of each row
    through the field machinery: only the columns that vary are converted, the
    constant ones (defaults) are prepared once. On PostgreSQL the values go as one
    array per column through UNNEST (cheap to plan, as Django's own bulk insert);
    elsewhere as a multi-row VALUES list.
    """
    if not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35
        return [Comment.objects.create(**row).pk for row in rows]
    fields = [f for f in Comment._meta.concrete_fields if not f.primary_key]
    varying = set(rows[0])
    defaults = {
        f.attname: f.get_db_prep_save(f.get_default(), connection)
        for f in fields
        if f.attname not in varying
    }
    adapt_date = connection.ops.adapt_datetimefield_value
    adapt_json = connection.ops.adapt_json_value
    values: list[list[object]] = []
    for row in rows:
        line: list[object] = []
        for f in fields:
            name = f.attname
            if name not in varying:
                line.append(defaults[name])
            elif name == "submitted_at":
                line.append(adapt_date(row[name]))
            elif name == "spam_reasons":
                line.append(adapt_json(row[name], None))
            else:
                line.append(row[name])
        values.append(line)
    quote = connection.ops.quote_name
    head = (
        f"INSERT INTO {quote(Comment._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
    )
    returning = f" RETURNING {quote(Comment._meta.pk.column)}"
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        sql = f"{head}SELECT * FROM UNNEST({arrays}){returning}"  # noqa: S608 (model names)
        params: list[object] = [list(column) for column in zip(*values, strict=True)]
    else:
        one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = f"{head}VALUES {', '.join([one_row] * len(rows))}{returning}"
        params = [value for line in values for value in line]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def refresh_counts(article_ids: Iterable[int]) -> None:
    """Rewrite the comment counters of these articles (``threads.refresh_shown``, which
    keeps their ``removed_threads`` too): one query and a few bulk writes per thousand
    articles. Sends no signal: the caller
    tells the page cache once it commits."""
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), BATCH):
        set_comment_counts(refresh_shown(ids[start : start + BATCH]))
