"""What an editor's body holds that readers will not see: said aloud when they save.

The sanitizer removes every ``<iframe>``, ``<script>``, ``<object>`` and
``<embed>`` from an article (they could run anything on readers' pages). An
editor who pasted one from elsewhere must know it is gone, and what to do
instead, so saving shows a warning for each, naming where it pointed.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from byline.media import embeds
from byline.media.markup import referenced_ids

ACTIVE = {"iframe", "script", "object", "embed", "frame", "frameset", "applet"}


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE:
            values = dict(attrs)
            self.found.append((tag, values.get("src") or values.get("data") or ""))


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def removed_elements(source: str) -> list[str]:
    """One warning per iframe, script, object or embed in ``source`` (Markdown or HTML)."""
    finder = _Finder()
    finder.feed(source)
    finder.close()
    messages = []
    for tag, src in finder.found:
        host = _host(src)
        provider = embeds.provider_for_host(host) if host else None
        if tag == "iframe" and provider:
            messages.append(
                f"An <iframe> from {provider} ({host}) is not shown to readers. Paste the "
                f"{provider} page's address alone on its own line instead: Byline shows it "
                f"as an embed that loads nothing from {provider} until the reader clicks."
            )
        elif tag == "script":
            where = f" from {host}" if host else ""
            messages.append(
                f"A <script>{where} is not kept: scripts never run in an article. For a "
                f"post, video, map or chart, paste its address alone on a line "
                f"(embeds from: {embeds.PROVIDER_NAMES})."
            )
        else:
            where = f" from {host}" if host else ""
            messages.append(
                f"An <{tag}>{where} is not shown to readers: {host or 'its source'} is not on "
                f"the embed allow-list ({embeds.PROVIDER_NAMES}). Link to it instead."
            )
    return messages


def missing_images(source: str) -> list[str]:
    """A warning for each ``media:N`` reference to an image the library no longer has."""
    from byline.media.models import Image

    wanted = referenced_ids(source)
    if not wanted:
        return []
    present = set(Image.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    return [
        f"The body refers to library image {pk} (media:{pk}), which does not exist: readers "
        "see nothing there. Insert an image from the library again."
        for pk in sorted(wanted - present)
    ]


def body_warnings(source: str) -> list[str]:
    return removed_elements(source) + missing_images(source)
