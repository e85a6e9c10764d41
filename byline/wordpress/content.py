"""Turning a WordPress post body into the HTML an article keeps.

WordPress stores bodies in two shapes: the classic editor's text (blank lines
for paragraphs, which ``wpautop`` turns into ``<p>`` when it shows them, and
shortcodes such as ``[caption]`` and ``[gallery]``), and the block editor's
HTML between ``<!-- wp:name {json} -->`` markers. Both become the same clean,
sanitized HTML:

- block markers, ``<!--more-->`` and ``<!--nextpage-->`` leave nothing behind;
- WordPress's classes become a small fixed vocabulary (``rendering.ALLOWED_CLASSES``):
  alignment (``alignleft`` … ``alignfull``) and what a block is (``gallery``,
  ``columns``/``column``, ``cover``, ``pullquote``, ``buttons``, ``separator``);
  no style attribute or script is ever kept;
- ``[caption]`` becomes ``<figure>`` with ``<figcaption>``; ``[gallery]`` a
  ``<figure class="gallery">`` of its images, found by ``ids`` or, without
  them, as WordPress does, among the attachments whose parent is the post;
- embeds (the embed block, ``[embed]``, a bare address on its own line, an
  ``<iframe>``, ``[video]``, ``[audio]``, the tweet and Instagram quotes) become
  ``<figure class="embed" data-provider="youtube"><a href="…">…</a></figure>``:
  a plain link that loads nothing from the provider, which a later renderer
  may upgrade to a player;
- a synced pattern (``<!-- wp:block {"ref": N} /-->``) becomes its content, as
  the export's ``wp_block`` item N holds it; the footnotes block, the notes of the
  post's ``footnotes`` meta, each reference linked to its note and back;
- ``<h1>`` in a body becomes ``<h2>`` (the page's ``<h1>`` is the headline);
- shortcodes Byline does not know are removed (their content kept) and reported.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from byline.articles.rendering import SPACING, control_references, plain_text, sanitize

BLOCK = (
    "address|article|aside|blockquote|caption|dd|details|div|dl|dt|figcaption|figure|footer|"
    "form|h[1-6]|header|hr|li|main|nav|ol|p|pre|script|section|style|table|tbody|td|tfoot|th|"
    "thead|tr|ul"
)
BLOCK_OPEN = re.compile(rf"(<(?:{BLOCK})\b[^>]*>)", re.I)
BLOCK_CLOSE = re.compile(rf"(</(?:{BLOCK})\s*>)", re.I)
STARTS_WITH_BLOCK = re.compile(rf"^</?(?:{BLOCK})\b", re.I)
# The spaces WordPress's wpautop trims around a paragraph or a line break (PHP's trim and
# \s, ASCII only): a no-break, thin or narrow no-break space there is the writer's
# (French typography, an indent written with no-break spaces) and stays.
ASCII_SPACE = " \t\n\r\x0b\x0c"
LINE_END = re.compile(r"[ \t\r\x0b\x0c]*\n[ \t\r\x0b\x0c]*")
PRE = re.compile(r"<pre\b.*?</pre\s*>", re.I | re.S)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
EMBED_BLOCK = re.compile(
    r"<!--\s*wp:(?:core-)?embed(?:/[\w-]+)?\s*(\{.*?\})?\s*-->(.*?)<!--\s*/wp:(?:core-)?embed"
    r"(?:/[\w-]+)?\s*-->",
    re.S,
)
# A synced pattern (reusable block) used in a post: its content is the wp_block item's.
PATTERN_BLOCK = re.compile(
    r"<!--\s*wp:block\s+(\{.*?\})\s*/?-->(?:.*?<!--\s*/wp:block\s*-->)?", re.S
)
PATTERN_DEPTH = 3  # patterns inside patterns, as far as a real site nests them
# The block editor's footnotes: a numbered reference in the text, the notes in post meta.
FOOTNOTE_REF = re.compile(
    r'<sup\b[^>]*?\bdata-fn="([^"]+)"[^>]*>\s*<a\b[^>]*>(.*?)</a>\s*</sup\s*>', re.I | re.S
)
FOOTNOTES_BLOCK = re.compile(r"<!--\s*wp:footnotes\b.*?-->", re.S)
EMBED = re.compile(r"<(iframe|video|audio|embed|object)\b([^>]*)>(?:.*?</\1\s*>)?", re.I | re.S)
SOURCE_URL = re.compile(r"""\b(?:src|data)\s*=\s*["']([^"']+)["']""", re.I)
SHORTCODE_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+))""")
CAPTION = re.compile(r"\[(?:wp_)?caption\b([^\]]*)\](.*?)\[/(?:wp_)?caption\]", re.I | re.S)
EMBED_SHORTCODE = re.compile(r"\[embed\b[^\]]*\](.*?)\[/embed\]", re.I | re.S)
MEDIA_SHORTCODE = re.compile(r"\[(video|audio|playlist)\b([^\]]*)\](?:(.*?)\[/\1\])?", re.I | re.S)
GALLERY = re.compile(r"\[gallery\b([^\]]*)\]", re.I)
SOCIAL_QUOTE = re.compile(
    r"<blockquote\b[^>]*class=[\"'][^\"']*\b(twitter-tweet|instagram-media|tiktok-embed)\b"
    r"[^>]*>(.*?)</blockquote\s*>",
    re.I | re.S,
)
SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
BARE_URL_LINE = re.compile(r"^[ \t]*(?:<p>\s*)?(https?://[^\s<>\"']+)(?:\s*</p>)?[ \t]*$", re.M)
URL_ATTRIBUTE = re.compile(r'(\s(?:src|href)=")([^"]*)(")')
CLASS_ATTRIBUTE = re.compile(r"""(<[a-zA-Z][\w-]*\b[^>]*?\s)class\s*=\s*(["'])(.*?)\2""", re.S)
H1 = re.compile(r"<(/?)h1\b", re.I)
# A shortcode as WordPress writes one: [name], [name attr="x"], [name]...[/name], [name /].
ANY_SHORTCODE = re.compile(r"\[(/?)([a-z][\w-]*)((?:\s[^\[\]]*)?)(/?)\]", re.I)
MEDIA_ATTRIBUTES = ("src", "mp4", "m4v", "webm", "ogv", "mp3", "ogg", "wav", "m4a", "flv")
KNOWN_SHORTCODES = {"caption", "wp_caption", "embed", "video", "audio", "playlist", "gallery"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".svg"}
AUDIO_EXTENSIONS = {".mp3", ".ogg", ".oga", ".wav", ".m4a", ".flac", ".aac"}
VIDEO_EXTENSIONS = {".mp4", ".m4v", ".webm", ".ogv", ".mov", ".flv", ".avi", ".wmv"}
PROVIDERS = {
    "youtube.com": "youtube", "youtu.be": "youtube", "youtube-nocookie.com": "youtube",
    "vimeo.com": "vimeo", "twitter.com": "twitter", "x.com": "twitter",
    "instagram.com": "instagram", "facebook.com": "facebook", "fb.watch": "facebook",
    "soundcloud.com": "soundcloud", "spotify.com": "spotify", "tiktok.com": "tiktok",
    "dailymotion.com": "dailymotion", "flickr.com": "flickr", "wordpress.tv": "wordpress-tv",
    "ted.com": "ted", "reddit.com": "reddit", "tumblr.com": "tumblr", "scribd.com": "scribd",
    "slideshare.net": "slideshare", "mixcloud.com": "mixcloud", "imgur.com": "imgur",
    "giphy.com": "giphy", "kickstarter.com": "kickstarter", "bsky.app": "bluesky",
    "mastodon.social": "mastodon", "pinterest.com": "pinterest", "twitch.tv": "twitch",
    "bandcamp.com": "bandcamp", "issuu.com": "issuu", "archive.org": "internet-archive",
}  # fmt: skip
# WordPress's block classes in Byline's vocabulary (rendering.ALLOWED_CLASSES).
CLASS_NAMES = {
    "wp-block-gallery": "gallery", "gallery": "gallery", "wp-block-columns": "columns",
    "wp-block-column": "column", "wp-block-cover": "cover", "wp-block-cover-image": "cover",
    "wp-block-cover__inner-container": "cover-text", "wp-block-pullquote": "pullquote",
    "wp-block-table": "table", "wp-block-image": "image", "wp-block-buttons": "buttons",
    "wp-block-button__link": "button", "wp-block-separator": "separator",
    "wp-block-audio": "audio", "wp-block-video": "video", "embed": "embed",
    "alignleft": "alignleft", "alignright": "alignright", "aligncenter": "aligncenter",
    "alignwide": "alignwide", "alignfull": "alignfull", "has-text-align-center":
    "has-text-align-center", "has-text-align-right": "has-text-align-right",
    "has-text-align-left": "has-text-align-left",
}  # fmt: skip
# Shortcodes that are surely not prose even without attributes (page builders, forms).
SHORTCODE_PREFIXES = ("vc_", "et_pb_", "fusion_", "av_", "su_", "wpforms", "contact-form")


