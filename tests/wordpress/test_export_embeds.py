"""An embed leaves Byline as WordPress writes one: the block editor's embed block with
the address (and its caption), which WordPress plays and an import brings back as the
same embed; never the facade's own markup or its privacy note as text."""

from __future__ import annotations

import io
import re
from io import StringIO

import pytest
from django.core.management import call_command

from byline.articles.models import Article
from tests.factory import make_article
from tests.media.conftest import jpeg_with_location
from tests.wordpress.test_export import export, export_and_empty_the_site

pytestmark = pytest.mark.django_db

VIDEO = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"


def body_of_export() -> str:
    return re.search(r"<content:encoded><!\[CDATA\[(.*?)\]\]></content:encoded>", export(), re.S)[1]


def test_an_embed_is_exported_as_wordpress_embed_block():
    make_article("Council meets", body=f"Watch it:\n\n{VIDEO}\n\nThe end.")
    body = body_of_export()
    assert "Shown from" not in body and "embed-facade" not in body and "data-embed-src" not in body
    assert re.search(
        r'<!-- wp:embed \{"url":"https://www.youtube.com/watch\?v=aqz-KE-bpKQ",'
        r'"providerNameSlug":"youtube"\} -->\s*<figure class="wp-block-embed[^"]*">'
        r'<div class="wp-block-embed__wrapper">\s*https://www.youtube.com/watch\?v=aqz-KE-bpKQ\s*'
        r"</div></figure>\s*<!-- /wp:embed -->",
        body,
    )


def test_an_exported_embed_imports_back_the_same(tmp_path):
    make_article("Council meets", body=f"Watch it:\n\n{VIDEO}\n\nThe end.")
    before = Article.objects.get().body_html
    path = export_and_empty_the_site(tmp_path)
    call_command("import_wxr", str(path), "--no-progress", stdout=StringIO())
    after = Article.objects.get().body_html
    assert after.count("data-embed-src=") == 1
    assert "Shown from YouTube only when you ask" in after
    assert after.count("Shown from") == 1  # the note, once, not also as a caption
    assert re.sub(r"\s+", "", after) == re.sub(r"\s+", "", before)


def test_an_imported_embed_whose_caption_holds_blocks_leaves_as_an_embed_block(tmp_path):
    """A WordPress caption of several lines (each a <div>) stays the embed's caption on
    the way out, in WordPress's block, and comes back the same on import."""
    from tests.media.test_embeds import imported_facade

    caption = "<div>Filmed at the <b>quay</b>, Monday.</div><div>Courtesy of the port.</div>"
    article = make_article("Council meets", body="Text.")
    Article.objects.filter(pk=article.pk).update(body_html=imported_facade(caption, VIDEO))
    body = body_of_export()
    assert "embed-facade" not in body and "Shown from" not in body
    assert re.search(
        r'<!-- wp:embed \{"url":"https://www.youtube.com/watch\?v=aqz-KE-bpKQ",'
        r'"providerNameSlug":"youtube"\} -->\s*<figure class="wp-block-embed[^"]*">'
        r'<div class="wp-block-embed__wrapper">\s*https://www.youtube.com/watch\?v=aqz-KE-bpKQ\s*'
        rf"</div><figcaption>{re.escape(caption)}</figcaption></figure>\s*<!-- /wp:embed -->",
        body,
    )
    before = Article.objects.get().body_html
    path = export_and_empty_the_site(tmp_path)
    call_command("import_wxr", str(path), "--no-progress", stdout=StringIO())
    after = Article.objects.get().body_html
    assert after.count("data-embed-src=") == 1 and after.count("Courtesy of the port.") == 1
    assert re.sub(r"\s+", "", after) == re.sub(r"\s+", "", before)


@pytest.fixture
def library_image(settings, tmp_path):
    """A JPEG in the media library, uploaded to a fresh folder."""
    from byline.media.actions import upload_image

    settings.MEDIA_ROOT = tmp_path / "media"
    data = jpeg_with_location()
    return upload_image(io.BytesIO(data), filename="quay.jpg", size=len(data), alt="Quay")


def test_library_images_leave_with_the_sites_full_address(library_image):
    """An exported body's images (src and every srcset candidate) and links to the site
    name it (``--site-url``), so the WordPress that imports them can fetch them."""
    make_article("Quay", body=f"![](media:{library_image.pk})\n\nSee [the quay](/articles/quay/).")
    body = body_of_export()
    urls = re.findall(r'(?:src|href)="([^"]+)"', body)
    urls += [u.split()[0] for s in re.findall(r'srcset="([^"]+)"', body) for u in s.split(",")]
    assert len(urls) > 3
    assert all(url.startswith("https://news.example/") for url in urls), urls
