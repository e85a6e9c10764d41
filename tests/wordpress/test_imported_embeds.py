"""A WordPress video or post embed plays on the imported article as it did on the old
site: the same privacy facade an editor's pasted address becomes (nothing loaded from
the provider until the reader asks), whether the article, a static page, or an article
an editor saves again later."""

from __future__ import annotations

import pytest

from byline.articles.models import Article, StaticPage
from tests.wordpress.test_import import run_import
from tests.wordpress.wxr_factory import item, write, wxr

pytestmark = pytest.mark.django_db

BODY = (
    "Watch the council meeting:\n\n"
    "https://www.youtube.com/watch?v=aqz-KE-bpKQ\n\n"
    '<!-- wp:embed {"url":"https://vimeo.com/76979871","type":"video",'
    '"providerNameSlug":"vimeo"} -->\n'
    '<figure class="wp-block-embed is-provider-vimeo"><div class="wp-block-embed__wrapper">\n'
    "https://vimeo.com/76979871\n"
    "</div><figcaption>The mayor's answer, <em>in full</em></figcaption></figure>\n"
    "<!-- /wp:embed -->\n\n"
    "https://soundcloud.com/newsroom/episode-12\n\n"
    "[embed]https://www.youtube.com/watch?v=not%20an%20id[/embed]"
)


def imported(tmp_path) -> tuple[str, str]:
    run_import(
        write(tmp_path, wxr(item(1, content=BODY), item(2, "Videos", BODY, post_type="page")))
    )
    return Article.objects.get().body_html, StaticPage.objects.get().body_html


def test_imported_video_embeds_become_facades_with_their_captions(tmp_path, client):
    """YouTube and Vimeo embeds get the player's facade, the caption kept beside it;
    the article page loads the script that swaps in the player on a click."""
    article_html, page_html = imported(tmp_path)
    for html in (article_html, page_html):
        assert html.count("data-embed-src=") == 2
        assert 'data-embed-src="https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1"' in (
            html
        )
        assert 'data-embed-src="https://player.vimeo.com/video/76979871?dnt=1&amp;autoplay=1"' in (
            html
        )
        assert "The mayor's answer, <em>in full</em>" in html or (
            "The mayor’s answer, <em>in full</em>" in html
        )
    page = client.get(Article.objects.get().get_absolute_url()).text
    assert "media/embeds.js" in page


def test_providers_byline_does_not_play_and_malformed_addresses_stay_links(tmp_path):
    """SoundCloud (not on the allow-list) and an address whose id is not an id stay the
    importer's plain link; nothing is built from them."""
    article_html, _ = imported(tmp_path)
    assert 'data-provider="soundcloud"><a href="https://soundcloud.com/newsroom/episode-12"' in (
        article_html
    )
    assert "not%20an%20id" in article_html
    assert "nocookie.com/embed/not" not in article_html


def test_saving_an_imported_article_again_changes_nothing_readers_see(tmp_path, client):
    """An editor's later save renders the same body the import stored."""
    article_html, _ = imported(tmp_path)
    article = Article.objects.get()
    article.save()
    article.refresh_from_db()
    assert article.body_html.strip() == article_html.strip()
