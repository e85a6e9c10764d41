"""Hostile input: every naughty string and XSS payload, posted as body, name and website,
never causes a 500 and never puts executable markup in any page.

The strings are copies kept in ``tests/data`` (see the READMEs there for their
sources and licences); the test never reads anything outside the repository.
"""

import glob
import json
import os
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from byline.articles.models import shows_text
from byline.discussion.markup import body_shows_text
from byline.discussion.models import Comment
from byline.scripts import page_scripts
from tests.discussion.factory import make_comment, post_comment

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data"
OUR_SCRIPTS = {
    "/static/discussion/discussion.js",
    "/static/discussion/reactions.js",
    "/static/engagement/engagement.js",
}
# What the article page writes into itself (articles/article_detail.html).
INLINE_SCRIPTS = ("engagement/engagement.js", "discussion/discussion.js", "discussion/reactions.js")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "poster"}
DANGEROUS_ELEMENTS = {"script", "iframe", "object", "embed", "base", "frame", "frameset"}


def hostile_strings() -> list[str]:
    naughty = json.loads((DATA / "naughty" / "blns.json").read_text(encoding="utf-8"))
    xss = (DATA / "xss" / "payloads.txt").read_text(encoding="utf-8").splitlines()
    return list(dict.fromkeys([*naughty, *xss]))


