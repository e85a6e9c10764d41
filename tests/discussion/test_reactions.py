"""Readers react to comments: one reaction per reader per comment, given or taken back.

Through the HTTP client as a reader's browser sends it: the JSON API the page's
script uses, the plain form without script, and the counts API that keeps a
cached page's counts fresh. Then the order "Most reacted", the moderators' view,
and what happens to reactions when a comment is deleted, erased or exported.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from byline import readers
from byline.discussion import reactions
from byline.discussion.commenterdata import erase_comments, export_comments, purge_old_data
from byline.discussion.models import Comment, CommentReaction
from tests.discussion.factory import SAME_SITE, make_comment
from tests.pagecache.conftest import page_cache  # noqa: F401 (a fixture)
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db

BROWSER = {**SAME_SITE, "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"}
SHOWN = re.compile(r'id="comment-(\d+)"')


@pytest.fixture(autouse=True)
def _fresh_limits():
    readers.reset_limits()
    yield
    readers.reset_limits()


def api(client: Client, comment: Comment, body: object = None, method: str = "post", **extra):
    """The page's script: a same-origin JSON POST (or DELETE) to the comment's reaction."""
    headers = {**BROWSER, **extra}
    send = getattr(client, method)
    if method == "delete":
        return send(f"/api/comments/{comment.pk}/reaction/", **headers)
    data = json.dumps({"reacted": True} if body is None else body)
    return send(
        f"/api/comments/{comment.pk}/reaction/", data, content_type="application/json", **headers
    )


def count_of(comment: Comment) -> int:
    comment.refresh_from_db(fields=["reactions"])
    return comment.reactions


def test_a_reader_reacts_with_one_json_post_and_gets_the_new_count(client, article):
    """The first reaction answers the reader's state and the count, sets the reader
    cookie (they may take it back later), and is never cached."""
    comment = make_comment(article)
    response = api(client, comment)
    assert response.status_code == 200
    assert response.json() == {"comment": comment.pk, "reacted": True, "reactions": 1}
    assert "byline_reader" in response.cookies
    assert "no-store" in response["Cache-Control"]
    assert count_of(comment) == 1


def test_reacting_again_changes_nothing_and_taking_it_back_withdraws(client, article):
    """A retried reaction is still one reaction; {"reacted": false} or DELETE takes it back,
    and taking back twice is harmless too. The stored row is a salted hash, never the
    cookie's id or an address."""
    comment = make_comment(article)
    api(client, comment)
    again = api(client, comment)
    assert again.json()["reactions"] == 1 and "byline_reader" not in again.cookies
    row = CommentReaction.objects.get(comment=comment)
    assert client.cookies["byline_reader"].value.split(":")[0] not in row.reader
    assert "127.0.0.1" not in row.reader
    assert api(client, comment, {"reacted": False}).json() == {
        "comment": comment.pk, "reacted": False, "reactions": 0,
    }  # fmt: skip
    assert api(client, comment, method="delete").json()["reactions"] == 0
    assert count_of(comment) == 0 and not CommentReaction.objects.exists()


def test_each_reader_counts_once(article):
    """Three readers, each reacting twice: three reactions."""
    comment = make_comment(article)
    for _ in range(3):
        reader = Client()
        api(reader, comment)
        api(reader, comment)
    assert count_of(comment) == 3 == CommentReaction.objects.filter(comment=comment).count()


@pytest.mark.parametrize(
    "make",
    [
        lambda article: make_comment(article, status="pending"),
        lambda article: make_comment(article, status="spam"),
        lambda article: make_comment(article, erased_at=timezone.now()),
    ],
    ids=["pending", "spam", "erased"],
)
def test_only_published_comments_take_reactions(client, article, make):
    """A held, spam or erased comment answers 404 in the JSON error shape."""
    comment = make(article)
    response = api(client, comment)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert count_of(comment) == 0


def test_a_comment_under_an_unpublished_article_takes_no_reaction(client, article):
    comment = make_comment(article)
    article.status = "draft"
    article.save()
    assert api(client, comment).status_code == 404


