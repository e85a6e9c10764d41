"""The HTML of comments: a body rendered once when it is saved, one comment, a page of threads.

Bodies: readers may use ``<em>``, ``<strong>``, ``<code>`` and ``<blockquote>``
(``<i>`` and ``<b>`` become em and strong); everything else is stripped by nh3,
and the finished HTML goes through nh3 once more, so nothing a reader writes can
carry a script, an event handler or a ``javascript:`` URL. The HTML is stored on
the comment (``body_html``), never computed per request.

Comments: a discussion page renders hundreds of comments; Django's template
engine spends about 100 µs on each, so the comment markup lives here, in one
place, used by the article page, the JSON answers of the page's script and the
commenter's own pages. Everything a reader wrote is escaped here, or was
sanitized by nh3 when the comment was saved.
"""

from __future__ import annotations

import html
import re
from datetime import tzinfo
from html import escape  # Django's, without its lazy-string wrapper: 100s a page

import nh3
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString, mark_safe

from byline.articles.models import shows_text
from byline.articles.rendering import ESCAPE_SEQUENCES
from byline.discussion.models import Comment
from byline.discussion.reactions import button, form_prefix, label
from byline.discussion.threads import More, Node

READER_TAGS = {"em", "strong", "code", "blockquote", "i", "b"}
OUTPUT_TAGS = {"p", "br", "em", "strong", "code", "blockquote", "a"}
# A URL ends at whitespace, a quote or an angle bracket (escaped ones included).
URL_RE = re.compile(r"""\bhttps?://(?:[^\s<>"'&]|&(?!lt;|gt;))+""", re.IGNORECASE)
# A web or e-mail address in angle brackets, as plain text writes it: not a tag.
BRACKETED_ADDRESS = re.compile(
    r"<((?:mailto:)?[^\s<>@/]+@[^\s<>@/]+|https?://[^\s<>]+)>", re.IGNORECASE
)
TRAILING_PUNCTUATION = ".,;:!?)]}'\""
TAG_RE = re.compile(r"(<[^>]*>)")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
BLOCKQUOTE_RE = re.compile(r"(</?blockquote>)")
# C0 controls other than tab and newline, and C1 controls: never meaningful in a comment.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Normalise what a reader typed: newlines, control characters (a terminal's escape
    sequences whole, not "[31m" left behind), outer whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_RE.sub("", ESCAPE_SEQUENCES.sub("", text)).strip()


def body_shows_text(text: str) -> bool:
    """Whether a comment body, once rendered, shows readers anything at all."""
    return shows_text(html.unescape(TAG_RE.sub("", render_body(text))))


def _autolink(fragment: str) -> str:
    """Turn bare URLs in an escaped text fragment into links."""

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        trailing = ""
        while url and url[-1] in TRAILING_PUNCTUATION:
            trailing = url[-1] + trailing
            url = url[:-1]
        # The fragment is already escaped: undo the entity for '&', then escape once.
        raw = html.unescape(url)
        escaped = html.escape(raw, quote=True)
        return f'<a href="{escaped}">{escaped}</a>{trailing}'

    return URL_RE.sub(link, fragment)


def _paragraphs(fragment: str, wrap: bool) -> str:
    """Text between block tags: paragraphs at blank lines, a line break at each newline.

    Outside a quotation every paragraph is a ``<p>``; inside one, only when it has
    more than one, so ``<blockquote>Q</blockquote>`` stays as the reader wrote it.
    """
    paragraphs = [p.strip() for p in PARAGRAPH_BREAK.split(fragment) if p.strip()]
    lines = [p.replace("\n", "<br>") for p in paragraphs]
    if not wrap and len(lines) == 1:
        return lines[0]
    return "".join(f"<p>{line}</p>" for line in lines)


def _blocks(linked: str) -> str:
    """Paragraphs around and inside quotations: a ``<blockquote>`` is a block of its own,
    never inside a ``<p>`` (the parser would close the paragraph before it and leave
    the text after it outside any paragraph). The tags are balanced: nh3 made them."""
    out: list[str] = []
    depth = 0
    for part in BLOCKQUOTE_RE.split(linked):
        if part == "<blockquote>":
            depth += 1
            out.append(part)
        elif part == "</blockquote>":
            depth -= 1
            out.append(part)
        else:
            out.append(_paragraphs(part, wrap=depth == 0))
    return "".join(out)


