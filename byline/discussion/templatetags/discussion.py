"""``{% discussion_for article %}``: an article's threads and its comment form.

Everything it renders depends only on the URL (``?cpage=``, ``?thread=`` and
``&tpage=``, ``?sort=``, ``?replyto=``) and the approved comments, never on who
is reading, so the page stays cacheable. The page cache stores a discussion page
only under its one canonical address (``?cpage=2``, not ``?cpage=02``,
``?cpage=999`` or ``?sort=oldest``, the default order written out), so the pages
it can hold are bounded by the comments there are, times the orders.
"""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from byline.articles import protection
from byline.discussion import popular, sorting
from byline.discussion.forms import CommentForm
from byline.discussion.markup import comment_list, single_comment
from byline.discussion.models import Comment
from byline.discussion.threads import ThreadPage, page_of_thread, page_of_threads
from byline.newsroom.commentstate import cache_until
from byline.pagecache.decorators import COMMENT_COUNTS, STORABLE, comments_of, page_shows
from byline.parsing import parse_id

register = template.Library()


@register.inclusion_tag("discussion/discussion.html", takes_context=True)
def discussion_for(context, article) -> dict:
    request = context.get("request")
    params = request.GET if request is not None else {}
    threads = None
    sort = sorting.parse_sort(params.get("sort"))
    thread = parse_id(params.get("thread"))
    removed = article.removed_threads > 0  # almost never: then no query looks for them
    if thread is not None:
        threads = page_of_thread(article.pk, thread, params.get("tpage"), sort, removed)
    if threads is None:
        threads = page_of_threads(article.pk, params.get("cpage"), sort, removed)
    if request is not None and not _canonical(params, threads):
        request.META[STORABLE] = False
    page_shows(request, comments_of(article.pk))  # its next approved comment redraws it
    reply_to = None
    replyto = parse_id(params.get("replyto"))
    if replyto is not None:
        reply_to = threads.find(replyto) or (
            Comment.objects.approved().on_article(article.pk).filter(pk=replyto).first()
        )
    initial = {"article": article.pk, "parent": reply_to.pk if reply_to else ""}
    unlock = ""
    if article.password and context.get("unlocked"):
        # Shown only to a reader who gave the password (the page is never cached).
        unlock = initial["unlock"] = protection.reader_pass(article)
    sort_query = sorting.sort_query(sort)
    if threads.thread_id is not None:
        page_query = f"thread={threads.thread_id}&"
        page_query += f"tpage={threads.number}&" if threads.number > 1 else ""
    else:
        page_query = f"cpage={threads.number}&" if threads.number > 1 else ""
    page_query += sort_query
    comments_open = article.comments_open
    if comments_open:
        cache_until(request, article)  # the cached page goes when comments close by time
    return {
        "article": article,
        "comments_open": comments_open,
        "threads": threads,
        "sort": sort,
        "sorts": sorting.SORTS.items(),
        "sort_query": sort_query,
        "comments_html": comment_list(threads.nodes, page_query) if threads.nodes else "",
        "reply_to": reply_to,
        "respond_html": respond_html(article, reply_to, initial) if comments_open else "",
        "unlock": unlock,
    }


def respond_html(article, reply_to: Comment | None, initial: dict) -> SafeString:
    """The comment form (``discussion/respond.html``, no CSRF token: the page is cached).

    With no comment chosen to answer and no pass (every cached page but ``?replyto=``),
    it is the same for every reader of the article's address: drawn once a process for
    each (article, address), which are its key, so nothing needs telling when they change.
    """
    if reply_to is not None or set(initial) != {"article", "parent"}:
        return _draw_respond(article, reply_to, initial)
    key = (article.pk, article.get_absolute_url())
    html = _blank_forms.get(key)
    if html is None:
        if len(_blank_forms) >= BLANK_FORMS_KEPT:
            _blank_forms.clear()  # bounded: a new start beats bookkeeping at this size
        html = _blank_forms[key] = _draw_respond(article, None, initial)
    return html


BLANK_FORMS_KEPT = 1000
_blank_forms: dict[tuple[int, str], SafeString] = {}


def _draw_respond(article, reply_to: Comment | None, initial: dict) -> SafeString:
    context = {"article": article, "reply_to": reply_to, "form": CommentForm(initial=initial)}
    return render_to_string("discussion/respond.html", {**context, "with_token": False})


def _canonical(params, threads: ThreadPage) -> bool:
    """The page was asked for by its one address (what the page cache may store it under)."""
    number = str(threads.number) if threads.number > 1 else None
    if threads.thread_id is not None:
        wanted = {"thread": str(threads.thread_id), "tpage": number}
    else:
        wanted = {"cpage": number}
    if threads.sort != sorting.DEFAULT:
        wanted["sort"] = threads.sort
    names = ("cpage", "thread", "tpage", "sort")
    return all(params.get(name) == wanted.get(name) for name in names)


@register.simple_tag
def comment_item(comment, pending: bool = False, reply: bool = True, reactions: bool = True):
    """One comment as a complete list item (see ``markup.py``)."""
    return single_comment(comment, pending=pending, reply=reply, reactions=reactions)


@register.inclusion_tag("discussion/most_discussed.html", takes_context=True)
def most_discussed(context) -> dict:
    """The "Most discussed" block of the front and listing pages (see ``popular.py``)."""
    page_shows(context.get("request"), COMMENT_COUNTS)  # an approved comment redraws it
    return {"discussed": popular.most_discussed()}
