"""An approved reply whose parent a moderator removed (trashed or spam: common in
WordPress exports, where a moderator binned a comment that had replies years later)
is still readable: it stays in its thread under a placeholder, "This comment was
removed.", that shows nothing of the removed comment, and its permalink lands on it.
A reply under a comment still held for moderation waits with it."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from byline.articles.models import Article
from byline.discussion.actions import moderate, refresh_articles
from byline.discussion.commenterdata import export_comments
from byline.discussion.models import Comment, ModerationRecord
from byline.discussion.threads import latest_approved
from byline.engagement.stats import figures_for
from tests.discussion.factory import make_comment
from tests.factory import make_article
from tests.wordpress.wxr_factory import comment, item, write, wxr

pytestmark = pytest.mark.django_db

PLACEHOLDER = "This comment was removed."
Decision = ModerationRecord.Decision
PRIVATE = ("Binned Author", "binned@example.org", "https://binned.example", "Binned words")


def removed(article, status=Comment.Status.TRASH, parent=None) -> Comment:
    return make_comment(
        article,
        parent=parent,
        status=status,
        author_name=PRIVATE[0],
        author_email=PRIVATE[1],
        author_url=PRIVATE[2],
        body=f"{PRIVATE[3]}, then removed.",
    )


def landing(client, comment: Comment):
    """Follow /comments/<id>/ and return (the page's address, its HTML)."""
    response = client.get(f"/comments/{comment.pk}/", follow=True)
    assert response.status_code == 200
    url = response.redirect_chain[-1][0]
    assert url.endswith(f"#comment-{comment.pk}")
    return url, response.content.decode()


def assert_nothing_private(html: str, removed_comment: Comment) -> None:
    for secret in PRIVATE:
        assert secret not in html
    assert f"/comments/{removed_comment.pk}/" not in html  # no permalink to it


def counted(article) -> int:
    """The article's comment counter, recounted as a moderator's decision recounts it."""
    refresh_articles([article.pk])
    return figures_for(article.pk).comments


def ids_on(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li id="comment-(\d+)"', html)]


@pytest.mark.parametrize("hidden", [Comment.Status.TRASH, Comment.Status.SPAM])
def test_a_reply_under_a_hidden_comment_can_be_reached(client, hidden):
    article = make_article()
    parent = make_comment(article, status=hidden, body="Binned by a moderator.")
    reply = make_comment(article, parent=parent, body="A reader's approved answer.")
    page = client.get(f"/comments/{reply.pk}/", follow=True).text
    assert f'id="comment-{reply.pk}"' in page
    assert "A reader's approved answer." in page


@pytest.mark.parametrize("status", [Comment.Status.TRASH, Comment.Status.SPAM])
def test_the_reply_sits_under_a_placeholder_that_shows_nothing_of_the_removed_comment(
    client, status
):
    article = make_article()
    before = make_comment(article, body="An earlier thread.")
    parent = removed(article, status)
    reply = make_comment(article, parent=parent, body="Still worth reading.")
    answer = make_comment(article, parent=reply, body="Agreed.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert ids_on(html) == [before.pk, parent.pk, reply.pk, answer.pk]
    assert html.count(PLACEHOLDER) == 1
    placeholder = html[html.index(f'id="comment-{parent.pk}"') : html.index(f"comment-{reply.pk}")]
    assert 'class="comment comment-removed depth-0"' in placeholder
    assert "<a " not in placeholder and "Reply" not in placeholder
    assert f'<li id="comment-{reply.pk}" class="comment depth-1">' in html
    assert f'<li id="comment-{answer.pk}" class="comment depth-2">' in html
    assert_nothing_private(html, parent)
    # Nobody can answer the placeholder: ?replyto= finds no comment to answer.
    replying = client.get(article.get_absolute_url(), {"replyto": parent.pk}).content.decode()
    assert PRIVATE[0] not in replying
    # The counter counts the comments shown, not the placeholder.
    assert counted(article) == 3


def test_a_chain_of_removed_comments_shows_one_placeholder_each_and_keeps_the_depths(client):
    article = make_article()
    root = make_comment(article)
    trashed = removed(article, parent=root)
    spam = removed(article, Comment.Status.SPAM, parent=trashed)
    reply = make_comment(article, parent=spam)
    html = client.get(article.get_absolute_url()).content.decode()
    assert ids_on(html) == [root.pk, trashed.pk, spam.pk, reply.pk]
    assert html.count(PLACEHOLDER) == 2
    assert f'<li id="comment-{reply.pk}" class="comment depth-3">' in html
    assert_nothing_private(html, trashed)
    assert_nothing_private(html, spam)


def test_a_removed_comment_without_a_reply_shown_leaves_no_placeholder(client):
    """Nothing approved below it (no reply, a spam reply, or a reply held for
    moderation): no placeholder, no empty thread."""
    article = make_article()
    kept = make_comment(article)
    alone = removed(article)
    with_spam_reply = removed(article)
    removed(article, Comment.Status.SPAM, parent=with_spam_reply)
    with_held_reply = removed(article, parent=kept)
    held = make_comment(article, parent=with_held_reply, status=Comment.Status.PENDING)
    waiting = make_comment(article, parent=held)  # waits with the held comment
    html = client.get(article.get_absolute_url()).content.decode()
    assert ids_on(html) == [kept.pk]
    assert PLACEHOLDER not in html
    assert counted(article) == 1
    assert alone.pk and waiting.pk


def test_the_permalink_lands_on_the_page_that_shows_it(client, settings):
    """Pagination (the thread of a removed top-level comment counts as a thread, on the
    second page) and folding (a reply deep in a long thread is on the thread's page)."""
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 2
    settings.BYLINE_COMMENT_THREAD_FOLD = 3
    settings.BYLINE_COMMENT_THREAD_PAGE_SIZE = 4
    article = make_article()
    make_comment(article)
    make_comment(article)
    top = removed(article)  # the third thread: page 2
    replies = [make_comment(article, parent=top) for _ in range(6)]
    url, html = landing(client, replies[0])
    assert "?cpage=2#" in url
    assert f'id="comment-{replies[0].pk}"' in html and PLACEHOLDER in html
    # The fold: the placeholder and three replies shown, "3 more replies" (not 4).
    assert "3 more replies in this thread" in html
    assert_nothing_private(html, top)
    url, html = landing(client, replies[5])
    assert f"?thread={top.pk}&tpage=2#" in url
    assert f'id="comment-{replies[5].pk}"' in html
    assert_nothing_private(html, top)
    first = client.get(article.get_absolute_url(), {"thread": top.pk}).content.decode()
    assert ids_on(first)[0] == top.pk and PLACEHOLDER in first
    assert counted(article) == 8


def test_the_comment_feed_and_the_data_export_show_nothing_of_the_removed_comment(client):
    article = make_article()
    parent = removed(article)
    reply = make_comment(article, parent=parent, author_email="answer@example.org")
    entries = latest_approved(article, 10)
    assert [entry.id for entry in entries] == [reply.pk]
    assert entries[0].url.endswith(f"#comment-{reply.pk}")
    exported = export_comments("answer@example.org")
    assert [c["id"] for c in exported] == [reply.pk]
    assert exported[0]["in_reply_to"] == parent.pk  # its own record: which comment it answered
    text = json.dumps(exported)
    for secret in PRIVATE:
        assert secret not in text
    # The removed comment's author still gets everything stored about their own.
    own = export_comments(PRIVATE[1])
    assert [(c["id"], c["status"], c["name"]) for c in own] == [(parent.pk, "trash", PRIVATE[0])]


def test_a_wordpress_import_with_a_binned_parent_shows_the_replies(tmp_path, client):
    """A moderator binned the first comment years after it was answered; the export
    carries both, and the answer is read on Byline as it was on WordPress before."""
    thread = (
        comment(1, "Binned words, rude.", approved="trash", author=PRIVATE[0], email=PRIVATE[1]),
        comment(2, "A fair answer.", parent=1, date_gmt="2014-06-11 10:00:00"),
        comment(3, "Buy pills", approved="spam", date_gmt="2014-06-11 11:00:00"),
        comment(4, "Answered the spam.", parent=3, date_gmt="2014-06-11 12:00:00"),
        comment(5, "Later thread.", date_gmt="2014-06-11 13:00:00"),
    )
    out = StringIO()
    call_command("import_wxr", str(write(tmp_path, wxr(item(42, comments=thread)))), stdout=out)
    article = Article.objects.get()
    stored = dict(Comment.objects.values_list("import_id", "pk"))
    html = client.get(article.get_absolute_url()).content.decode()
    assert ids_on(html) == [stored[1], stored[2], stored[3], stored[4], stored[5]]
    assert html.count(PLACEHOLDER) == 2
    assert "A fair answer." in html and "Answered the spam." in html
    assert "Buy pills" not in html
    for secret in PRIVATE[:2]:
        assert secret not in html
    assert counted(article) == 3
    _, page = landing(client, Comment.objects.get(pk=stored[4]))
    assert "Answered the spam." in page


@pytest.mark.parametrize("removal", [Decision.TRASH, Decision.SPAM])
def test_removing_a_parent_on_byline_keeps_its_replies_and_restoring_it_shows_it(
    client, django_capture_on_commit_callbacks, removal
):
    article = make_article()
    parent = make_comment(article, author_name="Soon Trashed")
    reply = make_comment(article, parent=parent)
    with django_capture_on_commit_callbacks(execute=True):
        moderate([parent], removal, None)
    html = client.get(article.get_absolute_url()).content.decode()
    assert ids_on(html) == [parent.pk, reply.pk] and "Soon Trashed" not in html
    with django_capture_on_commit_callbacks(execute=True):
        moderate([parent], Decision.APPROVE, None)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Soon Trashed" in html and PLACEHOLDER not in html


def test_removing_a_held_comment_brings_out_the_reply_approved_under_it(
    client, django_capture_on_commit_callbacks
):
    """A reply approved under a comment still held waits with it; when a moderator then
    bins the held one, the reply comes out under a placeholder, and is counted."""
    article = make_article()
    held = make_comment(article, status=Comment.Status.PENDING, author_name="Held Author")
    reply = make_comment(article, parent=held, body="Approved while its parent waited.")
    assert "Approved while its parent waited." not in client.get(article.get_absolute_url()).text
    with django_capture_on_commit_callbacks(execute=True):
        moderate([held], Decision.TRASH, None)
    html = client.get(article.get_absolute_url()).content.decode()
    assert ids_on(html) == [held.pk, reply.pk] and PLACEHOLDER in html
    assert "Held Author" not in html
    assert figures_for(article.pk).comments == 1


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("oldest", "ARB"), ("newest", "BRA"), ("reacted", "RAB"), ("top", "RAB")],
)
def test_a_removed_top_level_comment_heads_its_thread_in_every_order(client, sort, expected):
    """It sorts by its own date and reactions (as they were), and by its replies."""
    article = make_article()
    first = make_comment(article)
    binned = removed(article)
    Comment.objects.filter(pk=binned.pk).update(reactions=5)
    make_comment(article, parent=binned)
    make_comment(article, parent=binned)
    last = make_comment(article)
    make_comment(article, parent=first)
    names = {first.pk: "A", binned.pk: "R", last.pk: "B"}
    html = client.get(article.get_absolute_url(), {"sort": sort}).content.decode()
    tops = [names[pk] for pk in ids_on(html) if pk in names]
    assert "".join(tops) == expected
    assert_nothing_private(html, binned)
