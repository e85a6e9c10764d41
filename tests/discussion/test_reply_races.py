"""A reply is attached to a comment readers can see, or refused as one to a comment
taken back; never a server error, never half-stored.

What the POST read may be gone by the time it writes: the comment answered deleted
by a moderator or erased at its author's request, the article deleted. The reply is
refused as when it was gone before the POST (the same words, status and fields for
the page's script), nothing is stored and the form's token stays unspent, so the
reader's words can be sent again. At the deepest level a reply joins the comment one
level up, which must be approved too. A reply's thread is its parent's, even under a
row written without one. A published reply whose parent was taken back for moderation
meanwhile is answered "held", naming the comment the page takes off.

The races are real: the other side runs on its own connection, in its own committed
transaction, right before the POST's INSERT is sent (``connection.execute_wrapper``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import hypothesis
import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from byline.articles.models import Article
from byline.discussion import actions, commenterdata, sorting, views
from byline.discussion.models import REMOVED, Comment, ModerationRecord, SpentFormToken
from byline.discussion.threads import is_shown, refresh_shown, shown_counts
from tests.discussion.factory import comment_form, make_comment, post_comment
from tests.factory import make_article

pytestmark = pytest.mark.django_db
DECISION_OF = {
    Comment.Status.TRASH: ModerationRecord.Decision.TRASH,
    Comment.Status.SPAM: ModerationRecord.Decision.SPAM,
}
NOT_AVAILABLE = "The comment you are replying to is not available any more."
JSON = {"HTTP_ACCEPT": "application/json", "HTTP_SEC_FETCH_SITE": "same-origin"}
BROWSER = {"HTTP_SEC_FETCH_SITE": "same-origin"}


COMMENT_INSERT = 'INSERT INTO "discussion_comment"'
# SQLite opens the comment's transaction with its write lock taken (BEGIN IMMEDIATE):
# nothing can come between it and the INSERT. There the other side runs right before
# it, after the POST's last statement outside it (the spam check's log).
SPAM_CHECK_LOGGED = "INSERT INTO antispam_checklog"


def run_elsewhere(change: Callable[[], object]) -> None:
    """Run ``change`` on another connection (another thread, its own transaction,
    committed), and wait for it; what it raises is raised here."""
    raised: list[BaseException] = []

    def elsewhere() -> None:
        try:
            change()
        except BaseException as error:  # handed back to the test's thread
            raised.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    if raised:
        raise raised[0]


@contextmanager
def before_the_insert(change: Callable[[], object]) -> Iterator[None]:
    """Run ``change`` on another connection (another thread, its own transaction,
    committed) once, between the POST's reads and its write: on PostgreSQL right
    before this connection sends the comment's INSERT, in the comment's transaction."""
    done: list[bool] = []

    def run_change() -> None:
        done.append(True)
        run_elsewhere(change)

    seam = SPAM_CHECK_LOGGED if connection.vendor == "sqlite" else COMMENT_INSERT

    def wrapper(execute, sql, params, many, context):
        if not done and seam == COMMENT_INSERT and sql.startswith(seam):
            run_change()
        result = execute(sql, params, many, context)
        if not done and seam == SPAM_CHECK_LOGGED and sql.startswith(seam):
            run_change()
        return result

    with connection.execute_wrapper(wrapper):
        yield
    assert done, "the POST never reached its INSERT"


@pytest.fixture
def known(article):
    """Ada has an approved comment: her next one is published at once."""
    return make_comment(article, author_email="ada@example.org")


def moderator_deletes(comment: Comment) -> Callable[[], object]:
    return lambda: actions.delete_comments(Comment.objects.filter(pk=comment.pk))


def author_erases(comment: Comment) -> Callable[[], object]:
    return lambda: commenterdata.erase_comments(comment.author_email)


DELETED = [moderator_deletes, author_erases]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("deletion", DELETED)
def test_a_reply_whose_comment_is_deleted_as_it_is_sent_comes_back_with_the_reader_s_words(
    article, known, deletion
):
    """Without a script: the form again, as for a comment taken back before the POST:
    the reason, the reader's words, a new thread instead of the reply; nothing stored,
    and the same form sent again is taken (its token was not spent)."""
    parent = make_comment(article, author_email="orla@example.org", body="Soon gone")
    data = comment_form(article, parent=str(parent.pk), body="My reply, kept")
    with before_the_insert(deletion(parent)):
        response = Client().post("/comments/post/", data, **BROWSER)
    assert response.status_code == 400
    html = response.content.decode()
    assert NOT_AVAILABLE in html and "My reply, kept" in html
    assert f'name="parent" value="{parent.pk}"' not in html
    assert "Soon gone" not in html
    assert re.findall(r'<blockquote class="replying-to-quote">', html) == []
    assert not Comment.objects.filter(pk=parent.pk).exists()
    assert not Comment.objects.filter(body="My reply, kept").exists()
    assert not SpentFormToken.objects.exists()
    data["parent"] = ""
    again = Client().post("/comments/post/", data, **BROWSER)
    assert again.status_code == 302
    assert Comment.objects.get(body="My reply, kept").parent_id is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("deletion", DELETED)
def test_a_script_s_reply_whose_comment_is_deleted_as_it_is_sent_is_told_it_is_gone(
    article, known, deletion
):
    """The page's script gets what it gets for a comment deleted before the POST: the
    reason on the parent, the comment to take off the page, no placeholder (a deleted
    comment leaves none: its replies went with it)."""
    parent = make_comment(article, author_email="orla@example.org")
    data = comment_form(article, parent=str(parent.pk), body="My reply, kept")
    with before_the_insert(deletion(parent)):
        during = Client().post("/comments/post/", data, **JSON)
    before = Client().post("/comments/post/", comment_form(article, parent=str(parent.pk)), **JSON)
    assert during.status_code == before.status_code == 400
    answer = during.json()
    # (each answer its own mask of the CSRF token for the next post)
    assert {**answer, "csrfToken": ""} == {**before.json(), "gone": parent.pk, "csrfToken": ""}
    assert answer["status"] == "rejected" and answer["placeholder"] == ""
    assert answer["errors"] == {"parent": [answer["message"]]}
    assert answer["message"].startswith(NOT_AVAILABLE)
    assert not Comment.objects.filter(body="My reply, kept").exists()
    assert not SpentFormToken.objects.exists()
    data["parent"] = ""
    assert Client().post("/comments/post/", data, **JSON).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_a_reply_at_the_deepest_level_whose_thread_is_deleted_as_it_is_sent_is_refused(
    article, known, settings
):
    """At the deepest level the reply is attached to the comment one level up: that is
    the one whose deletion is answered (its replies went with it)."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    top = make_comment(article, author_email="orla@example.org")
    deepest = make_comment(article, parent=top, author_email="orla@example.org")
    data = comment_form(article, parent=str(deepest.pk), body="Too late")
    with before_the_insert(moderator_deletes(top)):
        response = Client().post("/comments/post/", data, **JSON)
    assert response.status_code == 400
    assert response.json()["gone"] == top.pk
    assert not Comment.objects.filter(body="Too late").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("headers", [BROWSER, JSON], ids=["browser", "script"])
