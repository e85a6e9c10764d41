"""RSS 2.0 and Atom feeds parse cleanly in feedparser, with absolute links and proper dates."""

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.test import override_settings
from django.utils import timezone

from byline.articles import feeds
from byline.articles.models import Article
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_filed_article, store_as_is

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed():
    """One article filed under a section, a tag and an author, and one elsewhere."""
    article = make_filed_article(
        "Count begins",
        standfirst="Polls have closed.",
        body="Officials began counting **every** ballot.\n\n<script>x()</script>",
        published_at=timezone.now() - timedelta(hours=3),
    )
    other = make_article("Weather turns", published_at=timezone.now() - timedelta(hours=1))
    return {
        "section": article.section,
        "tag": article.tags.get(),
        "author": article.authors.get(),
        "article": article,
        "other": other,
    }


def parse(client, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, f"{url}: {parsed.get('bozo_exception')}"
    return parsed


def feed_urls(filed) -> dict[str, str]:
    return {
        "site": "/feed/",
        "section": f"/section/{filed['section'].slug}/feed/",
        "tag": f"/tag/{filed['tag'].slug}/feed/",
        "author": f"/author/{filed['author'].slug}/feed/",
        "comments": f"/articles/{filed['article'].slug}/comments/feed/",
    }


@pytest.mark.parametrize("kind", ["site", "section", "tag", "author", "comments"])
@pytest.mark.parametrize("flavour", ["rss", "atom"])
def test_every_feed_parses_without_a_bozo_flag(client, filed, kind, flavour):
    url = feed_urls(filed)[kind] + ("atom/" if flavour == "atom" else "")
    parsed = parse(client, url)
    assert parsed.version == ("rss20" if flavour == "rss" else "atom10")
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [f"http://testserver{url}"]
    assert parsed.feed.link.startswith("http://testserver/")


def test_the_site_feed_lists_published_articles_newest_first_with_absolute_links(client, filed):
    make_article("Draft", status=Article.Status.DRAFT)
    make_article("Later", published_at=timezone.now() + timedelta(days=1))
    entries = parse(client, "/feed/").entries
    assert [e.title for e in entries] == ["Weather turns", "Count begins"]
    assert entries[1].link == f"http://testserver{filed['article'].get_absolute_url()}"
    assert entries[1].author == "Ada Brent"
    assert {t.term for t in entries[1].tags} == {"Politics", "Votes"}


def test_rss_dates_are_rfc_822_and_atom_dates_rfc_3339(client):
    make_article("Dated", published_at=datetime(2024, 3, 5, 14, 30, tzinfo=UTC))
    rss = client.get("/feed/").text
    atom = client.get("/feed/atom/").text
    assert "<pubDate>Tue, 05 Mar 2024 14:30:00 +0000</pubDate>" in rss
    assert "<published>2024-03-05T14:30:00+00:00</published>" in atom
    entry = parse(client, "/feed/atom/").entries[0]
    assert entry.published_parsed[:5] == (2024, 3, 5, 14, 30)


def test_section_tag_and_author_feeds_list_only_their_articles(client, filed):
    for kind in ["section", "tag", "author"]:
        titles = [e.title for e in parse(client, feed_urls(filed)[kind]).entries]
        assert titles == ["Count begins"], kind
    assert client.get("/section/no-such/feed/").status_code == 404


def test_feeds_carry_the_full_sanitized_text_by_default(client, filed):
    for url in ["/feed/", "/feed/atom/"]:
        entry = next(e for e in parse(client, url).entries if e.title == "Count begins")
        assert "<strong>every</strong>" in entry.content[0].value
        assert "<script>" not in entry.content[0].value
        assert entry.summary == "<p>Polls have closed.</p>"


@override_settings(BYLINE_FEED_FULL_TEXT=False)
def test_feeds_carry_only_the_summary_when_full_text_is_off(client, filed):
    for url in ["/feed/", "/feed/atom/"]:
        entry = next(e for e in parse(client, url).entries if e.title == "Count begins")
        assert "content" not in entry
        assert entry.summary == "<p>Polls have closed.</p>"


@override_settings(BYLINE_FEED_FULL_TEXT=False)
def test_without_a_standfirst_the_summary_is_the_start_of_the_body(client):
    make_article("Long read", standfirst="", body=" ".join(["word"] * 500) + " <b>&</b>")
    entry = parse(client, "/feed/").entries[0]
    assert entry.summary == "<p>" + " ".join(["word"] * 60) + "…</p>"


@override_settings(BYLINE_SITE_URL="https://news.example")
def test_links_use_the_configured_site_url(client, filed):
    parsed = parse(client, "/feed/")
    assert parsed.feed.link == "https://news.example/"
    assert parsed.entries[0].link.startswith("https://news.example/articles/")


@override_settings(BYLINE_FEED_ITEMS=1)
def test_the_number_of_items_follows_the_setting(client, filed):
    assert len(parse(client, "/feed/").entries) == 1


def test_the_comments_feed_lists_what_the_discussion_app_provides(client, filed, monkeypatch):
    article = filed["article"]
    posted = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

    def provided(for_article, limit):
        assert for_article == article
        url = f"{article.get_absolute_url()}#comment-7"
        return [feeds.FeedComment(7, "Grace", "<p>Well counted.</p>", posted, url)]

    monkeypatch.setattr(feeds, "approved_comments", provided)
    for url in feed_urls(filed)["comments"], feed_urls(filed)["comments"] + "atom/":
        parsed = parse(client, url)
        assert parsed.feed.title == "Comments on “Count begins” · Byline"
        (entry,) = parsed.entries
        assert entry.title == "Comment by Grace"
        assert entry.link.endswith("/articles/" + article.slug + "/#comment-7")
        assert entry.summary == "<p>Well counted.</p>"


def test_a_draft_has_no_comments_feed(client):
    draft = make_article("Hidden", status=Article.Status.DRAFT)
    assert client.get(f"/articles/{draft.slug}/comments/feed/").status_code == 404


def test_unicode_and_right_to_left_headlines_survive(client):
    make_article("انتخابات في العراق — “quoted” & <angled>")
    entry = parse(client, "/feed/").entries[0]
    assert entry.title == "انتخابات في العراق — “quoted” & <angled>"


def test_the_comments_feed_lists_approved_comments_newest_first_without_emails(
    client, filed, settings
):
    """Only approved comments, newest first, each linked to its place on the article page
    (its page of threads included); sanitized bodies; no e-mail address anywhere."""
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 1
    article = filed["article"]
    base = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = make_comment(
        article,
        body="Well **counted** <script>x()</script> https://example.org/x",
        author_name="Grace <Hollis>",
        author_email="grace@example.org",
        submitted_at=base,
    )
    reply = make_comment(
        article, parent=first, body="Agreed.", author_email="al@example.org",
        submitted_at=base + timedelta(minutes=1),
    )  # fmt: skip
    second = make_comment(
        article, body="Second thread.", author_email="bo@example.org",
        submitted_at=base + timedelta(minutes=2),
    )  # fmt: skip
    make_comment(article, body="Held back", status="pending", submitted_at=base)
    make_comment(article, body="Spammy", status="spam", submitted_at=base)
    make_comment(filed["other"], body="Elsewhere", submitted_at=base)
    url = article.get_absolute_url()
    for feed_url in feed_urls(filed)["comments"], feed_urls(filed)["comments"] + "atom/":
        response = client.get(feed_url)
        assert "@example.org" not in response.text
        entries = parse(client, feed_url).entries
        assert [e.link for e in entries] == [
            f"http://testserver{url}?cpage=2#comment-{second.pk}",
            f"http://testserver{url}#comment-{reply.pk}",
            f"http://testserver{url}#comment-{first.pk}",
        ]
        oldest = entries[-1]
        assert oldest.title == "Comment by Grace <Hollis>"
        assert "<script>" not in oldest.summary
        assert '<a href="https://example.org/x" rel="nofollow ugc noopener">' in oldest.summary
        assert oldest.published_parsed[:6] == (2025, 1, 2, 3, 4, 5)


@override_settings(BYLINE_FEED_ITEMS=2)
def test_the_comments_feed_keeps_to_the_number_of_items(client, filed):
    for n in range(3):
        make_comment(filed["article"], body=f"Comment {n}")
    assert len(parse(client, feed_urls(filed)["comments"]).entries) == 2


@override_settings(BYLINE_FEED_ITEMS=2)
def test_the_comments_feed_leaves_out_replies_the_page_does_not_show(client, filed):
    """A reply under a comment moderators held again waits with it, in the feed as on
    the page, and the feed still fills up with what is shown; one under a trashed
    comment is shown (under a placeholder) on both, and the trashed one on neither."""
    article = filed["article"]
    shown = make_comment(article, body="Still here")
    held = make_comment(article, body="Held later")
    make_comment(article, parent=held, body="Reply to the held one")
    newer = make_comment(article, body="Newest shown")
    held.status = "pending"
    held.save(update_fields=["status"])
    entries = parse(client, feed_urls(filed)["comments"]).entries
    assert [e.summary for e in entries] == [newer.body_html, shown.body_html]
    trashed = make_comment(article, body="Trashed later")
    answer = make_comment(article, parent=trashed, body="Reply to the trashed one")
    trashed.status = "trash"
    trashed.save(update_fields=["status"])
    entries = parse(client, feed_urls(filed)["comments"]).entries
    assert [e.summary for e in entries] == [answer.body_html, newer.body_html]


def test_control_characters_an_editor_pasted_leave_every_feed_valid(client):
    """Text pasted from a terminal or a word processor can carry control characters
    (form feed, vertical tab, escape) that XML 1.0 forbids. The feeds leave them out and
    stay valid, instead of failing with a server error for everyone."""
    article = make_filed_article("Storm", published_at=timezone.now() - timedelta(hours=1))
    store_as_is(  # saving cleans them: a row stored before that, or in bulk, has them
        article,
        headline="Storm\x0bwarning \x1b[31m for the quay",
        standfirst="Waves\x0c over the wall.",
        body="Keep off the\x08 harbour arm.",
    )
    article.authors.update(name="Ada\x1f Brent")
    article.tags.update(name="Storms\x07")
    urls = {
        "site": "/feed/",
        "section": f"/section/{article.section.slug}/feed/",
        "tag": f"/tag/{article.tags.get().slug}/feed/",
        "author": f"/author/{article.authors.get().slug}/feed/",
    }
    for url in urls.values():
        for flavour in ("", "atom/"):
            entry = parse(client, url + flavour).entries[0]
            # A headline is stored clean (saving, migration 0016): one written behind
            # the model's back still leaves the feed valid, its controls left out.
            assert "warning" in entry.title and not re.search("[\x00-\x1f]", entry.title)
            assert "Ada Brent" in entry.author


def test_the_sites_own_addresses_in_an_article_are_absolute_in_every_feed(client):
    """RSS has no base address: a feed reader shows the text away from the site, where
    "/media/chart.png" would ask the reader's own server. Pictures and links to the site
    are written out whole; addresses of other sites stay as they were."""
    make_article(
        "Turnout chart",
        body=(
            "![Turnout by ward](/media/2026/chart.png)\n\n"
            "See [our ethics policy](/ethics/) and [the council](https://council.example/)."
        ),
    )
    for url in ["/feed/", "/feed/atom/"]:
        content = parse(client, url).entries[0].content[0].value
        assert 'src="http://testserver/media/2026/chart.png"' in content, url
        assert 'href="http://testserver/ethics/"' in content, url
        assert 'href="https://council.example/"' in content, url
