"""A reader edits their own comment, from the browser they posted it from, for
``BYLINE_COMMENT_EDIT_MINUTES`` after posting; the new words are checked for spam
again, rendered and sanitized like a new comment, and marked "edited"."""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from byline.antispam import Decision, Verdict
from byline.antispam.backends import DummyBackend, get_backend
from byline.discussion.models import Comment, ModerationRecord
from tests.discussion.factory import SAME_SITE, make_comment, post_comment
from tests.discussion.test_hostile_input import executable_markup, hostile_strings
from tests.htmlcheck import assert_valid_html, needs_java
from tests.pagecache.conftest import page_cache  # noqa: F401 (a fixture)
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db


class SpamWordBackend(DummyBackend):
    """For these tests: "casino" is spam, "maybe" is held, everything else approved."""

    def check(self, submission):
        if "casino" in submission.body.lower():
            return Decision(Verdict.SPAM, ("Mentions a casino.",), 0.99, "words")
        if "maybe" in submission.body.lower():
            return Decision(Verdict.HOLD, ("Unsure.",), 0.6, "words")
        return Decision(Verdict.APPROVE, ("Looks genuine.",), 0.01, "words")


@pytest.fixture(autouse=True)
def words_backend(settings):
    settings.BYLINE_SPAM_BACKEND = "tests.discussion.test_editing.SpamWordBackend"
    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    settings.BYLINE_COMMENT_RATE_LIMIT = 50
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


@pytest.fixture
def posted(client, article):
    """The reader's own published comment, posted a moment ago from ``client``."""
    post_comment(client, article, body="The council voted on Tuesday.")
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.APPROVED
    return comment


def window_that_began_a_second_ago() -> int:
    """A rate window (seconds) whose current window began a second ago and lasts decades.

    The limits' windows are aligned on multiples of their length since 1970, and a
    sliding window lets one more hit through just after a boundary (the previous
    window's hits count a little less than whole). With the site's 60 s window, a
    test whose hits straddle a minute boundary, as a slow one under load does, gets
    one hit more than the limit. This window has no boundary for decades."""
    return int(time.time()) - 1


def edit(client, comment, body, json=False, headers=None):
    extra = dict(SAME_SITE if headers is None else headers)
    if json:
        extra["HTTP_ACCEPT"] = "application/json"
    return client.post(f"/comments/{comment.pk}/edit/", {"body": body}, **extra)


def test_the_author_edits_their_comment_without_javascript(client, article, posted):
    """The edit form shows the comment's words; saving changes them, renders them again,
    marks the comment edited, records the edit and leads back to the comment."""
    page = client.get(f"/comments/{posted.pk}/edit/")
    assert page.status_code == 200
    assert "private" in page["Cache-Control"]
    assert "The council voted on Tuesday." in page.content.decode()
    response = edit(client, posted, "The council voted on *Wednesday*. <b>Sorry!</b>")
    assert response.status_code == 302
    assert response["Location"].endswith(f"{article.get_absolute_url()}#comment-{posted.pk}")
    posted.refresh_from_db()
    assert posted.body.startswith("The council voted on *Wednesday*.")
    assert posted.body_html == "<p>The council voted on *Wednesday*. <strong>Sorry!</strong></p>"
    assert posted.edited_at is not None
    assert posted.status == Comment.Status.APPROVED
    record = ModerationRecord.objects.get(comment=posted)
    assert record.decision == ModerationRecord.Decision.EDIT and record.moderator is None
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Wednesday" in html and "Tuesday" not in html
    assert '<span class="comment-edited">(edited <time' in html


def test_the_author_edits_with_javascript(client, article, posted):
    """The session lists the reader's editable comments; a JSON edit answers the new HTML."""
    session = client.get(f"/comments/session/?article={article.pk}").json()
    assert session["editable"] == [
        {"id": posted.pk, "url": f"/comments/{posted.pk}/edit/", "body": posted.body}
    ]
    answer = edit(client, posted, "Corrected: Wednesday.", json=True)
    assert answer.status_code == 200
    data = answer.json()
    assert data["status"] == "approved" and data["id"] == posted.pk
    assert "Corrected: Wednesday." in data["html"] and "comment-edited" in data["html"]
    assert data["message"] == "Your comment is updated."


