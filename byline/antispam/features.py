"""What the filter reads in a comment's text: normalised words, links and their domains.

Pure functions, no database: the pipeline, the model and the benchmark share them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import urlsplit

# Characters that carry no meaning for the filter but can split or disguise words
# (zero-width spaces and joiners, the byte-order mark, soft hyphens).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TAG = re.compile(r"<[^>]{0,500}>")
# A link: a URL with a scheme, anything starting with www., or a bare host name
# ending in a common top-level domain, also when spaced out ("example . com").
_TLDS = (
    "com|net|org|info|biz|io|co|me|tv|us|uk|de|ru|cn|in|ly|gl|gd|be|cc|tk|ml|ga|cf|gq|"
    "xyz|top|site|online|club|shop|store|app|link|click|live|fr|es|it|nl|pl|br|au|ca"
)
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*\s?\.\s?(?:"
    + _TLDS
    + r")\b(?:/[^\s<>\"']*)?"
)
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")

# Services whose links hide where they lead.
SHORTENERS = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "adf.ly",
        "cutt.ly",
        "rb.gy",
        "shorturl.at",
        "tiny.cc",
        "rebrand.ly",
        "bl.ink",
        "t.ly",
        "s.id",
        "v.gd",
        "lnkd.in",
        "shorte.st",
        "clck.ru",
    }
)

# Texts longer than this are scored on their beginning and end only: enough to judge,
# and scoring time stays bounded whatever is pasted in.
MAX_MODEL_CHARS = 2000
URL_TOKEN = "zzurl"  # noqa: S105  (a marker word, not a secret)
SHOUTING_TOKEN = "zzshout"  # noqa: S105
EXCLAIM_TOKEN = "zzexclaim"  # noqa: S105
MARKER_WORDS = {
    URL_TOKEN: "a link",
    SHOUTING_TOKEN: "shouting in capitals",
    EXCLAIM_TOKEN: "many exclamation marks",
}


def encodable(text: str) -> str:
    """The text with what UTF-8 or PostgreSQL cannot hold (lone surrogates, NUL)
    replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def clean(text: str) -> str:
    """The text a person sees: entities decoded, tags and invisible characters removed."""
    text = text.translate(_INVISIBLE)
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return text


def bounded(text: str) -> str:
    if len(text) <= MAX_MODEL_CHARS:
        return text
    half = MAX_MODEL_CHARS // 2
    return text[:half] + " " + text[-half:]


def find_links(text: str) -> list[str]:
    """Every link-like string in the text, in order."""
    return [match.group(0) for match in _LINK.finditer(clean(bounded(text)))]


def domain_of(link: str) -> str:
    """The host name a link points to, lower-case, without ``www.``; "" if none."""
    link = link.strip().lower()
    if "://" not in link:
        link = "http://" + link.replace(" ", "")
    try:
        host = urlsplit(link).hostname or ""
    except ValueError:
        return ""
    host = host.strip(".")
    if host.startswith("www."):
        host = host[4:]
    return host[:253]


def link_domains(text: str, author_url: str = "") -> list[str]:
    """The distinct domains linked from the text (and the author's URL), in order."""
    links = find_links(text)
    if author_url:
        links.append(author_url)
    seen: dict[str, None] = {}
    for link in links:
        domain = domain_of(link)
        if domain and "." in domain:
            seen.setdefault(domain, None)
    return list(seen)


def _link_for_model(match: re.Match[str]) -> str:
    return f" {URL_TOKEN} {domain_of(match.group(0))} "


def for_model(text: str) -> str:
    """The text as the learned model reads it.

    A link becomes a marker word followed by the host it points to (its path and
    query, mostly noise, are dropped), digits become 0 so that phone numbers and
    prices look alike, and shouting or a volley of exclamation marks add a marker
    word each.
    """
    text = clean(bounded(text))
    letters = [c for c in text if c.isalpha()]
    markers = []
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.5:
        markers.append(SHOUTING_TOKEN)
    if text.count("!") >= 3:
        markers.append(EXCLAIM_TOKEN)
    text = _LINK.sub(_link_for_model, text)
    text = _DIGIT.sub("0", text).lower()
    if markers:
        text = text + " " + " ".join(markers)
    return text


def duplicate_key(text: str) -> str:
    """The text reduced so that trivial changes (case, spacing, accents) match."""
    text = unicodedata.normalize("NFKC", clean(text)).casefold()
    return _SPACE.sub(" ", text).strip()
