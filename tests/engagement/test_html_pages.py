"""The engagement's own pages (a refused vote, a vote to confirm) are valid HTML too."""

from pathlib import Path

import pytest
from django.test import Client

from tests.engagement.factory import BROWSER, reader_client
from tests.factory import make_article
from tests.htmlcheck import assert_valid_html, needs_java

pytestmark = [pytest.mark.django_db, needs_java]


def test_the_problem_and_confirmation_pages_pass_the_nu_html_checker(tmp_path: Path):
    article = make_article()
    problem = reader_client().post(f"/engagement/{article.pk}/rate/", {"stars": "9"})
    old_browser = Client(enforce_csrf_checks=True, headers={"User-Agent": BROWSER})
    confirm = old_browser.post(f"/engagement/{article.pk}/react/", {"reaction": "happy"})
    pages = {"problem": problem, "confirm": confirm}
    assert_valid_html({n: r.content.decode() for n, r in pages.items()}, tmp_path)