def test_a_cross_site_post_is_refused(article):
    """Another site's page cannot make a reader react: its Sec-Fetch-Site says so."""
    comment = make_comment(article)
    response = api(Client(enforce_csrf_checks=True), comment, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert count_of(comment) == 0


def test_a_script_with_a_csrf_token_may_react_without_the_browser_header(article):
    """The house rule for JSON writes: no Sec-Fetch-Site, but Django's CSRF token."""
    comment = make_comment(article)
    reader = Client(enforce_csrf_checks=True)
    token = reader.get("/api/csrf/").json()["csrfToken"]
    response = reader.post(
        f"/api/comments/{comment.pk}/reaction/",
        "{}",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_USER_AGENT=BROWSER["HTTP_USER_AGENT"],
    )
    assert response.status_code == 200 and count_of(comment) == 1


@pytest.mark.parametrize("agent", ["", "Googlebot/2.1", "curl/8.0", "python-requests/2.31"])
def test_declared_bots_cannot_react(client, article, agent):
    comment = make_comment(article)
    response = api(client, comment, HTTP_USER_AGENT=agent)
    assert response.status_code == 403 and count_of(comment) == 0


def test_too_many_reactions_in_a_minute_get_429_with_retry_after(client, article, settings):
    settings.BYLINE_VOTES_PER_MINUTE = 3
    comments = [make_comment(article) for _ in range(4)]
    answers = [api(client, comment) for comment in comments]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) >= 1
    assert answers[-1].json()["error"]["code"] == "too_many_requests"


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("[1]", "application/json"),
        ("{", "application/json"),
        ('{"reacted": "maybe"}', "application/json"),
        ('{"reacted": 2}', "application/json"),
    ],
)
def test_malformed_requests_get_json_400(client, article, body, content_type):
    comment = make_comment(article)
    response = client.post(
        f"/api/comments/{comment.pk}/reaction/", body, content_type=content_type, **BROWSER
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_wrong_method_is_a_json_405(client, article):
    comment = make_comment(article)
    response = client.get(f"/api/comments/{comment.pk}/reaction/", **BROWSER)
    assert response.status_code == 405 and response["Allow"] == "POST, DELETE"


# Without script: a plain form under each comment.


def test_every_published_comment_has_a_reaction_button_that_works_without_script(
    client, article, settings
):
    """The button is a form with aria-pressed false (the page is the same for everyone),
    the configured label and the count."""
    settings.BYLINE_COMMENT_REACTION_LABEL = "Like"
    comment = make_comment(article, reactions=0)
    html = client.get(article.get_absolute_url()).content.decode()
    form = re.search(
        rf'<form class="comment-reaction" method="post" action="/comments/{comment.pk}/react/">'
        r"(.*?)</form>",
        html,
    )
    assert form is not None
    assert 'aria-pressed="false"' in form.group(1)
    assert '<span class="comment-reaction-label">Like</span>' in form.group(1)
    assert "data-count>0</span>" in form.group(1)


def test_the_form_reacts_and_comes_back_to_the_comment_outside_the_page_cache(client, article):
    """303 to the comment's anchor on the page it was pressed on; the added ``reacted``
    keeps that page out of the cache, so it shows the new count."""
    comment = make_comment(article)
    response = client.post(
        f"/comments/{comment.pk}/react/?sort=reacted", {"reacted": "1"}, **BROWSER
    )
    assert response.status_code == 303
    place = response["Location"]
    assert place == (
        f"{article.get_absolute_url()}?sort=reacted&reacted={comment.pk}#comment-{comment.pk}"
    )
    assert "byline_reader" in response.cookies
    page = client.get(place).content.decode()
    assert re.search(rf'data-comment-reaction="{comment.pk}">.*?data-count>1<', page)


def test_pressing_the_form_again_offers_to_take_it_back(client, article):
    """A second press (or a retried one) changes nothing and lands on an uncached page whose
    one button takes the reaction back."""
    comment = make_comment(article)
    client.post(f"/comments/{comment.pk}/react/", {"reacted": "1"}, **BROWSER)
    again = client.post(f"/comments/{comment.pk}/react/", {"reacted": "1"}, **BROWSER)
    assert again.status_code == 200 and "no-store" in again["Cache-Control"]
    assert "Take back my Respect" in again.content.decode()
    assert count_of(comment) == 1
    back = client.post(f"/comments/{comment.pk}/react/", {"reacted": "0"}, **BROWSER)
    assert back.status_code == 303 and count_of(comment) == 0


def test_a_form_post_from_another_site_lands_on_a_confirmation(article):
    comment = make_comment(article)
    response = Client(enforce_csrf_checks=True).post(
        f"/comments/{comment.pk}/react/",
        {"reacted": "1"},
        HTTP_SEC_FETCH_SITE="cross-site",
        HTTP_USER_AGENT=BROWSER["HTTP_USER_AGENT"],
    )
    assert response.status_code == 403
    assert "Confirm your reaction" in response.content.decode()
    assert count_of(comment) == 0


def test_the_form_for_a_missing_comment_is_the_sites_404_page(client, article):
    response = client.post("/comments/999999/react/", {"reacted": "1"}, **BROWSER)
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


# Counts on cached pages.


def test_the_counts_api_is_the_same_for_everyone_and_briefly_cacheable(client, article):
    """Counts of published comments only (a held one is not even named), no cookie."""
    shown = make_comment(article)
    held = make_comment(article, status="pending")
    api(Client(), shown)
    response = client.get(f"/api/comments/reactions/?ids={shown.pk},{held.pk},99999")
    assert response.status_code == 200
    assert response.json() == {"counts": {str(shown.pk): 1}}
    assert "public" in response["Cache-Control"] and "max-age=2" in response["Cache-Control"]
    assert not response.cookies


@pytest.mark.parametrize("ids", ["", "1,x", "-1", ",".join(["1"] * 301), "1;2", "9" * 40])
def test_the_counts_api_refuses_bad_lists_in_json(client, ids):
    response = client.get("/api/comments/reactions/", {"ids": ids})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_cached_page_is_the_same_for_a_reader_who_reacted(page_cache, article):  # noqa: F811
    """Reacting sets no state in the page: a reader with a reader cookie and one without get
    the same bytes (the script presses the reader's own buttons)."""
    comment = make_comment(article)
    url = article.get_absolute_url()
    first = call(page_cache, url)
    assert "set-cookie" not in first.headers
    reader = Client()
    api(reader, comment)
    cookie = f"byline_reader={reader.cookies['byline_reader'].value}"
    again = call(page_cache, url, headers={"Cookie": cookie})
    assert again.body == call(page_cache, url).body
    # The markup alone: site.css styles pressed buttons, and the page's script presses them.
    markup = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", again.text, flags=re.S)
    assert 'aria-pressed="true"' not in markup


# The order "Most reacted".


@pytest.fixture
def threads(article):
    """Three threads, oldest first; the newest has the most reactions, the middle one
    the most replies."""
    start = timezone.now() - timedelta(hours=5)
    old = make_comment(article, submitted_at=start)
    middle = make_comment(article, submitted_at=start + timedelta(hours=1))
    new = make_comment(article, submitted_at=start + timedelta(hours=2))
    for n in range(2):
        make_comment(article, parent=middle, submitted_at=start + timedelta(hours=3, minutes=n))
    for reacted, times in ((new, 3), (old, 1)):
        for n in range(times):
            reactions.set_reaction(reacted.pk, reactions.reader_key(f"{n:032x}"), True)
    return old, middle, new


def roots(response, threads) -> list[int]:
    ids = {c.pk for c in threads}
    return [int(pk) for pk in SHOWN.findall(response.content.decode()) if int(pk) in ids]


def test_most_reacted_puts_the_most_reacted_thread_first(client, article, threads):
    """?sort=reacted: most reactions first, ties oldest first; "Most replies" stays."""
    old, middle, new = threads
    response = client.get(article.get_absolute_url() + "?sort=reacted")
    assert roots(response, threads) == [new.pk, old.pk, middle.pk]
    html = response.content.decode()
    assert 'aria-current="true">Most reacted<' in html
    assert ">Most replies<" in html
    top = client.get(article.get_absolute_url() + "?sort=top")
    assert roots(top, threads) == [middle.pk, old.pk, new.pk]


def test_most_reacted_keeps_pages_and_folds(client, article, threads, settings):
    old, middle, new = threads
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 2
    settings.BYLINE_COMMENT_THREAD_FOLD = 1
    first = client.get(article.get_absolute_url() + "?sort=reacted")
    assert roots(first, threads) == [new.pk, old.pk]
    assert 'href="?cpage=2&amp;sort=reacted#comments" rel="next"' in first.content.decode()
    second = client.get(article.get_absolute_url() + "?cpage=2&sort=reacted")
    assert roots(second, threads) == [middle.pk]
    html = second.content.decode()
    assert f'href="?thread={middle.pk}&amp;sort=reacted#comment-' in html
    assert f'action="/comments/{middle.pk}/react/?cpage=2&amp;sort=reacted"' in html


def test_most_reacted_is_its_own_cached_page(page_cache, article, threads):  # noqa: F811
    base = article.get_absolute_url() + "?sort=reacted"
    assert call(page_cache, base).headers["x-page-cache"] == "miss"
    assert call(page_cache, base).headers["x-page-cache"] == "hit"


# Moderators, deletion, the commenter's data.


def test_moderators_see_the_count_in_the_admin(admin_client, article):
    comment = make_comment(article)
    for _ in range(2):
        api(Client(), comment)
    listing = admin_client.get("/admin/discussion/comment/").content.decode()
    assert '<td class="field-reactions">2</td>' in listing
    change = admin_client.get(f"/admin/discussion/comment/{comment.pk}/change/")
    assert "Reactions" in change.content.decode()


def test_saving_a_comment_read_earlier_keeps_the_reactions_given_since(client, article):
    """An editor's save writes every field but the count: reactions.py alone moves it."""
    comment = make_comment(article)
    stale = Comment.objects.get(pk=comment.pk)
    api(client, comment)
    stale.body = "Corrected."
    stale.save()
    assert count_of(comment) == 1


def test_a_deleted_comment_takes_its_reactions_with_it(client, article):
    comment = make_comment(article)
    api(client, comment)
    comment.delete()
    assert not CommentReaction.objects.exists()


def test_old_spam_is_purged_with_its_reactions(client, article):
    comment = make_comment(article, submitted_at=timezone.now() - timedelta(days=400))
    api(client, comment)
    Comment.objects.filter(pk=comment.pk).update(status="spam")
    assert purge_old_data().comments_deleted == 1
    assert not CommentReaction.objects.exists()


def test_erasing_ones_comments_erases_their_reactions(client, article):
    """A deleted comment's reactions go with it; an erased placeholder keeps none."""
    answered = make_comment(article, author_email="gone@example.org")
    make_comment(article, parent=answered)
    alone = make_comment(article, author_email="gone@example.org")
    for comment in (answered, alone):
        api(client, comment)
    assert [c["reactions"] for c in export_comments("gone@example.org")] == [1, 1]
    erase_comments("gone@example.org")
    assert not CommentReaction.objects.exists()
    assert count_of(answered) == 0
    assert api(client, answered).status_code == 404


def test_the_comment_data_page_says_what_a_reaction_keeps(client, settings):
    settings.BYLINE_COMMENT_REACTION_LABEL = "Like"
    html = client.get("/comments/data/").content.decode()
    assert "When you press “Like” under a comment" in html
    assert "byline_reader" in html


# The property: whatever a client sends, an answer of the contract, never a 5xx.


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["post", "delete", "get", "put", "patch"]),
    body=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=12),
        st.dictionaries(
            st.sampled_from(["reacted", "reaction", ""]),
            st.one_of(st.booleans(), st.none(), st.integers(), st.text(max_size=8)),
            max_size=3,
        ),
    ),
    which=st.sampled_from(["published", "held", "missing"]),
    site=st.sampled_from(["same-origin", "cross-site", None]),
)
def test_any_request_to_the_reaction_api_gets_a_json_answer(article, method, body, which, site):
    """Any method, body, comment and origin: a JSON answer, 2xx or 4xx, and the count always
    equals the rows."""
    comment = {
        "published": lambda: (
            Comment.objects.filter(status="approved").first() or make_comment(article)
        ),
        "held": lambda: (
            Comment.objects.filter(status="pending").first()
            or make_comment(article, status="pending")
        ),
        "missing": lambda: Comment(pk=987654321),
    }[which]()
    headers = {"HTTP_USER_AGENT": BROWSER["HTTP_USER_AGENT"]}
    if site:
        headers["HTTP_SEC_FETCH_SITE"] = site
    client = Client(enforce_csrf_checks=True)
    send = getattr(client, method)
    data = json.dumps(body) if body is not None else ""
    path = f"/api/comments/{comment.pk}/reaction/"
    if method == "get":
        response = send(path, **headers)
    else:
        response = send(path, data, content_type="application/json", **headers)
    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    assert "error" in payload or set(payload) == {"comment", "reacted", "reactions"}
    for stored in Comment.objects.all():
        assert stored.reactions == CommentReaction.objects.filter(comment=stored).count()


