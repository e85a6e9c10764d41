"""Hostile input on this morning's new parameters: the comment page's decision buttons
(``<pk>/decide/``), the page staff see for a comment no reader sees, the token a posted
comment is answered with, and the ``byline_voted`` cookie. Whatever is sent, the answer
is a clear 4xx, a redirect or the page: never a 500, never unescaped markup, never a
private page a cache may keep."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from byline.discussion.actions import DECISION_STATUS
from byline.discussion.admin import decisions_for
from byline.discussion.models import Comment, ModerationRecord
from byline.engagement.views import VOTED_COOKIE
from tests.corpora import NAUGHTY, XSS
from tests.discussion.factory import make_comment, post_comment

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/discussion/comment/"
FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
DECISIONS = [*ModerationRecord.Decision.values, "", "APPROVE", "approve ", "delete", "0"]
STATUSES = list(Comment.Status)


def staff(username: str, *perms: str, **fields):
    user = get_user_model().objects.create_user(
        username=username, password="correct horse battery", is_staff=True, **fields
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=perms))
    return user


@hsettings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(
    status=st.sampled_from(STATUSES),
    decision=st.one_of(st.sampled_from(DECISIONS), st.text(max_size=40)),
)
def test_any_decision_on_any_comment_redirects_back_and_changes_only_what_was_offered(
    editor_client, article, status, decision
):
    """A decision the page offered is taken; any other value (forged, stale, empty, the
    right word in the wrong case) changes nothing; every one lands back on the page."""
    comment = make_comment(article, status=status)
    url = f"{CHANGELIST}{comment.pk}/decide/"
    response = editor_client.post(url, {"decision": decision})
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{comment.pk}/change/"
    comment.refresh_from_db()
    offered = dict(decisions_for(make_comment(article, status=status)))
    expected = DECISION_STATUS[decision] if decision in offered else status
    assert comment.status == expected
    assert comment.decisions.count() == (1 if decision in offered else 0)


@hsettings(max_examples=20, deadline=None, suppress_health_check=FIXTURES)
@given(pk=st.one_of(st.integers(min_value=10**6, max_value=10**30), st.just(0)))
def test_a_decision_on_no_such_comment_is_a_404(editor_client, pk):
    assert (
        editor_client.post(f"{CHANGELIST}{pk}/decide/", {"decision": "approve"}).status_code == 404
    )


def test_a_decision_posted_twice_is_taken_once(editor_client, article):
    """A double click, or a browser that sends the form again: one decision recorded,
    and the second answer says it is done (not that the comment changed under them)."""
    comment = make_comment(article, status=Comment.Status.PENDING)
    for _ in range(2):
        response = editor_client.post(
            f"{CHANGELIST}{comment.pk}/decide/", {"decision": "approve"}, follow=True
        )
    said = [str(m) for m in response.context["messages"]]
    assert said == ["The comment was already approved."]
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    assert comment.decisions.count() == 1


def test_a_decision_without_the_csrf_token_is_refused(editor, article):
    comment = make_comment(article, status=Comment.Status.PENDING)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(f"{CHANGELIST}{comment.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


def test_only_staff_who_may_change_comments_decide(client, article):
    """Staff who may only view comments see no buttons and are refused a forged post;
    an inactive moderator is not signed in at all."""
    comment = make_comment(article, status=Comment.Status.PENDING)
    client.force_login(staff("viewer", "view_comment"))
    page = client.get(f"{CHANGELIST}{comment.pk}/change/")
    assert page.status_code == 200 and 'name="decision"' not in page.content.decode()
    assert (
        client.post(f"{CHANGELIST}{comment.pk}/decide/", {"decision": "approve"}).status_code == 403
    )
    client.force_login(staff("gone", "view_comment", "change_comment", is_active=False))
    response = client.post(f"{CHANGELIST}{comment.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING and not comment.decisions.exists()


# The page staff see for a comment no reader sees (``views._moderator_view``).


def assert_escaped(html: str, payload: str) -> None:
    """The payload's markup is not in the page as markup: every "<" it holds is escaped."""
    if "<" in payload:
        assert payload not in html


