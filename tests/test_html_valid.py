"""The front and article pages are valid HTML (Nu HTML Checker) and use semantic elements."""

from pathlib import Path

import pytest

from tests.factory import make_article, make_author, make_section, make_tag
from tests.htmlcheck import assert_valid_html, needs_java

pytestmark = pytest.mark.django_db


def pages(client, demo_article) -> dict[str, str]:
    section, tag, author = make_section("Politics"), make_tag("Votes"), make_author("Ada")
    make_article("Second story", section=section, tags=[tag], authors=[author])
    urls = {
        "front": "/",
        "article": demo_article.get_absolute_url(),
        "section": section.get_absolute_url(),
        "tag": tag.get_absolute_url(),
        "author": author.get_absolute_url(),
        "not-found": "/no/such/page/",
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


@needs_java
def test_pages_pass_the_nu_html_checker(client, demo_article, tmp_path: Path):
    assert_valid_html(pages(client, demo_article), tmp_path)


def test_pages_use_semantic_elements(client, demo_article):
    html = pages(client, demo_article)
    for element in ["<header", "<nav", "<main", "<footer", "<article", "<time"]:
        assert element in html["article"], element
    assert "<article" in html["front"]
    assert '<html lang="en">' in html["front"]
