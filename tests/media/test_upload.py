"""Uploading to the media library through the admin: images are checked, cleaned and
rendered once in every size; anything else is refused with a clear message."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from PIL.ExifTags import IFD

from byline.media.models import Image
from tests.media.conftest import jpeg_with_location, png, png_bomb

pytestmark = pytest.mark.django_db
ADD = "/admin/media/image/add/"


def upload(client, data: bytes, *, name: str = "photo.jpg", alt: str = "A harbour", **fields):
    form = {"alt": alt, "caption": "", "credit": "", **fields}
    form["upload"] = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(ADD, form, follow=True)


def stored(name: str) -> PILImage.Image:
    with default_storage.open(name) as handle:
        picture = PILImage.open(io.BytesIO(handle.read()))
        picture.load()
        return picture


def test_an_uploaded_jpeg_is_stored_without_its_location_but_keeps_the_camera(editor_client):
    """The GPS block of a phone photo's EXIF is gone from every stored file; the rest stays."""
    original = PILImage.open(io.BytesIO(jpeg_with_location()))
    assert original.getexif().get_ifd(IFD.GPSInfo)  # the test file does carry a location

    response = upload(
        editor_client, jpeg_with_location(2000, 1200), caption="Quay", credit="Photo: Ada"
    )
    assert response.status_code == 200
    image = Image.objects.get()
    assert (image.alt, image.caption, image.credit) == ("A harbour", "Quay", "Photo: Ada")
    kept = stored(image.file.name)
    assert kept.format == "JPEG"
    assert kept.getexif().get_ifd(IFD.GPSInfo) == {}
    assert IFD.GPSInfo not in kept.getexif()
    assert kept.getexif()[0x010F] == "ExampleCam"
    for rendition in image.renditions:
        assert stored(rendition["name"]).getexif().get_ifd(IFD.GPSInfo) == {}


def test_renditions_are_made_once_in_every_width_in_webp_and_the_original_format(
    editor_client, settings
):
    settings.BYLINE_MEDIA_WIDTHS = [480, 800, 1200, 1600]
    upload(editor_client, jpeg_with_location(2000, 1200))
    image = Image.objects.get()
    assert (image.width, image.height) == (2000, 1200)
    made = {(r["format"], r["width"], r["height"]) for r in image.renditions}
    for fmt in ("webp", "jpeg"):
        assert {(w, h) for f, w, h in made if f == fmt} == {
            (480, 288), (800, 480), (1200, 720), (1600, 960), (2000, 1200)
        }  # fmt: skip
    for rendition in image.renditions:
        picture = stored(rendition["name"])
        assert picture.format == rendition["format"].upper()
        assert picture.size == (rendition["width"], rendition["height"])


def test_no_rendition_is_wider_than_the_original(editor_client, settings):
    settings.BYLINE_MEDIA_WIDTHS = [480, 800, 1200]
    upload(editor_client, png(600, 400), name="chart.png")
    image = Image.objects.get()
    assert sorted({r["width"] for r in image.renditions}) == [480, 600]
    assert {r["format"] for r in image.renditions} == {"webp", "png"}


def test_a_file_that_is_not_an_image_is_refused_and_what_was_typed_is_kept(editor_client):
    response = upload(
        editor_client, b"%PDF-1.4 not a picture", name="report.jpg", alt="Kept alt text"
    )
    assert "not an image the library can read" in response.text
    assert 'value="Kept alt text"' in response.text
    assert not Image.objects.exists()
    assert not default_storage.exists("library")


def test_an_oversized_file_is_refused_with_the_limit(editor_client, settings):
    settings.BYLINE_MEDIA_MAX_BYTES = 50_000
    response = upload(editor_client, jpeg_with_location())
    assert "the library takes images up to 0.1 MB" in response.text
    assert not Image.objects.exists()


def test_a_decompression_bomb_is_refused_before_it_is_decoded(editor_client):
    """A 1 kB PNG claiming 100,000 × 100,000 pixels is refused from its header alone."""
    bomb = png_bomb()
    assert len(bomb) < 2_000
    response = upload(editor_client, bomb, name="bomb.png")
    assert "may be a decompression bomb" in response.text
    assert not Image.objects.exists()


def test_an_image_with_more_pixels_than_the_setting_is_refused(editor_client, settings):
    settings.BYLINE_MEDIA_MAX_PIXELS = 100_000
    response = upload(editor_client, png(400, 300), name="wide.png")
    assert "more than 100,000 pixels" in response.text
    assert not Image.objects.exists()


def test_alt_text_is_required(editor_client):
    response = upload(editor_client, png(), name="x.png", alt="")
    assert "This field is required" in response.text
    assert not Image.objects.exists()


def test_only_staff_may_upload(client):
    response = client.post(ADD, {"alt": "x", "upload": SimpleUploadedFile("x.png", png())})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Image.objects.exists()


def test_deleting_an_image_removes_its_files(
    editor_client, library_image, django_capture_on_commit_callbacks
):
    names = [r["name"] for r in library_image.renditions]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            f"/admin/media/image/{library_image.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Image.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


@pytest.mark.parametrize("group", ["Writer", "Editor"])
def test_writers_and_editors_add_pictures_to_the_library(group):
    """The media library is the newsroom's, not only its administrators': a Writer or an
    Editor finds it in the admin and adds a picture to use in an article's body."""
    from tests.newsroom.conftest import client_for, make_member

    client = client_for(make_member("lena", group))
    assert 'href="/admin/media/image/"' in client.get("/admin/").content.decode()
    assert client.get(ADD).status_code == 200

    response = upload(client, png(), name="quay.png", alt="The quay at dawn")
    assert response.status_code == 200
    assert Image.objects.get().alt == "The quay at dawn"
    assert client.get("/admin/media/image/").status_code == 200


def test_only_editors_describe_or_delete_a_library_picture():
    """Changing a picture's alt text changes every article that shows it, and deleting it
    removes it from them: an Editor may, a Writer may not."""
    from tests.newsroom.conftest import client_for, make_member

    writer = client_for(make_member("wanda", "Writer"))
    editor = client_for(make_member("edna", "Editor"))
    upload(editor, png(), name="quay.png", alt="The quay")
    picture = Image.objects.get()
    change = f"/admin/media/image/{picture.pk}/change/"
    describe = {"alt": "The quay at dawn", "caption": "", "credit": ""}

    writer.post(change, describe)
    assert (
        writer.post(f"/admin/media/image/{picture.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    picture.refresh_from_db()
    assert picture.alt == "The quay"

    editor.post(change, describe)
    picture.refresh_from_db()
    assert picture.alt == "The quay at dawn"
    editor.post(f"/admin/media/image/{picture.pk}/delete/", {"post": "yes"})
    assert not Image.objects.exists()


def test_the_librarys_upload_time_reads_in_the_newsrooms_time_zone(
    editor_client, library_image, settings
):
    """The library's list and a picture's page give its upload time in the site's time
    zone (BYLINE_TIME_ZONE), the zone named, as every other admin time."""
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Europe/Berlin"
    uploaded = datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
    Image.objects.filter(pk=library_image.pk).update(uploaded_at=uploaded)
    listing = editor_client.get("/admin/media/image/").text
    page = editor_client.get(f"/admin/media/image/{library_image.pk}/change/").text
    for html in (listing, page):
        assert "2026-07-01 08:30 CEST" in html and "July 1, 2026" not in html
