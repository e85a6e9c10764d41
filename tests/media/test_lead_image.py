"""The lead image comes from the library: on the front page, the article, Open Graph and
JSON-LD; without one, the site's default image keeps JSON-LD's ``image``."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.base import ContentFile

from byline.media.actions import describe_image
from tests.factory import make_article
from tests.media.conftest import png

pytestmark = pytest.mark.django_db


def json_ld(html: str) -> dict:
    return json.loads(re.search(r'application/ld\+json">(.*?)</script>', html, re.S).group(1))


def og_image(html: str) -> str:
    return re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)


def test_a_library_lead_image_leads_the_article_with_its_renditions(client, library_image):
    article = make_article("Quay news", lead_media=library_image)
    html = client.get(article.get_absolute_url()).text
    lead = html[html.index('<figure class="lead-image">') :].split("</figure>")[0]
    assert "srcset=" in lead and 'width="1300" height="780"' in lead
    assert 'alt="Boats at the quay"' in lead
    assert 'loading="lazy"' not in lead  # the largest picture on the page is not deferred
    assert "Photo: Ada Example" in lead
    wide = library_image.rendition_for(1200)["name"]
    assert json_ld(html)["image"] == [f"http://testserver/media/{wide}"]
    assert og_image(html) == f"http://testserver/media/{wide}"
    assert '<meta property="og:image:alt" content="Boats at the quay">' in html


def test_the_front_page_shows_library_lead_images_without_a_query_each(
    client, library_image, django_assert_max_num_queries
):
    for number in range(5):
        make_article(f"Story {number}", lead_media=library_image)
    client.get("/")  # warm the navigation and ranking caches
    with django_assert_max_num_queries(12):
        html = client.get("/?page=1&x=1").text
    assert html.count('<source type="image/webp"') >= 5


def test_without_a_lead_image_json_ld_and_open_graph_use_the_site_default(client, settings):
    article = make_article("No picture")
    html = client.get(article.get_absolute_url()).text
    assert json_ld(html)["image"] == ["http://testserver/static/byline/default-image.png"]
    assert og_image(html) == "http://testserver/static/byline/default-image.png"
    assert '<figure class="lead-image">' not in html
    settings.BYLINE_DEFAULT_IMAGE = "https://cdn.news.example/brand.png"
    article.headline = "No picture, still"
    article.save()
    html = client.get(article.get_absolute_url()).text
    assert json_ld(html)["image"] == ["https://cdn.news.example/brand.png"]


def test_an_image_uploaded_before_the_library_still_leads_its_article(client):
    """Articles from before the library, and WordPress imports, keep their lead image."""
    article = make_article("Old story", lead_image_alt="An old picture")
    article.lead_image.save("old.png", ContentFile(png(640, 360)), save=True)
    html = client.get(article.get_absolute_url()).text
    assert f'src="{article.lead_image.url}" alt="An old picture" width="640" height="360"' in html
    assert json_ld(html)["image"] == [f"http://testserver{article.lead_image.url}"]
    front = client.get("/").text
    assert f'src="{article.lead_image.url}"' in front


def test_the_library_image_wins_over_an_old_upload(client, library_image):
    article = make_article("Both", lead_media=library_image)
    article.lead_image.save("old.png", ContentFile(png(64, 36)), save=True)
    html = client.get(article.get_absolute_url()).text
    lead = html[html.index('<figure class="lead-image">') :].split("</figure>")[0]
    assert "old" not in lead and "srcset=" in lead


def test_a_wordpress_export_carries_the_library_lead_image(library_image, tmp_path):
    """The export puts the lead image, absolute, with its alt text and caption, before the body."""
    import io as _io

    from byline.wordpress.exporter import write_export

    make_article("Exported", lead_media=library_image)
    out = _io.StringIO()
    write_export(out, origin="https://news.example")
    wide = library_image.rendition_for(1200)["name"]
    assert (
        f'<figure><img src="https://news.example/media/{wide}" alt="Boats at the quay">'
        "<figcaption>The north quay at noon. — Photo: Ada Example</figcaption></figure>"
    ) in out.getvalue()


@pytest.mark.parametrize(
    "name",
    [
        # 102 Japanese characters: 300 bytes of UTF-8, over the 255 a file name may have.
        "港の歩道橋が一年ぶりに再開した日の朝の様子を撮影した写真" * 3 + "最終版の候補です.jpg",
        "harbour-footbridge-reopening-" * 10 + ".jpg",  # a download's long name
    ],
)
def test_a_lead_image_with_a_very_long_file_name_is_saved(editor_client, name):
    """Whatever the picture's file is called, the article saves with it (the stored name
    is shortened, its extension kept) instead of failing with a server error."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.newsroom.conftest import change_url, form_data

    article = make_article("Bridge reopens")
    data = form_data(article, lead_image_alt="The bridge")
    data["lead_image"] = SimpleUploadedFile(name, png(40, 30), content_type="image/png")
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 302
    article.refresh_from_db()
    stored = article.lead_image.name.rsplit("/", 1)[-1]
    assert stored.endswith(".jpg") and len(stored.encode()) <= 255
    assert stored[:12] == name[:12]
    assert editor_client.get(article.lead_image.url).status_code == 200


def test_a_lead_images_new_caption_and_alt_text_are_on_its_articles_next_page(
    client, library_image, django_capture_on_commit_callbacks
):
    """The article's story is kept a generation (``byline.articles.story``): an image
    described anew moves it on, so the next page shows the new words."""
    article = make_article("Quay news", lead_media=library_image)
    client.get(article.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        describe_image(library_image, alt="Boats at dusk", caption="The south quay.", credit="")
    html = client.get(article.get_absolute_url()).text
    lead = html[html.index('<figure class="lead-image">') :].split("</figure>")[0]
    assert 'alt="Boats at dusk"' in lead and "The south quay." in lead
    assert "The north quay at noon." not in lead
