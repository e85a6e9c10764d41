"""The front page and the section, tag and author pages: a lead story, a grid of
stories, "Most read", "Most discussed" and the sections, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from byline.articles.models import Article
from byline.articles.related import cache_key as related_key
from byline.discussion import popular as discussion_popular
from byline.discussion.models import Comment
from byline.discussion.popular import most_discussed
from byline.engagement import popular as engagement_popular
from byline.engagement.demo import add_demo_views
from byline.engagement.popular import most_read
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_author, make_section, make_tag

pytestmark = pytest.mark.django_db


def block(html: str, css_class: str) -> str:
    """The HTML of the first element with this class (up to its section's end)."""
    start = html.index(f'class="{css_class}')
    return html[start : html.index("</section>", start)]


def headlines(html: str) -> list[str]:
    return re.findall(r"<h[23]><a href=\"[^\"]+\">([^<]+)</a></h[23]>", html)


def test_the_latest_article_leads_when_none_is_featured(client):
    """Without a featured article the newest leads; the others follow in the grid."""
    now = timezone.now()
    make_article("Older", published_at=now - timedelta(hours=2))
    make_article("Newest", published_at=now - timedelta(hours=1), standfirst="The newest dek.")
    html = client.get("/").text
    lead = block(html, "lead-story")
    assert "Newest" in lead and "The newest dek." in lead
    assert "Older" in block(html, "latest")
    assert "Newest" not in block(html, "latest")


def test_the_latest_featured_article_leads_and_is_not_shown_twice(client):
    """An editor-picked (featured) article leads even when newer ones exist."""
    now = timezone.now()
    make_article("Old pick", featured=True, published_at=now - timedelta(days=3))
    make_article("Picked", featured=True, published_at=now - timedelta(days=2))
    make_article("Fresh news", published_at=now - timedelta(hours=1))
    make_article("Draft pick", featured=True, status=Article.Status.DRAFT)
    html = client.get("/").text
    assert "Picked" in block(html, "lead-story")
    assert headlines(html).count("Picked") == 1
    assert "Fresh news" in block(html, "latest")
    assert "Draft pick" not in html


def test_later_pages_are_the_grid_alone(client):
    now = timezone.now()
    for n in range(5):
        make_article(f"Story {n}", published_at=now - timedelta(hours=n + 1))
    with override_settings(BYLINE_ARTICLES_PER_PAGE=2):
        second = client.get("/?page=2").text
    assert 'class="lead-story' not in second
    assert headlines(second)[:2] == ["Story 2", "Story 3"]
    assert 'rel="prev"' in second and 'rel="next"' in second


def test_stories_show_their_image_or_the_text_only_card(client, settings, tmp_path):
    """A story with a lead image shows it in the grid; one without gets the text card."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    make_article("Lead", published_at=now)
    pictured = make_article("Pictured", published_at=now - timedelta(hours=1))
    pictured.lead_image = SimpleUploadedFile("p.webp", b"RIFF....WEBP", "image/webp")
    pictured.save()
    make_article("Words only", published_at=now - timedelta(hours=2))
    html = client.get("/").text
    cards = re.findall(r'<article class="story-card[^"]*">.*?</article>', html, re.S)
    assert len(cards) == 2
    assert 'class="story-card-image" src="/media/lead/' in cards[0] and "Pictured" in cards[0]
    assert "story-card-text" in cards[1] and "<img" not in cards[1]


def test_section_tag_and_author_pages_have_the_front_pages_design(client):
    section, tag, author = make_section("Sport"), make_tag("Cup"), make_author("Nell Harrow")
    now = timezone.now()
    for n in range(3):
        make_article(
            f"Match {n}",
            section=section,
            tags=[tag],
            authors=[author],
            published_at=now - timedelta(hours=n + 1),
        )
    make_article("Elsewhere")
    for url in [section.get_absolute_url(), tag.get_absolute_url(), author.get_absolute_url()]:
        html = client.get(url).text
        assert "Match 0" in block(html, "lead-story")
        assert "Match 1" in block(html, "latest")
        assert "Elsewhere" not in block(html, "lead-story") + block(html, "latest")
        assert 'class="rail"' in html


def test_most_read_ranks_the_past_24_hours_and_the_past_7_days():
    """Views come from the daily counts; yesterday counts for the part of it within 24 hours."""
    now = datetime.now(UTC)
    today_hit = make_article("Read today")
    last_week = make_article("Read last week")
    yesterday = make_article("Read yesterday")
    draft = make_article("Draft read a lot", status=Article.Status.DRAFT)
    add_demo_views(
        {
            today_hit.pk: [50],
            last_week.pk: [0, 0, 0, 500],
            yesterday.pk: [0, 80],
            draft.pk: [900],
        }
    )
    late_evening = now.replace(hour=23, minute=0)
    lists = most_read(now=late_evening)
    # At 23:00, only an hour of yesterday lies in the last 24 hours: 80 / 24 ≈ 3.
    assert [(i.article.headline, i.views) for i in lists.day] == [
        ("Read today", 50),
        ("Read yesterday", 3),
    ]
    assert [i.article.headline for i in lists.week] == [
        "Read last week",
        "Read yesterday",
        "Read today",
    ]
    early_morning = now.replace(hour=0, minute=30)
    assert [i.article.headline for i in most_read(now=early_morning).day][0] == "Read yesterday"


def test_most_discussed_counts_approved_comments_of_the_past_week():
    busy, quiet, old = make_article("Busy"), make_article("Quiet"), make_article("Old news")
    for _ in range(3):
        make_comment(busy)
    make_comment(quiet)
    for status in (Comment.Status.PENDING, Comment.Status.SPAM, Comment.Status.TRASH):
        for _ in range(3):
            make_comment(quiet, status=status)
    for _ in range(5):
        make_comment(old, submitted_at=timezone.now() - timedelta(days=8))
    assert [(i.article.headline, i.comments) for i in most_discussed()] == [
        ("Busy", 3),
        ("Quiet", 1),
    ]


def test_the_front_page_shows_most_read_most_discussed_and_the_sections(client):
    section = make_section("Science")
    story = make_article("Moths counted", section=section)
    add_demo_views({story.pk: [10]})
    make_comment(story)
    html = client.get("/").text
    assert "Moths counted" in block(html, "rail-block most-read")
    assert "1 comment" in block(html, "rail-block most-discussed")
    assert f'href="{section.get_absolute_url()}"' in html[html.index("sections-heading") :]


def populate(articles: int) -> None:
    section, tag = make_section(), make_tag()
    now = timezone.now()
    for n in range(articles):
        article = make_article(
            section=section,
            tags=[tag],
            authors=[make_author()],
            featured=n % 7 == 0,
            published_at=now - timedelta(hours=n + 1),
        )
        add_demo_views({article.pk: [n, n + 1, n + 2]})
        make_comment(article)


def queries_for(client, url: str, drop: tuple[str, ...] = ()) -> int:
    """Queries of a render with the navigation cached (as it is, but for the first
    render after a change) and the rankings counted afresh (as every few minutes), and
    whatever else is in ``drop`` (the article's related stories, say)."""
    client.get(url)
    cache.delete_many([engagement_popular.CACHE_KEY, discussion_popular.CACHE_KEY, *drop])
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/", "/?page=2"])
def test_the_front_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, url):
    """The same queries with 12 articles as with 40, views and comments on each."""
    populate(12)
    small = queries_for(client, url)
    populate(28)
    assert queries_for(client, url) == small
    assert small <= 16
    with django_assert_max_num_queries(small - 3):  # rankings reused: 2 aggregates fewer
        client.get(url)


def test_the_article_page_shows_related_articles_in_bounded_queries(client):
    """Related: the latest of the same section or sharing a tag; never itself or a draft."""
    section, tag = make_section("World"), make_tag("Harbours")
    article = make_article("This one", section=section, tags=[tag])
    now = timezone.now()
    by_tag = make_article("Same tag", tags=[tag], published_at=now - timedelta(hours=5))
    by_section = make_article("Same section", section=section, published_at=now)
    make_article("Unrelated")
    make_article("Draft", section=section, status=Article.Status.DRAFT)
    html = client.get(article.get_absolute_url()).text
    related = block(html, "related")
    assert headlines(related) == [by_section.headline, by_tag.headline]
    small = queries_for(client, article.get_absolute_url(), drop=(related_key(article.pk),))
    for _ in range(10):
        make_article(section=section, tags=[tag], authors=[make_author()])
    assert queries_for(client, article.get_absolute_url(), drop=(related_key(article.pk),)) == small


def test_the_author_box_shows_name_bio_and_photo(client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    author = make_author("Idris Vane", bio="Writes about moths.")
    author.photo = SimpleUploadedFile("idris.png", b"\x89PNG....", "image/png")
    author.save()
    html = client.get(make_article(authors=[author]).get_absolute_url()).text
    box = html[html.index('class="author-box"') :]
    assert "Idris Vane" in box and "Writes about moths." in box
    assert 'class="author-photo" src="/media/authors/idris' in box


def test_share_links_are_plain_addresses(client):
    """E-mail and the big networks' share addresses, as links: no script, image or
    frame from them, and the same for every reader."""
    article = make_article("Bridge reopens", slug="bridge-reopens")
    html = client.get(article.get_absolute_url()).text
    share = html[html.index('class="share"') : html.index("</nav>", html.index('class="share"'))]
    hrefs = re.findall(r'href="([^"]+)"', share)
    assert hrefs[0] == (
        "mailto:?subject=Bridge%20reopens&amp;body=http%3A%2F%2Ftestserver%2Farticles%2Fbridge-reopens%2F"
    )
    assert all(h.startswith(("mailto:", "https://")) for h in hrefs)
    assert {h.split("/")[2] for h in hrefs[1:]} >= {"www.facebook.com", "x.com", "bsky.app"}
    for host in ["facebook", "x.com", "bsky", "linkedin", "reddit", "wa.me"]:
        outside = html.replace(share, "")
        assert not re.search(rf"<(script|img|iframe)[^>]+{re.escape(host)}", outside)
    assert client.get(article.get_absolute_url()).text == html


def test_editors_feature_an_article_from_the_admin_list(editor_client):
    """The admin's "feature" action makes an article the lead, without marking it updated."""
    now = timezone.now()
    old = make_article("Old but good", published_at=now - timedelta(days=2))
    make_article("Newer", published_at=now - timedelta(hours=1))
    before = Article.objects.get(pk=old.pk).updated_at
    response = editor_client.post(
        "/admin/articles/article/",
        {"action": "feature", "_selected_action": [old.pk]},
    )
    assert response.status_code == 302
    assert Article.objects.get(pk=old.pk).featured is True
    assert Article.objects.get(pk=old.pk).updated_at == before
    assert "Old but good" in block(editor_client.get("/").text, "lead-story")


def test_rankings_are_reused_for_a_while_but_never_show_an_unpublished_article(client):
    """The counted ranking is kept for BYLINE_RANKING_SECONDS; the articles are read on
    every render, so one taken back to draft leaves the lists at once."""
    first, second = make_article("First story"), make_article("Second story")
    add_demo_views({first.pk: [30], second.pk: [20]})
    make_comment(first)
    make_comment(second)
    html = client.get("/").text
    assert "First story" in block(html, "rail-block most-read")
    add_demo_views({second.pk: [100]})
    html = client.get("/").text
    read = block(html, "rail-block most-read")
    assert read.index("First story") < read.index("Second story"), "recounted too soon"
    first.status = Article.Status.DRAFT
    first.save()
    html = client.get("/").text
    assert "First story" not in html
    assert "Second story" in block(html, "rail-block most-discussed")
    cache.delete(engagement_popular.CACHE_KEY)
    read = block(client.get("/").text, "rail-block most-read")
    assert "Second story" in read


def test_listings_never_count_every_article_and_pages_past_the_end_are_404(client):
    """Counting all published articles is the slowest query of a big site's listing:
    a page reads one article more than it shows instead."""
    for _ in range(3):
        make_article()
    with override_settings(BYLINE_ARTICLES_PER_PAGE=2):
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
        assert 'rel="next"' in client.get("/").text
        assert 'rel="next"' not in client.get("/?page=2").text
        assert client.get("/?page=3").status_code == 404
        assert client.get("/?page=nope").status_code == 404