def test_nobody_else_can_edit_it(client, article, posted):
    """Another browser is refused, sees no form and no edit in its session; nothing changes."""
    stranger = Client()
    assert stranger.get(f"/comments/{posted.pk}/edit/").status_code == 403
    assert "<textarea" not in stranger.get(f"/comments/{posted.pk}/edit/").content.decode()
    refused = edit(stranger, posted, "Hijacked words")
    assert refused.status_code == 403
    assert "only edit your own comments" in refused.content.decode()
    json_refused = edit(stranger, posted, "Hijacked words", json=True)
    assert json_refused.status_code == 403
    assert json_refused.json()["error"]["status"] == 403
    assert stranger.get(f"/comments/session/?article={article.pk}").json()["editable"] == []
    posted.refresh_from_db()
    assert posted.body == "The council voted on Tuesday." and posted.edited_at is None


def test_a_forged_commenter_cookie_proves_nothing(client, article, posted):
    """The commenter cookie is signed: a made-up or tampered one owns nothing."""
    forger = Client()
    forger.cookies["byline_commenter"] = "made-up-token"
    assert edit(forger, posted, "Hijacked").status_code == 403
    tampered = client.cookies["byline_commenter"].value[:-2] + "xx"
    forger.cookies["byline_commenter"] = tampered
    assert edit(forger, posted, "Hijacked").status_code == 403


def test_after_the_window_the_edit_is_refused_and_the_words_kept(client, article, posted, settings):
    """Past BYLINE_COMMENT_EDIT_MINUTES: a clear refusal, what was typed comes back."""
    settings.BYLINE_COMMENT_EDIT_MINUTES = 5
    Comment.objects.filter(pk=posted.pk).update(
        submitted_at=timezone.now() - timedelta(minutes=5, seconds=1)
    )
    response = edit(client, posted, "My late correction, kept for me.")
    assert response.status_code == 403
    html = response.content.decode()
    assert "can be edited for 5 minutes after posting, and that time is over" in html
    assert "My late correction, kept for me.</textarea>" in html
    assert "Save changes" not in html
    late_json = edit(client, posted, "Late", json=True)
    assert late_json.status_code == 403 and "time is over" in late_json.json()["message"]
    assert client.get(f"/comments/session/?article={article.pk}").json()["editable"] == []
    posted.refresh_from_db()
    assert posted.body == "The council voted on Tuesday."


def test_no_edits_when_the_setting_is_zero(client, article, posted, settings):
    """BYLINE_COMMENT_EDIT_MINUTES=0: readers cannot edit at all."""
    settings.BYLINE_COMMENT_EDIT_MINUTES = 0
    response = edit(client, posted, "Changed")
    assert response.status_code == 403
    assert "cannot be edited on this site" in response.content.decode()


def test_an_edit_that_turns_spam_is_held(client, article, posted):
    """The spam check runs on the new words: spam leaves the page, with its reasons."""
    edit(client, posted, "Visit my casino for free chips")
    posted.refresh_from_db()
    assert posted.status == Comment.Status.SPAM
    assert "Mentions a casino." in posted.spam_reasons
    assert "Edited by its author." in posted.spam_reasons
    assert "casino" not in client.get(article.get_absolute_url()).content.decode()
    assert "Tuesday" not in client.get(article.get_absolute_url()).content.decode()
    assert edit(client, posted, "Back to normal").status_code == 403  # with the moderators


def test_a_held_edit_waits_and_moderators_hear_of_it(client, article, posted, mailoutbox):
    """A hold verdict takes the comment off the page until a moderator looks."""
    answer = edit(client, posted, "Well, maybe not.", json=True)
    assert answer.json()["status"] == "pending"
    posted.refresh_from_db()
    assert posted.status == Comment.Status.PENDING
    assert "maybe not" not in client.get(article.get_absolute_url()).content.decode()


def test_an_edit_never_publishes_a_waiting_comment(client, article, settings):
    """A comment held for moderation stays held however genuine its new words."""
    settings.BYLINE_COMMENT_MODERATION = "all"
    post_comment(client, article, body="First words")
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert edit(client, comment, "Second words").status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING and comment.body == "Second words"


