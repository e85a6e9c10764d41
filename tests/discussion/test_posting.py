"""Leaving a reply: statuses, the reader's own pending comment, and every abuse check."""

import json

import pytest
from django.core.cache import cache

from byline import readers
from byline.discussion.forms import NAME_SHOWS_NOTHING, form_timestamp
from byline.discussion.models import Comment
from tests.discussion.factory import comment_form, make_comment, post_comment
from tests.discussion.test_editing import window_that_began_a_second_ago

pytestmark = pytest.mark.django_db


def test_a_first_comment_waits_and_says_why(client, article):
    """A first-timer's comment is pending (BYLINE_SPAM_FIRST_COMMENT=hold, which the local
    filter applies as it scores), with the spam backend's reasons stored."""
    response = post_comment(client, article)
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert comment.spam_verdict == "hold"  # genuine, but a first comment: it waits
    assert comment.spam_backend == "local"
    assert any("first comment" in r.lower() for r in comment.spam_reasons)
    assert response.status_code == 302
    assert response["Location"] == comment.get_absolute_url()


def test_by_default_a_genuine_first_comment_is_published_at_once(client, article, settings):
    """With the default policy a fresh site publishes a first-timer's genuine comment at
    once; only what the spam check holds waits."""
    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"  # the shipped default, undoing the fixture
    from byline.conf import read_all

    assert read_all({})["BYLINE_COMMENT_MODERATION"] == "none"
    response = post_comment(client, article, body="Thanks, this explains the budget well.")
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.APPROVED
    assert response["Location"] == comment.get_absolute_url()  # with its Edit link


def test_a_known_commenter_is_approved_at_once(client, article):
    """An earlier approved comment under the same e-mail means the next one is published."""
    make_comment(article, author_email="ada@example.org")
    response = post_comment(client, article, body="Back again")
    comment = Comment.objects.get(body="Back again")
    assert comment.status == Comment.Status.APPROVED
    assert response["Location"] == comment.get_absolute_url()  # with its Edit link
    assert "Back again" in client.get(article.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("policy", "held"),
    [
        ("publish", {"plain": False, "linked": False}),
        ("hold", {"plain": True, "linked": True}),
        ("hold-links", {"plain": False, "linked": True}),
    ],
)
def test_the_first_comment_policy_holds_with_any_spam_backend(
    client, article, settings, dummy_spam, policy, held
):
    """BYLINE_SPAM_FIRST_COMMENT is the one first-comment rule: with a backend that does
    not apply it (here the test backend, which approves everything) it is applied to
    that backend's verdict; a known commenter is published whatever it says."""
    settings.BYLINE_SPAM_FIRST_COMMENT = policy
    settings.BYLINE_COMMENT_RATE_LIMIT = 50
    bodies = {"plain": "First time here.", "linked": "See https://news.example/report"}
    for n, (kind, body) in enumerate(bodies.items()):
        post_comment(client, article, body=body, email=f"new{n}@example.org")
        comment = Comment.objects.get(body=body)
        waits = comment.status == Comment.Status.PENDING
        assert waits == held[kind], (policy, kind)
        if waits:
            assert any("first comment" in reason for reason in comment.spam_reasons)
    make_comment(article, author_email="known@example.org")
    post_comment(
        client, article, body="Known here: https://news.example/", email="known@example.org"
    )
    assert Comment.objects.get(
        author_email="known@example.org", body__startswith="Known"
    ).status == (Comment.Status.APPROVED)


def test_moderation_policy_all_holds_even_known_commenters(client, article, settings):
    """BYLINE_COMMENT_MODERATION=all: every comment waits."""
    settings.BYLINE_COMMENT_MODERATION = "all"
    make_comment(article, author_email="ada@example.org")
    post_comment(client, article, body="Still waits")
    comment = Comment.objects.get(body="Still waits")
    assert comment.status == Comment.Status.PENDING
    assert "Moderation policy: every comment waits." in comment.spam_reasons


