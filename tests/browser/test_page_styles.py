"""The article is styled by what its page carries (``byline.styles``): no stylesheet
request, and Chromium reads the same rules from the page as from site.css itself."""

from django.contrib.staticfiles import finders

from byline import styles


def test_the_article_is_styled_without_asking_for_a_stylesheet(page, demo_article):
    """The header's rule and the site's font size come from site.css, written in the page."""
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(demo_article.get_absolute_url())
    header = page.evaluate("getComputedStyle(document.querySelector('.site-header'))")
    assert header["borderBottomWidth"] == "3px"  # .site-header { border-bottom: 3px solid }
    assert header["borderBottomStyle"] == "solid"
    root_size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert root_size == "18px"  # :root { font-size: 112.5% }
    assert [url for url in asked if url.endswith(".css")] == []


def test_chromium_reads_the_same_rules_from_the_page_as_from_site_css(page, demo_article):
    """Minifying changed no rule: every rule, as Chromium writes it back, is the file's."""
    found = finders.find(styles.SITE_CSS)
    assert found is not None
    with open(found, encoding="utf-8") as handle:
        raw = handle.read()
    page.goto(demo_article.get_absolute_url())
    rules = page.evaluate(
        """raw => {
            const text = sheet => Array.from(sheet.cssRules, rule => rule.cssText);
            const fromFile = new CSSStyleSheet();
            fromFile.replaceSync(raw);
            return [text(document.styleSheets[0]), text(fromFile)];
        }""",
        raw,
    )
    in_page, in_file = rules
    assert len(in_page) > 200
    assert in_page == in_file