def test_set_reaction_is_exact_on_this_database(article):
    """The write statement itself: react twice, withdraw twice, on SQLite and PostgreSQL."""
    comment = make_comment(article)
    key = reactions.reader_key("a" * 32)
    assert reactions.set_reaction(comment.pk, key, True) == (True, 1)
    assert reactions.set_reaction(comment.pk, key, True) == (False, 1)
    assert reactions.set_reaction(comment.pk, key, False) == (True, 0)
    assert reactions.set_reaction(comment.pk, key, False) == (False, 0)
    assert connection.vendor in {"sqlite", "postgresql"}


def test_the_reaction_api_is_described_and_answers_its_documented_shapes(client, article):
    """docs/openapi.json lists both JSON addresses, and real answers match their schemas."""
    from byline.discussion import reaction_urls
    from tests.engagement.test_api_docs import SPEC, check

    routes = {
        "/" + str(p.pattern).replace("<int:pk>", "{comment_id}")
        for p in reaction_urls.urlpatterns
        if str(p.pattern).startswith("api/")
    }
    assert len(routes) == 2 and routes <= set(SPEC["paths"])
    comment = make_comment(article)
    schema = "#/components/schemas/"
    check({"$ref": schema + "CommentReactionAnswer"}, api(client, comment).json())
    counts = client.get(f"/api/comments/reactions/?ids={comment.pk}").json()
    check({"$ref": schema + "CommentReactionCounts"}, counts)
    check({"$ref": schema + "Error"}, api(client, comment, {"reacted": "x"}).json())
