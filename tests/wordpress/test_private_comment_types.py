"""Only readers' comments become comments. WordPress 6.9 keeps its editors' notes on
blocks as comments of type ``note`` (approved once resolved), and plugins keep their
own records as comments of other types: none of them is published, on any database,
and the report says what was left out and why."""

from __future__ import annotations

import pytest

from byline.articles.models import Article
from byline.discussion.models import Comment
from tests.wordpress.test_import import run_import
from tests.wordpress.wxr_factory import comment, item, write, wxr

pytestmark = pytest.mark.django_db


def test_editorial_notes_and_plugin_records_are_not_published(tmp_path, client):
    comments = (
        comment(1, "A reader's view of the vote."),
        comment(2, "Replying to the reader.", parent=1, kind="comment"),
        comment(3, "Legal says cut this paragraph: SECRETNOTE", kind="note"),
        comment(4, "Done, cut. SECRETREPLY", parent=3, kind="note", approved="0"),
        comment(5, "Order #12 paid by card SECRETORDER", kind="order_note"),
        comment(6, "A reply to the note, typed as a comment SECRETCHILD", parent=3),
    )
    summary = run_import(write(tmp_path, wxr(item(42, comments=comments))))
    article = Article.objects.get()
    assert sorted(Comment.objects.values_list("body", flat=True)) == [
        "A reader's view of the vote.",
        "Replying to the reader.",
    ]
    page = client.get(article.get_absolute_url()).text
    feed = client.get(f"{article.get_absolute_url()}comments/feed/").text
    for secret in ("SECRETNOTE", "SECRETREPLY", "SECRETORDER", "SECRETCHILD"):
        assert secret not in page and secret not in feed
    assert "2 stored" in summary
    assert "2: comments of type 'note'" in summary
    assert "1: replies to comments that stay private" in summary
    assert "1: comments of type 'order_note'" in summary