def test_a_comment_on_an_article_deleted_as_it_is_sent_is_refused_as_on_a_missing_article(
    article, known, headers
):
    data = comment_form(article, body="Nobody will read this")
    with before_the_insert(lambda: Article.objects.filter(pk=article.pk).delete()):
        response = Client().post("/comments/post/", data, **headers)
    assert response.status_code == 404
    assert actions.ARTICLE_GONE in response.content.decode()
    if headers is JSON:
        assert response.json()["status"] == "rejected"
    else:  # the form page of a missing article: no link to it, nor its headline
        html = response.content.decode()
        assert "Nobody will read this" in html
        assert article.get_absolute_url() not in html and article.headline not in html
    assert not Comment.objects.exists() and not SpentFormToken.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("headers", [BROWSER, JSON], ids=["browser", "script"])
def test_a_comment_on_an_article_unpublished_as_it_is_sent_is_answered_without_an_error(
    article, known, headers
):
    """Stored, as one sent a moment earlier would have been; no page shows it, and the
    answer says where its author finds it."""

    def unpublish() -> None:
        Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)

    with before_the_insert(unpublish):
        response = Client().post("/comments/post/", comment_form(article, body="Late"), **headers)
    comment = Comment.objects.get(body="Late")
    assert response.status_code == (201 if headers is JSON else 302)
    if headers is JSON:
        assert response.json()["id"] == comment.pk
    else:
        assert response["Location"] == comment.get_absolute_url()


