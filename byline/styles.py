"""The site's stylesheet, written into every page rather than linked.

Linked, ``byline/site.css`` cost every new reader one request more than the
page, and a round trip before anything was painted (a stylesheet in the
``<head>`` blocks rendering until it arrives). On the night a story goes viral
most readers are new: half the page views asked for it, and after the
scripts were written into the article page (``byline.scripts``) it was the
largest part of nginx's work beyond the page (bench/readers.py). Written into
the page it costs nothing per view: the page is served whole from nginx's page
file (or the app's page cache), and a returning reader's revalidation (a 304)
does not resend it.

What that costs, and why it is worth it:

- **Returning readers pay bytes.** Each page they have not seen before (a
  200, not a 304) carries the stylesheet, 5.8 KB gzipped after ``minify``
  (7.6 KB before), where a linked one was fetched once a year
  (fingerprinted, ``immutable``): the demo article with 20 comments went
  from 17.2 to 22.9 KB gzipped. A new reader saves a request and a round
  trip before first paint (100-300 ms on a phone network); 5.8 KB is about
  50 ms at 1 Mbit/s. Most readers of a viral story read one page and leave:
  they are the readers that decide how many a server carries, and they are
  better off. To nginx the bigger page costs ~1.5 µs where the stylesheet's
  request cost ~12 (bench/nginx_kinds.py: "page styled" against "css").
- **Every page, not only pages served from nginx's page files.** One way of
  styling a page (``base.html``, and ``error_standalone.html``, the page shown
  when the database or Redis has failed: it is styled even if static files
  are not being served). Linking it only on the pages the app renders each
  time (search, forms, previews, errors) would save their readers nothing:
  they are a small share of views and their own render costs far more than
  5.8 KB. A reader who meets both kinds of page would fetch it anyway.
- **The admin keeps its linked stylesheets** (Django's admin.css and ours):
  editors are few and come back every day; the browser keeps them.
- **site.css stays a static file**: ``collectstatic`` keeps copying it, the
  editor's preview (``media.editor``) links it, and any page may still link
  it. It is read from the apps' static folders through Django's finders, as
  ``collectstatic`` finds it, and kept per process (read again on each page
  while ``DEBUG`` is on, so an edit shows at once).

What is written is ``minify(site.css)``: comments and the whitespace no CSS
grammar reads (collapsed to one space, or dropped beside ``{ } ;``) removed;
strings and escapes left as they are. Nothing that could change what a rule
means (no merging of rules, no shortening of values or colours). Whitespace
beside a comma stays: a value holding ``var()`` is kept as written until it
is used, so Chromium reads ``min(1px,var(--a))`` as a different value from
``min(1px, var(--a))`` (the same once substituted; 33 bytes gzipped were not
worth the doubt). The browser suite checks that Chromium reads the same rules,
written back, from the page as from the file.

A stylesheet holding ``</style`` (which would end the element and let the rest
be read as HTML) is refused with ``StyleError`` naming the file, at every page that
would carry it (nothing is kept until it is read whole): no page goes out
with it. Relative ``url()``s would resolve against the page, not the static
folder: site.css has none (keep it so). Should the site ever send a
Content-Security-Policy, the stylesheet is the same bytes on every page, so
``style-src 'sha256-…'`` (``style_hash``) allows it without 'unsafe-inline'.
"""

from __future__ import annotations

import re

from byline.scripts import csp_source, per_process, static_text

SITE_CSS = "byline/site.css"

# What would end the <style> element: the HTML parser reads its text raw until it.
_UNSAFE = re.compile(r"</style", re.IGNORECASE)
# A string or an escaped character (kept as they are), a comment, or a run of whitespace.
_PARTS = re.compile(
    r"""(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\\.)"""
    r"|(?P<comment>/\*.*?\*/)|(?P<space>\s+)",
    re.DOTALL,
)
# Beside these whitespace (and a comment) is no token of any rule's value or prelude.
_PUNCTUATION = frozenset("{};")


class StyleError(ValueError):
    """A stylesheet cannot be written into a page as it is."""


def minify(css: str) -> str:
    """``css`` without its comments and the whitespace no grammar reads.

    A comment or a run of whitespace beside ``{ } ;`` (or at either end)
    goes; elsewhere a run of whitespace becomes one space, and a comment with
    nothing else between its neighbours stays as ``/**/`` (``1px/* */2px`` is
    two tokens, ``1px2px`` would be one). Strings and escaped characters are
    left alone. ``;}`` becomes ``}`` (the empty declaration is nothing).
    """
    pieces: list[tuple[str, str]] = []  # (kind, text): "string", "code" or "gap"
    position = 0
    for match in _PARTS.finditer(css):
        pieces.append(("code", css[position : match.start()]))
        position = match.end()
        if match["string"]:  # a string, or an escape such as "\\ " in a name
            pieces.append(("string", match["string"]))
        else:
            pieces.append(("gap", " " if match["space"] else "/**/"))
    pieces.append(("code", css[position:]))
    pieces = [(kind, text) for kind, text in pieces if text]

    out: list[tuple[str, str]] = []
    gap_kept = False  # the last piece written is what was left of a gap
    for index, (kind, text) in enumerate(pieces):
        if kind == "gap":
            before = out[-1][1][-1] if out else "{"
            after = next((text[0] for _, text in pieces[index + 1 :] if text != "/**/"), "}")
            if gap_kept or before in _PUNCTUATION or after in _PUNCTUATION:
                continue
            if text == "/**/" and after.isspace():
                continue
            kind = "code"
        gap_kept = text in (" ", "/**/")
        if out and kind == "code" and out[-1][0] == "code":
            out[-1] = ("code", out[-1][1] + text)
        else:
            out.append((kind, text))
    return "".join(re.sub(r";+}", "}", text) if kind == "code" else text for kind, text in out)


def read_style(name: str) -> str:
    """The stylesheet ``name`` (a static path) as a page carries it: minified."""
    text = static_text(name, StyleError)
    written = minify(text)
    if _UNSAFE.search(text) or _UNSAFE.search(written):
        raise StyleError(f"{name} holds '</style', which would end the <style> element: link it")
    return written


page_style = per_process(read_style)
page_style.__doc__ = "``read_style`` as the page writes it: kept per process unless ``DEBUG``."


def style_hash(name: str = SITE_CSS) -> str:
    """The CSP source that allows this stylesheet inline: ``'sha256-…'``."""
    return csp_source(page_style(name))