def test_an_edit_is_checked_like_a_new_comment(client, article, posted, settings):
    """Empty or too long: refused with the reason and the words kept."""
    settings.BYLINE_COMMENT_MAX_LENGTH = 20
    empty = edit(client, posted, "   ")
    assert empty.status_code == 400
    long = edit(client, posted, "x" * 21)
    assert long.status_code == 400 and "the limit is 20" in long.content.decode()
    assert "x" * 21 + "</textarea>" in long.content.decode()


def test_edits_are_rate_limited(client, article, posted, settings):
    """Edits count per reader and per address, like comments."""
    settings.BYLINE_COMMENT_RATE_LIMIT = 2
    settings.BYLINE_COMMENT_RATE_WINDOW = window_that_began_a_second_ago()
    assert edit(client, posted, "One").status_code == 302
    assert edit(client, posted, "Two").status_code == 302
    third = edit(client, posted, "Three, kept")
    assert third.status_code == 429 and int(third["Retry-After"]) >= 1
    assert "Three, kept</textarea>" in third.content.decode()


def test_a_cross_site_edit_is_refused_and_the_words_kept(client, article, posted):
    """CSRF: a post another site made is refused; the reader's words come back."""
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies  # the reader's own browser, led by another site
    response = edit(
        strict, posted, "Words from elsewhere", headers={"HTTP_SEC_FETCH_SITE": "cross-site"}
    )
    assert response.status_code == 403
    assert "Words from elsewhere</textarea>" in response.content.decode()
    posted.refresh_from_db()
    assert posted.body == "The council voted on Tuesday."


def test_the_own_comment_page_offers_the_edit_until_the_window_ends(client, article, posted):
    """Without script the reader reaches the form from their comment's own link: it shows
    the published comment and "Edit"; for anyone else the link goes to the discussion."""
    own = client.get(posted.get_absolute_url())
    assert own.status_code == 200 and "private" in own["Cache-Control"]
    html = own.content.decode()
    assert f'href="/comments/{posted.pk}/edit/"' in html and "your comment is published" in html
    assert Client().get(posted.get_absolute_url()).status_code == 302
    Comment.objects.filter(pk=posted.pk).update(submitted_at=timezone.now() - timedelta(hours=1))
    assert client.get(posted.get_absolute_url()).status_code == 302


def test_after_posting_without_script_the_reader_lands_on_the_edit(client, article):
    """A no-script post lands on the comment's own uncached page, which offers "Edit"
    while the reader may edit (their signed commenter cookie, set by that post); the
    article page, cached for everyone, never carries it. Another browser is sent on to
    the comment's place in the discussion."""
    response = post_comment(client, article, body="The ferry runs on Sundays too.")
    mine = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/comments/{mine.pk}/"
    landing = client.get(response["Location"])
    assert landing.status_code == 200
    assert "private" in landing["Cache-Control"] and "no-store" in landing["Cache-Control"]
    html = landing.content.decode()
    assert "your comment is published" in html
    assert f'href="/comments/{mine.pk}/edit/">Edit your comment</a>' in html
    assert f'href="{article.get_absolute_url()}#comment-{mine.pk}"' in html  # its place
    assert "/edit/" not in client.get(article.get_absolute_url()).content.decode()
    assert Client().get(response["Location"]).status_code == 302


def test_without_edits_a_post_lands_in_the_discussion(client, article, settings):
    """BYLINE_COMMENT_EDIT_MINUTES=0: nothing to offer, so straight to the comment's place."""
    settings.BYLINE_COMMENT_EDIT_MINUTES = 0
    response = post_comment(client, article, body="No edits on this site.")
    mine = Comment.objects.get()
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{mine.pk}"


