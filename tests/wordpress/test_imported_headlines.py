"""A WordPress post's title becomes the article's headline as every page shows it: entities
decoded, emoji sequences, right-to-left text and its marks kept as WordPress had them; a
C1 control, the byte-order mark, direction overrides and line breaks left out, on the
first import and when a newer export changes the title."""

from __future__ import annotations

import re
from html import unescape

import pytest

from byline.articles.models import Article
from tests.articles.test_hostile_headlines import LEGITIMATE
from tests.corpora import NEVER_IN_A_NAME
from tests.wordpress.test_import import run_import
from tests.wordpress.wxr_factory import item, write, wxr

pytestmark = pytest.mark.django_db

# As WordPress exports titles: its editor's entities and curly quotes, as typed.
TITLES = {
    "Caf&eacute; &amp; bar &#8211; &#8220;open late&#8221;": "Café & bar – “open late”",
    "Tom &amp; Jerry&#8217;s 5&nbsp;km run": "Tom & Jerry’s 5\u00a0km run",
    **{title: title for title in LEGITIMATE},
}


def h1(client, article: Article) -> str:
    return unescape(re.search(r"<h1>(.*?)</h1>", client.get(article.get_absolute_url()).text)[1])


def test_real_wordpress_titles_come_through_unchanged(tmp_path, client):
    posts = [item(n, title) for n, title in enumerate(TITLES, start=1)]
    run_import(write(tmp_path, wxr(*posts)))
    for n, expected in enumerate(TITLES.values(), start=1):
        article = Article.objects.get(imported_from__wp_id=n)
        assert article.headline == expected
        assert h1(client, article) == expected


def test_a_hostile_title_is_cleaned_on_import_and_on_a_newer_export(tmp_path, client):
    """C1 controls, the byte-order mark, direction overrides and line breaks leave the
    headline; a title with nothing visible is "Untitled"; a newer export's title is
    cleaned the same when it replaces the headline."""
    hostile = "\ufeffStorm\x85 warning\u202e for\nthe\x9b quay\u2066"
    path = write(tmp_path, wxr(item(1, hostile), item(2, "\u202e\u2067\ufeff")))
    run_import(path)
    article = Article.objects.get(imported_from__wp_id=1)
    assert article.headline == h1(client, article) == "Storm warning for the quay"
    assert Article.objects.get(imported_from__wp_id=2).headline == "Untitled"

    newer = item(1, "Calm\u202d after\tthe\x85 storm", date="2014-06-11 12:00:00")
    run_import(write(tmp_path, wxr(newer), name="newer.xml"))
    article.refresh_from_db()
    assert article.headline == "Calm after the storm"
    assert not NEVER_IN_A_NAME.search(h1(client, article))