@dataclass(frozen=True)
class Attachment:
    url: str
    parent_id: int = 0
    menu_order: int = 0
    alt: str = ""
    caption: str = ""
    link: str = ""


@dataclass
class Attachments:
    """The export's attachments, by id and by the post they were uploaded to."""

    by_id: dict[int, Attachment] = field(default_factory=dict)
    by_parent: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Iterable) -> Attachments:
        found = cls()
        for item in items:
            if item.post_type != "attachment" or not item.attachment_url:
                continue
            found.by_id[item.wp_id] = Attachment(
                url=item.attachment_url,
                parent_id=item.parent_id,
                menu_order=item.menu_order,
                alt=plain(item.meta.get("_wp_attachment_image_alt", "")),
                caption=plain(item.excerpt),
                link=item.link,
            )
            if item.parent_id:
                found.by_parent.setdefault(item.parent_id, []).append(item.wp_id)
        for ids in found.by_parent.values():
            ids.sort(key=lambda i: (found.by_id[i].menu_order, i))
        return found

    @classmethod
    def from_urls(cls, urls: Mapping[int, str]) -> Attachments:
        return cls(by_id={wp_id: Attachment(url=url) for wp_id, url in urls.items()})

    def of_post(self, post_id: int, extensions: set[str]) -> list[int]:
        return [
            i for i in self.by_parent.get(post_id, []) if extension(self.by_id[i].url) in extensions
        ]