def test_a_reply_to_a_comment_of_another_article_is_refused(client, article, known):
    elsewhere = make_comment(make_article("Another story"))
    response = post_comment(client, article, json=True, parent=str(elsewhere.pk))
    assert response.status_code == 400
    assert response.json()["gone"] == elsewhere.pk
    assert not Comment.objects.filter(parent=elsewhere).exists()


# The deepest level ---------------------------------------------------------------


def test_a_reply_at_the_deepest_level_joins_a_comment_held_for_moderation_never(
    client, article, known, settings
):
    """At the deepest level a reply joins the comment one level up. Held for moderation,
    it is no place for a reply (it would wait with it, and the comment answered, under
    it, is on no page either): the reply is refused as one to a comment taken back,
    naming that comment, which the page's script takes off with its thread."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    top = make_comment(article)
    deepest = make_comment(article, parent=top)
    Comment.objects.filter(pk=top.pk).update(status=Comment.Status.PENDING)
    response = post_comment(client, article, json=True, parent=str(deepest.pk), body="Lost?")
    assert response.status_code == 400
    answer = response.json()
    assert answer["gone"] == top.pk and answer["placeholder"] == ""
    assert answer["errors"]["parent"] and answer["message"].startswith(NOT_AVAILABLE)
    assert not Comment.objects.filter(body="Lost?").exists()


@pytest.mark.parametrize("status", REMOVED)
def test_a_reply_at_the_deepest_level_under_a_removed_comment_joins_its_replies(
    client, article, known, settings, mailoutbox, status
):
    """A removed comment with replies is shown as a placeholder with its replies under
    it: the reader answers one of those, at the deepest level, and their reply is shown
    beside it, under the placeholder (never refused as one to a comment "not available":
    the comment answered is there). The removed comment's author is not told."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    top = make_comment(article, notify_replies=True, author_email="gone@example.org")
    deepest = make_comment(article, parent=top)
    actions.moderate([top], DECISION_OF[status], None)
    mailoutbox.clear()
    response = post_comment(client, article, json=True, parent=str(deepest.pk), body="Beside")
    assert response.status_code == 201 and response.json()["status"] == "approved"
    reply = Comment.objects.get(body="Beside")
    assert (reply.parent_id, reply.depth, reply.thread_id) == (top.pk, 1, top.pk)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "This comment was removed." in page and f'id="comment-{reply.pk}"' in page
    assert not [m for m in mailoutbox if "gone@example.org" in m.to]


def test_a_reply_at_the_deepest_level_of_an_imported_deeper_thread_joins_that_level(
    client, article, known, settings
):
    """An imported thread may be deeper than the site allows: the reply is attached at
    the deepest level the site allows, each comment up to it approved."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    chain = [make_comment(article)]
    for _ in range(3):  # imported at depths 1, 2, 3
        chain.append(make_comment(article, parent=chain[-1]))
    response = post_comment(client, article, json=True, parent=str(chain[-1].pk), body="Deep")
    assert response.status_code == 201
    reply = Comment.objects.get(body="Deep")
    assert (reply.parent_id, reply.depth, reply.thread_id) == (chain[0].pk, 1, chain[0].pk)
    Comment.objects.filter(pk=chain[1].pk).update(status=Comment.Status.PENDING)
    refused = post_comment(client, article, json=True, parent=str(chain[-1].pk), body="Deeper")
    assert refused.status_code == 400 and refused.json()["gone"] == chain[1].pk


# Legacy rows without a thread ------------------------------------------------------


def legacy(comment: Comment) -> Comment:
    """The comment as a row written before threads were kept (``thread_id`` NULL)."""
    Comment.objects.filter(pk=comment.pk).update(thread_id=None)
    comment.refresh_from_db()
    return comment


def test_a_reply_to_a_top_level_comment_without_a_thread_joins_its_thread(client, article, known):
    top = legacy(make_comment(article))
    response = post_comment(client, article, json=True, parent=str(top.pk), body="Under it")
    assert response.status_code == 201 and response.json()["status"] == "approved"
    assert Comment.objects.get(body="Under it").thread_id == top.pk


def test_a_reply_under_a_reply_without_a_thread_joins_its_top_comment_s_thread(
    client, article, known
):
    top = make_comment(article)
    middle = legacy(make_comment(article, parent=top))
    post_comment(client, article, json=True, parent=str(middle.pk), body="Two down")
    reply = Comment.objects.get(body="Two down")
    assert (reply.parent_id, reply.thread_id) == (middle.pk, top.pk)
    assert shown_counts([article.pk])[article.pk] == 4  # known, top, middle, reply


def test_a_reply_to_a_removed_top_comment_without_a_thread_keeps_its_thread_shown(
    client, article, known
):
    """The removed top comment heads a thread readers see (its placeholder, counted on
    the article), found by its reply's thread."""
    top = legacy(make_comment(article))
    post_comment(client, article, json=True, parent=str(top.pk), body="Answer")
    Comment.objects.filter(pk=top.pk).update(status=Comment.Status.TRASH)
    refresh_shown([article.pk])
    article.refresh_from_db()
    assert article.removed_threads == 1
    assert top.pk in sorting.root_ids(article.pk)


