"""Moderation in the admin: the queue, bulk decisions recorded and learned, reply from the queue."""

import re

import pytest

from byline.discussion.models import Comment, ModerationRecord
from byline.engagement.stats import figures_for
from byline.signals import article_changed
from tests.discussion.factory import make_comment

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/discussion/comment/"


def bulk(client, decision: str, *comments):
    return client.post(
        CHANGELIST,
        {"action": decision, "_selected_action": [c.pk for c in comments], "post": "yes"},
    )


def test_the_queue_shows_counts_per_status_and_the_reasons(editor_client, article):
    """The status filter shows how many comments each status holds; reasons are listed."""
    make_comment(article, status=Comment.Status.PENDING, spam_reasons=["First comment: held."])
    make_comment(article, status=Comment.Status.PENDING)
    make_comment(article, status=Comment.Status.SPAM)
    html = editor_client.get(CHANGELIST).content.decode()
    assert re.search(r"Pending\s*\(2\)", html)
    assert re.search(r"Spam\s*\(1\)", html)
    assert "First comment: held." in html


def test_the_queue_shows_the_first_reason_and_how_many_more(editor_client, article):
    """One line per comment in the list: the first reason as a sentence and a count;
    the comment's own page lists every reason."""
    reasons = ["Offers a loan or credit", "Links to an unknown site: loans.example", "New."]
    comment = make_comment(article, status=Comment.Status.SPAM, spam_reasons=reasons)
    make_comment(article, status=Comment.Status.SPAM, spam_reasons=["Mentions a casino"])
    html = editor_client.get(CHANGELIST).content.decode()
    assert '<td class="field-held_because">Offers a loan or credit. (2 more)</td>' in html
    assert '<td class="field-held_because">Mentions a casino.</td>' in html
    assert "loans.example" not in html and ".;" not in html
    page = editor_client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()
    assert all(f"<li>{reason}</li>" in page for reason in reasons[1:])


def test_every_column_of_the_queue_has_a_header(editor_client, article):
    make_comment(article, status=Comment.Status.APPROVED)
    html = editor_client.get(CHANGELIST).content.decode()
    assert re.search(r'<th scope="col" class="column-reply_link">.*?>Reply<', html, re.S)
    headers = re.findall(r'<th scope="col" class="column-(\w+)">(.*?)</th>', html, re.S)
    assert headers and all(re.sub(r"<[^>]+>|\s", "", text) for _, text in headers)


def test_the_queue_searches_text_name_email_and_article(editor_client, article):
    """Search finds comments by words, commenter name, e-mail or article headline."""
    from tests.factory import make_article

    other = make_article("Unrelated headline")
    make_comment(article, body="zebra crossing", author_name="Zed", author_email="z@zoo.example")
    make_comment(other, body="plain words")
    for term in ["zebra", "Zed", "z@zoo.example", "worth discussing"]:
        html = editor_client.get(CHANGELIST, {"q": term}).content.decode()
        assert "zebra crossing" in html, term
        assert "plain words" not in html, term


def test_bulk_approve_records_who_and_when_and_teaches_the_filter(
    editor_client, editor, article, dummy_spam
):
    """Approving publishes, counts, signals, records the moderator and teaches ham."""
    pending = [make_comment(article, status=Comment.Status.PENDING) for _ in range(2)]
    changes = []

    def receiver(article_id, **kwargs):
        changes.append(article_id)

    article_changed.connect(receiver)
    try:
        response = bulk(editor_client, "approve", *pending)
    finally:
        article_changed.disconnect(receiver)
    assert response.status_code == 302
    for comment in pending:
        comment.refresh_from_db()
        assert comment.status == Comment.Status.APPROVED
        assert comment.moderated_by == editor
        assert comment.moderated_at is not None
        record = ModerationRecord.objects.get(comment=comment)
        assert (record.decision, record.previous_status) == ("approve", "pending")
    assert [label for _, label in dummy_spam.trained] == ["ham", "ham"]
    assert figures_for(article.pk).comments == 2
    assert article.pk in changes