def extension(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).suffix.lower()


def shortcode_attrs(text: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
            for m in SHORTCODE_ATTR.finditer(text)}  # fmt: skip


def link(url: str, text: str = "") -> str:
    url = html.unescape(url.strip())
    return f'<a href="{html.escape(url)}">{html.escape(text or url)}</a>'


def provider_of(url: str) -> str:
    """``youtube``, ``twitter`` … for a known host; ``video`` or ``audio`` for a media file."""
    host = (urlsplit(html.unescape(url.strip())).hostname or "").lower()
    for known, name in PROVIDERS.items():
        if host == known or host.endswith("." + known):
            return name
    ext = extension(url)
    if ext in VIDEO_EXTENSIONS:
        return "video"
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    return ""


def embed(url: str, caption: str = "", provider: str = "") -> str:
    """The one markup every embed becomes: a figure with a plain link (and its caption)."""
    url = html.unescape(url.strip())
    if not url.lower().startswith(("http://", "https://")):
        return f"\n\n<p>{html.escape(caption)}</p>\n\n" if caption.strip() else ""
    provider = provider or provider_of(url) or "link"
    caption_html = f"<figcaption>{caption}</figcaption>" if caption.strip() else ""
    return (
        f'\n\n<figure class="embed" data-provider="{html.escape(provider)}">'
        f"{link(url)}{caption_html}</figure>\n\n"
    )


