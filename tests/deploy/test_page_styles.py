"""Every page carries the site's stylesheet itself (``byline.styles``): a new reader's
page view is the page alone, and the page is styled before anything else arrives."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.test import override_settings

from byline import styles
from tests.factory import make_article
from tests.styled import carries_the_site_styles


def site_css() -> str:
    found = finders.find(styles.SITE_CSS)
    assert found is not None
    with open(found, encoding="utf-8") as handle:
        return handle.read()


def written_styles(html: str) -> list[str]:
    return re.findall(r"<style>(.*?)</style>", html, re.S)


@pytest.mark.django_db
def test_the_article_home_and_error_pages_carry_the_styles_and_link_no_stylesheet(client):
    article = make_article("Styled in the page")
    for url in [article.get_absolute_url(), "/", "/no/such/page/"]:
        html = client.get(url).text
        assert carries_the_site_styles(html), url
        assert len(written_styles(html)) == 1, url
        assert "/static/byline/site.css" not in html, url


@override_settings(DEBUG=False)
def test_the_page_shown_when_the_database_is_down_is_styled_too(rf):
    from byline import errors

    page = errors.error_response(rf.get("/articles/x/"), 503, retry_after=30)
    assert carries_the_site_styles(page.content.decode())


def test_what_a_page_carries_is_site_css_minified_and_smaller():
    raw = site_css()
    written = styles.page_style(styles.SITE_CSS)
    assert written == styles.minify(raw)
    assert "/*" not in written and "\n" not in written
    assert len(gzip.compress(written.encode())) < 0.8 * len(gzip.compress(raw.encode()))
    # The hash a Content-Security-Policy would allow it by is the hash of these bytes.
    digest = base64.b64encode(hashlib.sha256(written.encode()).digest()).decode()
    assert styles.style_hash() == f"'sha256-{digest}'"


@pytest.mark.parametrize(
    "css,minified",
    [
        ("a { color: red; }\n\nb ,  i { margin : 0 }", "a{color: red}b , i{margin : 0}"),
        # Comments go; one between two tokens still keeps them two.
        ("/* top */ a /* x */ b { margin: 1px/**/2px; }", "a b{margin: 1px/**/2px}"),
        # Strings and escapes are left as they are, whatever they hold.
        (
            'a::before { content: "  /* not a comment */  ;}" ; }',
            'a::before{content: "  /* not a comment */  ;}"}',
        ),
        (".a\\  b { x: y }", ".a\\  b{x: y}"),
        # Whitespace the grammar reads stays: calc's operators, "and (", descendant selectors.
        (
            "@media screen and (min-width: 40rem) { .x  > .y { w: calc(1px  +  2px) } }",
            "@media screen and (min-width: 40rem){.x > .y{w: calc(1px + 2px)}}",
        ),
    ],
)
def test_minifying_removes_only_what_no_css_grammar_reads(css, minified):
    assert styles.minify(css) == minified


@pytest.fixture
def bad_site_css(tmp_path, settings):
    """A site.css that holds '</style>', found before the app's own."""
    (tmp_path / "byline").mkdir()
    (tmp_path / "byline" / "site.css").write_text('a::after { content: "</style><script>x()"; }')
    settings.STATICFILES_DIRS = [tmp_path]
    finders.get_finder.cache_clear()
    yield
    finders.get_finder.cache_clear()


@pytest.mark.parametrize("text", ["</style>", "</STYLE ", "</style/"])
def test_a_stylesheet_that_would_end_its_element_is_refused(tmp_path, settings, text):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "bad.css").write_text(f"a {{ content: '{text}' }}")
    settings.STATICFILES_DIRS = [tmp_path]
    finders.get_finder.cache_clear()
    try:
        with pytest.raises(styles.StyleError, match=r"bad/bad.css holds '</style'"):
            styles.read_style("bad/bad.css")
    finally:
        finders.get_finder.cache_clear()


@pytest.mark.django_db
def test_a_page_is_not_rendered_with_a_stylesheet_that_would_end_its_element(
    client, settings, bad_site_css
):
    settings.DEBUG = True  # read at each page, as while editing it
    with pytest.raises(styles.StyleError, match=r"byline/site.css holds '</style'"):
        client.get("/")
    with pytest.raises(styles.StyleError, match="would end the <style> element"):
        Template("{% load page_scripts %}{% page_style %}").render(Context())


def test_a_missing_stylesheet_is_an_error_not_an_empty_element():
    with pytest.raises(styles.StyleError, match="no static file"):
        styles.read_style("nowhere/missing.css")
