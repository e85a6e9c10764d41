"""The comment POST's reads written once as SQL (``actions.is_duplicate``,
``actions.history_counts``, the spent form token, the first two asked at once:
``actions.first_read``) answer as the querysets they replaced
(the history's plan: tests/test_indexes.py), from the primary where a replica's lag would
let a double submit through; the comment list's per-page reads (month names, the reaction's
label) draw the same markup as each comment drawn alone."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from byline import db
from byline.discussion import actions, editing, markup
from byline.discussion.models import Comment, SpentFormToken
from byline.discussion.threads import page_of_threads
from tests.discussion.factory import make_comment
from tests.factory import make_article

pytestmark = [pytest.mark.django_db]
Status = Comment.Status


def orm_duplicate(article_id: int, email: str, body: str) -> bool:
    """The queryset ``check_abuse`` ran before."""
    return (
        Comment.objects.on_article(article_id)
        .by_email(email)
        .filter(body=body)
        .exclude(status=Status.TRASH)
        .exists()
    )


def test_the_duplicate_check_answers_as_the_queryset(article):
    other = make_article("Another story")
    for status in (Status.APPROVED, Status.PENDING, Status.SPAM, Status.TRASH):
        make_comment(
            article, status=status, author_email=f"{status}@Example.org", body=f"Words {status}."
        )
    make_comment(other, author_email="elsewhere@example.org", body="Said elsewhere.")
    cases = [
        (article.pk, f"{status}@example.org", f"Words {status}.")
        for status in (Status.APPROVED, Status.PENDING, Status.SPAM, Status.TRASH)
    ] + [
        (article.pk, " APPROVED@EXAMPLE.ORG ", "Words approved."),  # case, spaces
        (article.pk, "approved@example.org", "Words approved"),  # other words
        (article.pk, "someone@example.org", "Words approved."),  # another reader
        (article.pk, "elsewhere@example.org", "Said elsewhere."),  # another article
        (other.pk, "elsewhere@example.org", "Said elsewhere."),
    ]
    answers = [actions.is_duplicate(*case) for case in cases]
    assert answers == [orm_duplicate(*case) for case in cases]
    assert answers == [True, True, True, False, True, False, False, False, True]


def test_the_authors_history_counts_approved_and_spam_whatever_the_case(article):
    statuses = [Status.APPROVED] * 3 + [Status.SPAM] * 2 + [Status.PENDING, Status.TRASH]
    comments = [make_comment(article, author_email="Known@Example.org", status=s) for s in statuses]
    make_comment(article, author_email="someone@example.org")
    assert actions.history_counts(" KNOWN@example.org") == (3, 2)
    edited = comments[0]
    assert actions.history_counts("known@example.org", other_than=edited.pk) == (2, 2)
    assert actions.history_counts("known@example.org", other_than=comments[-1].pk) == (3, 2)
    assert actions.history_counts("nobody@example.org") == (0, 0)


def test_a_spent_form_token_finds_its_comment_and_no_other(article):
    comment = make_comment(article)
    SpentFormToken.objects.create(token="a" * 64, comment=comment, spent_at=comment.submitted_at)
    assert actions.comment_of_spent_token("a" * 64) == comment
    assert actions.comment_of_spent_token("b" * 64) is None
    assert actions.comment_of_spent_token("") is None


def test_the_first_read_answers_as_the_spent_token_and_the_duplicate_check(article):
    """``first_read`` asks both in one statement: the same answers as each alone."""
    other = make_article("Another story")
    comment = make_comment(article, author_email="Ann@Example.org", body="Same words.")
    make_comment(article, author_email="bin@example.org", body="Binned.", status=Status.TRASH)
    SpentFormToken.objects.create(token="d" * 64, comment=comment, spent_at=comment.submitted_at)
    cases = [
        ("d" * 64, article.pk, " ANN@example.org ", "Same words."),
        ("e" * 64, article.pk, "ann@example.org", "Same words."),
        ("d" * 64, article.pk, "ann@example.org", "Other words."),
        ("e" * 64, other.pk, "ann@example.org", "Same words."),
        ("e" * 64, article.pk, "bin@example.org", "Binned."),
    ]
    answers = [actions.first_read(*case) for case in cases]
    for (token, *duplicate), answer in zip(cases, answers, strict=True):
        spent = actions.comment_of_spent_token(token)
        assert answer == (spent.pk if spent else None, actions.is_duplicate(*duplicate))
    assert answers == [
        (comment.pk, True),
        (None, True),
        (comment.pk, False),
        (None, False),
        (None, False),
    ]


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_a_page_of_comments_draws_each_comment_as_it_is_drawn_alone(article, language):
    """The list translates the month names and the reaction's label once a page: each
    comment's markup is still the one ``comment_open`` draws for it alone."""
    for month in (1, 5, 12):
        when = article.published_at.replace(month=month, day=3)
        make_comment(article, author_name='Ann <"O\'Hara"> & co', submitted_at=when)
    with translation.override(language):
        nodes = page_of_threads(article.pk).nodes
        page = markup.comment_list(nodes)
        alone = [markup.comment_open(node.comment, node.depth) for node in nodes]
        months = [str(name) for number, name in sorted(markup.MONTHS.items())]
    assert len(alone) == 3
    for item in alone:
        assert item in page
    shown = set(re.findall(r"<time datetime=[^>]*>\d+ (\w+) \d{4}", page))
    assert shown == {months[0], months[4], months[11]}
    assert "&lt;&quot;O&#x27;Hara&quot;&gt; &amp; co" in page