# An audio or video file's embed, once sanitized: its link gets the browser's own player.
PLAYABLE = re.compile(
    r'(<figure class="embed" data-provider="(audio|video)">)(<a href="([^"<>]+)"[^<>]*>[^<>]*</a>)'
)


def _player(match: re.Match) -> str:
    """A file WordPress plays itself ([audio], [video]): the browser's player, loading
    nothing until the reader presses play; the link stays inside for browsers without one."""
    figure, kind, anchor, url = match.groups()
    return f'{figure}<{kind} controls preload="none" src="{url}">{anchor}</{kind}>'


def _embed_block(match: re.Match) -> str:
    """``<!-- wp:embed {"url": …} -->`` and what it wraps: one embed figure."""
    try:
        attrs = json.loads(match.group(1) or "{}")
    except ValueError:
        attrs = {}
    inner = match.group(2)
    url = attrs.get("url") if isinstance(attrs, dict) else None
    if not isinstance(url, str) or not url:
        found = re.search(r"https?://[^\s<>\"']+", inner)
        url = found.group(0) if found else ""
    caption = re.search(r"<figcaption\b[^>]*>(.*?)</figcaption\s*>", inner, re.S | re.I)
    provider = attrs.get("providerNameSlug", "") if isinstance(attrs, dict) else ""
    provider = re.sub(r"[^a-z0-9-]", "", str(provider).lower())
    return embed(url, caption.group(1) if caption else "", provider_of(url) or provider)


def _social_quote(match: re.Match) -> str:
    kind, inner = match.group(1).lower(), match.group(2)
    urls = re.findall(r"""href=["'](https?://[^"']+)["']""", inner)
    provider = {"twitter-tweet": "twitter", "instagram-media": "instagram"}.get(kind, "tiktok")
    status = next(
        (u for u in reversed(urls) if provider_of(u) == provider), urls[-1] if urls else ""
    )
    return (
        f'\n\n<figure class="embed" data-provider="{provider}"><blockquote>{inner}</blockquote>'
        + (f"<figcaption>{link(status)}</figcaption>" if status else "")
        + "</figure>\n\n"
    )


def _iframe(match: re.Match) -> str:
    found = SOURCE_URL.search(match.group(0))
    if not found:
        return ""
    url = html.unescape(found.group(1))
    if url.startswith("//"):
        url = "https:" + url
    watch = re.match(r"https?://(?:www\.)?youtube(?:-nocookie)?\.com/embed/([\w-]{6,20})", url)
    if watch:
        url = f"https://www.youtube.com/watch?v={watch.group(1)}"
    return embed(url)


def _caption(match: re.Match) -> str:
    attrs = shortcode_attrs(match.group(1))
    inner = match.group(2).strip()
    image = re.search(r"(?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?", inner, re.I | re.S)
    caption = attrs.get("caption", "")
    if image:
        caption = (inner[: image.start()] + inner[image.end() :]).strip() or caption
        inner = image.group(0)
    align = attrs.get("align", "")
    class_html = f' class="{align}"' if align in {"alignleft", "alignright", "aligncenter"} else ""
    caption_html = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"\n\n<figure{class_html}>{inner}{caption_html}</figure>\n\n"


