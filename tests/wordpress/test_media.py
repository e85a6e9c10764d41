"""`byline import-wxr --copy-media`: the old site's images come along; failures never stop it.

A real HTTP server on 127.0.0.1 plays the old WordPress site.
"""

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from byline.articles.models import Article
from byline.wordpress import media
from byline.wordpress.media import MediaError, stable_name
from tests.wordpress.wxr_factory import cdata, item, write, wxr

pytestmark = pytest.mark.django_db

UPLOADS = "/wp-content/uploads/2014/06"


def image_bytes(image_format: str, size: tuple[int, int] = (8, 6), noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    out = BytesIO()
    image.save(out, image_format)
    return out.getvalue()


PNG = image_bytes("PNG")
SMALL_PNG = image_bytes("PNG", (3, 2))
JPEG = image_bytes("JPEG")
BIG_PNG = image_bytes("PNG", (120, 120), noise=True)  # about 43 kB, over the test's cap


class OldSite(ThreadingHTTPServer):
    """The exporting WordPress site: serves ``files``, records every path asked for."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), OldSiteHandler)
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []
        self.release = threading.Event()  # the slow file answers once this is set

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class OldSiteHandler(BaseHTTPRequestHandler):
    server: OldSite

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.path.endswith("/slow.jpg"):
            self.server.release.wait(30)
            return  # the client gave up long ago
        if self.path in self.server.redirects:
            self.send_response(302)
            self.send_header("Location", self.server.redirects[self.path])
            self.end_headers()
            return
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")  # what the server claims is never trusted
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def old_site():
    server = OldSite()
    server.files.update(
        {
            f"{UPLOADS}/cat.png": PNG,
            f"{UPLOADS}/cat-300x200.png": SMALL_PNG,
            f"{UPLOADS}/dog.jpg": JPEG,
            f"{UPLOADS}/lead.jpg": JPEG,
            f"{UPLOADS}/big.png": BIG_PNG,
            f"{UPLOADS}/page.jpg": b"<!doctype html><title>Not an image</title>",
            "/photo.html": PNG,
        }
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media/"
    settings.BYLINE_IMPORT_MEDIA_MAX_BYTES = 20_000
    settings.BYLINE_IMPORT_MEDIA_TIMEOUT = 0.5
    return settings.MEDIA_ROOT


def attachment(wp_id: int, url: str, alt: str = "", caption: str = "") -> str:
    meta = (
        "<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>"
        f"<wp:meta_value>{cdata(alt)}</wp:meta_value></wp:postmeta>"
        if alt
        else ""
    )
    return item(
        wp_id,
        "An attachment",
        "",
        post_type="attachment",
        status="inherit",
        excerpt=caption,
        extra=f"<wp:attachment_url>{cdata(url)}</wp:attachment_url>{meta}",
    )


def featured(attachment_id: int) -> str:
    return (
        "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
        f"<wp:meta_value>{cdata(str(attachment_id))}</wp:meta_value></wp:postmeta>"
    )


def export(site: OldSite, *items: str) -> str:
    return wxr(*items, base_url=site.url)


def run_import(path, *args: str) -> str:
    out = StringIO()
    call_command("import_wxr", str(path), "--no-progress", *args, stdout=out)
    return out.getvalue()


def stored_files(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def local(site: OldSite, path: str) -> str:
    return f"/media/imported/127.0.0.1_{site.server_address[1]}{path}"


def body_with_images(site: OldSite) -> str:
    return (
        f'<a href="{site.url}{UPLOADS}/cat.png" onclick="steal()">'
        f'<img src="{site.url}{UPLOADS}/cat-300x200.png" alt="A cat" '
        f'srcset="{site.url}{UPLOADS}/cat.png 600w"></a>'
        f'\n\n[caption id="attachment_7" width="300"]<img src="{UPLOADS}/dog.jpg" alt="A dog"> '
        "A good dog[/caption]"
        '\n\n[gallery ids="7"]'
        f'\n\n<img src="http://localhost:{site.server_address[1]}{UPLOADS}/dog.jpg" alt="">'
        "\n\n<script>alert(1)</script>Text."
    )


def test_images_on_the_old_site_are_copied_and_bodies_point_at_the_copies(
    tmp_path, media_root, old_site, client
):
    path = write(
        tmp_path,
        export(old_site, item(1, content=body_with_images(old_site)),
               attachment(7, f"{old_site.url}{UPLOADS}/dog.jpg")),
    )  # fmt: skip
    summary = run_import(path, "--copy-media")
    host = f"imported/127.0.0.1_{old_site.server_address[1]}"
    assert stored_files(media_root) == {
        f"{host}{UPLOADS}/cat.png": PNG,
        f"{host}{UPLOADS}/cat-300x200.png": SMALL_PNG,
        f"{host}{UPLOADS}/dog.jpg": JPEG,
    }
    html = Article.objects.get().body_html
    # The link to the full size, the resized variant, a caption's relative image, a gallery's.
    assert f'<a href="{local(old_site, UPLOADS + "/cat.png")}" rel="noopener noreferrer">' in html
    assert f'<img src="{local(old_site, UPLOADS + "/cat-300x200.png")}" alt="A cat">' in html
    assert html.count(f'<img src="{local(old_site, UPLOADS + "/dog.jpg")}"') == 2
    assert "<figcaption>A good dog</figcaption>" in html
    # Another host's image is neither fetched nor rewritten; the body is still sanitized.
    assert f'src="http://localhost:{old_site.server_address[1]}{UPLOADS}/dog.jpg"' in html
    assert "<script" not in html and "onclick" not in html
    assert "srcset" not in html  # article bodies never carry srcset: src is the image
    assert old_site.url not in html
    # Each file was fetched once, though the dog is used twice.
    assert sorted(old_site.requests) == sorted(
        f"{UPLOADS}/{name}" for name in ["cat.png", "cat-300x200.png", "dog.jpg"]
    )
    assert "3 images on 127.0.0.1 are used by the imported posts: 3 copied" in summary
    assert "0 failed" in summary
    page = client.get(Article.objects.get().get_absolute_url())
    assert local(old_site, UPLOADS + "/cat-300x200.png") in page.text


def test_the_featured_image_becomes_the_lead_image_with_alt_text_and_caption(
    tmp_path, media_root, old_site, client
):
    path = write(
        tmp_path,
        export(
            old_site,
            item(1, extra=featured(9)),
            attachment(9, f"{old_site.url}{UPLOADS}/lead.jpg", "Crowds at the count",
                       "The count, at 2 a.m."),
        ),
    )  # fmt: skip
    summary = run_import(path, "--copy-media")
    article = Article.objects.get()
    name = f"imported/127.0.0.1_{old_site.server_address[1]}{UPLOADS}/lead.jpg"
    assert article.lead_image.name == name
    assert (media_root / name).read_bytes() == JPEG
    assert article.lead_image_alt == "Crowds at the count"
    assert article.lead_image_caption == "The count, at 2 a.m."
    page = client.get(article.get_absolute_url())
    assert f'<img src="/media/{name}" alt="Crowds at the count" width="8" height="6">' in page.text
    assert "<figcaption>The count, at 2 a.m.</figcaption>" in page.text
    assert "1 posts have a featured image (the lead image)" in summary


def test_files_that_cannot_be_fetched_are_listed_and_the_import_goes_ahead(
    tmp_path, media_root, old_site
):
    old_site.redirects["/elsewhere.png"] = "file:///etc/passwd"
    old_site.redirects["/ftp.png"] = "ftp://127.0.0.1/cat.png"
    names = ["missing.png", "big.png", "page.jpg", "slow.jpg"]
    body = "\n\n".join(f'<img src="{UPLOADS}/{name}" alt="">' for name in names)
    body += f'\n\n<img src="/elsewhere.png" alt="">\n\n<img src="{UPLOADS}/cat.png" alt="">'
    body += '\n\n<img src="/ftp.png" alt="">'
    lead = attachment(9, f"{old_site.url}/missing-lead.jpg", "Gone")
    path = write(
        tmp_path, export(old_site, item(1, content=body), item(2, extra=featured(9)), lead)
    )
    summary = run_import(path, "--copy-media")
    assert Article.objects.count() == 2
    html = Article.objects.get(slug="post-1").body_html
    for name in names:
        assert f'src="{old_site.url}{UPLOADS}/{name}"' in html
    assert f'src="{local(old_site, UPLOADS + "/cat.png")}"' in html
    assert not Article.objects.get(slug="post-2").lead_image
    assert "7 failed" in summary
    assert "Not copied (still loaded from the old site; the articles were imported anyway):" in (
        summary
    )
    assert f"{old_site.url}{UPLOADS}/missing.png: HTTP 404" in summary
    assert f"{old_site.url}/missing-lead.jpg: HTTP 404" in summary
    assert f"{old_site.url}{UPLOADS}/big.png: too big (over 20,000 bytes)" in summary
    assert f"{old_site.url}{UPLOADS}/page.jpg: not an image (JPEG, PNG, GIF or WebP)" in summary
    assert f"{old_site.url}{UPLOADS}/slow.jpg: timed out" in summary
    assert (
        f"{old_site.url}/elsewhere.png: redirected to file:///etc/passwd, which is not" in summary
    )
    assert f"{old_site.url}/ftp.png: redirected to ftp://127.0.0.1/cat.png, which is not" in summary
    assert set(stored_files(media_root)) == {
        f"imported/127.0.0.1_{old_site.server_address[1]}{UPLOADS}/cat.png"
    }


def test_a_long_list_of_failures_is_cut_short_in_the_summary(
    tmp_path, media_root, old_site, monkeypatch
):
    """An old site that is down fails every image: the summary lists a few, counts the rest."""
    monkeypatch.setattr(media, "SHOWN_FAILURES", 2)
    body = "\n\n".join(f'<img src="{UPLOADS}/gone-{n}.png" alt="">' for n in range(5))
    summary = run_import(write(tmp_path, export(old_site, item(1, content=body))), "--copy-media")
    assert "5 failed" in summary
    assert summary.count(": HTTP 404") == 2
    assert "    ... and 3 more" in summary


def export_with_images(tmp_path, old_site: OldSite) -> Path:
    """A post with images in its body and a featured image (attachment 9), written out."""
    return write(
        tmp_path,
        export(old_site, item(1, content=body_with_images(old_site), extra=featured(9)),
               attachment(9, f"{old_site.url}{UPLOADS}/lead.jpg", "Lead")),
    )  # fmt: skip


def test_a_second_run_fetches_nothing_and_duplicates_nothing(tmp_path, media_root, old_site):
    path = export_with_images(tmp_path, old_site)
    run_import(path, "--copy-media")
    files = stored_files(media_root)
    fetched = list(old_site.requests)
    body = Article.objects.get().body_html
    summary = run_import(path, "--copy-media")
    assert old_site.requests == fetched
    assert stored_files(media_root) == files
    assert Article.objects.count() == 1
    assert Article.objects.get().body_html == body
    assert "0 copied to imported/ in the media folder, 4 were already there, 0 failed" in summary


def test_a_dry_run_counts_the_images_and_fetches_and_writes_nothing(tmp_path, media_root, old_site):
    path = export_with_images(tmp_path, old_site)
    summary = run_import(path, "--copy-media", "--dry-run")
    assert old_site.requests == []
    assert not media_root.exists()
    assert Article.objects.count() == 0
    assert "4 images on 127.0.0.1 are used by the imported posts: 0 already copied, " in summary
    assert "4 would be fetched; nothing was fetched" in summary


def test_without_copy_media_nothing_is_fetched(tmp_path, media_root, old_site):
    path = export_with_images(tmp_path, old_site)
    summary = run_import(path)
    assert old_site.requests == []
    assert not media_root.exists()
    assert f'src="{old_site.url}{UPLOADS}/cat-300x200.png"' in Article.objects.get().body_html
    assert "1 posts have a featured image: it becomes the lead image only with --copy-media" in (
        summary
    )


def test_articles_imported_earlier_get_the_copies_on_a_run_with_copy_media(
    tmp_path, media_root, old_site, client
):
    path = export_with_images(tmp_path, old_site)
    run_import(path)
    summary = run_import(path, "--copy-media")
    article = Article.objects.get()
    assert f'src="{local(old_site, UPLOADS + "/cat-300x200.png")}"' in article.body_html
    assert "<script" not in article.body_html
    assert article.lead_image.name.endswith(f"{UPLOADS}/lead.jpg")
    assert article.lead_image_alt == "Lead"
    assert "1 articles imported earlier now use the copied images" in summary
    assert local(old_site, UPLOADS + "/cat.png") in client.get(article.get_absolute_url()).text


def test_a_lead_image_s_alt_text_and_caption_lose_a_terminal_escape_on_every_run(
    tmp_path, media_root, old_site
):
    """The alt text and caption of a featured image (given their ESC by reference, as an
    export carries it) are stored as the article's save stores them: the whole sequence
    goes, for an article imported now or by an earlier run without --copy-media."""
    lead = attachment(9, f"{old_site.url}{UPLOADS}/lead.jpg", "&#27;[31mX", "A&#7;\x85 caption")
    first = write(tmp_path, export(old_site, item(1, extra=featured(9)), lead))
    run_import(first)  # the article, without its lead image yet
    later = write(tmp_path, export(old_site, item(2, extra=featured(9)), lead), name="b.xml")
    run_import(later, "--copy-media")
    run_import(first, "--copy-media")
    for article in Article.objects.all():
        assert article.lead_image
        assert (article.lead_image_alt, article.lead_image_caption) == ("X", "A caption")


def test_a_path_that_climbs_out_stays_inside_the_media_folder(tmp_path, media_root, old_site):
    old_site.files["/wp-content/uploads/../../../../escape.png"] = PNG
    old_site.files["/wp-content/uploads/..%2F..%2F..%2Fescape2.png"] = PNG
    body = (
        f'<img src="{old_site.url}/wp-content/uploads/../../../../escape.png" alt="">\n\n'
        f'<img src="{old_site.url}/wp-content/uploads/..%2F..%2F..%2Fescape2.png" alt="">'
    )
    summary = run_import(write(tmp_path, export(old_site, item(1, content=body))), "--copy-media")
    assert "2 copied" in summary
    inside = stored_files(media_root)
    assert len(inside) == 2
    assert all(name.startswith("imported/127.0.0.1_") for name in inside)
    assert all(".." not in name for name in inside)
    everything = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert everything == {tmp_path / "export.xml"} | {media_root / name for name in inside}


def test_an_image_behind_a_misleading_name_is_stored_with_its_real_extension(
    tmp_path, media_root, old_site
):
    """A PNG at /photo.html must never be served back as a web page."""
    body = f'<img src="{old_site.url}/photo.html" alt="">'
    run_import(write(tmp_path, export(old_site, item(1, content=body))), "--copy-media")
    (name,) = stored_files(media_root)
    assert name == f"imported/127.0.0.1_{old_site.server_address[1]}/photo.html.png"
    assert f'src="/media/{name}"' in Article.objects.get().body_html


@pytest.mark.parametrize(
    "url",
    [
        "http://old.example/../../etc/passwd",
        "http://old.example/%2e%2e/%2e%2e/etc/passwd",
        "http://old.example/a/..%5C..%5C..%5Cwindows%5Cwin.ini",
        "http://old.example//etc/passwd",
        "http://old.example/" + "very-long-name-" * 40 + ".jpg",
        "http://old.example/" + "/".join(["deep"] * 100) + "/x.jpg",
        "http://old.example/.htaccess",
        "http://old.example/caf%C3%A9%00.jpg?w=300",
    ],
)
def test_stable_names_are_relative_safe_and_bounded(url):
    name = stable_name(url)
    assert name.startswith("imported/old.example/")
    parts = name.split("/")
    assert all(part and part not in {".", ".."} and not part.startswith(".") for part in parts)
    assert all(c.isascii() and (c.isalnum() or c in "._-/") for c in name)
    assert len(name) <= 240


def test_only_http_and_https_addresses_are_fetched():
    for url in ["file:///etc/passwd", "ftp://old.example/a.jpg", "data:image/png;base64,AAAA"]:
        with pytest.raises(MediaError):
            stable_name(url)
    assert stable_name("http://old.example/a.jpg") == stable_name("https://old.example/a.jpg")
    assert stable_name("http://old.example/a.jpg?w=1") != stable_name(
        "http://old.example/a.jpg?w=2"
    )
