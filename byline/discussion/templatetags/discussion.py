"""``{% discussion_for article %}``: an article's threads and its comment form.

Everything it renders depends only on the URL (``?cpage=`` and ``?replyto=``)
and the approved comments, never on who is reading, so the page stays cacheable.
"""

from __future__ import annotations

from django import template

from byline.discussion.forms import CommentForm
from byline.discussion.markup import comment_list, single_comment
from byline.discussion.models import Comment
from byline.discussion.threads import page_of_threads
from byline.parsing import parse_id

register = template.Library()


@register.inclusion_tag("discussion/discussion.html", takes_context=True)
def discussion_for(context, article) -> dict:
    request = context.get("request")
    params = request.GET if request is not None else {}
    threads = page_of_threads(article.pk, params.get("cpage"))
    reply_to = None
    replyto = parse_id(params.get("replyto"))
    if replyto is not None:
        reply_to = threads.find(replyto) or (
            Comment.objects.approved().on_article(article.pk).filter(pk=replyto).first()
        )
    initial = {"article": article.pk, "parent": reply_to.pk if reply_to else ""}
    page_query = f"cpage={threads.number}&" if threads.number > 1 else ""
    return {
        "article": article,
        "threads": threads,
        "comments_html": comment_list(threads.nodes, page_query) if threads.nodes else "",
        "reply_to": reply_to,
        "form": CommentForm(initial=initial),
        "with_token": False,
    }


@register.simple_tag
def comment_item(comment, pending: bool = False):
    """One comment as a complete list item (see ``markup.py``)."""
    return single_comment(comment, pending=pending)