@pytest.mark.django_db(transaction=True)  # outside a transaction, reads may go to a replica
def test_a_double_submit_is_looked_for_on_the_primary(lagging_replica):
    """The spent form token and the duplicate check are asked before the POST writes
    (the router would send them to a replica): a replica that lags behind the twin's
    commit would let the same comment through twice. Both read the primary, alone or
    together (``first_read``)."""
    with db.reading_from_primary():
        article = make_article("A story")
        comment = make_comment(article, author_email="Ann@example.org", body="Same words.")
        SpentFormToken.objects.create(
            token="c" * 64, comment=comment, spent_at=comment.submitted_at
        )
    db.unpin()
    assert actions.comment_of_spent_token("c" * 64) == comment
    assert actions.is_duplicate(article.pk, "ann@example.org", "Same words.")
    assert not actions.is_duplicate(article.pk, "ann@example.org", "Other words.")
    assert actions.first_read("c" * 64, article.pk, "ann@example.org", "Same words.") == (
        comment.pk,
        True,
    )


def test_hostile_names_are_escaped_in_a_page_as_each_comment_alone():
    """Every name of the hostile corpora (as stored rows may hold them, from before names
    were cleaned) is escaped in the page's list exactly as ``comment_open`` and the
    reaction's button escape it alone: escaped once a comment, never twice, never raw."""
    from datetime import UTC, datetime
    from html import escape

    from byline.discussion.reactions import button, label
    from byline.discussion.threads import Node
    from tests.corpora import CONTROLLED, NAUGHTY, XSS

    when = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    names = [name for name in NAUGHTY + XSS + CONTROLLED if name.strip()]
    comments = [
        Comment(
            pk=n + 1,
            article_id=1,
            author_name=name,
            body_html="<p>Hi.</p>",
            status=Status.APPROVED,
            submitted_at=when,
        )
        for n, name in enumerate(names)
    ]
    page = markup.comment_list([Node(comment, 0) for comment in comments])
    pos = 0
    for comment in comments:
        alone = markup.comment_open(comment, 0)
        found = page.find(alone, pos)
        assert found >= 0, comment.author_name
        pos = found + len(alone)
        shown = escape(comment.shown_name)
        assert f"(comment by {shown})</span></button>" in alone
        assert button(comment) == button(comment, "", "", shown, escape(label()))
    assert "<script" not in page.lower().replace("&lt;script", "")


