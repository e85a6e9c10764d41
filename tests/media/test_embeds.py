"""Embeds: a provider's URL alone on its line becomes a privacy facade that loads nothing
from the provider; hostile or unknown URLs stay plain text, and nothing executable is made."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byline.articles.rendering import render_markdown
from byline.media import embeds

DATA = Path(__file__).resolve().parents[1] / "data"
NAUGHTY = json.loads((DATA / "naughty" / "blns.json").read_text(encoding="utf-8"))
XSS = (DATA / "xss" / "payloads.txt").read_text(encoding="utf-8").splitlines()
ALLOWED_SRC = re.compile(
    r"https://(www\.youtube-nocookie\.com|player\.vimeo\.com|platform\.twitter\.com|"
    r"www\.instagram\.com|www\.tiktok\.com|open\.spotify\.com|www\.google\.com|"
    r"maps\.google\.com|datawrapper\.dwcdn\.net|flo\.uri\.sh)/[^\s\"'<>]*"
)

EXAMPLES = [
    ("https://www.youtube.com/watch?v=aqz-KE-bpKQ", "youtube",
     "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1"),
    ("https://youtu.be/aqz-KE-bpKQ", "youtube",
     "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1"),
    ("https://www.youtube.com/shorts/aqz-KE-bpKQ", "youtube",
     "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1"),
    ("https://vimeo.com/76979871", "vimeo", "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"),
    ("https://x.com/newsroom/status/1234567890123", "x",
     "https://platform.twitter.com/embed/Tweet.html?id=1234567890123&dnt=true"),
    ("https://twitter.com/newsroom/status/1234567890123", "x",
     "https://platform.twitter.com/embed/Tweet.html?id=1234567890123&dnt=true"),
    ("https://www.instagram.com/p/C0deAbc123/", "instagram",
     "https://www.instagram.com/p/C0deAbc123/embed/"),
    ("https://www.tiktok.com/@city.desk/video/7234567890123456789", "tiktok",
     "https://www.tiktok.com/embed/v2/7234567890123456789"),
    ("https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk", "spotify",
     "https://open.spotify.com/embed/episode/4rOoJ6Egrf8K2IrywzwOMk"),
    ("https://www.google.com/maps/place/Falmouth+Harbour", "google-maps",
     "https://maps.google.com/maps?q=Falmouth%20Harbour&output=embed"),
    ("https://datawrapper.dwcdn.net/AbC12/3/", "datawrapper", "https://datawrapper.dwcdn.net/AbC12/3/"),
    ("https://public.flourish.studio/visualisation/1234567/", "flourish",
     "https://flo.uri.sh/visualisation/1234567/embed"),
]  # fmt: skip


class Elements(HTMLParser):
    """Every element and attribute of a fragment, to look for anything that could run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


def assert_nothing_executable(html: str) -> None:
    for tag, attrs in elements(html):
        assert tag not in {"script", "iframe", "object", "embed", "frame", "form", "style"}, html
        for name, value in attrs.items():
            assert not name.startswith("on"), html
            assert name != "style", html
            text = (value or "").strip().lower()
            assert not text.startswith(("javascript:", "data:", "vbscript:")), html
            if name == "data-embed-src":
                assert ALLOWED_SRC.fullmatch(value or ""), html


@pytest.mark.parametrize(("url", "provider", "src"), EXAMPLES)
def test_a_providers_url_alone_on_its_line_becomes_a_facade(url, provider, src):
    html = render_markdown(f"Before.\n\n{url}\n\nAfter.")
    [(tag, attrs)] = [(t, a) for t, a in elements(html) if t == "figure"]
    assert attrs["class"] == "embed" and attrs["data-provider"] == provider
    assert attrs["data-embed-src"] == src
    assert "<iframe" not in html  # nothing from the provider until the reader clicks
    assert_nothing_executable(html)


def test_the_facade_is_a_labelled_placeholder_with_a_link_to_the_provider():
    """Not the bare address: what it is and where from ("Video on Vimeo"), and a link
    named by the provider's site; the page's script adds the Play button."""
    html = render_markdown("https://vimeo.com/76979871")
    assert '<span class="embed-label">Video on Vimeo</span>' in html
    assert (
        '<a class="embed-open" href="https://vimeo.com/76979871" rel="noopener noreferrer">'
        "Open on vimeo.com</a>"
    ) in html
    assert "nothing is loaded from Vimeo" in html and 'data-embed-action="Play"' in html
    assert ">https://vimeo.com" not in html  # the address is not the text


@pytest.mark.parametrize(
    ("url", "label", "site", "action"),
    [
        ("https://youtu.be/aqz-KE-bpKQ", "Video on YouTube", "youtube.com", "Play"),
        ("https://x.com/example/status/1760000000000000000", "Post on X", "x.com", "Show"),
        ("https://www.google.com/maps/place/Falmouth+Harbour", "Map on Google Maps",
         "google.com", "Show"),
        ("https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk", "Episode on Spotify",
         "open.spotify.com", "Play"),
    ],
)  # fmt: skip
def test_each_placeholder_says_what_it_is_and_where_it_opens(url, label, site, action):
    html = render_markdown(url)
    assert f'<span class="embed-label">{label}</span>' in html
    assert f">Open on {site}</a>" in html and f'data-embed-action="{action}"' in html