def test_an_editor_s_reply_to_a_top_level_comment_without_a_thread_joins_its_thread(
    article, editor
):
    top = legacy(make_comment(article))
    reply = actions.reply_as_editor(top, "Thank you.", editor)
    assert reply.thread_id == top.pk


# The answer for a reply held with a comment above it ----------------------------------


def taken_back_for_moderation(comment: Comment) -> Callable[[], object]:
    return lambda: Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.PENDING)


@pytest.mark.django_db(transaction=True)
def test_a_script_s_reply_whose_top_level_comment_is_held_as_it_is_sent_names_it(article, known):
    """Published, but under a top-level comment taken back for moderation between the
    POST's read and its write: "held", naming that comment (the page takes it off, as
    every other page has), never ``null``."""
    top = make_comment(article)
    data = comment_form(article, parent=str(top.pk), body="Mine waits")
    with before_the_insert(taken_back_for_moderation(top)):
        response = Client().post("/comments/post/", data, **JSON)
    assert response.status_code == 201
    reply = Comment.objects.get(body="Mine waits")
    answer = response.json()
    keys = {"status", "id", "parent", "html", "message", "ts", "held", "under", "url"}
    keys |= {"editable", "csrfToken"}  # the Edit link on it, the next post's CSRF token
    assert set(answer) == keys
    assert answer["status"] == "held" and answer["held"] == top.pk
    assert answer["under"] == [reply.pk]  # what a page showing it takes off with it
    assert (answer["id"], answer["parent"]) == (reply.pk, top.pk)
    assert answer["url"] == reply.get_absolute_url()
    assert "taken back for moderation" in answer["message"]


def test_a_script_s_reply_under_two_held_comments_names_the_highest(client, article, known):
    """The page takes off the highest comment held above the reply: no page shows it,
    nor anything under it."""
    top = make_comment(article)
    middle = make_comment(article, parent=top)
    answered = make_comment(article, parent=middle)
    Comment.objects.filter(pk__in=[top.pk, middle.pk]).update(status=Comment.Status.PENDING)
    # The reader's page was loaded before: the comment answered is still approved.
    response = post_comment(client, article, json=True, parent=str(answered.pk), body="Low")
    assert response.status_code == 201
    assert response.json()["status"] == "held" and response.json()["held"] == top.pk


def test_the_held_answer_names_only_comments_a_page_could_show_never_others_held_ones(
    client, article, known
):
    """``under`` (what the page's script takes off with the held comment) names the
    published comments under it, the placeholders of removed ones with a published reply
    below, and the reader's own comments waiting: never another reader's comment held for
    moderation, nor one removed with nothing shown below it, not even by its id."""
    post_comment(client, article, json=True, body="My first words here")
    mine = Comment.objects.get(body="My first words here").owner_key
    assert mine
    top = make_comment(article)
    answered = make_comment(article, parent=top)
    held_other = make_comment(article, parent=answered, status=Comment.Status.PENDING)
    my_waiting = make_comment(
        article, parent=answered, status=Comment.Status.PENDING, owner_key=mine
    )
    spam_alone = make_comment(article, parent=top, status=Comment.Status.SPAM)
    trashed = make_comment(article, parent=top, status=Comment.Status.TRASH)
    below_trashed = make_comment(article, parent=trashed)
    trashed_over_held = make_comment(article, parent=top, status=Comment.Status.TRASH)
    held_below = make_comment(article, parent=trashed_over_held, status=Comment.Status.PENDING)
    Comment.objects.filter(pk=top.pk).update(status=Comment.Status.PENDING)
    response = post_comment(client, article, json=True, parent=str(answered.pk), body="Late")
    answer = response.json()
    assert answer["status"] == "held" and answer["held"] == top.pk
    reply = Comment.objects.get(body="Late")
    assert set(answer["under"]) == {
        answered.pk,
        my_waiting.pk,
        trashed.pk,
        below_trashed.pk,
        reply.pk,
    }
    private_ids = {held_other.pk, spam_alone.pk, trashed_over_held.pk, held_below.pk}
    assert not private_ids & set(answer["under"])
    assert len(answer["under"]) == len(set(answer["under"]))