HOSTILE = [s for s in NAUGHTY + XSS if "<" in s or "&" in s or '"' in s]


def test_hostile_names_and_bodies_on_the_staff_comment_page_are_escaped(editor_client, article):
    parent = make_comment(article, status=Comment.Status.PENDING, author_name="<b>held</b>")
    for payload in HOSTILE:
        comment = make_comment(
            article, parent=parent, status=Comment.Status.APPROVED, author_name=payload[:100],
            body=payload,
        )  # fmt: skip
        response = editor_client.get(f"/comments/{comment.pk}/")
        assert response.status_code == 200, payload
        html = response.content.decode()
        assert "Only moderators see this page." in html
        assert_escaped(html, payload[:100])
        assert "<b>held</b>" not in html and "&lt;b&gt;held&lt;/b&gt;" in html


@pytest.mark.parametrize("status", [s for s in STATUSES if s != Comment.Status.APPROVED])
def test_the_staff_comment_page_is_private_and_no_one_elses(client, editor, article, status):
    """Staff who may moderate see it, marked private and never stored; staff who may
    not, an inactive moderator and a reader get the reader's 404."""
    comment = make_comment(article, status=status)
    client.force_login(editor)
    response = client.get(f"/comments/{comment.pk}/")
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and (
        "no-store" in cache_control or "no-cache" in cache_control
    )
    assert "X-Accel-Expires" not in response
    for user in (staff("viewer", "view_comment"), staff("gone", "change_comment", is_active=False)):
        client.force_login(user)
        assert client.get(f"/comments/{comment.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/comments/{comment.pk}/").status_code == 404


# The token a posted comment is answered with (``views.next_form_token``).


def post_json(client, article, **fields):
    return post_comment(client, article, json=True, **fields)


@hsettings(max_examples=30, deadline=None, suppress_health_check=FIXTURES)
@given(ts=st.one_of(st.text(max_size=600), st.binary(max_size=100).map(lambda b: b.hex())))
def test_any_token_is_refused_cleanly(client, article, ts):
    response = post_json(client, article, ts=ts, body="A token of any shape.")
    assert response.status_code < 500
    assert response.status_code != 201 or not ts


def test_the_follow_up_token_posts_once(client, article, dummy_spam):
    """The token answered with a comment posts the next one at once, and only one: sent
    again (a retry, a script), it answers with the comment it posted."""
    first = post_json(client, article, body="The first thought.")
    assert first.status_code == 201
    token = first.json()["ts"]
    follow_up = post_json(client, article, ts=token, body="Sorry, typo: I meant this.")
    assert follow_up.status_code == 201
    again = post_json(client, article, ts=token, body="Something else entirely.")
    assert again.status_code < 500
    assert again.status_code != 201 or again.json()["id"] == follow_up.json()["id"]
    assert Comment.objects.count() == 2


# The byline_voted cookie (``engagement.views.VOTED_COOKIE``).


@hsettings(max_examples=30, deadline=None, suppress_health_check=FIXTURES)
@given(value=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60))
def test_any_voted_cookie_leaves_the_page_as_everyones(client, article, value):
    """The cookie changes nothing on the server: the page is everyone's (cacheable,
    no cookie set back), whatever the value."""
    client.cookies[VOTED_COOKIE] = value
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert VOTED_COOKIE not in response.cookies
    assert "private" not in response.get("Cache-Control", "")


def test_a_plain_read_sets_no_voted_cookie(client, article):
    response = client.get(article.get_absolute_url())
    assert VOTED_COOKIE not in response.cookies


@pytest.mark.parametrize("status", [s for s in STATUSES if s != Comment.Status.APPROVED])
def test_the_staff_comment_page_offers_no_reaction(editor_client, article, status):
    """A held, spam or binned comment takes no reaction (reactions.py refuses it): its
    page for staff shows no reaction button that would only answer with an error."""
    comment = make_comment(article, status=status)
    html = editor_client.get(f"/comments/{comment.pk}/").content.decode()
    assert "Only moderators see this page." in html
    assert 'class="comment-reaction"' not in html
