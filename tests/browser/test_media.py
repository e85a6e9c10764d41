"""Editors put library images into articles, and readers' pages load embeds only on request,
in a real browser."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest

from byline.articles.models import Article
from byline.media.actions import upload_image
from byline.media.models import Image
from tests.browser.conftest import AXE, WCAG_TAGS, expect, run_axe_without_js, save_screenshot
from tests.factory import make_article
from tests.media.conftest import jpeg_with_location


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_editor_uploads_an_image_inserts_it_and_readers_get_a_srcset(editor_page, new_page):
    """Upload in the admin, insert with the editor's picker, save: the page has the figure."""
    article = make_article("Harbour works", body="The quay reopens.")
    page = editor_page
    page.goto("/admin/media/image/add/")
    page.get_by_label("Image").set_input_files(
        {"name": "quay.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_location()}
    )
    page.get_by_label("Alt text").fill("Cranes over the north quay")
    page.get_by_label("Caption").fill("Work on the quay, Monday.")
    page.get_by_label("Credit").fill("Photo: Ada Example")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    image = Image.objects.get()

    page.goto(f"/admin/articles/article/{article.pk}/change/")
    body = page.locator("textarea[name=body]")
    body.click()
    body.press("End")
    page.locator(".md-toolbar").get_by_role("button", name="Image").click()
    picker = page.get_by_role("dialog", name="Insert an image from the library")
    picker.get_by_role("button", name="Cranes over the north quay").click()
    expect(picker).to_be_hidden()
    expect(body).to_have_value(
        f"The quay reopens.\n\n![Cranes over the north quay](media:{image.pk})\n"
    )
    preview = page.frame_locator("iframe.md-preview")
    expect(preview.locator("figure.image img")).to_have_attribute(
        "alt", "Cranes over the north quay"
    )
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert f"(media:{image.pk})" in Article.objects.get(pk=article.pk).body

    reader = new_page(width=390)
    reader.goto(article.get_absolute_url())
    picture = reader.locator(".body figure.image img")
    srcset = picture.get_attribute("srcset")
    assert "480w" in srcset and "1300w" in srcset
    assert picture.get_attribute("sizes") and picture.get_attribute("loading") == "lazy"
    assert (picture.get_attribute("width"), picture.get_attribute("height")) == ("1300", "780")
    picture.scroll_into_view_if_needed()
    expect(picture).to_have_js_property("complete", True)
    chosen = picture.evaluate("img => [img.currentSrc, img.naturalWidth]")
    assert chosen[0].endswith(".webp") and 0 < chosen[1] < 1300  # a phone gets a narrow one
    expect(reader.locator(".body figcaption")).to_have_text(
        "Work on the quay, Monday. — Photo: Ada Example"
    )
    save_screenshot(reader, "media-in-body-phone")


def test_without_javascript_the_editor_is_the_plain_textarea(new_page, editor):
    page = new_page(javascript=False)
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(editor.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    article = make_article("Plain")
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    expect(page.locator("textarea[name=body]")).to_be_visible()
    assert page.locator(".md-toolbar").count() == 0


def test_an_embed_loads_nothing_from_the_provider_until_the_reader_clicks(page, axe):
    article = make_article("Video night", body="Watch:\n\nhttps://youtu.be/aqz-KE-bpKQ\n\nEnd.")
    outside: list[str] = []

    def only_local(route):
        host = urlsplit(route.request.url).hostname
        if host in {"localhost", "127.0.0.1"}:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()  # no network in tests: recorded, never sent

    page.route("**/*", only_local)
    page.goto(article.get_absolute_url())
    button = page.get_by_role("button", name="Play video on YouTube", exact=True)
    expect(button).to_be_visible()
    expect(button).to_have_text("Play video on YouTube")  # "Play" shown, the rest for readers
    facade = page.locator("figure.embed .embed-facade")
    expect(facade).not_to_contain_text("https://")  # labelled, not the bare address
    expect(facade.get_by_role("link", name="Open on youtube.com")).to_have_attribute(
        "href", "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
    )
    page.wait_for_load_state("networkidle")
    assert outside == []
    assert page.locator("iframe").count() == 0
    assert axe(page) == []

    button.click()
    frame = page.locator("figure.embed iframe")
    expect(frame).to_have_attribute(
        "src", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1"
    )
    expect(frame).to_have_attribute("title", "YouTube video")
    page.wait_for_timeout(200)
    assert outside and all("youtube-nocookie.com" in url for url in outside)


def test_without_javascript_an_embed_is_a_labelled_link(page_without_js, new_page):
    """Without a script: "Map on Google Maps" and a link to open it there, no button
    that would do nothing, no bare address; accessible as it is."""
    article = make_article("Map", body="https://www.google.com/maps/place/Falmouth+Harbour")
    page_without_js.goto(article.get_absolute_url())
    facade = page_without_js.locator("figure.embed .embed-facade")
    expect(facade).to_have_text("Map on Google Maps Open on google.com")
    expect(facade.get_by_role("button")).to_have_count(0)
    assert run_axe_without_js(page_without_js, new_page) == []
    link = page_without_js.get_by_role("link", name="Open on google.com")
    expect(link).to_have_attribute(
        "href", "https://www.google.com/maps/search/?api=1&query=Falmouth%20Harbour"
    )
    assert page_without_js.locator("iframe").count() == 0


def test_the_demo_article_with_a_picture_an_embed_and_menus_has_no_serious_violations(page, axe):
    from byline.demo import load_demo_site
    from byline.media.demo import DEMO_SLUG

    load_demo_site()
    page.goto(f"/articles/{DEMO_SLUG}/")
    expect(page.locator(".body figure.image")).to_be_visible()
    expect(page.get_by_role("navigation", name="Site pages")).to_contain_text("About")
    assert axe(page) == []
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the page scrolls sideways"


def test_the_editor_has_no_serious_violations(editor_page, axe):
    article = make_article("Edited", body="Some **text**.\n\nhttps://vimeo.com/76979871")
    editor_page.goto(f"/admin/articles/article/{article.pk}/change/")
    preview = editor_page.frame_locator("iframe.md-preview")
    expect(preview.locator("figure.embed")).to_be_visible()
    editor_page.locator(".md-toolbar").get_by_role("button", name="Image").click()
    expect(editor_page.get_by_role("dialog")).to_be_visible()
    # The editor and its picker (Django's own autocomplete widgets are not ours to judge).
    editor_page.add_script_tag(path=str(AXE))
    result = editor_page.evaluate(
        """async (tags) => await axe.run({include: [['.md-editor'], ['.md-picker']]},
                                         {runOnly: {type: 'tag', values: tags}})""",
        WCAG_TAGS,
    )
    serious = [v["id"] for v in result["violations"] if v["impact"] in {"serious", "critical"}]
    assert serious == []
    save_screenshot(editor_page, "media-editor-picker")


def test_the_pickers_pictures_stand_in_a_grid_without_list_markers(editor_page):
    """The library picker shows its pictures as tiles: no bullet beside each (Django's
    admin gives every list item a square marker)."""
    data = jpeg_with_location()
    upload_image(io.BytesIO(data), filename="quay.jpg", size=len(data), alt="The north quay")
    article = make_article("Harbour works", body="The quay reopens.")
    page = editor_page
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.locator(".md-toolbar").get_by_role("button", name="Image").click()
    picker = page.get_by_role("dialog", name="Insert an image from the library")
    expect(picker.get_by_role("button", name="The north quay")).to_be_visible()
    markers = picker.locator(".md-picker-grid li").evaluate_all(
        "items => items.map(i => getComputedStyle(i).listStyleType)"
    )
    assert markers == ["none"]


def test_the_lead_images_caption_is_set_as_the_bodys_captions(page):
    """The lead image's caption and credit read like the captions of the pictures in the
    body: the same sans-serif face, size, line height and colour, not the body's serif."""
    from byline.demo import load_demo_site
    from byline.media.demo import DEMO_SLUG

    load_demo_site()
    page.goto(f"/articles/{DEMO_SLUG}/")

    def style(selector: str) -> list[str]:
        return page.locator(selector).first.evaluate(
            "c => { const s = getComputedStyle(c);"
            " return [s.fontFamily, s.fontSize, s.lineHeight, s.color]; }"
        )

    lead, body = style(".lead-image figcaption"), style(".body figure.image figcaption")
    assert lead == body
    text = page.locator(".body p").first.evaluate("p => getComputedStyle(p).fontFamily")
    assert text.endswith(", serif") and lead[0].endswith(", sans-serif")


EMBEDS = [
    "https://youtu.be/aqz-KE-bpKQ",
    "https://public.flourish.studio/visualisation/1234567/",
    "https://datawrapper.dwcdn.net/AbC12/1/",
    "https://x.com/user/status/1234567890",
]


def test_on_a_phone_an_embed_s_button_spans_it_and_its_link_stands_centred_under_it(new_page):
    """375 px: Play (or Show) spans the placeholder and "Open on <host>" stands under it,
    centred, the host never broken inside (not a link fallen under the button's left
    edge, nor one beside it on some embeds and under it on others)."""
    article = make_article("Four embeds", body="\n\n".join(EMBEDS))
    page = new_page(width=375, height=1600)
    page.goto(article.get_absolute_url())
    expect(page.locator("figure.embed button.embed-button")).to_have_count(len(EMBEDS))
    boxes = page.locator("figure.embed .embed-facade").evaluate_all(
        """facades => facades.map(facade => {
            const box = el => el.getBoundingClientRect();
            const link = facade.querySelector("a.embed-open");
            const host = document.createRange();
            host.setStart(link.firstChild, "Open on ".length);
            host.setEnd(link.firstChild, link.firstChild.length);
            const text = document.createRange();
            text.selectNodeContents(link);
            return {
                facade: box(facade).toJSON(),
                button: box(facade.querySelector("button")).toJSON(),
                text: text.getBoundingClientRect().toJSON(),
                hostLines: host.getClientRects().length,
            };
        })"""
    )
    for url, box in zip(EMBEDS, boxes, strict=True):
        facade, button, text = box["facade"], box["button"], box["text"]
        assert abs(button["width"] - facade["width"]) < 1, url
        assert text["top"] >= button["bottom"], url
        middle = facade["left"] + facade["width"] / 2
        assert abs(text["left"] + text["width"] / 2 - middle) < 2, url
        assert box["hostLines"] == 1, url
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(page, "embeds-phone-375")


def test_on_a_phone_the_preview_lines_up_with_the_body_it_shows(editor_page):
    """The editor's preview frame is as wide as the body's box above it: its right
    border is not cut off at the edge of the form (width 100% plus its border)."""
    editor_page.set_viewport_size({"width": 375, "height": 800})
    article = make_article("Edited", body="Some **text**.")
    editor_page.goto(f"/admin/articles/article/{article.pk}/change/")
    preview = editor_page.frame_locator("iframe.md-preview")
    expect(preview.locator("strong")).to_have_text("text")
    body = editor_page.locator("#id_body").bounding_box()
    frame = editor_page.locator("iframe.md-preview").bounding_box()
    row = editor_page.locator(".form-row.field-body").bounding_box()
    assert body is not None and frame is not None and row is not None
    assert frame["x"] + frame["width"] <= body["x"] + body["width"] + 0.5
    assert frame["x"] + frame["width"] <= row["x"] + row["width"] + 0.5


@pytest.mark.parametrize("width", [1280, 375])
def test_the_library_shows_small_thumbnails_and_an_undistorted_preview(editor_page, width):
    """The library's list shows each picture as an 80 px thumbnail (not at its full
    size, which pushed the alt text and the other columns off the page), and a
    picture's own page shows it within the column at its own proportions."""
    data = jpeg_with_location(1300, 780)
    image = upload_image(io.BytesIO(data), filename="quay.jpg", size=len(data), alt="The quay")
    editor_page.set_viewport_size({"width": width, "height": 900})
    editor_page.goto("/admin/media/image/")
    expect(editor_page.get_by_role("link", name="The quay")).to_be_visible()
    thumbnail = editor_page.locator("img.media-thumbnail").bounding_box()
    assert thumbnail is not None
    assert thumbnail["width"] <= 80 and abs(thumbnail["height"] / thumbnail["width"] - 0.6) < 0.05
    editor_page.goto(f"/admin/media/image/{image.pk}/change/")
    shown = editor_page.locator(".field-shown img").bounding_box()
    assert shown is not None
    assert shown["x"] + shown["width"] <= width
    assert abs(shown["height"] / shown["width"] - 0.6) < 0.05, shown