STATUSES = st.sampled_from(list(Comment.Status))


@hypothesis.settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    shape=st.lists(
        st.tuples(st.integers(min_value=0, max_value=30), STATUSES, st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_the_held_answer_never_names_a_comment_no_page_could_show(article, shape):
    """Any thread under the held comment, any statuses and owners: every id in ``under``
    is a published comment, the reader's own, or the placeholder of a removed comment
    with a published reply somewhere below it; every published one is named."""
    with transaction.atomic():
        top = make_comment(article)
        answered = make_comment(article, parent=top)
        reply = make_comment(article, parent=answered, owner_key="mine")
        tree = [top, answered]
        for parent_at, status, ours in shape:
            parent = tree[1 + parent_at % (len(tree) - 1)]
            tree.append(
                make_comment(
                    article, parent=parent, status=status, owner_key="mine" if ours else ""
                )
            )
        Comment.objects.filter(pk=top.pk).update(status=Comment.Status.PENDING)
        under = set(views._replies_under(top.pk, reply))
        rows = {c.pk: c for c in Comment.objects.filter(thread_id=top.pk)}
        below: dict[int, set[int]] = {pk: set() for pk in rows}
        for comment in sorted(rows.values(), key=lambda c: -c.pk):  # replies before their parents
            if comment.parent_id:
                below[comment.parent_id] |= {comment.pk} | below[comment.pk]
        published = {pk for pk, c in rows.items() if c.status == Comment.Status.APPROVED}
        for pk in under:
            comment = rows[pk]
            assert (
                comment.status == Comment.Status.APPROVED
                or comment.owner_key == "mine"
                or (comment.status in REMOVED and below[pk] & published)
            ), (comment.status, comment.owner_key)
        assert published - {top.pk} <= under
        transaction.set_rollback(True)


# A moderator's delete, an erasure: a reply sent while they run ------------------------
#
# The other way round: the reply commits while a moderator deletes the comment it
# answers (after the delete read that comment's replies), or while its author erases
# their comments (after the erasure saw nobody had answered it). The delete must not
# fail on the reply (a foreign-key error: a 500 in the admin), and a published reply
# must never be deleted with a comment erased as unanswered.

REPLIES_READ = '"discussion_comment"."parent_id" IN'
BLOCKED_BY_US = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks "
    "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
)


# A moderator's delete reads the threads, then locks them all in one statement.
LOCKED = "FOR UPDATE"


@contextmanager
def reply_sent_after_replies_read(
    post: Callable[[], object], statement: str = REPLIES_READ
) -> Iterator[list]:
    """Send ``post`` (a reader's reply, or another moderator's delete, on its own
    connection and thread) once this connection has read the replies of what it deletes
    or erases (or sent another ``statement``), and go on when ``post`` is answered or
    waits for a lock this connection holds (PostgreSQL). Yields the list its answer is
    put in, complete when the block ends."""
    answers: list = []
    state = {"sent": False}

    def elsewhere() -> None:
        try:
            answers.append(post())
        except BaseException as error:
            answers.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)

    def blocked_by_us() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(BLOCKED_BY_US)
            return cursor.fetchone()[0]

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not state["sent"] and statement in sql:
            state["sent"] = True
            thread.start()
            for _ in range(3000):  # at most 30 s: the reply is answered, or it waits on us
                thread.join(0.01)
                if not thread.is_alive() or blocked_by_us():
                    break
        return result

    with connection.execute_wrapper(wrapper):
        yield answers
    assert state["sent"], f"{statement} was never sent"
    thread.join(30)
    assert answers, "the reply was never answered"
    if isinstance(answers[0], BaseException):
        raise answers[0]


def reply_to(article, comment: Comment, body: str) -> Callable[[], object]:
    data = comment_form(article, parent=str(comment.pk), body=body)
    return lambda: Client().post("/comments/post/", data, **JSON)


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite: writers take turns, and the delete's transaction holds the write "
    "lock from before it reads the replies (test_the_replies_of_comments_deleted_...)",
)