def test_only_the_commenter_sees_their_pending_comment(client, article, django_user_model):
    """Through their cookie the commenter sees "awaiting moderation"; nobody else does, and
    the article page's HTML never contains it."""
    post_comment(client, article, body="My pending words")
    comment = Comment.objects.get()
    own = client.get(comment.get_absolute_url())
    assert own.status_code == 200
    assert "Your comment is awaiting moderation." in own.content.decode()
    assert "private" in own["Cache-Control"]
    session = client.get(f"/comments/session/?article={article.pk}").json()
    assert [p["id"] for p in session["pending"]] == [comment.pk]
    assert "awaiting moderation" in session["pending"][0]["html"]
    page = client.get(article.get_absolute_url()).content.decode()
    assert "My pending words" not in page

    from django.test import Client

    stranger = Client()
    assert stranger.get(comment.get_absolute_url()).status_code == 404
    assert stranger.get(f"/comments/session/?article={article.pk}").json()["pending"] == []


def test_the_article_page_is_the_same_for_every_reader(client, article):
    """Two readers, one of them a commenter with cookies, get identical bytes; no cookie set."""
    make_comment(article)
    post_comment(client, article, remember="on")
    from django.test import Client

    fresh = Client().get(article.get_absolute_url())
    mine = client.get(article.get_absolute_url())
    assert fresh.content == mine.content
    assert not fresh.cookies
    assert "csrfmiddlewaretoken" not in fresh.content.decode()
    assert "ada@example.org" not in mine.content.decode()


def test_saving_details_sets_a_cookie_the_form_is_filled_from(client, article):
    """The opt-in remembers name, e-mail and website; unticking it forgets them."""
    response = post_comment(client, article, remember="on", website="https://ada.example")
    assert "byline_comment_author" in response.cookies
    remembered = client.get(f"/comments/session/?article={article.pk}").json()["remembered"]
    assert remembered == {
        "name": "Ada Reader",
        "email": "ada@example.org",
        "website": "https://ada.example",
    }
    response = post_comment(client, article, body="Another one")
    assert response.cookies["byline_comment_author"]["max-age"] == 0


def test_an_invalid_comment_comes_back_with_everything_typed(client, article):
    """A missing name gives a clear error on an uncached page that keeps body, e-mail, website."""
    response = post_comment(
        client, article, name="", body="Words I typed", website="https://mine.example"
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html
    assert "Words I typed" in html
    assert 'value="ada@example.org"' in html
    assert 'value="https://mine.example"' in html
    assert "csrfmiddlewaretoken" in html
    assert "private" in response["Cache-Control"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "<img src=x onerror=alert(1)>",  # markup that is all removed
        "<script></script><p></p>",
        "\u200b\u200b \u00a0\u2060",  # zero-width and no-break spaces
        "<b> </b>",
    ],
)
def test_a_comment_that_would_show_nothing_is_refused(client, article, body):
    """A comment whose words are all markup that is removed, or invisible characters, would
    be published as an empty box under a name: the reader is asked to write a comment."""
    response = post_comment(client, article, json=True, body=body)
    assert response.status_code == 400
    assert response.json()["errors"]["body"] == ["Please write a comment."]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200d \u2060", "\ufeff"])
def test_a_name_of_invisible_characters_is_refused(client, article, name):
    """Readers see who wrote a comment: a name that shows nothing is no name."""
    response = post_comment(client, article, json=True, name=name)
    assert response.status_code == 400
    assert response.json()["errors"]["name"] == [NAME_SHOWS_NOTHING]
    assert not Comment.objects.exists()


def test_a_website_that_is_no_web_address_is_explained_once(client, article):
    """A website field holding something other than an http(s) address gives one
    message, not the same sentence twice."""
    for website in ("javascript:alert(1)", "not a url at all"):
        response = post_comment(client, article, website=website)
        assert response.status_code == 400
        assert response.content.decode().count("Enter a valid URL.") == 1, website
        errors = post_comment(client, article, json=True, website=website).json()["errors"]
        assert errors["website"] == ["Enter a valid URL."], website


