"""Turning a WordPress post body into the HTML an article keeps.

WordPress stores bodies with blank lines for paragraphs (``wpautop`` adds the
``<p>`` tags when it shows them), shortcodes such as ``[caption]`` and
``[embed]``, and embedded players. Byline keeps the HTML: paragraphs are made
explicit, images stay images (pointing at their original address, or at the
copy ``import-wxr --copy-media`` made, see ``wxr_media``), captions become
``<figure>``, embeds and players become plain links, and the result is
sanitized with nh3 like every article body.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from byline.articles.rendering import plain_text, sanitize

BLOCK = (
    "address|article|aside|blockquote|caption|dd|details|div|dl|dt|figcaption|figure|footer|"
    "form|h[1-6]|header|hr|li|main|nav|ol|p|pre|script|section|style|table|tbody|td|tfoot|th|"
    "thead|tr|ul"
)
BLOCK_OPEN = re.compile(rf"(<(?:{BLOCK})\b[^>]*>)", re.I)
BLOCK_CLOSE = re.compile(rf"(</(?:{BLOCK})\s*>)", re.I)
STARTS_WITH_BLOCK = re.compile(rf"^</?(?:{BLOCK})\b", re.I)
PRE = re.compile(r"<pre\b.*?</pre\s*>", re.I | re.S)
EMBED = re.compile(r"<(iframe|video|audio|embed|object)\b([^>]*)>(?:.*?</\1\s*>)?", re.I | re.S)
SOURCE_URL = re.compile(r"""\b(?:src|data)\s*=\s*["']([^"']+)["']""", re.I)
SHORTCODE_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
CAPTION = re.compile(r"\[(?:wp_)?caption\b([^\]]*)\](.*?)\[/(?:wp_)?caption\]", re.I | re.S)
EMBED_SHORTCODE = re.compile(r"\[embed\b[^\]]*\](.*?)\[/embed\]", re.I | re.S)
MEDIA_SHORTCODE = re.compile(r"\[(video|audio|playlist)\b([^\]]*)\](?:(.*?)\[/\1\])?", re.I | re.S)
GALLERY = re.compile(r"\[gallery\b([^\]]*)\]", re.I)
BARE_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"']+)[ \t]*$", re.M)
IMG = re.compile(r"<img\b[^>]*>", re.I)
URL_ATTRIBUTE = re.compile(r'(\s(?:src|href)=")([^"]*)(")')
ANY_SHORTCODE = re.compile(r"\[/?[a-z][\w-]*(?:\s[^\]]*)?\]", re.I)
MEDIA_ATTRIBUTES = {"src", "mp4", "m4v", "webm", "ogv", "mp3", "ogg", "wav", "m4a"}
KNOWN_SHORTCODES = {"caption", "wp_caption", "embed", "video", "audio", "playlist", "gallery"}


def shortcode_attrs(text: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
            for m in SHORTCODE_ATTR.finditer(text)}  # fmt: skip


def link(url: str) -> str:
    url = html.unescape(url.strip())
    return f'<a href="{html.escape(url)}">{html.escape(url)}</a>'


def _embed_as_link(match: re.Match) -> str:
    found = SOURCE_URL.search(match.group(0))
    return f"\n\n<p>{link(found.group(1))}</p>\n\n" if found else ""


def _caption(match: re.Match) -> str:
    attrs = shortcode_attrs(match.group(1))
    inner = match.group(2).strip()
    image = re.search(r"(?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?", inner, re.I | re.S)
    caption = attrs.get("caption", "")
    if image:
        caption = (inner[: image.start()] + inner[image.end() :]).strip() or caption
        inner = image.group(0)
    caption_html = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"\n\n<figure>{inner}{caption_html}</figure>\n\n"


def _media(match: re.Match) -> str:
    attrs = shortcode_attrs(match.group(2))
    urls = [value for key, value in attrs.items() if key in MEDIA_ATTRIBUTES]
    return f"\n\n<p>{link(urls[0])}</p>\n\n" if urls else ""


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
        chunk = chunk.strip()
        if not chunk:
            continue
        if STARTS_WITH_BLOCK.match(chunk) or re.fullmatch(r"\x00\d+\x00", chunk):
            blocks.append(chunk)
        else:
            blocks.append("<p>" + re.sub(r"\s*\n\s*", "<br>\n", chunk) + "</p>")
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


def body_html(
    content: str,
    *,
    base_url: str = "",
    attachments: Mapping[int, str] = {},  # noqa: B006 (read only)
    new_urls: Mapping[str, str] = {},  # noqa: B006 (read only)
) -> str:
    """A WordPress post body as sanitized article HTML.

    ``new_urls`` maps addresses of images (as they appear once relative ones are
    made absolute) to where their copies are served; the rewritten HTML is
    sanitized again.
    """
    text = CAPTION.sub(_caption, content)
    text = EMBED_SHORTCODE.sub(lambda m: f"\n\n<p>{link(m.group(1))}</p>\n\n", text)
    text = MEDIA_SHORTCODE.sub(_media, text)
    text = GALLERY.sub(lambda m: _gallery(m, attachments), text)
    text = EMBED.sub(_embed_as_link, text)
    text = BARE_URL_LINE.sub(lambda m: link(m.group(1)), text)
    converted = absolutize(sanitize(autop(text)), base_url)
    if new_urls:
        converted = sanitize(replace_urls(converted, new_urls))
    return converted.strip()


def _gallery(match: re.Match, attachments: Mapping[int, str]) -> str:
    ids = [int(i) for i in re.findall(r"\d+", shortcode_attrs(match.group(1)).get("ids", ""))]
    images = [f'<img src="{html.escape(attachments[i])}" alt="">' for i in ids if i in attachments]
    return f"\n\n<figure>{''.join(images)}</figure>\n\n" if images else ""


def unknown_shortcodes(content: str) -> set[str]:
    """Shortcodes the conversion does not understand (left in the text as they were)."""
    names = {m.group(0).strip("[]/").split()[0].lower() for m in ANY_SHORTCODE.finditer(content)}
    return names - KNOWN_SHORTCODES


def as_markdown_source(html_body: str) -> str:
    """Store HTML in the Markdown body so Markdown passes it through untouched.

    Markdown leaves a block-level HTML element alone; wrapping the body in one
    ``<div>`` (which sanitizing removes again) keeps ``*``, ``_`` and ``#`` in
    the text from being read as Markdown.
    """
    return f"<div>\n{html_body}\n</div>" if html_body else ""


def plain(text: str) -> str:
    """A title or excerpt as plain text: tags dropped, entities decoded, spaces collapsed."""
    return plain_text(text) if "<" in text or "&" in text else " ".join(text.split())