def _media(match: re.Match, attachments: Attachments, post_id: int) -> str:
    kind = match.group(1).lower()
    attrs = shortcode_attrs(match.group(2))
    urls = [attrs[key] for key in MEDIA_ATTRIBUTES if attrs.get(key)]
    if not urls and match.group(3) and match.group(3).strip().startswith("http"):
        urls = [match.group(3).strip()]
    if not urls:
        # As WordPress does: the first file of that kind attached to the post.
        wanted = AUDIO_EXTENSIONS if kind == "audio" else VIDEO_EXTENSIONS
        ids = [int(i) for i in re.findall(r"\d+", attrs.get("ids", ""))]
        ids = [i for i in ids if i in attachments.by_id] or attachments.of_post(post_id, wanted)
        urls = [attachments.by_id[i].url for i in ids]
    kind = kind if kind != "playlist" else attrs.get("type", "audio")
    return "".join(embed(url, provider=provider_of(url) or kind) for url in urls[:50])


def _gallery(match: re.Match, attachments: Attachments, post_id: int) -> str:
    """``[gallery]``: the images named by ``ids``, else the post's attached images."""
    attrs = shortcode_attrs(match.group(1))
    ids = [int(i) for i in re.findall(r"\d+", attrs.get("ids", "") or attrs.get("include", ""))]
    if not ids:
        parent = attrs.get("id", "")
        owner = int(parent) if parent.isdigit() else post_id
        excluded = {int(i) for i in re.findall(r"\d+", attrs.get("exclude", ""))}
        ids = [i for i in attachments.of_post(owner, IMAGE_EXTENSIONS) if i not in excluded]
    images = []
    for wp_id in ids:
        found = attachments.by_id.get(wp_id)
        if found is None:
            continue
        img = f'<img src="{html.escape(found.url)}" alt="{html.escape(found.alt)}">'
        caption = f"<figcaption>{html.escape(found.caption)}</figcaption>" if found.caption else ""
        images.append(f"<figure>{img}{caption}</figure>" if caption else img)
    return f'\n\n<figure class="gallery">{"".join(images)}</figure>\n\n' if images else ""


def _classes(match: re.Match) -> str:
    """WordPress classes in Byline's vocabulary; everything else is dropped."""
    kept = [CLASS_NAMES[name] for name in match.group(3).split() if name in CLASS_NAMES]
    if not kept:
        return match.group(1)
    return f'{match.group(1)}class="{" ".join(dict.fromkeys(kept))}"'


def _is_shortcode(match: re.Match, text: str) -> bool:
    """Whether ``[name …]`` is a shortcode rather than prose such as ``[sic]`` or ``[1]``."""
    closing, name, attrs, self_closing = match.groups()
    if closing or self_closing or "=" in attrs or "_" in name or "-" in name:
        return True
    if name.lower().startswith(SHORTCODE_PREFIXES):
        return True
    return f"[/{name}]".lower() in text.lower()


def remove_unknown_shortcodes(text: str) -> str:
    def drop(match: re.Match) -> str:
        if match.group(2).lower() in KNOWN_SHORTCODES or not _is_shortcode(match, text):
            return match.group(0)
        return ""

    return ANY_SHORTCODE.sub(drop, text)


def unknown_shortcodes(content: str) -> set[str]:
    """Shortcodes the conversion does not understand (removed from the text, content kept)."""
    return {
        m.group(2).lower()
        for m in ANY_SHORTCODE.finditer(content)
        if m.group(2).lower() not in KNOWN_SHORTCODES and _is_shortcode(m, content)
    }