def moderator_deletes_now(comment: Comment) -> object:
    return actions.delete_comments(Comment.objects.filter(pk=comment.pk))


def author_erases_now(comment: Comment) -> object:
    return commenterdata.erase_comments(comment.author_email)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("deletion", [moderator_deletes_now, author_erases_now])
def test_the_replies_of_comments_deleted_are_read_in_the_transaction_that_deletes_them(
    article, deletion
):
    """What makes the races below impossible on SQLite (the transaction holds the write
    lock from its start) and closes them on PostgreSQL (the rows are locked first)."""
    top = make_comment(article)
    make_comment(article, parent=top)
    reads: list[bool] = []

    def wrapper(execute, sql, params, many, context):
        if REPLIES_READ in sql:
            reads.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        deletion(top)
    assert reads and all(reads)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_reply_sent_while_a_moderator_deletes_its_comment_never_fails_the_delete(article, known):
    """The moderator's delete goes through; the reply, which could only commit after
    it, is refused as one to a comment deleted (the reader's words kept)."""
    top = make_comment(article, author_email="orla@example.org")
    reply = reply_to(article, top, "Just in time?")
    with reply_sent_after_replies_read(reply, LOCKED) as answers:
        assert actions.delete_comments(Comment.objects.filter(pk=top.pk)) == 1
    assert answers[0].status_code == 400 and answers[0].json()["gone"] == top.pk
    assert not Comment.objects.filter(pk=top.pk).exists()
    assert not Comment.objects.filter(body="Just in time?").exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_reply_sent_while_its_comment_is_erased_is_never_deleted_once_published(article, known):
    """Erased while nobody had answered it, the comment is deleted; the reply sent
    meanwhile commits only after the erasure, and is refused as one to a comment deleted
    (nothing of it stored): never published and then deleted with it."""
    top = make_comment(article, author_email="orla@example.org")
    with reply_sent_after_replies_read(reply_to(article, top, "Are you there?")) as answers:
        commenterdata.erase_comments("orla@example.org")
    assert answers[0].status_code == 400 and answers[0].json()["gone"] == top.pk
    assert not Comment.objects.filter(pk=top.pk).exists()
    assert not Comment.objects.filter(body="Are you there?").exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_moderators_deleting_the_same_threads_in_opposite_order_both_go_through(article, known):
    """One moderator deletes two threads while another deletes the same two, listed the
    other way round, and a reply in the first: the second waits for the first and finds
    nothing left to delete. Neither is a deadlock (PostgreSQL would abort one of them:
    an error page), whichever order each listed them in."""
    first = make_comment(article)
    reply = make_comment(article, parent=first)
    second = make_comment(article)
    make_comment(article, parent=second)
    other = lambda: actions.delete_comments([second, reply, first])  # noqa: E731
    with reply_sent_after_replies_read(other, LOCKED) as answers:
        assert actions.delete_comments([first, second]) == 2
    assert answers == [0]
    assert not Comment.objects.filter(article=article).exclude(pk=known.pk).exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("deletion", [moderator_deletes_now, author_erases_now])
