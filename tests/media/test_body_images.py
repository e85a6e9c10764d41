"""Library images in an article's body: a reference in the Markdown that survives edits,
rendered as a figure with srcset, sizes, width, height, lazy loading, caption and credit."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from byline.articles.models import Article
from byline.media import actions
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def attribute_names(html: str) -> set[str]:
    names: set[str] = set()

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            names.update(name for name, _ in attrs)

    Parser().feed(html)
    return names


def body_of(client, article) -> str:
    html = client.get(article.get_absolute_url()).text
    return html[html.index('<div class="body">') :].split("</div>")[0]


def test_a_reference_alone_on_its_line_becomes_a_figure_with_every_rendition(client, library_image):
    article = make_article(body=f"Before.\n\n![]({'media:'}{library_image.pk})\n\nAfter.")
    body = body_of(client, article)
    figure = re.search(r'<figure class="image">.*?</figure>', body, re.S).group(0)
    assert '<source type="image/webp" srcset="' in figure
    for rendition in library_image.renditions:
        assert f"/media/{rendition['name']} {rendition['width']}w" in figure
    assert 'sizes="(min-width: 48rem) 756px, calc(100vw - 2rem)"' in figure
    assert 'width="1300" height="780"' in figure
    assert 'loading="lazy"' in figure
    assert 'alt="Boats at the quay"' in figure  # the library's alt text
    assert (
        "<figcaption>The north quay at noon. — "
        '<span class="credit">Photo: Ada Example</span></figcaption>'
    ) in figure


def test_the_editor_may_give_the_image_other_alt_text_in_the_reference(client, library_image):
    article = make_article(body=f"![Boats, seen from the bridge](media:{library_image.pk})")
    assert 'alt="Boats, seen from the bridge"' in body_of(client, article)


def test_the_reference_survives_edits_and_re_renders(client, library_image):
    article = make_article(body=f"Intro.\n\n![](media:{library_image.pk})")
    article.body = article.body.replace("Intro.", "A new intro.")
    article.save()
    article.refresh_from_db()
    assert f"(media:{library_image.pk})" in article.body
    assert article.body_html.count("<figure") == 1
    article.render()
    assert '<figure class="image">' in article.body_html


def test_a_new_caption_reaches_the_pages_that_show_the_image(
    client, library_image, django_capture_on_commit_callbacks
):
    article = make_article(body=f"![](media:{library_image.pk})")
    updated_at = article.updated_at
    with django_capture_on_commit_callbacks(execute=True):
        actions.describe_image(library_image, alt="Boats", caption="New caption.", credit="")
    assert "<figcaption>New caption.</figcaption>" in body_of(client, article)
    assert Article.objects.get(pk=article.pk).updated_at == updated_at  # not "Updated"


def test_a_deleted_image_leaves_nothing_broken_behind(
    client, library_image, django_capture_on_commit_callbacks
):
    image_id = library_image.pk
    article = make_article(body=f"Text.\n\n![](media:{image_id})\n\nMore text.")
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_image(library_image)
    body = body_of(client, article)
    assert "<figure" not in body and "media:" not in body
    assert "<p>Text.</p>" in body and "<p>More text.</p>" in body
    assert f"(media:{image_id})" in Article.objects.get(pk=article.pk).body


def test_an_unknown_reference_renders_nothing(client):
    article = make_article(body="![Gone](media:999999)\n\nStill here.")
    body = body_of(client, article)
    assert "media:" not in body and "<img" not in body
    assert "Still here." in body


def test_an_image_inside_a_sentence_is_a_picture_without_a_figure(client, library_image):
    article = make_article(body=f"See ![tiny](media:{library_image.pk}) here.")
    body = body_of(client, article)
    assert "<p>See <picture>" in body and "<figure" not in body


def test_a_hostile_alt_text_is_escaped(client, library_image):
    article = make_article(body=f'![x" onerror="alert(1)](media:{library_image.pk})')
    attributes = attribute_names(body_of(client, article))
    assert "onerror" not in attributes and "alt" in attributes


def test_a_library_picture_in_a_feed_names_every_rendition_by_its_full_address(
    client, library_image
):
    """A feed reader, away from the site, can load the picture and each of its sizes."""
    make_article(body=f"Before.\n\n![](media:{library_image.pk})\n\nAfter.")
    rss = client.get("/feed/").text
    assert "/media/" in rss
    assert re.findall(r"(?:src|srcset)=&quot;/media|, /media", rss) == []
    for rendition in library_image.renditions:
        assert f"http://testserver/media/{rendition['name']} {rendition['width']}w" in rss