def test_the_length_limit_is_configurable_with_a_clear_error(client, article, settings):
    """Over BYLINE_COMMENT_MAX_LENGTH, the reader is told the limit and keeps the text."""
    settings.BYLINE_COMMENT_MAX_LENGTH = 20
    response = post_comment(client, article, body="x" * 21)
    assert response.status_code == 400
    assert "the limit is 20" in response.content.decode()
    assert "x" * 21 in response.content.decode()
    assert post_comment(client, article, body="x" * 20).status_code == 302


def test_a_filled_honeypot_is_discarded_silently(client, article):
    """Nothing is stored and nothing tells the bot why."""
    response = post_comment(client, article, url_confirm="http://spam.example")
    assert response.status_code == 302
    assert not Comment.objects.exists()
    json_response = post_comment(client, article, json=True, url_confirm="x")
    assert json_response.status_code == 200
    assert not Comment.objects.exists()


def test_a_form_sent_too_quickly_is_refused_and_kept(client, article, settings):
    """Sent sooner than BYLINE_COMMENT_MIN_SECONDS after loading: refused, input kept."""
    settings.BYLINE_COMMENT_MIN_SECONDS = 30
    response = post_comment(client, article, ts=form_timestamp(), body="Too fast words")
    assert response.status_code == 400
    assert "That was quick" in response.content.decode()
    assert "Too fast words" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_form_without_a_timestamp_is_confirmed_on_an_uncached_page(client, article, settings):
    """Without JavaScript the cached form has no timestamp: one confirmation step, input
    kept. The reader wrote the comment before that page, so its token has the minimum
    time already served: pressing "Post Comment" again at once posts the comment. The
    token still posts one comment only."""
    settings.BYLINE_COMMENT_MIN_SECONDS = 30
    response = post_comment(client, article, ts="", body="No script here")
    html = response.content.decode()
    assert response.status_code == 200
    assert "One more step" in html
    assert "No script here" in html
    assert not Comment.objects.exists()
    data = comment_form(article, body="No script here")
    data["ts"] = re_find_ts(html)
    confirmed = client.post("/comments/post/", data, HTTP_SEC_FETCH_SITE="same-origin")
    assert confirmed.status_code == 302
    assert Comment.objects.get().body == "No script here"
    data["body"] = "Another comment with the same token"
    replay = client.post("/comments/post/", data, HTTP_SEC_FETCH_SITE="same-origin")
    assert replay.status_code == 400 and "already been used" in replay.text
    assert Comment.objects.count() == 1


def test_a_form_that_came_back_with_an_error_starts_the_minimum_time_again(
    client, article, settings
):
    """Only the no-script confirmation is stamped as already waited: a form refused as
    too quick comes back with a fresh token, refused again if sent at once."""
    settings.BYLINE_COMMENT_MIN_SECONDS = 30
    too_soon = post_comment(client, article, ts=form_timestamp(), body="In a hurry")
    assert "That was quick" in too_soon.text
    data = comment_form(article, body="In a hurry")
    data["ts"] = re_find_ts(too_soon.text)
    again = client.post("/comments/post/", data, HTTP_SEC_FETCH_SITE="same-origin")
    assert again.status_code == 400
    assert "That was quick" in again.text
    assert not Comment.objects.exists()