def test_re_approving_is_recorded_and_learned_but_not_counted_as_a_change(
    editor_client, article, dummy_spam
):
    """Approving an approved comment beside a pending one says one comment was approved;
    both decisions are recorded and teach the filter."""
    approved = make_comment(article)
    pending = make_comment(article, status=Comment.Status.PENDING)
    response = bulk(editor_client, "approve", approved, pending)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["1 comment approved."]
    assert ModerationRecord.objects.filter(decision="approve").count() == 2
    assert [label for _, label in dummy_spam.trained] == ["ham", "ham"]


def test_mark_spam_and_not_spam(editor_client, article, dummy_spam):
    """Spam hides an approved comment and teaches spam; not spam restores it and teaches ham."""
    comment = make_comment(article)
    bulk(editor_client, "mark_spam", comment)
    comment.refresh_from_db()
    assert comment.status == Comment.Status.SPAM
    assert figures_for(article.pk).comments == 0
    bulk(editor_client, "mark_not_spam", comment)
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    assert [label for _, label in dummy_spam.trained] == ["spam", "ham"]
    assert list(comment.decisions.values_list("decision", flat=True)) == ["not_spam", "spam"]


def test_trash_and_delete_update_the_count(editor_client, article):
    """Trash and delete remove comments from the page and the counter."""
    keep, trash, gone = (make_comment(article) for _ in range(3))
    from byline.discussion.actions import refresh_articles

    refresh_articles([article.pk])
    bulk(editor_client, "move_to_trash", trash)
    bulk(editor_client, "delete_selected", gone)
    assert not Comment.objects.filter(pk=gone.pk).exists()
    assert Comment.objects.get(pk=trash.pk).status == Comment.Status.TRASH
    assert figures_for(article.pk).comments == 1
    html = editor_client.get(article.get_absolute_url()).content.decode()
    assert f"comment-{keep.pk}" in html and f"comment-{trash.pk}" not in html


def test_the_counter_counts_only_what_the_page_shows(editor_client, article):
    """A reply under a held comment waits with it: the page leaves it out, and so does
    the counter, until its parent is approved."""
    parent = make_comment(article)
    reply = make_comment(article, parent=parent)
    make_comment(article, parent=reply)  # a reply to the reply
    make_comment(article)  # another thread
    bulk(editor_client, "unapprove", parent)
    html = editor_client.get(article.get_absolute_url()).content.decode()
    assert f"comment-{reply.pk}" not in html
    assert figures_for(article.pk).comments == 1
    bulk(editor_client, "approve", parent)
    assert figures_for(article.pk).comments == 4


def test_replies_to_a_trashed_comment_stay_and_the_counter_counts_them(editor_client, article):
    """Trashing a comment that has replies leaves them in their thread under a
    placeholder; the counter counts the replies, not the placeholder."""
    parent = make_comment(article, author_name="Trashed Author", body="Trashed words.")
    reply = make_comment(article, parent=parent)
    make_comment(article, parent=reply)  # a reply to the reply
    make_comment(article)  # another thread
    bulk(editor_client, "move_to_trash", parent)
    html = editor_client.get(article.get_absolute_url()).content.decode()
    assert f"comment-{reply.pk}" in html and "This comment was removed." in html
    assert "Trashed Author" not in html and "Trashed words." not in html
    assert figures_for(article.pk).comments == 3
    bulk(editor_client, "approve", parent)
    assert figures_for(article.pk).comments == 4


def test_editing_a_comment_renders_it_again(editor_client, article):
    """An editor's edit is sanitized, published and recorded."""
    comment = make_comment(article, body="Typo here")
    url = f"{CHANGELIST}{comment.pk}/change/"
    data = {
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "author_url": "",
        "body": "Fixed <script>alert(1)</script>here",
        "decisions-TOTAL_FORMS": "0",
        "decisions-INITIAL_FORMS": "0",
    }
    assert editor_client.post(url, data).status_code == 302
    comment.refresh_from_db()
    assert comment.body_html == "<p>Fixed here</p>"
    assert comment.edited_at is not None
    assert comment.decisions.get().decision == "edit"