def autop(text: str) -> str:
    """WordPress's paragraphs: blank lines end a paragraph, single newlines are line breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\n\n\x00{len(kept) - 1}\x00\n\n"

    text = PRE.sub(keep, text)
    text = BLOCK_OPEN.sub(r"\n\n\1", text)
    text = BLOCK_CLOSE.sub(r"\1\n\n", text)
    blocks = []
    for chunk in re.split(r"\n[ \t]*\n", text):
        chunk = chunk.strip(ASCII_SPACE)
        if not chunk:
            continue
        if STARTS_WITH_BLOCK.match(chunk) or re.fullmatch(r"\x00\d+\x00", chunk):
            blocks.append(chunk)
        else:
            blocks.append("<p>" + LINE_END.sub("<br>\n", chunk) + "</p>")
    joined = "\n\n".join(blocks)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], joined)


def absolutize(html_text: str, base_url: str) -> str:
    """Links and images written as ``/wp-content/...`` point back at the old site."""
    if not base_url:
        return html_text
    base = base_url.rstrip("/")
    return re.sub(r'(\s(?:src|href)=")/(?!/)', rf"\1{base}/", html_text)


def replace_urls(html_text: str, new_urls: Mapping[str, str]) -> str:
    """Point ``src`` and ``href`` attributes found in ``new_urls`` at their new address.

    ``html_text`` is sanitized HTML (attributes in double quotes, entities
    escaped); the result must be sanitized again, as ``body_html`` does.
    """
    if not new_urls:
        return html_text

    def swap(match: re.Match) -> str:
        new = new_urls.get(html.unescape(match.group(2)))
        return match.group(0) if new is None else f'{match.group(1)}{html.escape(new)}"'

    return URL_ATTRIBUTE.sub(swap, html_text)


EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|&nbsp;|<br>)*</p>\s*")


def patterns_of(items: Iterable) -> dict[int, str]:
    """The export's synced patterns WordPress shows: published, without a password."""
    return {
        item.wp_id: item.content
        for item in items
        if item.post_type == "wp_block" and item.status == "publish" and not item.password
    }


def with_patterns(text: str, patterns: Mapping[int, str], depth: int = PATTERN_DEPTH) -> str:
    """``<!-- wp:block {"ref": N} /-->`` replaced by pattern N's content (nothing when the
    export does not hold it, or WordPress would not show it)."""

    def swap(match: re.Match) -> str:
        try:
            ref = json.loads(match.group(1)).get("ref")
        except (ValueError, AttributeError):
            return ""
        found = patterns.get(ref) if isinstance(ref, int) else None
        if not found or depth <= 0:
            return ""
        return "\n\n" + with_patterns(found, patterns, depth - 1) + "\n\n"

    return PATTERN_BLOCK.sub(swap, text) if "wp:block" in text else text


def _note_id(raw: object) -> str:
    """A footnote's id as the sanitizer keeps it (rendering.FOOTNOTE_ID)."""
    return re.sub(r"[^\w-]", "", str(raw))[:80]


def with_footnotes(text: str, footnotes_meta: str) -> str:
    """References jump to ``fn:<id>``, and the footnotes block becomes the list of notes
    from the post's ``footnotes`` meta (a JSON list of ``{"id", "content"}``)."""
    if "data-fn=" not in text and "wp:footnotes" not in text:
        return text
    try:
        notes = json.loads(footnotes_meta) if footnotes_meta else []
    except ValueError:
        notes = []
    items = [
        f'<li id="fn:{_note_id(note.get("id"))}">{note.get("content", "")} '
        f'<a href="#fnref:{_note_id(note.get("id"))}">↩</a></li>'
        for note in (notes if isinstance(notes, list) else [])
        if isinstance(note, dict) and _note_id(note.get("id"))
    ]
    listed = f"\n\n<ol>{''.join(items)}</ol>\n\n" if items else ""
    text = FOOTNOTE_REF.sub(
        lambda m: (
            f'<sup id="fnref:{_note_id(m.group(1))}"><a href="#fn:{_note_id(m.group(1))}">'
            f"{m.group(2)}</a></sup>"
            if items
            else f"<sup>{m.group(2)}</sup>"
        ),
        text,
    )
    return FOOTNOTES_BLOCK.sub(lambda m: listed, text, count=1)