class ExecutableMarkupFinder(HTMLParser):
    """Collects script elements, event handlers and javascript: URLs the site did not write."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        self.in_json_ld = tag == "script" and attributes.get("type") == "application/ld+json"
        # The article page's own scripts, written into it (``{% page_scripts %}``): they
        # carry only data-* attributes and are checked to be exactly our files below.
        self.inline = (
            tag == "script"
            and not self.in_json_ld
            and "src" not in attributes
            and all(name.startswith("data-") for name in attributes)
        )
        self.inline_text = ""
        ours = (
            attributes.get("src") in OUR_SCRIPTS
            or (self.in_json_ld and set(attributes) == {"type"})
            or self.inline
        )
        if tag in DANGEROUS_ELEMENTS and not (tag == "script" and ours):
            self.found.append(f"<{tag} {attrs}>")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.found.append(f"<meta refresh {attrs}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"event handler {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value:
                squeezed = "".join(ch for ch in value if ch > " ").lower()
                if squeezed.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.found.append(f"{name}={value!r} on <{tag}>")

    def handle_data(self, data: str) -> None:
        # Our scripts are external and empty or exactly the page's own files, and the
        # JSON-LD data block must be plain JSON that cannot close its element.
        if getattr(self, "in_json_ld", False):
            json.loads(data)
            if "<" in data:
                self.found.append("'<' inside JSON-LD")
        if getattr(self, "inline", False):
            self.inline_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and getattr(self, "inline", False):
            if self.inline_text != page_scripts(INLINE_SCRIPTS):
                self.found.append(f"an inline script that is not ours: {self.inline_text[:80]!r}")
        self.in_json_ld = False
        self.inline = False


def executable_markup(html: str) -> list[str]:
    finder = ExecutableMarkupFinder()
    finder.feed(html)
    finder.close()
    return finder.found


@pytest.fixture
def open_door(settings, dummy_spam):
    """Publish everything at once, with no time or rate limit, so every string is rendered."""
    settings.BYLINE_COMMENT_MIN_SECONDS = 0
    settings.BYLINE_COMMENT_RATE_LIMIT = 1_000_000
    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 100_000


def test_the_checker_catches_what_it_should():
    """The checker itself flags scripts, handlers and javascript: URLs (it can fail)."""
    assert executable_markup("<script>alert(1)</script>")
    assert executable_markup('<img src="x" onerror="alert(1)">')
    assert executable_markup('<a href=" jav&#x09;ascript:alert(1)">x</a>')
    assert not executable_markup('<script src="/static/discussion/discussion.js" defer></script>')
    assert not executable_markup("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    ours = page_scripts(INLINE_SCRIPTS)
    assert not executable_markup(f'<script data-api-url="/api/">{ours}</script>')
    assert executable_markup(f'<script data-api-url="/api/">{ours}alert(1)</script>')
    assert executable_markup('<script data-x="1">alert(1)</script>')
    assert not executable_markup('<script type="application/ld+json">{"a": "\\u003c"}</script>')
    assert executable_markup('<script type="application/ld+json" src="x.js"></script>')


@pytest.fixture
def quiet_request_log():
    """Hundreds of expected 400s would flood the log; errors (500s) still show."""
    import logging

    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def test_hostile_strings_never_break_the_site_or_run(client, article, open_door, quiet_request_log):
    """Each string as body, name and website; then the page with all of them."""
    strings = hostile_strings()
    assert len(strings) > 700
    for n, text in enumerate(strings):
        # All three fields at once: mostly refused (bad URL), and the form comes back.
        response = post_comment(
            client, article, body=text, name=text, website=text, email=f"a{n}@example.org"
        )
        assert response.status_code < 500, text
        if response.status_code != 302:
            assert not executable_markup(response.content.decode()), text
        # As body and name through the script's JSON path: stored and published.
        response = post_comment(
            client, article, json=True, body=text, name=text, email=f"b{n}@example.org"
        )
        assert response.status_code < 500, text
        if response.status_code == 201:
            assert not executable_markup(response.json()["html"]), text
        # As website alone, with a plain body and name.
        response = post_comment(
            client,
            article,
            body=f"Website test {n}",
            name=f"Site {n}",
            website=text,
            email=f"c{n}@example.org",
        )
        assert response.status_code < 500, text
        if response.status_code != 302:
            assert not executable_markup(response.content.decode()), text
    stored = Comment.objects.filter(status=Comment.Status.APPROVED).count()
    # Nearly every body that shows readers something was accepted and published (one
    # that is all removed markup, or invisible, is refused as no comment).
    visible = [text for text in strings if body_shows_text(text) and shows_text(text.strip())]
    assert len(visible) > 0.6 * len(strings)
    assert stored > 0.9 * len(visible)
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="comment depth-') == stored
    assert executable_markup(html) == []
    for comment in Comment.objects.exclude(author_url="")[:50]:
        assert client.get(comment.get_absolute_url()).status_code < 500
    temp = tempfile.gettempdir()
    assert not glob.glob(os.path.join(temp, "blns*.fail")), "a command-injection string ran"


def test_a_terminal_s_escape_sequences_leave_nothing_behind(client, article, open_door):
    """The naughty list's terminal escape codes: each sequence goes whole (not its ESC
    alone, which left "[0;31m" in the comment)."""
    from tests.corpora import NAUGHTY

    escapes = [text for text in NAUGHTY if "\x1b[" in text]
    assert len(escapes) == 2
    for n, text in enumerate(escapes):
        response = post_comment(client, article, json=True, body=text, email=f"t{n}@example.org")
        assert response.status_code == 201
    bodies = set(Comment.objects.values_list("body", flat=True))
    assert bodies == {
        "Roses are red, violets are blue. Hope you enjoy terminal hue",
        "But now...for my greatest trick...",
    }


def arabic_indic(number: int) -> str:
    """``number`` in Arabic-Indic digits: ``str.isdigit()`` and ``int()`` both take them."""
    return str(number).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def not_an_id(pk: int) -> list[str]:
    """Ways to write (or almost write) the id ``pk`` that are not a database id: only
    ASCII digits from 1 to 2**63 - 1 are (``int()`` would read the first six as ``pk``)."""
    return [
        arabic_indic(pk), f"+{pk}", f"{pk}.0", f"0_{pk}", f"{pk}\x00", f"\u00a0{pk}",
        "²", "1e3", "0", "-1", str(2**63), "9" * 5000, "[]",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "field, status, says",
    [("parent", 400, "not available any more"), ("article", 404, "does not take comments")],
)
def test_a_hidden_id_must_be_ascii_digits_in_range(client, article, settings, field, status, says):
    """The reply-to id and the article's id: a value that is not one (Unicode digits, a
    sign, an exponent, a decimal point, NUL, out of range, 5,000 digits) is refused
    clearly, never read as some other row's id: the form again with what was typed (a
    400 for a reply, "does not take comments", 404, for an article), and the same to a
    script. Spaces or tabs around the digits, as a browser may send a field, are fine."""
    settings.BYLINE_COMMENT_RATE_LIMIT = 100
    parent = make_comment(article)
    target = parent if field == "parent" else article
    for n, value in enumerate(not_an_id(target.pk)):
        body = f"Hostile {field} number {n}."
        response = post_comment(client, article, **{field: value}, body=body, email=f"p{n}@x.org")
        assert response.status_code == status, repr(value)
        html = response.content.decode()
        assert says in html and body in html, repr(value)
        response = post_comment(client, article, json=True, **{field: value}, email=f"j{n}@x.org")
        assert response.status_code == status, repr(value)
        assert says in response.json()["message"], repr(value)
    assert Comment.objects.count() == 1
    for n, value in enumerate([f" {target.pk}", f"{target.pk}\t", f"0{target.pk}"]):
        response = post_comment(client, article, **{field: value}, email=f"ok{n}@x.org")
        assert response.status_code == 302, repr(value)
    replies = Comment.objects.filter(parent=parent).count()
    assert (Comment.objects.count(), replies) == (4, 3 if field == "parent" else 0)
