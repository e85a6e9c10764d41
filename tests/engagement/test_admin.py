"""Editors see each article's engagement and an overview with server-side SVG charts."""

import pytest

from byline.engagement import viewbuffer
from tests.engagement.factory import rate, react, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def engaged_articles():
    loved, ignored = make_article("A loved story"), make_article("A <b>bold</b> story")
    for i in range(3):
        client = reader_client(f"198.51.100.{i}")
        client.post(f"/api/articles/{loved.pk}/view/")
        react(client, loved.pk, "happy")
        rate(client, loved.pk, 5)
    rate(reader_client("192.0.2.1"), ignored.pk, 2)
    viewbuffer.flush()
    return loved, ignored


def test_the_engagement_list_shows_each_articles_figures(editor_client, engaged_articles):
    response = editor_client.get("/admin/engagement/articlestats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "A loved story" in html
    assert "5.0 / 5" in html
    assert "/admin/engagement/articlestats/overview/" in html


def test_an_articles_engagement_page_breaks_reactions_down(editor_client, engaged_articles):
    loved, _ = engaged_articles
    html = editor_client.get(f"/admin/engagement/articlestats/{loved.pk}/change/").content.decode()
    assert "😀 Happy: 3 (100 %)" in html


def test_the_overview_draws_svg_charts_for_7_and_30_days(editor_client, engaged_articles):
    response = editor_client.get("/admin/engagement/articlestats/overview/")
    assert response.status_code == 200
    html = response.content.decode()
    for title, slug in [("Most viewed", "views"), ("Most reacted", "reactions")]:
        for days in (7, 30):
            assert f'<title id="chart-{slug}-{days}">{title}, last {days} days</title>' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="engagement-chart"') == 6
    assert "A &lt;b&gt;bold&lt;/b&gt; story" in html  # headlines are escaped
    assert "<b>bold</b>" not in html
    assert "5.0 (3)" in html
    assert "<script" not in html.split('id="content-main"')[1]


def test_readers_cannot_see_the_overview(client):
    response = client.get("/admin/engagement/articlestats/overview/")
    assert response.status_code == 302