@pytest.mark.parametrize(
    ("url", "start"),
    [
        ("https://youtu.be/aqz-KE-bpKQ?t=42", 42),  # YouTube's "Share, start at 0:42"
        ("https://www.youtube.com/watch?v=aqz-KE-bpKQ&t=90s", 90),
        ("https://www.youtube.com/watch?v=aqz-KE-bpKQ&t=1h2m3s", 3723),
        ("https://www.youtube.com/watch?v=aqz-KE-bpKQ&start=15", 15),
    ],
)
def test_a_youtube_address_with_a_start_time_plays_from_there(url, start):
    """An editor who shares a clip "from 1:30" gets a player that starts at 1:30, and the
    facade's link keeps the time too."""
    html = render_markdown(url)
    [attrs] = [a for t, a in elements(html) if t == "figure"]
    assert attrs["data-embed-src"] == (
        f"https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1&start={start}"
    )
    assert f'href="https://www.youtube.com/watch?v=aqz-KE-bpKQ&amp;t={start}s"' in html
    assert_nothing_executable(html)


@pytest.mark.parametrize("t", ["", "0", "abc", "1x", "-5", "9" * 30, "1m<script>"])
def test_a_start_time_that_is_no_time_is_left_out(t):
    embed = embeds.parse(f"https://www.youtube.com/watch?v=aqz-KE-bpKQ&t={t}")
    assert embed is not None
    assert embed.src == "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1"


def test_an_autolinked_url_alone_on_its_line_is_an_embed_too():
    assert 'data-provider="youtube"' in render_markdown("<https://youtu.be/aqz-KE-bpKQ>")


@pytest.mark.parametrize(
    "line",
    [
        "Watch https://www.youtube.com/watch?v=aqz-KE-bpKQ today",  # not alone on its line
        "https://example.com/watch?v=aqz-KE-bpKQ",  # not a provider
        "https://www.youtube.com.evil.example/watch?v=aqz-KE-bpKQ",
        "https://evil.example/?u=https://www.youtube.com/watch?v=aqz-KE-bpKQ",
        "https://user:pw@www.youtube.com/watch?v=aqz-KE-bpKQ",
        "https://www.youtube.com:8443/watch?v=aqz-KE-bpKQ",
        "javascript://www.youtube.com/%0aalert(1)",
        "ftp://vimeo.com/76979871",
        "https://www.youtube.com/watch?v=abc%22onload%3Dalert(1)",
        "https://www.youtube.com/watch?v=<script>",
        "https://vimeo.com/not-a-number",
        "https://open.spotify.com/track/../../evil",
        "https://www.google.com/search?q=not+a+map",
    ],
)
def test_anything_else_stays_the_text_it_was(line):
    html = render_markdown(line)
    assert "data-embed-src" not in html
    assert_nothing_executable(html)


def test_hostile_strings_from_the_naughty_and_xss_lists_make_nothing_executable():
    for payload in NAUGHTY + XSS:
        for source in (payload, f"https://www.youtube.com/watch?v={payload}",
                       f"https://www.youtube.com/{payload}", f"<{payload}>"):  # fmt: skip
            assert_nothing_executable(render_markdown(source))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    host=st.sampled_from(sorted(embeds.BY_HOST) + ["evil.example", "youtube.com.evil"]),
    path=st.text(max_size=80),
    query=st.text(max_size=80),
    scheme=st.sampled_from(["https", "http", "javascript", "data", "HTTPS", ""]),
)
def test_any_url_parses_to_an_allow_listed_player_or_to_nothing(host, path, query, scheme):
    """Whatever the URL, an embed's player address is built by us, on an allowed host."""
    url = f"{scheme}://{host}/{path}?{query}"
    embed = embeds.parse(url)
    if embed is not None:
        assert ALLOWED_SRC.fullmatch(embed.src)
        assert embed.url.startswith("https://")
    assert_nothing_executable(render_markdown(url))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_body_renders_without_anything_executable(body):
    assert_nothing_executable(render_markdown(body))


# The labelled placeholder of an imported embed: its caption (the import's own) and the
# provider/address it names, through the import's sanitizer and the exporter's way back.
YOUTUBE = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"


def imported_facade(caption: str, url: str = YOUTUBE, provider: str = "") -> str:
    from byline.articles.rendering import expand, sanitize
    from byline.wordpress.content import embed

    return expand(sanitize(embed(url, caption, provider)))


def test_hostile_captions_from_the_naughty_and_xss_lists_stay_text_in_the_placeholder():
    from byline.wordpress import exporter

    for payload in NAUGHTY + XSS:
        html = imported_facade(payload)
        assert_nothing_executable(html)
        assert 'class="embed-label">Video on YouTube</span>' in html, payload
        exported = exporter.wordpress_embeds(html)
        assert "wp:embed" in exported and "embed-facade" not in exported, payload
        assert_nothing_executable(exported)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    caption=st.text(max_size=200),
    provider=st.text(max_size=30),
    path=st.text(max_size=60),
    host=st.sampled_from(sorted(embeds.BY_HOST) + ["evil.example"]),
)
def test_any_imported_embed_makes_a_placeholder_or_a_link_and_nothing_executable(
    caption, provider, path, host
):
    html = imported_facade(caption, f"https://{host}/{path}", provider)
    assert_nothing_executable(html)
    for label in re.findall(r'<span class="embed-label">([^<]*)</span>', html):
        assert re.fullmatch(r"[A-Z][a-z]+ on [A-Za-z .]+", label), label
