"""The article page carries its scripts itself (and its styles: test_page_styles.py):
a reader fetches no static file for it."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from django.contrib.staticfiles import finders

from byline import scripts
from tests.factory import make_article

ARTICLE_SCRIPTS = (
    "engagement/engagement.js",
    "discussion/discussion.js",
    "discussion/reactions.js",
)


def inline_scripts(html: str) -> list[tuple[str, str]]:
    """(attributes, text) of each executable inline <script> in ``html``."""
    found = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    return [
        (attrs, text) for attrs, text in found if "src=" not in attrs and "ld+json" not in attrs
    ]


@pytest.mark.django_db
def test_the_article_page_links_no_static_file_and_carries_its_scripts(client):
    article = make_article("Scripts in the page")
    html = client.get(article.get_absolute_url()).text
    linked = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    assert linked == []
    ((attributes, text),) = inline_scripts(html)
    for name in ARTICLE_SCRIPTS:
        source = finders.find(name)
        assert source is not None
        with open(source, encoding="utf-8") as handle:
            assert handle.read().strip() in text
    # reactions.js reads its addresses from the element it runs in (document.currentScript).
    assert f'data-counts-url="/api/comments/reactions/?article={article.pk}"' in attributes
    assert re.search(r'data-api-url="/api/comments/0/[a-z]+/"', attributes)
    # The hash a Content-Security-Policy would allow them by is the hash of these bytes.
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    assert scripts.script_hash(ARTICLE_SCRIPTS) == f"'sha256-{digest}'"


@pytest.mark.django_db
def test_the_front_page_carries_no_article_script(client):
    make_article("Listed")
    assert inline_scripts(client.get("/").text) == []


@pytest.mark.parametrize("text", ["x = '</script>';", "x = '<!-- a';", "a = '<SCRIPT>';"])
def test_a_script_that_would_end_its_element_is_refused(tmp_path, settings, text):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "bad.js").write_text(text)
    settings.STATICFILES_DIRS = [tmp_path]
    finders.get_finder.cache_clear()
    try:
        with pytest.raises(scripts.ScriptError, match="link it instead"):
            scripts.read_scripts(("bad/bad.js",))
    finally:
        finders.get_finder.cache_clear()


def test_a_missing_script_is_an_error_not_an_empty_element():
    with pytest.raises(scripts.ScriptError, match="no static file"):
        scripts.read_scripts(("nowhere/missing.js",))