def test_a_readers_quick_follow_up_is_taken_and_a_bot_on_a_fresh_form_is_not(
    client, article, settings
):
    """The answer to a posted comment carries the token for the next one with the
    minimum time already served: the reader just waited it out, so "Sorry, typo" sent
    a second later is taken. A fresh form's token sent at once is still refused, and
    the follow-up's token posts one comment only."""
    settings.BYLINE_COMMENT_MIN_SECONDS = 30
    bot = post_comment(client, article, json=True, ts=form_timestamp(), body="Instant")
    assert bot.status_code == 400 and "That was quick" in bot.json()["message"]
    first = post_comment(client, article, json=True, body="The vote was on Tuesday.")
    assert first.status_code == 201
    follow_up = post_comment(
        client, article, json=True, ts=first.json()["ts"], body="Sorry, typo: Wednesday."
    )
    assert follow_up.status_code == 201
    again = post_comment(client, article, json=True, ts=first.json()["ts"], body="Third.")
    assert again.status_code == 400 and "already been used" in again.json()["message"]
    assert Comment.objects.count() == 2


def re_find_ts(html: str) -> str:
    import re

    return re.search(r'name="ts" value="([^"]+)"', html).group(1)


@pytest.fixture
def one_rate_window(settings):
    """Keep the test inside one rate window: one that began a second ago and lasts
    decades (a test straddling a minute boundary, as a slow one under load does, would
    get one comment more than the limit: ``window_that_began_a_second_ago``)."""
    settings.BYLINE_COMMENT_RATE_WINDOW = window_that_began_a_second_ago()


def test_rate_limit_per_reader_and_address(client, article, one_rate_window):
    """The third comment in a minute is refused with 429 and a reason; input kept."""
    assert post_comment(client, article, body="one").status_code == 302
    assert post_comment(client, article, body="two").status_code == 302
    response = post_comment(client, article, body="three")
    assert response.status_code == 429
    assert "too quickly" in response.content.decode()
    assert 1 <= int(response["Retry-After"])  # the seconds left in the window
    assert "three" in response.content.decode()
    assert Comment.objects.count() == 2


def test_rate_limit_applies_to_the_hashed_ip_across_readers(client, article, one_rate_window):
    """Different readers and e-mails from one address share its limit."""
    from django.test import Client

    for n in range(2):
        reader = Client()
        assert (
            post_comment(reader, article, body=f"b{n}", email=f"r{n}@example.org").status_code
            == 302
        )
    response = post_comment(Client(), article, body="b3", email="r3@example.org")
    assert response.status_code == 429
    readers.reset_limits()  # the window has passed
    cache.clear()
    assert post_comment(Client(), article, body="b3", email="r3@example.org").status_code == 302


def test_a_reader_correcting_refused_comments_keeps_their_comments_to_post(
    client, article, one_rate_window
):
    """The limit counts comments taken, not refusals the reader can put right: a form
    sent with errors, sent too quickly, or the same words sent again."""
    assert post_comment(client, article, body="My point.").status_code == 302
    assert post_comment(client, article, body="").status_code == 400
    assert post_comment(client, article, body="My point.").status_code == 409
    assert post_comment(client, article, body="My point.").status_code == 409
    assert post_comment(client, article, body="My point, corrected.").status_code == 302
    assert post_comment(client, article, body="A third.").status_code == 429


def test_a_script_sending_refused_comments_is_stopped_too(client, article, one_rate_window):
    """Refused comments are counted on their own, ten for each comment allowed: past
    that, the script is answered 429 as one posting comments is, and its comments too."""
    for n in range(20):  # BYLINE_COMMENT_RATE_LIMIT (2) x 10
        assert post_comment(client, article, body="", name=f"Bot {n}").status_code == 400
    response = post_comment(client, article, body="")
    assert response.status_code == 429
    assert "could not be posted" in response.content.decode()
    script = post_comment(client, article, json=True, body="")
    assert script.status_code == 429 and int(script["Retry-After"]) >= 1
    assert script.json()["status"] == "rejected"
    assert "could not be posted" in script.json()["message"]
    assert post_comment(client, article, body="Same words.").status_code == 302
    assert post_comment(client, article, body="Same words.").status_code == 429