def test_editors_reply_from_the_queue(editor_client, editor, article, mailoutbox):
    """An editor's reply is published at once, under their name, and notifies the commenter."""
    editor.first_name, editor.email = "Edna", "edna@news.example"
    editor.save()
    comment = make_comment(article, notify_replies=True, author_email="reader@example.org")
    page = editor_client.get(f"{CHANGELIST}{comment.pk}/reply/")
    assert page.status_code == 200
    response = editor_client.post(f"{CHANGELIST}{comment.pk}/reply/", {"body": "Thanks!"})
    assert response.status_code == 302
    reply = Comment.objects.get(parent=comment)
    assert reply.status == Comment.Status.APPROVED
    assert reply.author_name == "Edna"
    assert figures_for(article.pk).comments == 2
    assert [m.to for m in mailoutbox] == [["reader@example.org"]]


def test_readers_cannot_reach_the_queue(client, article):
    """The moderation queue needs a staff login."""
    comment = make_comment(article)
    assert client.get(CHANGELIST).status_code == 302
    assert client.post(f"{CHANGELIST}{comment.pk}/reply/", {"body": "x"}).status_code == 302
    assert Comment.objects.count() == 1


def test_what_readers_see_changing_always_signals_the_page_cache(editor_client, article):
    """Approving, editing, unapproving and deleting each send article_changed."""
    comment = make_comment(article, status=Comment.Status.PENDING)
    sent = []

    def receiver(article_id, **kwargs):
        sent.append(article_id)

    article_changed.connect(receiver)
    try:
        bulk(editor_client, "approve", comment)
        assert sent == [article.pk]
        from byline.discussion.actions import edit_comment

        comment.refresh_from_db()
        comment.body = "Edited words"
        edit_comment(comment, None)
        assert len(sent) == 2
        bulk(editor_client, "unapprove", comment)
        assert len(sent) == 3
        bulk(editor_client, "delete_selected", comment)
        assert len(sent) == 4
    finally:
        article_changed.disconnect(receiver)


def test_the_status_counts_stop_at_a_cap_so_a_big_queue_costs_the_same(
    editor_client, article, monkeypatch
):
    """Past the cap a status shows "N+": counting never reads more than that many rows."""
    from byline.discussion.admin import StatusFilter

    monkeypatch.setattr(StatusFilter, "COUNT_CAP", 2)
    for _ in range(3):
        make_comment(article, status=Comment.Status.PENDING)
    make_comment(article)
    html = editor_client.get(CHANGELIST).content.decode()
    assert "Pending (2+)" in html
    assert "Approved (1)" in html
    queue = editor_client.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    assert queue.count('class="action-select"') == 3


def decide(client, comment, decision: str):
    return client.post(f"{CHANGELIST}{comment.pk}/decide/", {"decision": decision}, follow=True)


def test_a_comments_page_offers_the_queues_decisions_as_buttons(editor_client, article):
    """A moderator who opens a comment acts on it there: the decisions that would change
    its status are buttons, and the page says where it stands."""
    offered = {
        Comment.Status.PENDING: ["approve", "spam", "trash"],
        Comment.Status.APPROVED: ["unapprove", "spam", "trash"],
        Comment.Status.SPAM: ["not_spam", "unapprove", "trash"],
        Comment.Status.TRASH: ["approve", "unapprove", "spam"],
    }
    for status, decisions in offered.items():
        comment = make_comment(article, status=status)
        html = editor_client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()
        buttons = re.findall(r'<button type="submit" name="decision" value="(\w+)"', html)
        assert sorted(buttons) == sorted(decisions), status
        assert f"this comment is {comment.get_status_display().lower()}" in html