def render_body(text: str) -> str:
    """Render a comment body to safe HTML (computed once, when the comment is saved)."""
    text = BRACKETED_ADDRESS.sub(r"&lt;\1&gt;", clean_text(text))
    cleaned = nh3.clean(text, tags=READER_TAGS, attributes={}, strip_comments=True)
    cleaned = cleaned.replace("<i>", "<em>").replace("</i>", "</em>")
    cleaned = cleaned.replace("<b>", "<strong>").replace("</b>", "</strong>")
    # Only attribute-less tags remain, so splitting on tags leaves pure text between them.
    linked = "".join(
        part if part.startswith("<") else _autolink(part) for part in TAG_RE.split(cleaned)
    )
    return nh3.clean(
        _blocks(linked),
        tags=OUTPUT_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )


AWAITING = '<p class="comment-awaiting-moderation">Your comment is awaiting moderation.</p>'
ERASED = '<p class="comment-erased">This comment was erased at its author’s request.</p>'
REMOVED = "This comment was removed."


def removed_open(comment: Comment, depth: int) -> str:
    """The placeholder of a removed comment with replies shown (``threads``): its place
    in the thread (the id its replies' links point to) and nothing else of it."""
    return (
        f'<li id="comment-{comment.pk}" class="comment comment-removed depth-{depth}">'
        f'<p class="comment-removed-note">{REMOVED}</p>'
    )


def _permalink_prefix() -> str:
    """``/comments/`` (wherever the URLconf puts it): reverse() once, not per comment."""
    return reverse("discussion:comment", args=[0])[:-2]


class _MonthNames(dict):
    def __missing__(self, number: int) -> str:
        self[number] = name = str(MONTHS[number])
        return name


def month_names() -> dict[int, str]:
    """Django's month names in the active language, each translated once when first
    asked for (a page's list: each lazy name translated for every comment cost the
    page ~10 µs a comment)."""
    return _MonthNames()


def _time(
    comment: Comment, zone: tzinfo | None = None, months: dict[int, str] | None = None
) -> str:
    """``zone``: the current time zone, when the caller has it (read once a page);
    ``months``: ``month_names()``, likewise."""
    when = timezone.localtime(comment.submitted_at, zone)
    iso = when.strftime("%Y-%m-%dT%H:%M:%S%z")
    month = MONTHS[when.month] if months is None else months[when.month]  # Django's month names
    text = f"{when.day} {month} {when.year}, {when:%H:%M}"
    return f'<time datetime="{iso}">{text}</time>'


def _edited(comment: Comment) -> str:
    """The "edited" marker of a comment changed after it was posted (by its author or
    an editor), with when, for a screen reader and a pointer's tooltip."""
    if comment.edited_at is None:
        return ""
    when = timezone.localtime(comment.edited_at)
    iso = when.strftime("%Y-%m-%dT%H:%M:%S%z")
    edited = f'edited <time datetime="{iso}">{when:%H:%M}</time>'
    return f' <span class="comment-edited">({edited})</span>'


