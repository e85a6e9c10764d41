"""An approved reply whose parent is not shown (trashed, spam or held: common in
WordPress exports, where a moderator binned a comment that had replies) is still
readable: its permalink lands on the reply itself."""

from __future__ import annotations

import pytest

from byline.discussion.models import Comment
from tests.discussion.factory import make_comment
from tests.factory import make_article

pytestmark = pytest.mark.django_db


@pytest.mark.xfail(
    strict=True,
    reason="discussion threads (scale): a reply under a trashed, spam or held comment is "
    "left out of the thread, and /comments/<id>/ redirects to an anchor the page lacks",
)
@pytest.mark.parametrize("hidden", [Comment.Status.TRASH, Comment.Status.SPAM])
def test_a_reply_under_a_hidden_comment_can_be_reached(client, hidden):
    article = make_article()
    parent = make_comment(article, status=hidden, body="Binned by a moderator.")
    reply = make_comment(article, parent=parent, body="A reader's approved answer.")
    page = client.get(f"/comments/{reply.pk}/", follow=True).text
    assert f'id="comment-{reply.pk}"' in page
    assert "A reader's approved answer." in page