def test_behind_a_proxy_each_reader_address_has_its_own_limit(article, settings):
    """With BYLINE_CLIENT_IP_HEADER set, readers behind one proxy are not one bucket."""
    from django.test import Client

    from tests.discussion.factory import SAME_SITE

    settings.BYLINE_CLIENT_IP_HEADER = "X-Forwarded-For"
    for n in range(3):
        headers = {**SAME_SITE, "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"}
        response = post_comment(
            Client(), article, headers=headers, body=f"p{n}", email=f"p{n}@example.org"
        )
        assert response.status_code == 302
    assert Comment.objects.count() == 3


def test_a_duplicate_comment_is_refused(client, article):
    """The same words from the same e-mail on the same article are refused."""
    post_comment(client, article, body="Same words")
    readers.reset_limits()  # the window has passed
    cache.clear()
    response = post_comment(client, article, body="Same words")
    assert response.status_code == 409
    assert "already" in response.content.decode()
    assert Comment.objects.count() == 1


def test_a_cross_site_post_fails_and_keeps_the_input(article):
    """A post from another site has no token: refused, nothing stored, form shown to confirm."""
    from django.test import Client

    response = post_comment(
        Client(enforce_csrf_checks=True),
        article,
        headers={"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://evil.example"},
        body="Forged words",
    )
    assert response.status_code == 403
    assert "Forged words" in response.content.decode()
    assert not Comment.objects.exists()


def test_the_json_api_answers_errors_as_json(client, article):
    """Script posts get JSON: field errors with 400, rejections with their status, success 201."""
    response = post_comment(client, article, json=True, email="not an address")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    response = post_comment(client, article, json=True, article="999999")
    assert response.status_code == 404
    assert response.json()["message"]
    response = post_comment(client, article, json=True, body="Scripted words")
    assert response.status_code == 201
    payload = response.json()
    assert payload["status"] == "pending"
    assert "Your comment is awaiting moderation." in payload["html"]
    response = post_comment(client, article, json=True, body="Scripted words")
    assert response.status_code == 409
    assert json.loads(response.content)["message"]


def test_a_reply_to_a_comment_that_is_gone_starts_a_new_thread_on_resend(client, article):
    """Replying to a comment no longer approved: a clear message, the form without parent."""
    gone = make_comment(article, status=Comment.Status.TRASH)
    response = post_comment(client, article, parent=gone.pk, body="Orphan words")
    assert response.status_code == 400
    html = response.content.decode()
    assert "not available any more" in html
    assert "Orphan words" in html
    assert f'name="parent" value="{gone.pk}"' not in html


def test_comments_on_an_unpublished_article_are_refused(client):
    """A draft takes no comments."""
    from tests.factory import make_article

    draft = make_article(status="draft")
    response = post_comment(client, draft)
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_without_a_minimum_time_no_confirmation_step_is_needed(client, article, settings):
    """BYLINE_COMMENT_MIN_SECONDS=0 turns the time check off, and with it the extra step."""
    settings.BYLINE_COMMENT_MIN_SECONDS = 0
    assert post_comment(client, article, ts="").status_code == 302
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("minimum", [0, 3])
@pytest.mark.parametrize("stamp", ["nan", "1e400", "inf", "not-a-token", form_timestamp()[:-2]])
def test_a_form_token_this_site_did_not_hand_out_is_refused_and_kept(
    client, article, settings, minimum, stamp
):
    """A ``ts`` that was sent but is not one of ours (made up, altered, expired) gets one
    clear answer whatever the minimum time: 400, the reason, what the reader typed, and a
    fresh token to send it with. The page's script gets the same reason as JSON."""
    settings.BYLINE_COMMENT_MIN_SECONDS = minimum
    response = post_comment(client, article, ts=stamp, body="Words I typed")
    html = response.content.decode()
    assert response.status_code == 400
    assert "The form had expired or was incomplete" in html
    assert "Words I typed" in html
    assert re_find_ts(html) != stamp
    scripted = post_comment(client, article, json=True, ts=stamp, body="Words I typed")
    assert scripted.status_code == 400
    assert scripted.json()["message"].startswith("The form had expired or was incomplete")
    assert not Comment.objects.exists()