def comment_open(
    comment: Comment,
    depth: int,
    page_query: str = "",
    pending: bool = False,
    prefix: str = "",
    answers: Comment | None = None,
    reply: bool = True,
    react_prefix: str = "",
    answers_removed: bool = False,
    zone: tzinfo | None = None,
    reactions: bool = True,
    months: dict[int, str] | None = None,
    label_html: str = "",
) -> str:
    """``<li>`` and the comment's ``<article>``; the caller closes the ``<li>``.

    ``answers``: the comment it replies to, shown at the same level (the thread is
    deeper than the site's depth limit), linked above the text. ``zone``, ``months``
    and ``label_html`` (the reaction's label, escaped): read once by a page's caller.
    """
    pk = comment.pk
    name = escape(comment.shown_name)
    if comment.author_url:
        author = f'<a href="{escape(comment.author_url)}" rel="nofollow ugc noopener">{name}</a>'
    else:
        author = name
    body = ERASED if comment.erased_at else comment.body_html
    permalink = f"{prefix or _permalink_prefix()}{pk}/"
    reply_link = (
        ""
        if pending or not reply
        else (
            f'<p class="reply"><a class="comment-reply-link" '
            f'href="?{page_query}replyto={pk}#respond" data-comment="{pk}" '
            f'data-author="{name}">Reply<span class="visually-hidden"> to {name}</span></a></p>'
        )
    )
    shows_button = reactions and not (pending or comment.erased_at)
    reaction = button(comment, page_query, react_prefix, name, label_html) if shows_button else ""
    return (
        f'<li id="comment-{pk}" class="comment depth-{depth}">'
        f'<article class="comment-body" aria-label="Comment by {name}">'
        f'<footer class="comment-meta"><b class="comment-author">{author}</b> '
        f'<a class="comment-date" href="{permalink}">{_time(comment, zone, months)}</a>'
        f"{_edited(comment)} "
        f'<a class="comment-link" href="{permalink}" data-copy-link>Copy link'
        f'<span class="visually-hidden"> to the comment by {name}</span></a></footer>'
        f"{AWAITING if pending else ''}"
        f"{_in_reply_to(answers, answers_removed)}"
        f'<div class="comment-content">{body}</div>{reaction}{reply_link}</article>'
    )


def _in_reply_to(parent: Comment | None, removed: bool = False) -> str:
    if parent is None:
        return ""
    if removed:
        return '<p class="in-reply-to">In reply to a removed comment</p>'
    return (
        f'<p class="in-reply-to">In reply to <a href="#comment-{parent.pk}">'
        f"{escape(parent.shown_name)}</a></p>"
    )


def single_comment(
    comment: Comment,
    pending: bool = False,
    reply: bool = True,
    reactions: bool = True,
    on_its_page: bool = False,
) -> SafeString:
    """One comment as a complete ``<li>`` (``reply``: with its Reply link, when published;
    ``reactions``: with its reaction button, when published). ``on_its_page``: it goes
    into its article's discussion (the page script's answer to a comment), so a reply
    attached beside the comment it answers says which, as the page does (``flatten``)."""
    answers = None
    if on_its_page and comment.answers_id:  # (gone or no longer shown since: no line)
        answers = Comment.objects.approved().filter(pk=comment.answers_id).first()
    item = comment_open(
        comment, comment.depth, pending=pending, answers=answers, reply=reply, reactions=reactions
    )
    return mark_safe(item + "</li>")  # noqa: S308


def more_replies(more: More) -> str:
    """The fold of a long thread: a plain link to the rest of it (no script needed)."""
    replies = "reply" if more.hidden == 1 else "replies"
    return (
        f'<p class="more-replies"><a href="{escape(more.query)}">'
        f"{more.hidden:,} more {replies} in this thread</a></p>"
    )


def comment_list(nodes: list[Node], page_query: str = "") -> SafeString:
    """A page of threads as nested ``<ol>`` lists (``nodes`` come from ``threads.flatten``).

    A folded thread's link to the rest goes inside its top-level ``<li>``, after
    the replies shown.
    """
    parts = ['<ol class="comment-list">']
    prefix, react_prefix = _permalink_prefix(), form_prefix()
    zone, months, label_html = timezone.get_current_timezone(), month_names(), escape(label())
    for node in nodes:
        if node.removed:
            parts.append(removed_open(node.comment, node.depth))
        else:
            parts.append(
                comment_open(
                    node.comment,
                    node.depth,
                    page_query,
                    prefix=prefix,
                    answers=node.answers,
                    react_prefix=react_prefix,
                    answers_removed=node.answers_removed,
                    zone=zone,
                    months=months,
                    label_html=label_html,
                )
            )
        if node.has_children:
            parts.append('<ol class="children">')
        else:
            closing = "</li>" + "</ol></li>" * len(node.closes)
            if node.more is not None:  # the thread's last shown comment: close to its root
                closing = closing.removesuffix("</li>") + more_replies(node.more) + "</li>"
            parts.append(closing)
        parts.append("\n")
    parts.append("</ol>")
    return mark_safe("".join(parts))  # noqa: S308
