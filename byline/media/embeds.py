"""Embeds: a provider's URL alone on its line becomes a privacy facade.

An editor pastes the address of a video, post, map or chart on its own line.
If the address belongs to a provider of the allow-list below and has the shape
that provider uses, the line becomes a ``<figure class="embed">`` holding a
plain link to it: nothing is loaded from the provider. The page's small script
(``media/embeds.js``) turns the link into a button; a click swaps in the
provider's player (an ``<iframe>`` whose address this module built from the
identifiers it parsed, never the pasted text). Without JavaScript it stays a
link.

Parsing is strict: https or http only, an exact host from the list, no user
or password, the default port, and identifiers made of the characters each
provider uses. Anything else stays the text it was.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from django.utils.html import format_html
from django.utils.safestring import mark_safe

ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
NUMBER = re.compile(r"[0-9]{1,25}")
MAX_URL = 2000


@dataclass(frozen=True)
class Embed:
    provider: str  # the allow-list's key: youtube, vimeo...
    name: str  # for readers: "YouTube"
    kind: str  # "video", "post", "map"...
    url: str  # the canonical page, rebuilt from the identifiers
    src: str  # the player's address, rebuilt from the identifiers
    ratio: str = "16x9"  # the frame's shape: 16x9, 9x16, square, tall


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    hosts: frozenset[str]
    parse: Callable[[str, str, dict[str, list[str]]], Embed | None]


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _only(value: str | None, pattern: re.Pattern = ID) -> str | None:
    return value if value is not None and pattern.fullmatch(value) else None


def _youtube(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    video = None
    if host == "youtu.be" and len(parts) == 1:
        video = parts[0]
    elif parts == ["watch"]:
        video = (query.get("v") or [None])[0]
    elif len(parts) == 2 and parts[0] in {"shorts", "embed", "live"}:
        video = parts[1]
    video = _only(video)
    if not video:
        return None
    start = _start_seconds((query.get("t") or query.get("start") or [""])[0])
    return Embed(
        "youtube", "YouTube", "video",
        f"https://www.youtube.com/watch?v={video}" + (f"&t={start}s" if start else ""),
        f"https://www.youtube-nocookie.com/embed/{video}?autoplay=1"
        + (f"&start={start}" if start else ""),
    )  # fmt: skip


START = re.compile(r"(?:(\d{1,2})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s?)?")


def _start_seconds(value: str) -> int:
    """A YouTube start time (``42``, ``90s``, ``1h2m3s``) in seconds; 0 for anything else."""
    match = START.fullmatch(value)
    if not value or match is None:
        return 0
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _vimeo(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    video = None
    if host == "player.vimeo.com" and len(parts) == 2 and parts[0] == "video":
        video = parts[1]
    elif host != "player.vimeo.com" and len(parts) == 1:
        video = parts[0]
    video = _only(video, NUMBER)
    if not video:
        return None
    return Embed(
        "vimeo", "Vimeo", "video",
        f"https://vimeo.com/{video}", f"https://player.vimeo.com/video/{video}?dnt=1&autoplay=1",
    )  # fmt: skip


def _x(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    if len(parts) != 3 or parts[1] != "status":
        return None
    user, post = _only(parts[0]), _only(parts[2], NUMBER)
    if not (user and post):
        return None
    return Embed(
        "x", "X", "post",
        f"https://x.com/{user}/status/{post}",
        f"https://platform.twitter.com/embed/Tweet.html?id={post}&dnt=true",
        "tall",
    )  # fmt: skip


def _instagram(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    if len(parts) not in {2, 3} or parts[0] not in {"p", "reel", "tv"}:
        return None
    if len(parts) == 3 and parts[2] != "embed":
        return None
    code = _only(parts[1])
    if not code:
        return None
    return Embed(
        "instagram", "Instagram", "post",
        f"https://www.instagram.com/{parts[0]}/{code}/",
        f"https://www.instagram.com/{parts[0]}/{code}/embed/",
        "tall",
    )  # fmt: skip


def _tiktok(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    if len(parts) != 3 or not parts[0].startswith("@") or parts[1] != "video":
        return None
    user, video = _only(parts[0][1:].replace(".", "_")), _only(parts[2], NUMBER)
    if not (user and video):
        return None
    return Embed(
        "tiktok", "TikTok", "video",
        f"https://www.tiktok.com/{quote(parts[0])}/video/{video}",
        f"https://www.tiktok.com/embed/v2/{video}",
        "9x16",
    )  # fmt: skip


SPOTIFY_KINDS = {"track", "album", "playlist", "episode", "show", "artist"}


def _spotify(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    if parts and parts[0] == "embed":
        parts = parts[1:]
    if parts and re.fullmatch(r"intl-[a-z]{2}(-[A-Za-z]{2})?", parts[0]):
        parts = parts[1:]
    if len(parts) != 2 or parts[0] not in SPOTIFY_KINDS:
        return None
    item = _only(parts[1], re.compile(r"[A-Za-z0-9]{1,40}"))
    if not item:
        return None
    return Embed(
        "spotify", "Spotify", parts[0],
        f"https://open.spotify.com/{parts[0]}/{item}",
        f"https://open.spotify.com/embed/{parts[0]}/{item}",
        "square",
    )  # fmt: skip


MAP_PB = re.compile(r"[A-Za-z0-9!._%:-]{1,1500}")


def _google_maps(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    if parts[:1] != ["maps"]:
        return None
    if parts == ["maps", "embed"]:
        pb = _only((query.get("pb") or [None])[0], MAP_PB)
        if not pb:
            return None
        url = f"https://www.google.com/maps/embed?pb={quote(pb, safe='!._:-')}"
        return Embed("google-maps", "Google Maps", "map", url, url)
    place = (query.get("q") or [None])[0]
    if place is None and len(parts) >= 3 and parts[1] in {"place", "search"}:
        place = parts[2].replace("+", " ")
    if not place or len(place) > 200 or any(ord(c) < 32 for c in place):
        return None
    q = quote(place, safe="")
    return Embed(
        "google-maps", "Google Maps", "map",
        f"https://www.google.com/maps/search/?api=1&query={q}",
        f"https://maps.google.com/maps?q={q}&output=embed",
    )  # fmt: skip


def _datawrapper(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    if host == "datawrapper.dwcdn.net" and len(parts) in {1, 2}:
        chart, version = parts[0], parts[1] if len(parts) == 2 else "1"
    elif host == "www.datawrapper.de" and len(parts) == 2 and parts[0] == "_":
        chart, version = parts[1], "1"
    else:
        return None
    chart, version = _only(chart, re.compile(r"[A-Za-z0-9]{5}")), _only(version, NUMBER)
    if not (chart and version):
        return None
    url = f"https://datawrapper.dwcdn.net/{chart}/{version}/"
    return Embed("datawrapper", "Datawrapper", "chart", url, url, "square")


def _flourish(host: str, path: str, query: dict[str, list[str]]) -> Embed | None:
    parts = _segments(path)
    if len(parts) not in {2, 3} or parts[0] not in {"visualisation", "story"}:
        return None
    if len(parts) == 3 and parts[2] != "embed":
        return None
    number = _only(parts[1], NUMBER)
    if not number:
        return None
    return Embed(
        "flourish", "Flourish", "chart",
        f"https://public.flourish.studio/{parts[0]}/{number}/",
        f"https://flo.uri.sh/{parts[0]}/{number}/embed",
        "square",
    )  # fmt: skip


PROVIDERS = [
    Provider("youtube", "YouTube", frozenset({"www.youtube.com", "youtube.com", "m.youtube.com",
             "youtu.be", "www.youtube-nocookie.com"}), _youtube),
    Provider("vimeo", "Vimeo", frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"}),
             _vimeo),
    Provider("x", "X", frozenset({"x.com", "www.x.com", "twitter.com", "www.twitter.com",
             "mobile.twitter.com"}), _x),
    Provider("instagram", "Instagram", frozenset({"www.instagram.com", "instagram.com"}),
             _instagram),
    Provider("tiktok", "TikTok", frozenset({"www.tiktok.com", "tiktok.com"}), _tiktok),
    Provider("spotify", "Spotify", frozenset({"open.spotify.com"}), _spotify),
    Provider("google-maps", "Google Maps", frozenset({"www.google.com", "google.com",
             "maps.google.com"}), _google_maps),
    Provider("datawrapper", "Datawrapper", frozenset({"datawrapper.dwcdn.net",
             "www.datawrapper.de"}), _datawrapper),
    Provider("flourish", "Flourish", frozenset({"public.flourish.studio", "flo.uri.sh"}),
             _flourish),
]  # fmt: skip
BY_HOST = {host: provider for provider in PROVIDERS for host in provider.hosts}
PROVIDER_NAMES = ", ".join(provider.name for provider in PROVIDERS)


def parse(url: str) -> Embed | None:
    """The embed a pasted address stands for, or None when it is not one we allow."""
    url = url.strip()
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"https", "http"} or parts.username or parts.password:
        return None
    if port not in {None, 80, 443} or "@" in parts.netloc or "\\" in url:
        return None
    host = (parts.hostname or "").lower()
    provider = BY_HOST.get(host)
    if provider is None:
        return None
    try:
        query = parse_qs(parts.query, strict_parsing=False, max_num_fields=20)
    except ValueError:
        return None
    return provider.parse(host, parts.path, query)


def provider_for_host(host: str) -> str | None:
    provider = BY_HOST.get(host.lower())
    return provider.name if provider else None


# What the reader's button does to each kind of embed (media/embeds.js adds the button).
SHOWN = {"post", "map", "chart"}  # the rest (videos, tracks, albums...) play


def facade_html(embed: Embed, caption: str = "") -> str:
    """The figure the page holds until the reader asks for the provider's player: what
    it is and where from ("Video on YouTube"), and a link to it ("Open on youtube.com");
    the page's script adds a Play (or Show) button before the link.

    ``caption`` is sanitized HTML (an imported embed's own caption, its title when the
    embed has one), kept under the link."""
    host = (urlsplit(embed.url).hostname or "").removeprefix("www.")
    return format_html(
        '<figure class="embed" data-provider="{}" data-embed-src="{}" data-embed-ratio="{}"'
        ' data-embed-title="{} {}" data-embed-action="{}">'
        '<p class="embed-facade"><span class="embed-label">{} on {}</span> '
        '<a class="embed-open" href="{}" rel="noopener noreferrer">Open on {}</a></p>{}'
        '<figcaption class="embed-note">Shown from {} only when you ask: until then, '
        "nothing is loaded from {}.</figcaption></figure>",
        embed.provider, embed.src, embed.ratio, embed.name, embed.kind,
        "Show" if embed.kind in SHOWN else "Play",
        embed.kind.capitalize(), embed.name, embed.url, host,
        format_html('<div class="embed-caption">{}</div>', mark_safe(caption)) if caption else "",  # noqa: S308 (sanitized)
        embed.name, embed.name,
    )  # fmt: skip


LINE = re.compile(r"<p>([^<>]{1,2000})</p>")
# A facade as facade_html writes it (or wrote it, before its label): its provider, address
# and (imported) caption.
FACADE = re.compile(
    r'<figure class="embed" data-provider="([a-z0-9-]+)" data-embed-src="[^"<>]*"[^<>]*>'
    r'<p class="embed-facade">(?:<span class="embed-label">[^<>]*</span> )?'
    r'<a (?:class="embed-open" )?href="([^"<>]+)"[^<>]*>[^<>]*</a></p>'
    r'(?:<div class="embed-caption">((?:(?!</?figure).)*?)</div>)?'
    r'<figcaption class="embed-note">[^<>]*</figcaption></figure>',
    re.S,
)
# The plain-link figure a WordPress import makes of an embed (wordpress/content.py embed()).
IMPORTED = re.compile(
    r'<figure class="embed" data-provider="[a-z0-9-]*"><a href="([^"<>]{1,2000})"[^<>]*>'
    r"[^<>]{1,2000}</a>\s*(?:<figcaption>((?:(?!</?figure|</figcaption).)*)</figcaption>\s*)?"
    r"</figure>",
    re.S,
)
LINKED_LINE = re.compile(r'<p><a href="([^"<>]{1,2000})"[^<>]*>([^<>]{1,2000})</a></p>')


def expand_embeds(sanitized: str) -> str:
    """Turn paragraphs that are only an allow-listed provider's URL into facades, and
    the plain-link embeds of a WordPress import too."""
    if "://" not in sanitized:
        return sanitized

    def line(match: re.Match) -> str:
        embed = parse(html.unescape(match.group(1)))
        return facade_html(embed) if embed else match.group(0)

    def linked(match: re.Match) -> str:
        href, text = html.unescape(match.group(1)), html.unescape(match.group(2)).strip()
        if text not in {href, href.split("://", 1)[-1]}:
            return match.group(0)
        embed = parse(href)
        return facade_html(embed) if embed else match.group(0)

    def imported(match: re.Match) -> str:
        embed = parse(html.unescape(match.group(1)))
        return facade_html(embed, match.group(2) or "") if embed else match.group(0)

    return LINE.sub(line, LINKED_LINE.sub(linked, IMPORTED.sub(imported, sanitized)))