def test_a_reply_at_the_deepest_level_sent_while_the_comment_it_answers_goes_is_refused(
    article, known, settings, deletion
):
    """The reply joins the comment one level up, which stays, and stores the comment it
    answers, which a moderator deletes (or its author erases) as it is sent: the reply
    commits only after them, and is refused as one to a comment deleted, never a
    server error."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    top = make_comment(article, author_email="tom@example.org")
    deepest = make_comment(article, parent=top, author_email="orla@example.org")
    with reply_sent_after_replies_read(reply_to(article, deepest, "Orla?"), LOCKED) as answers:
        deletion(deepest)
    assert answers[0].status_code == 400 and answers[0].json()["gone"] == deepest.pk
    assert not Comment.objects.filter(body="Orla?").exists()
    assert Comment.objects.filter(pk=top.pk).exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_editor_s_reply_at_the_deepest_level_waits_for_nobody_to_delete_what_it_answers(
    article, editor, settings
):
    """The editor answers a comment at the deepest level while another moderator deletes
    it: the reply locks the comment it answers as well as the one it joins, so the delete
    waits for it, and the reply is published and keeps its place (never a server error)."""
    settings.BYLINE_COMMENT_MAX_DEPTH = 2
    top = make_comment(article, author_email="tom@example.org")
    deepest = make_comment(article, parent=top, author_email="orla@example.org")
    with reply_sent_after_replies_read(moderator_deletes(deepest), LOCKED) as answers:
        reply = actions.reply_as_editor(deepest, "Thanks, Orla.", editor)
    assert answers == [1]
    reply.refresh_from_db()
    assert (reply.parent_id, reply.answers_id, reply.reply_notified) == (top.pk, None, True)


@pytest.mark.django_db(transaction=True)
def test_a_reply_that_joins_a_comment_erased_as_it_is_sent_e_mails_nobody(article, known):
    """Its comment erased while the reply is sent, but kept (another reader had answered
    it): the reply is published under the placeholder, as every page draws it, and its
    author, who asked for reply e-mails before they erased everything of theirs, is not
    e-mailed (the POST read the comment, address and all, before the erasure)."""
    parent = make_comment(article, author_email="orla@example.org", notify_replies=True)
    make_comment(article, parent=parent, author_email="tom@example.org")
    mail.outbox = []
    data = comment_form(article, parent=str(parent.pk), body="Thanks, Orla")
    with before_the_insert(author_erases(parent)):
        response = Client().post("/comments/post/", data, **JSON)
    assert response.status_code == 201 and response.json()["status"] == "approved"
    reply = Comment.objects.get(body="Thanks, Orla")
    parent.refresh_from_db()
    assert reply.parent_id == parent.pk and parent.erased_at is not None
    assert is_shown(reply)
    assert mail.outbox == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_reply_waiting_on_an_erasure_joins_the_placeholder_and_e_mails_nobody(article, known):
    """The real race: the reply's INSERT waits for the erasure's lock on the comment it
    answers, and commits after it: published under the placeholder (never lost, never
    a server error), its erased author never e-mailed."""
    parent = make_comment(article, author_email="orla@example.org", notify_replies=True)
    make_comment(article, parent=parent, author_email="tom@example.org")
    mail.outbox = []
    with reply_sent_after_replies_read(reply_to(article, parent, "Still here")) as answers:
        commenterdata.erase_comments("orla@example.org")
    assert answers[0].status_code == 201 and answers[0].json()["status"] == "approved"
    reply = Comment.objects.get(body="Still here")
    assert reply.parent_id == parent.pk and is_shown(reply)
    assert Comment.objects.get(pk=parent.pk).author_email == ""
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_reply_whose_comment_is_removed_as_it_is_sent_e_mails_nobody(article, known):
    """Trashed by a moderator as the reply is sent: never the author of a comment a
    moderator removed."""
    parent = make_comment(article, author_email="orla@example.org", notify_replies=True)
    make_comment(article, parent=parent, author_email="tom@example.org")
    mail.outbox = []
    trashed = lambda: actions.moderate([parent], ModerationRecord.Decision.TRASH, None)  # noqa: E731
    data = comment_form(article, parent=str(parent.pk), body="Orla, you there?")
    with before_the_insert(trashed):
        response = Client().post("/comments/post/", data, **JSON)
    assert response.status_code == 201
    assert mail.outbox == []


# An editor's reply from the queue -------------------------------------------------

PARENT_READ = 'INNER JOIN "articles_article"'  # the reply page reads the comment with it


@pytest.mark.django_db(transaction=True)
def test_an_editor_s_reply_to_a_comment_deleted_as_it_is_sent_comes_back_with_their_words(
    article, editor
):
    """Deleted by another moderator (or erased) once the reply page read it: the editor
    is told, their words kept in the form; nothing stored, never a server error."""
    parent = make_comment(article)
    client = Client()
    client.force_login(editor)
    read: list[bool] = []

    def wrapper(execute, sql, params, many, context):
        if read == [True]:  # the statement after the comment's read
            read.append(True)
            run_elsewhere(moderator_deletes(parent))
        if not read and PARENT_READ in sql:
            read.append(True)
        return execute(sql, params, many, context)

    url = f"/admin/discussion/comment/{parent.pk}/reply/"
    with connection.execute_wrapper(wrapper):
        response = client.post(url, {"body": "Thanks for writing in."})
    assert read == [True, True]
    assert response.status_code == 200
    html = response.content.decode()
    assert "was deleted" in html and "Thanks for writing in." in html
    assert not Comment.objects.exists()
