"""Per-article comment state (open, closed, closed after N days) and dated corrections
and updates; dateModified and the feeds follow real changes only."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from byline.articles.models import Article
from byline.discussion.models import Comment
from byline.newsroom import actions
from byline.pagecache.decorators import EXPIRES_AT
from tests.discussion.factory import make_comment, post_comment
from tests.factory import make_article
from tests.newsroom.conftest import change_url, client_for
from tests.pagecache.conftest import page_cache  # noqa: F401 - the fixture
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db


def json_ld(html: str) -> dict:
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    data = json.loads(html[start : html.index("</script>", start)])
    return next(d for d in (data if isinstance(data, list) else [data]) if "headline" in d)


def test_readers_see_comments_are_closed_instead_of_the_form(client):
    article = make_article("Closed for comments", comment_state="closed")
    make_comment(article, body="An earlier comment stays visible.")
    html = client.get(article.get_absolute_url()).text
    assert "Comments are closed." in html
    assert 'class="comment-form"' not in html
    assert "An earlier comment stays visible." in html


def test_posting_to_a_closed_article_is_refused_by_form_and_json(client):
    """The no-JS form gets a 403 page that keeps the typed comment; JSON gets the error
    contract's 403; nothing is stored."""
    article = make_article("Closed", comment_state="closed")
    response = post_comment(client, article, body="My typed words")
    assert response.status_code == 403
    assert "Comments are closed on this article." in response.text
    assert "My typed words" in response.text
    response = post_comment(client, article, json=True)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "forbidden",
        "message": "Comments are closed on this article.",
    }
    assert not Comment.objects.exists()


def test_comments_close_after_the_site_default_number_of_days(client, settings):
    settings.BYLINE_COMMENTS_CLOSE_AFTER_DAYS = 14
    old = make_article("Old story", published_at=timezone.now() - timedelta(days=15))
    fresh = make_article("Fresh story", published_at=timezone.now() - timedelta(days=13))
    opened = make_article(
        "Kept open", published_at=timezone.now() - timedelta(days=99), comment_state="open"
    )
    assert "Comments are closed." in client.get(old.get_absolute_url()).text
    assert post_comment(client, old, json=True).status_code == 403
    for article in (fresh, opened):
        assert 'class="comment-form"' in client.get(article.get_absolute_url()).text
        assert post_comment(client, article, json=True).status_code == 201


def test_an_articles_own_number_of_days_wins_and_zero_means_never(client, settings):
    settings.BYLINE_COMMENTS_CLOSE_AFTER_DAYS = 0
    three_days = make_article(
        "Three days",
        published_at=timezone.now() - timedelta(days=4),
        comment_state="after",
        comments_close_days=3,
    )
    never = make_article("Never closes", published_at=timezone.now() - timedelta(days=3000))
    assert post_comment(client, three_days, json=True).status_code == 403
    assert post_comment(client, never, json=True).status_code == 201


def test_the_cached_page_expires_when_comments_close_by_time(page_cache, settings):  # noqa: F811
    """No cached page shows an open form after comments close: the page is kept no
    later than the closing time, and an editor's change of state redraws it at once."""
    settings.BYLINE_COMMENTS_CLOSE_AFTER_DAYS = 1
    # Seconds enough for the first render to come before the closing on a loaded machine.
    closes = timezone.now() + timedelta(seconds=4)
    article = make_article("Closing soon", published_at=closes - timedelta(days=1))
    url = article.get_absolute_url()
    first = call(page_cache, url)
    assert 'class="comment-form"' in first.text
    assert call(page_cache, url).headers["x-page-cache"] == "hit"
    time.sleep(max(0.0, (closes - timezone.now()).total_seconds()) + 0.05)
    after = call(page_cache, url)
    assert after.headers["x-page-cache"] == "miss"
    assert "Comments are closed." in after.text
    other = make_article("Open one", comment_state="open")
    assert 'class="comment-form"' in call(page_cache, other.get_absolute_url()).text
    other.comment_state = "closed"
    other.save()
    assert "Comments are closed." in call(page_cache, other.get_absolute_url()).text


def test_the_article_page_tells_the_cache_when_its_comments_close(client, settings):
    settings.BYLINE_COMMENTS_CLOSE_AFTER_DAYS = 2
    article = make_article("Closes in a day", published_at=timezone.now() - timedelta(days=1))
    response = client.get(article.get_absolute_url())
    expected = (article.published_at + timedelta(days=2)).timestamp()
    assert response.wsgi_request.META[EXPIRES_AT] == pytest.approx(expected)


def test_an_editor_adds_a_dated_correction_shown_on_the_article(client, editor):
    article = make_article("Budget story", published_at=timezone.now() - timedelta(days=2))
    actions.add_note(
        editor, article, "correction", "An earlier version gave the budget as €2m; it is €3m."
    )
    html = client.get(article.get_absolute_url()).text
    assert "Corrections and updates" in html
    assert "Correction," in html and "it is €3m." in html
    assert "Updated" in html
    assert json_ld(html)["dateModified"][:10] == timezone.now().date().isoformat()


def test_date_modified_follows_content_not_flags_votes_or_comments(client, editor):
    """Featuring, a comment or a status save leave dateModified alone; an edit moves it."""
    published = timezone.now() - timedelta(days=3)
    article = make_article("Steady", published_at=published)
    Article.objects.filter(pk=article.pk).update(content_changed_at=published)
    article.refresh_from_db()
    actions.set_featured(editor, article, True)
    make_comment(article)
    article.refresh_from_db()
    article.save()  # saved without a change of content
    html = client.get(article.get_absolute_url()).text
    assert json_ld(html)["dateModified"] == published.replace(microsecond=0).isoformat()
    feed = client.get("/feed/atom/").text
    assert f"<updated>{published:%Y-%m-%dT%H:%M:%S}" in feed
    article.body = "A real change of the text."
    article.save()
    html = client.get(article.get_absolute_url()).text
    assert json_ld(html)["dateModified"][:10] == timezone.now().date().isoformat()


def test_only_editors_add_corrections(writer):
    article = make_article("Not yours to correct")
    with pytest.raises(actions.Refused):
        actions.add_note(writer, article, "update", "Something new.")


@pytest.mark.parametrize(
    ("days", "shown"),
    [
        (14, "Site default (comments close 14 days after publication)"),
        (1, "Site default (comments close 1 day after publication)"),
        (0, "Site default (comments never close)"),
    ],
)
def test_the_comments_choice_says_what_the_site_default_does(editor, settings, days, shown):
    settings.BYLINE_COMMENTS_CLOSE_AFTER_DAYS = days
    article = make_article()
    html = client_for(editor).get(change_url(article)).text
    assert f'<option value="default" selected>{shown}</option>' in html
    assert "BYLINE_COMMENTS_CLOSE_AFTER_DAYS" not in html
