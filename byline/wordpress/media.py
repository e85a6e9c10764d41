"""Copying a WordPress site's images onto Byline (``import-wxr --copy-media``).

Which images: those the imported bodies show (``<img src>``, and links to
image files, as the body converter keeps them) when they live on the
exporting site's own hosts (``wp:base_site_url``, ``wp:base_blog_url`` and the
hosts of the export's attachments), and each post's featured image
(``_thumbnail_id`` → the attachment's ``wp:attachment_url``), which becomes the
article's lead image with the attachment's alt text and caption.

Each file lands at a stable name under ``MEDIA_ROOT``:
``imported/<host>/<path on the old site>``, made safe (no ``..``, no absolute
paths, only ``[A-Za-z0-9._-]``, bounded length; a short hash keeps apart names
the cleaning made equal), so a second run finds it and fetches nothing. A file
is kept only if Pillow reads it as JPEG, PNG, GIF or WebP (never on the word
of its extension or Content-Type), and it is stored with an image extension,
so the web server can never serve it as a page.

Fetching is plain ``urllib`` over http and https only (redirects to anything
else are refused), a few files at a time, each capped in size and time
(``BYLINE_IMPORT_MEDIA_MAX_BYTES``, ``BYLINE_IMPORT_MEDIA_TIMEOUT``). It runs
before the database transaction and never fails the import: what could not be
fetched keeps pointing at the old site and is listed with the reason.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from http.client import HTTPException
from io import BytesIO
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from PIL import Image

from byline.wordpress import content
from byline.wordpress.reader import WxrExport, WxrItem

# Failed images listed one by one in the summary; the rest are counted.
SHOWN_FAILURES = 50

FOLDER = "imported"
WORKERS = 4  # files fetched at once: enough to hide latency, gentle on the old site
CHUNK = 64 * 1024
MAX_SEGMENT = 80
MAX_NAME = 240  # Article.lead_image holds 300 characters
# Pillow format → the extensions a file of that format may keep (the first is added when needed).
FORMATS = {
    "JPEG": (".jpg", ".jpeg", ".jpe"),
    "PNG": (".png",),
    "GIF": (".gif",),
    "WEBP": (".webp",),
}
IMAGE_EXTENSIONS = {ext for extensions in FORMATS.values() for ext in extensions}
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"', re.I)
A_HREF = re.compile(r'<a\b[^>]*?\shref="([^"]*)"', re.I)
USER_AGENT = "Byline import-wxr --copy-media"


class MediaError(Exception):
    """A file could not be copied; the message is the reason shown in the summary."""


@dataclass(frozen=True)
class Featured:
    """A post's featured image: the attachment's address, alt text and caption."""

    url: str
    alt: str
    caption: str


@dataclass
class MediaPlan:
    """What ``--copy-media`` would fetch for a set of posts."""

    hosts: list[str]
    names: dict[str, str] = field(default_factory=dict)  # url → stable name, in order of use
    featured: dict[int, Featured] = field(default_factory=dict)  # post id → its featured image
    refused: dict[str, str] = field(default_factory=dict)  # url → why it is never fetched

    @property
    def files(self) -> dict[str, str]:
        """One address per stable name (http:// and https:// of one file are one download)."""
        first: dict[str, str] = {}
        for url, name in self.names.items():
            first.setdefault(name, url)
        return first


@dataclass
class MediaCopy:
    """What was copied: the new address of each image, and what failed and why."""

    plan: MediaPlan
    stored: dict[str, str] = field(default_factory=dict)  # url → name under MEDIA_ROOT
    fetched: int = 0
    already_there: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # url → reason
    dry_run: bool = False

    def new_urls(self) -> dict[str, str]:
        """Old address → the copy's address under MEDIA_URL, for the body rewrite."""
        return {url: media_url(name) for url, name in self.stored.items()}

    def lead_image(self, post_id: int) -> tuple[str, Featured] | None:
        """The stored name and details of a post's featured image, if it was copied."""
        featured = self.plan.featured.get(post_id)
        if featured is None or featured.url not in self.stored:
            return None
        return self.stored[featured.url], featured

    def lines(self) -> list[str]:
        plan = self.plan
        files = plan.files
        hosts = ", ".join(plan.hosts) or "no host"
        out = ["Media (--copy-media):"]
        if self.dry_run:
            out.append(
                f"  {len(files)} images on {hosts} are used by the imported posts: "
                f"{self.already_there} already copied, "
                f"{len(files) - self.already_there} would be fetched; nothing was fetched"
            )
        else:
            out.append(
                f"  {len(files)} images on {hosts} are used by the imported posts: "
                f"{self.fetched} copied to {FOLDER}/ in the media folder, "
                f"{self.already_there} were already there, {len(self.failures)} failed"
            )
        if plan.featured:
            out.append(f"  {len(plan.featured)} posts have a featured image (the lead image)")
        if self.failures:
            out.append(
                "  Not copied (still loaded from the old site; the articles were imported anyway):"
            )
            failures = sorted(self.failures.items())
            out.extend(f"    {url}: {reason}" for url, reason in failures[:SHOWN_FAILURES])
            if len(failures) > SHOWN_FAILURES:  # an old site that is down: thousands
                out.append(f"    ... and {len(failures) - SHOWN_FAILURES} more")
        return out


def media_url(name: str) -> str:
    return settings.MEDIA_URL + name


def own_hosts(export: WxrExport) -> list[str]:
    """The exporting site's host names: its addresses and where its attachments live."""
    urls = [export.base_site_url, export.base_blog_url]
    urls += [item.attachment_url for item in export.items if item.post_type == "attachment"]
    hosts = (urlsplit(url.strip()).hostname for url in urls if url.strip())
    return sorted({host for host in hosts if host})


def urls_in(html_text: str) -> list[str]:
    """Image addresses in sanitized body HTML: ``<img src>``, and links to image files."""
    from html import unescape

    found = [unescape(url) for url in IMG_SRC.findall(html_text)]
    for url in A_HREF.findall(html_text):
        url = unescape(url)
        if PurePosixPath(urlsplit(url).path).suffix.lower() in IMAGE_EXTENSIONS:
            found.append(url)
    return found


def stable_name(url: str) -> str:
    """Where the copy of ``url`` lives under MEDIA_ROOT: ``imported/<host>/<path>``, made safe.

    Raises ``MediaError`` for an address that is not http or https.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise MediaError("not an http or https address: not fetched")
    host = UNSAFE.sub("-", parts.hostname).strip(".-") or "host"
    if parts.port:
        host += f"_{parts.port}"
    original = unquote(parts.path)
    segments = []
    for segment in original.replace("\\", "/").split("/"):
        if segment in {"", ".", ".."}:
            continue
        cleaned = UNSAFE.sub("-", segment).strip(".-")[:MAX_SEGMENT]
        if cleaned:
            segments.append(cleaned)
    if not segments:
        segments = ["image"]
    stem, suffix = os.path.splitext(segments[-1])
    if suffix.lower() not in IMAGE_EXTENSIONS:
        stem, suffix = segments[-1], ""  # the image's real extension is added once it is read
    changed = "/".join(segments) != original.strip("/") or parts.query
    folder = "/".join([FOLDER, host, *segments[:-1]])
    if changed or len(folder) + len(segments[-1]) > MAX_NAME - 30:
        digest = hashlib.sha256(f"{parts.path}?{parts.query}".encode()).hexdigest()[:10]
        stem = f"{stem[:40]}-{digest}"
        if len(folder) + len(stem) > MAX_NAME - 10:
            folder = f"{FOLDER}/{host}"[: MAX_NAME - 60]
    return f"{folder}/{stem}{suffix.lower()}"


def plan(export: WxrExport, posts: Iterable[WxrItem]) -> MediaPlan:
    """The images ``posts`` use on the exporting site's hosts, and their featured images."""
    hosts = own_hosts(export)
    result = MediaPlan(hosts=hosts)
    items = {item.wp_id: item for item in export.items if item.post_type == "attachment"}
    attachments = content.Attachments.of(items.values())

    def want(url: str) -> None:
        if url in result.names or url in result.refused:
            return
        try:
            result.names[url] = stable_name(url)
        except MediaError as error:
            result.refused[url] = str(error)

    for post in posts:
        body = content.body_html(
            post.content,
            base_url=export.base_site_url,
            attachments=attachments,
            post_id=post.wp_id,
        )
        for url in urls_in(body):
            if urlsplit(url).hostname in hosts:
                want(url)
        thumbnail = post.meta.get("_thumbnail_id", "")
        attachment = items.get(int(thumbnail)) if thumbnail.isdigit() else None
        if attachment is not None and attachment.attachment_url:
            url = attachment.attachment_url
            result.featured[post.wp_id] = Featured(
                url=url,
                alt=content.plain(attachment.meta.get("_wp_attachment_image_alt", ""))[:300],
                caption=content.plain(attachment.excerpt)[:500],
            )
            want(url)
    return result


def copy(
    media: MediaPlan,
    *,
    dry_run: bool = False,
    on_progress: Callable[[int, int], object] | None = None,
) -> MediaCopy:
    """Fetch every planned file not yet under MEDIA_ROOT (nothing on a dry run).

    Never raises for a file that cannot be had: it is listed in ``failures``.
    """
    result = MediaCopy(plan=media, dry_run=dry_run, failures=dict(media.refused))
    root = Path(settings.MEDIA_ROOT)
    done: dict[str, str] = {}  # stable name → the name actually stored
    missing: dict[str, str] = {}
    for name, url in media.files.items():
        present = existing(root, name)
        if present:
            done[name] = present
        else:
            missing[name] = url
    result.already_there = len(done)
    report = on_progress or (lambda finished, total: None)
    if not dry_run:
        report(0, len(missing))
        limit = settings.BYLINE_IMPORT_MEDIA_MAX_BYTES
        timeout = settings.BYLINE_IMPORT_MEDIA_TIMEOUT
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = {
                pool.submit(fetch_and_store, url, name, root, limit, timeout): name
                for name, url in missing.items()
            }
            for finished, future in enumerate(as_completed(futures), 1):
                name = futures[future]
                try:
                    done[name] = future.result()
                    result.fetched += 1
                except MediaError as error:
                    result.failures[missing[name]] = str(error)
                report(finished, len(missing))
    for url, name in media.names.items():
        if name in done:
            result.stored[url] = done[name]
    return result


def existing(root: Path, name: str) -> str | None:
    """The stored name of an earlier copy of ``name``, if there is one."""
    if os.path.splitext(name)[1] in IMAGE_EXTENSIONS:
        candidates = [name]
    else:
        candidates = [name + extensions[0] for extensions in FORMATS.values()]
    return next((c for c in candidates if (root / c).is_file()), None)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in {"http", "https"}:
            raise MediaError(f"redirected to {newurl[:100]}, which is not http or https")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_and_store(url: str, name: str, root: Path, limit: int, timeout: float) -> str:
    """Download ``url``, check it is an image, store it at ``name`` (plus its extension)."""
    data = fetch(url, limit, timeout)
    image_format = check_image(data)
    if os.path.splitext(name)[1] not in IMAGE_EXTENSIONS:
        name += FORMATS[image_format][0]
    try:
        store(root, name, data)
    except OSError as error:
        raise MediaError(f"could not be written to the media folder ({error})") from None
    return name


def fetch(url: str, limit: int, timeout: float) -> bytes:
    """The body of ``url``, at most ``limit`` bytes, within ``timeout`` a step (10× in all)."""
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        raise MediaError("not an http or https address: not fetched")
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 (http(s) only, checked above)
    deadline = time.monotonic() + 10 * timeout
    too_big = f"too big (over {limit:,} bytes)"
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise MediaError(too_big)
            chunks, size = [], 0
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise MediaError(too_big)
                if time.monotonic() > deadline:
                    raise MediaError(f"timed out (over {10 * timeout:g} seconds in all)")
                chunks.append(chunk)
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400 and error.headers.get("Location"):
            # urllib refuses to follow file:, data: and the like itself; we refuse ftp: too.
            location = error.headers["Location"][:100]
            raise MediaError(f"redirected to {location}, which is not http or https") from None
        raise MediaError(f"HTTP {error.code} {error.reason}".strip()) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise MediaError(f"timed out (no answer within {timeout:g} seconds)") from None
        raise MediaError(f"could not connect ({error.reason})") from None
    except TimeoutError:
        raise MediaError(f"timed out (no answer within {timeout:g} seconds)") from None
    except (HTTPException, OSError, ValueError) as error:
        raise MediaError(f"the download failed ({error.__class__.__name__}: {error})") from None
    return b"".join(chunks)


def check_image(data: bytes) -> str:
    """The Pillow format of ``data`` if it is a JPEG, PNG, GIF or WebP image; else MediaError."""
    try:
        with Image.open(BytesIO(data), formats=list(FORMATS)) as image:
            image_format = image.format or ""
            image.verify()
    except Image.DecompressionBombError:
        raise MediaError("not copied: the image has too many pixels") from None
    except Exception:  # Pillow raises many kinds for bytes it cannot read
        raise MediaError("not an image (JPEG, PNG, GIF or WebP)") from None
    if image_format not in FORMATS:
        raise MediaError("not an image (JPEG, PNG, GIF or WebP)")
    return image_format


def store(root: Path, name: str, data: bytes) -> None:
    """Write ``data`` at ``root/name`` whole or not at all (a reader never sees half a file)."""
    target = (root / name).resolve()
    if not target.is_relative_to(root.resolve()):
        raise MediaError("refused: the file name leaves the media folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, settings.FILE_UPLOAD_PERMISSIONS or 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