def test_a_button_on_the_comments_page_decides_as_the_queue_does(
    editor_client, editor, article, dummy_spam
):
    """Approve, Spam and Unapprove from the comment's page record the moderator, teach
    the filter and update the count, exactly as the queue's bulk actions."""
    comment = make_comment(article, status=Comment.Status.PENDING)
    response = decide(editor_client, comment, "approve")
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}{comment.pk}/change/"
    assert "The comment was approved." in [str(m) for m in response.context["messages"]]
    comment.refresh_from_db()
    assert (comment.status, comment.moderated_by) == (Comment.Status.APPROVED, editor)
    assert figures_for(article.pk).comments == 1
    decide(editor_client, comment, "spam")
    decide(editor_client, comment, "unapprove")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert list(comment.decisions.values_list("decision", flat=True)) == [
        "unapprove",
        "spam",
        "approve",
    ]
    assert [label for _, label in dummy_spam.trained] == ["ham", "spam"]
    assert figures_for(article.pk).comments == 0


def test_a_stale_button_changes_nothing(editor_client, article):
    """A button from a page opened before someone else approved the comment (or sent
    twice) changes nothing and says it is done; one the comment's status no longer offers
    (Not spam on a comment since sent back to the queue) or a forged decision changes
    nothing and says so; a GET changes nothing either."""
    comment = make_comment(article, status=Comment.Status.APPROVED)
    response = decide(editor_client, comment, "approve")
    assert "The comment was already approved." in str(list(response.context["messages"])[0])
    pending = make_comment(article, status=Comment.Status.PENDING)
    response = decide(editor_client, pending, "not_spam")
    assert "nothing was done" in str(list(response.context["messages"])[0])
    assert editor_client.get(f"{CHANGELIST}{comment.pk}/decide/").status_code == 405
    response = decide(editor_client, comment, "edit")
    assert response.status_code == 200
    assert "nothing was done" in str(list(response.context["messages"])[0])
    assert not pending.decisions.exists()
    assert not comment.decisions.exists()


def test_the_reactions_help_is_written_for_editors(editor_client, article):
    comment = make_comment(article)
    html = editor_client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()
    assert "reactions.py" not in html
    assert "How many readers reacted to it" in html


def test_readers_cannot_decide_from_a_comments_page(client, article):
    comment = make_comment(article, status=Comment.Status.PENDING)
    response = client.post(f"{CHANGELIST}{comment.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


def test_a_comments_times_read_in_the_newsrooms_time_zone(editor_client, editor, article, settings):
    """The queue, a comment's page (when it was sent, each decision and the last one), a
    decision's and a data link's own names give times in the site's time zone
    (BYLINE_TIME_ZONE), the zone named, never in UTC or without a zone."""
    from datetime import UTC, datetime

    from byline.discussion.models import DataLink

    settings.TIME_ZONE = "Europe/Berlin"
    sent = datetime(2026, 12, 5, 5, 41, tzinfo=UTC)
    comment = make_comment(article, status=Comment.Status.PENDING, submitted_at=sent)
    bulk(editor_client, "approve", comment)
    decided = datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
    Comment.objects.filter(pk=comment.pk).update(moderated_at=decided)
    record = ModerationRecord.objects.get(comment=comment)
    ModerationRecord.objects.filter(pk=record.pk).update(decided_at=decided)
    record.refresh_from_db()

    listing = editor_client.get(CHANGELIST).text
    assert "2026-12-05 06:41 CET" in listing
    page = editor_client.get(f"{CHANGELIST}{comment.pk}/change/").text
    assert "2026-12-05 06:41 CET" in page and "5:41 a.m." not in page and "6:41 a.m." not in page
    assert "Approved by" in page and "July 1, 2026" not in page and "Dec. 5" not in page
    assert "2026-07-01 08:30 CEST" in page  # the decisions and the last one
    assert str(record) == f"Approved by {editor} at 2026-07-01 08:30 CEST"
    link = DataLink(action="export", email="a@example.org", expires_at=sent)
    assert str(link) == "export link until 2026-12-05 06:41 CET"