def test_a_json_body_gets_a_json_400_that_says_to_send_a_form(client, article):
    """Comments are posted as forms; a client that sends JSON gets a JSON error saying so
    (not a 404 for an article it did name), whatever it accepts."""
    data = json.dumps({"article": article.pk, "body": "Hello", "name": "A", "email": "a@b.org"})
    for accept in ("application/json", "*/*"):
        response = client.post(
            "/comments/post/",
            data,
            content_type="application/json",
            HTTP_ACCEPT=accept,
            HTTP_SEC_FETCH_SITE="same-origin",
        )
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert body["error"]["status"] == 400
        assert "as a form" in body["message"]
    assert not Comment.objects.exists()


def test_with_redis_unreachable_refused_comments_are_still_counted(
    client, article, one_rate_window, settings
):
    """Redis away: the refusals are counted in this process (never a server error), and
    past the limit the script is answered 429, with Retry-After, all the same."""
    from byline import redisconn
    from tests.faults.servers import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.BYLINE_REDIS_TIMEOUT = 0.5
    try:
        for n in range(20):
            assert post_comment(client, article, body="", name=f"Bot {n}").status_code == 400
        refused = post_comment(client, article, json=True, body="")
        assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    finally:
        redisconn.reset()


# The same form sent twice: "the same address" as the database compares addresses --------

ADDRESS_PAIRS = [
    ("ada@example.org", "ada@example.org"),
    ("Ada@Example.org", "ada@EXAMPLE.ORG"),
    ("ada@example.org", "bob@example.org"),
    ("ada@straße.example", "ada@STRASSE.example"),  # ß: "SS" to Python's upper() only
    ("ada@ſun.example", "ada@SUN.example"),  # the long s: "S" to UPPER, itself to lower()
    ("ada@\u212aelvin.example", "ada@kelvin.example"),  # the Kelvin sign: "k" to lower()
    ("ada@émile.example", "ada@ÉMILE.example"),  # UPPER on PostgreSQL, not SQLite's
    ("ada@ǆ.example", "ada@Ǆ.example"),
]


@pytest.mark.parametrize(("stored", "sent"), ADDRESS_PAIRS)
def test_a_form_sent_again_is_the_same_comment_exactly_when_the_database_finds_its_address(
    article, stored, sent
):
    """A form whose token already posted is answered with that comment when it is the
    same comment (the same words, the same address whatever its case), refused
    otherwise. "The same address" is the database's (``Comment.objects.by_email``, the
    address index's ``UPPER``), never a second rule in Python that differs on some
    letters: the history, the limits and the duplicate check all ask the database."""
    from byline.discussion import actions

    earlier = make_comment(article, author_email=stored, body="Twice sent")
    database_says = Comment.objects.by_email(sent).filter(pk=earlier.pk).exists()
    new = actions.NewComment("Twice sent", "Ada", sent)
    try:
        outcome = actions.replayed(earlier, new)
    except actions.CommentRejected:
        taken_as_same = False
    else:
        assert outcome.comment == earlier
        taken_as_same = True
    assert taken_as_same == database_says
    if stored.lower() == sent.lower() and stored.isascii() and sent.isascii():
        assert taken_as_same


@pytest.mark.parametrize(("stored", "sent"), ADDRESS_PAIRS)
def test_a_reply_to_one_s_own_comment_e_mails_nobody_by_the_database_s_address(
    article, stored, sent
):
    """A reader answering their own comment is not e-mailed about it: "their own" by
    the database's comparison of addresses, as above."""
    from django.core import mail

    from byline.discussion import notifications

    mine = make_comment(article, author_email=stored, notify_replies=True)
    reply = make_comment(article, parent=mine, author_email=sent)
    mail.outbox = []
    database_says = Comment.objects.by_email(sent).filter(pk=mine.pk).exists()
    assert notifications.notify_reply(reply) is not database_says
    assert len(mail.outbox) == (0 if database_says else 1)