def body_html(
    content: str,
    *,
    base_url: str = "",
    attachments: Attachments | Mapping[int, str] | None = None,
    post_id: int = 0,
    new_urls: Mapping[str, str] = {},  # noqa: B006 (read only)
    patterns: Mapping[int, str] = {},  # noqa: B006 (read only)
    footnotes: str = "",
) -> str:
    """A WordPress post body as sanitized article HTML.

    ``attachments`` are the export's (``Attachments.of(export.items)``), for
    galleries and media shortcodes; ``post_id`` is the post's own WordPress id
    (a ``[gallery]`` without ids shows its attached images). ``new_urls`` maps
    addresses of images (as they appear once relative ones are made absolute)
    to where their copies are served; the rewritten HTML is sanitized again.
    ``patterns`` are the export's synced patterns (``patterns_of(export.items)``);
    ``footnotes`` the post's ``footnotes`` meta.
    """
    if attachments is None:
        attachments = Attachments()
    elif not isinstance(attachments, Attachments):
        attachments = Attachments.from_urls(attachments)
    text = with_patterns(content.replace("\r\n", "\n").replace("\r", "\n"), patterns)
    text = with_footnotes(text, footnotes)
    text = EMBED_BLOCK.sub(_embed_block, text)
    text = HTML_COMMENT.sub("\n", text)  # block markers, <!--more-->, <!--nextpage-->
    text = SOCIAL_QUOTE.sub(_social_quote, text)
    text = SCRIPT.sub("", text)
    text = CAPTION.sub(_caption, text)
    text = EMBED_SHORTCODE.sub(lambda m: embed(m.group(1)), text)
    text = MEDIA_SHORTCODE.sub(lambda m: _media(m, attachments, post_id), text)
    text = GALLERY.sub(lambda m: _gallery(m, attachments, post_id), text)
    text = remove_unknown_shortcodes(text)
    text = EMBED.sub(_iframe, text)
    text = BARE_URL_LINE.sub(_bare_url, text)
    text = H1.sub(r"<\1h2", text)
    text = CLASS_ATTRIBUTE.sub(_classes, text)
    converted = EMPTY_PARAGRAPH.sub("", absolutize(sanitize(autop(text)), base_url))
    if new_urls:
        converted = sanitize(replace_urls(converted, new_urls))
    return PLAYABLE.sub(_player, converted).strip()


def _bare_url(match: re.Match) -> str:
    """A lone address on its own line: WordPress embeds it when it knows the provider."""
    url = match.group(1)
    return embed(url) if provider_of(url) else f"<p>{link(url)}</p>"


def as_markdown_source(html_body: str) -> str:
    """Store HTML in the Markdown body so Markdown passes it through untouched.

    Markdown leaves a block-level HTML element alone; wrapping the body in one
    ``<section>`` (which sanitizing removes again) keeps ``*``, ``_`` and ``#``
    in the text from being read as Markdown.
    """
    return f"<section>\n{html_body}\n</section>" if html_body else ""


SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
SUP_SUB = re.compile(r"<(sup|sub)>([0-9+\-=()n]{1,8})</\1>", re.I)


def plain(text: str) -> str:
    """A title or excerpt as plain text: tags dropped, entities decoded, line breaks and
    plain spaces collapsed (no-break, thin and narrow no-break spaces are typography:
    kept, as in the body).

    Superscript and subscript digits keep their meaning as Unicode characters
    (``E=mc<sup>2</sup>`` → ``E=mc²``, ``H<sub>2</sub>O`` → ``H₂O``). A control given by
    a character reference is the raw character (``control_references``): the cleaning
    that follows (a headline's, a name's) takes "&#27;[31m" whole, as it takes the raw
    ``\x1b[31m``.
    """
    text = control_references(text)
    if "<" not in text and "&" not in text:
        return SPACING.sub(" ", text).strip()
    text = SUP_SUB.sub(
        lambda m: m.group(2).translate(SUPERSCRIPT if m.group(1).lower() == "sup" else SUBSCRIPT),
        text,
    )
    return plain_text(text, typography=True)
