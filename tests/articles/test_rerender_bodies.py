"""`byline rerender-bodies`: stored bodies rendered again as a save would, once, and only
those that changed written, with their pages drawn again."""

from io import StringIO

import pytest
from django.core.management import call_command

from byline.articles.models import Article, StaticPage
from tests.factory import articles_changed, make_article

pytestmark = pytest.mark.django_db

VIDEO = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
# An embed as pages stored it before its label and Play button: a link, "YouTube: <address>".
OLD_FACADE = (
    '<figure class="embed" data-provider="youtube" data-embed-src='
    '"https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1" data-embed-ratio="16x9">'
    f'<p class="embed-facade"><a href="{VIDEO}" rel="noopener noreferrer">YouTube: {VIDEO}</a>'
    '</p><figcaption class="embed-note">Shown from YouTube only when you ask: until then, '
    "nothing is loaded from YouTube.</figcaption></figure>"
)


def rerender(*args: str) -> str:
    out = StringIO()
    call_command("rerender_bodies", "--no-progress", *args, stdout=out)
    return out.getvalue()


def stored_before_the_label(title: str) -> Article:
    article = make_article(title, body=f"Watch:\n\n{VIDEO}\n\nEnd.")
    Article.objects.filter(pk=article.pk).update(body_html=f"<p>Watch:</p>\n{OLD_FACADE}")
    return Article.objects.get(pk=article.pk)


def test_an_embed_stored_before_its_label_is_rendered_again_and_its_page_redrawn(client):
    """An article whose stored body has the old embed link gets the labelled facade, its
    cached pages are purged as an edit purges them; an up-to-date article is left alone,
    and nobody's article shows as updated."""
    old = stored_before_the_label("Film night")
    current = make_article("Council votes", body="Nothing to embed.")
    page = StaticPage.objects.create(title="About", path="/about/", body=f"{VIDEO}")
    StaticPage.objects.filter(pk=page.pk).update(body_html=OLD_FACADE)
    assert "YouTube: https://" in client.get(old.get_absolute_url()).text

    with articles_changed() as heard:
        said = rerender()
    assert said.strip() == "1 of 2 articles and 1 of 1 static pages changed."
    assert old.pk in heard and current.pk not in heard and None in heard
    html = client.get(old.get_absolute_url()).text
    assert '<span class="embed-label">Video on YouTube</span>' in html
    assert "YouTube: https://" not in html
    assert "Video on YouTube" in StaticPage.objects.get(pk=page.pk).body_html
    assert Article.objects.get(pk=old.pk).updated_at == old.updated_at

    with articles_changed() as heard:
        assert rerender().strip() == "0 of 2 articles and 0 of 1 static pages changed."
    assert heard == []  # idempotent: nothing changed, nothing purged


def test_a_dry_run_counts_what_would_change_and_writes_nothing():
    old = stored_before_the_label("Film night")
    with articles_changed() as heard:
        said = rerender("--dry-run")
    assert said.strip() == "1 of 1 articles and 0 of 0 static pages would change."
    assert heard == []
    assert Article.objects.get(pk=old.pk).body_html == old.body_html


def test_the_console_script_names_it_with_hyphens():
    from byline.cli import ALIASES

    assert ALIASES["rerender-bodies"] == "rerender_bodies"


def test_an_editors_save_after_the_batch_was_read_is_not_overwritten():
    """Rows are read in batches: a correction saved between the read and the write stays
    as the editor saved it (the stale rendering is not written, no page is redrawn from
    it), and is counted as changed since read."""
    from byline.articles.management.commands.rerender_bodies import (
        ARTICLE_RENDERED,
        ARTICLE_SOURCE,
        PAGE_RENDERED,
        PAGE_SOURCE,
        Command,
    )

    old = stored_before_the_label("Film night")
    as_read = Article.objects.get(pk=old.pk)
    corrected = Article.objects.get(pk=old.pk)
    corrected.body = "Watch the corrected film.\n\nEnd."
    corrected.save()  # the editor's save renders the corrected body

    command = Command()
    command.left = 0
    with articles_changed() as heard:
        assert not command.rerender_row(Article, as_read, ARTICLE_RENDERED, ARTICLE_SOURCE, False)
    assert heard == [] and command.left == 1
    now = Article.objects.get(pk=old.pk)
    assert now.body == corrected.body
    assert "corrected film" in now.body_html and "corrected film" in now.body_text

    page = StaticPage.objects.create(title="About", path="/about/", body=VIDEO)
    StaticPage.objects.filter(pk=page.pk).update(body_html=OLD_FACADE)
    page_as_read = StaticPage.objects.get(pk=page.pk)
    StaticPage.objects.filter(pk=page.pk).update(body="Who we are.", body_html="<p>Who we are.</p>")
    assert not command.rerender_row(StaticPage, page_as_read, PAGE_RENDERED, PAGE_SOURCE, False)
    assert StaticPage.objects.get(pk=page.pk).body_html == "<p>Who we are.</p>"
    assert command.left == 2