def orm_editable(article_id: int, owner_token: str) -> list[Comment]:
    """The queryset ``editing.editable_comments`` ran before."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from byline.readers import hash_key

    since = timezone.now() - timedelta(minutes=settings.BYLINE_COMMENT_EDIT_MINUTES)
    return list(
        Comment.objects.on_article(article_id)
        .filter(owner_key=hash_key(owner_token), submitted_at__gte=since)
        .filter(status__in=editing.EDITABLE, erased_at__isnull=True, author_user__isnull=True)
        .order_by("submitted_at")[:20]
    )


def orm_waiting(article_id: int, owner_token: str) -> list[Comment]:
    """The queryset ``views.session_data`` ran before for the reader's held comments."""
    from byline.readers import hash_key

    return list(
        Comment.objects.on_article(article_id)
        .filter(owner_key=hash_key(owner_token))
        .filter(status__in=[Status.PENDING, Status.SPAM])
        .order_by("submitted_at")[:20]
    )


def test_a_readers_session_finds_their_comments_as_the_querysets(article, editor, settings):
    """The comment session's two reads (the comments the reader may still edit, those
    still waiting) find what the querysets they replaced found, each run with its own
    reader, article and edit window; at most 20 each, oldest first."""
    from datetime import timedelta

    from django.utils import timezone

    from byline.discussion.views import WAITING_OF_READER
    from byline.readers import hash_key

    settings.BYLINE_COMMENT_EDIT_MINUTES = 15
    other = make_article("Another story")
    now = timezone.now()
    mine, theirs = hash_key("mine"), hash_key("theirs")
    for minutes in (1, 5, 14, 16, 60):
        for status in (Status.APPROVED, Status.PENDING, Status.SPAM, Status.TRASH):
            at = now - timedelta(minutes=minutes)
            make_comment(article, status=status, owner_key=mine, submitted_at=at)
    make_comment(article, owner_key=mine, submitted_at=now, erased_at=now)
    make_comment(article, owner_key=mine, submitted_at=now, author_user=editor)
    make_comment(article, owner_key=theirs, submitted_at=now)
    make_comment(other, owner_key=mine, submitted_at=now, status=Status.PENDING)
    for _ in range(25):  # more than a session lists
        make_comment(other, owner_key=theirs, submitted_at=now, status=Status.PENDING)

    def ids(comments) -> list[int]:
        return [c.pk for c in comments]

    for article_id, token in [(article.pk, "mine"), (article.pk, "theirs"), (other.pk, "mine")]:
        found = editing.editable_comments(article_id, token)
        assert ids(found) == ids(orm_editable(article_id, token))
        assert [c.body for c in found] == [c.body for c in orm_editable(article_id, token)]
        waiting = WAITING_OF_READER.rows(article_id, hash_key(token))
        assert ids(waiting) == ids(orm_waiting(article_id, token))
    assert len(editing.editable_comments(article.pk, "mine")) == 6  # 1, 5, 14 min; 2 statuses
    assert len(WAITING_OF_READER.rows(other.pk, hash_key("theirs"))) == 20
    settings.BYLINE_COMMENT_EDIT_MINUTES = 2  # the window as it is at each run
    found = editing.editable_comments(article.pk, "mine")
    assert ids(found) == ids(orm_editable(article.pk, "mine"))
    assert len(found) == 2


def test_the_comment_replied_to_and_the_one_e_mailed_are_read_as_the_querysets(article):
    """A reply's parent (``actions.resolve_parent``: approved, on the reply's article) and
    the comment whose author a reply e-mails (``notifications.notify_reply``: any, from
    the primary) are read as the querysets they replaced read them."""
    from byline.discussion.notifications import COMMENT_ON_PRIMARY

    other = make_article("Another story")
    comments = [make_comment(article, status=s) for s in (*Status, Status.APPROVED)]
    comments.append(make_comment(other))
    ids = [c.pk for c in comments] + [comments[-1].pk + 100]
    for article_id in (article.pk, other.pk):
        for pk in ids:
            expected = Comment.objects.approved().on_article(article_id).filter(pk=pk).first()
            assert actions.APPROVED_ON_ARTICLE.first(article_id, pk) == expected
            found = COMMENT_ON_PRIMARY.first(pk)
            assert found == Comment.objects.using(db.PRIMARY).filter(pk=pk).first()
            assert found is None or found.body == Comment.objects.get(pk=pk).body
    assert actions.resolve_parent(article, comments[-2].pk) == comments[-2]  # approved
