"""The article page: the engagement block is the same bytes for everyone and works without JS."""

import re

import pytest
from django.test import Client

from tests.engagement.factory import BROWSER, rate, react, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def test_the_article_page_is_identical_for_every_reader_and_sets_no_cookie(demo_article):
    voter = reader_client()
    react(voter, demo_article.pk, "happy")
    rate(voter, demo_article.pk, 5)
    pages = [
        voter.get(demo_article.get_absolute_url()),
        reader_client("192.0.2.77").get(demo_article.get_absolute_url()),
        Client().get(demo_article.get_absolute_url()),
    ]
    assert pages[0].content == pages[1].content == pages[2].content
    for page in pages[1:]:
        assert not page.cookies
    html = pages[0].content.decode()
    assert "csrfmiddlewaretoken" not in html
    markup = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    assert "aria-pressed" not in markup  # the reader's own choice comes from the script


def test_the_demo_article_shows_zero_counts_like_the_capture(client, demo_article):
    html = client.get(demo_article.get_absolute_url()).content.decode()
    assert html.count('<span class="reaction-count" data-field="count">0</span>') == 6
    assert html.count('<span data-field="percent">0</span>&nbsp;%') == 6
    for stars in range(1, 6):
        assert f'<span class="star-label">{stars} Star</span>' in html


def test_the_page_carries_its_own_script_after_the_block_and_a_no_script_view_pixel(
    client, demo_article
):
    html = client.get(demo_article.get_absolute_url()).content.decode()
    # In the page (byline.scripts), after the block it works on, as a deferred one ran.
    script = html.index("// engagement/engagement.js\n")
    assert html.rindex("<script", 0, script) > html.index('<section class="engagement"')
    assert f'<noscript><img class="view-pixel" src="/engagement/{demo_article.pk}/seen.gif"' in html
    main = html.split("<main", 1)[1].split("</main>")[0]
    # Share links are plain links a reader may follow, not assets the page loads.
    main = re.sub(r'<nav class="share".*?</nav>', "", main, flags=re.S)
    assert "https://" not in main.replace("https://schema.org", "")


def test_a_reaction_without_javascript_posts_and_redirects_back_to_the_block():
    article = make_article()
    client = reader_client()
    response = client.post(f"/engagement/{article.pk}/react/", {"reaction": "angry"})
    assert response.status_code == 303
    assert response["Location"] == f"{article.get_absolute_url()}?voted=reaction#reactions"
    assert "byline_reader" in response.cookies
    html = client.get(response["Location"]).content.decode()
    assert "Thank you: your reaction is counted." in html
    assert '<li data-reaction="angry">' in html
    angry = html.split('<li data-reaction="angry">')[1].split("</li>")[0]
    assert '<span class="reaction-count" data-field="count">1</span>' in angry
    assert '<span data-field="percent">100</span>' in angry


def test_a_rating_without_javascript_posts_and_redirects_back_to_the_block():
    article = make_article()
    client = reader_client()
    response = client.post(f"/engagement/{article.pk}/rate/", {"stars": "4"})
    assert response.status_code == 303
    assert response["Location"].endswith("?voted=rating#rating")
    assert client.get(f"/api/articles/{article.pk}/engagement/mine/").json()["rating"] == 4
    assert "Thank you: your rating is counted." in client.get(response["Location"]).content.decode()


def test_withdrawing_without_javascript_says_so_and_a_plain_visit_says_nothing():
    article = make_article()
    client = reader_client()
    client.post(f"/engagement/{article.pk}/rate/", {"stars": "2"})
    response = client.post(f"/engagement/{article.pk}/rate/", {"withdraw": "rating"})
    assert response["Location"].endswith("?voted=withdrawn#rating")
    assert "Your vote is withdrawn." in client.get(response["Location"]).content.decode()
    plain = client.get(article.get_absolute_url()).content.decode()
    assert '<p class="engagement-status" role="status" aria-live="polite"></p>' in plain
    hostile = client.get(article.get_absolute_url(), {"voted": "<script>x</script>"})
    assert '<p class="engagement-status" role="status" aria-live="polite"></p>' in (
        hostile.content.decode()
    )


def test_without_javascript_the_same_reaction_again_keeps_it_and_withdraw_clears_it():
    """The no-JS form states the reader's choice too: a resent form changes nothing; the
    explicit "Withdraw" buttons clear the reaction and the rating."""
    article = make_article()
    client = reader_client()
    mine = f"/api/articles/{article.pk}/engagement/mine/"
    for _ in range(2):
        client.post(f"/engagement/{article.pk}/react/", {"reaction": "sad"})
        client.post(f"/engagement/{article.pk}/rate/", {"stars": "2"})
    assert client.get(mine).json() == {"reaction": "sad", "rating": 2}
    response = client.post(f"/engagement/{article.pk}/react/", {"withdraw": "reaction"})
    assert response.status_code == 303
    response = client.post(f"/engagement/{article.pk}/rate/", {"withdraw": "rating"})
    assert response.status_code == 303
    assert client.get(mine).json() == {"reaction": None, "rating": None}
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<button type="submit" name="withdraw" value="reaction">' in html
    assert '<button type="submit" name="withdraw" value="rating">' in html


def test_a_bad_form_vote_gets_a_page_with_the_reason_and_a_way_back():
    article = make_article()
    response = reader_client().post(f"/engagement/{article.pk}/rate/", {"stars": "9"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "whole number of stars from 1 to 5" in html
    assert f'href="{article.get_absolute_url()}#engagement"' in html


def test_a_cross_site_form_post_is_not_counted_and_asks_for_confirmation():
    article = make_article()
    evil = Client(
        enforce_csrf_checks=True,
        headers={"User-Agent": BROWSER, "Sec-Fetch-Site": "cross-site"},
    )
    response = evil.post(f"/engagement/{article.pk}/react/", {"reaction": "happy"})
    assert response.status_code == 403
    assert "Confirm your vote" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert evil.get(f"/api/articles/{article.pk}/engagement/").json()["reactions"][0]["count"] == 0


def test_the_confirmation_page_lets_a_browser_without_fetch_metadata_vote():
    article = make_article()
    old_browser = Client(enforce_csrf_checks=True, headers={"User-Agent": BROWSER})
    url = f"/engagement/{article.pk}/react/"
    page = old_browser.post(url, {"reaction": "happy"})
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert 'name="reaction" value="happy"' in page.content.decode()
    response = old_browser.post(url, {"reaction": "happy", "csrfmiddlewaretoken": token})
    assert response.status_code == 303


def test_a_preview_does_not_count_a_view(editor_client):
    article = make_article(status="draft")
    html = editor_client.get(f"/preview/{article.pk}/").content.decode()
    assert "data-view-url" not in html
    assert "seen.gif" not in html