def test_the_readers_edit_and_the_editors_edit_are_one_write_path(
    client, article, posted, editor_client, editor, django_capture_on_commit_callbacks
):
    """Whoever edits, the same things happen: the body rendered and sanitized again,
    "edited" shown, the edit recorded with who made it (the author: no moderator), and
    the article's cached pages told. Only the reader's edit is checked first."""
    from byline.signals import article_changed

    told: list[int] = []

    def listen(sender, article_id, **kwargs):
        told.append(article_id)

    article_changed.connect(listen)
    try:
        assert edit(client, posted, "By the author: <b>Tuesday</b>.").status_code == 302
        data = {
            "author_name": posted.author_name,
            "author_email": posted.author_email,
            "author_url": "",
            "body": "By an editor: <b>Wednesday</b><script>x()</script>.",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
        }
        # The admin saves in its own transaction; what follows its commit runs here.
        with django_capture_on_commit_callbacks(execute=True):
            changed = editor_client.post(f"/admin/discussion/comment/{posted.pk}/change/", data)
        assert changed.status_code == 302
    finally:
        article_changed.disconnect(listen)
    posted.refresh_from_db()
    assert posted.body_html == "<p>By an editor: <strong>Wednesday</strong>.</p>"
    records = list(ModerationRecord.objects.filter(comment=posted).order_by("pk"))
    assert [(r.decision, r.moderator) for r in records] == [("edit", None), ("edit", editor)]
    assert told == [article.pk, article.pk]


def test_the_cached_page_never_offers_an_edit(client, article, posted, page_cache):  # noqa: F811
    """The article page, cached or not, has no edit link for anyone; an edit refreshes it.
    (Everything after posting goes through the production WSGI stack, page cache first.)"""
    url = article.get_absolute_url()
    first = call(page_cache, url)
    assert "/edit/" not in first.text and "Tuesday" in first.text
    assert call(page_cache, url).headers["x-page-cache"] == "hit"
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    saved = call(
        page_cache,
        f"/comments/{posted.pk}/edit/",
        method="POST",
        body=b"body=Now+it+says+Thursday.",
        headers={"Cookie": cookies, "Sec-Fetch-Site": "same-origin"},
    )
    assert saved.status == 302
    fresh = call(page_cache, url)
    assert "Thursday" in fresh.text and "/edit/" not in fresh.text


def test_hostile_edits_are_sanitized(client, article, posted, settings):
    """Every naughty string and XSS payload as an edit: no 5xx, nothing executable."""
    settings.BYLINE_COMMENT_RATE_LIMIT = 100_000
    for text in hostile_strings()[::7]:
        response = edit(client, posted, text)
        assert response.status_code < 500, text
    page = client.get(article.get_absolute_url()).content.decode()
    assert executable_markup(page) == []
    posted.refresh_from_db()
    assert executable_markup(posted.body_html) == []


@hsettings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(max_size=300))
def test_any_edit_answers_cleanly(client, article, posted, settings, body):
    """Any text as an edit: stored and sanitized, or refused with a reason (never a 5xx)."""
    settings.BYLINE_COMMENT_RATE_LIMIT = 100_000
    response = edit(client, posted, body)
    assert response.status_code in (302, 400), response.status_code
    posted.refresh_from_db()
    assert executable_markup(posted.body_html) == []


def test_another_comment_on_the_page_is_not_editable(client, article, posted):
    """Only the reader's own comments: someone else's on the same article is refused."""
    other = make_comment(article, body="Not yours")
    assert edit(client, other, "Mine now").status_code == 403
    session = client.get(f"/comments/session/?article={article.pk}").json()
    assert [e["id"] for e in session["editable"]] == [posted.pk]


@needs_java
def test_the_new_pages_are_valid_html(client, article, posted, settings, tmp_path):
    """The edit form, the author's own comment page and an article page with the order
    choice, a Copy link and an edited comment pass the Nu HTML Checker."""
    settings.BYLINE_COMMENT_RATE_LIMIT = 100
    make_comment(article)
    edit(client, posted, "Edited words")
    pages = {
        "edit": client.get(f"/comments/{posted.pk}/edit/").content.decode(),
        "own": client.get(posted.get_absolute_url()).content.decode(),
        "refused": edit(client, posted, "").content.decode(),
        "article-top": client.get(article.get_absolute_url() + "?sort=top").content.decode(),
    }
    assert "Order of comments" in pages["article-top"] and "comment-edited" in pages["article-top"]
    assert_valid_html(pages, tmp_path)
