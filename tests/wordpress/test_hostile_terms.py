"""A WordPress export's categories, tags and authors arrive as clean names and slugs an
address can carry, whatever the file holds (XML 1.0 allows C1 controls, the
byte-order mark and direction overrides; a percent-encoded slug can decode to NUL,
a newline or a "/")."""

from __future__ import annotations

import pytest

from byline.articles.models import SLUG, Article, Author, Section, Tag
from tests.articles.test_hostile_names import NEVER_IN_A_NAME
from tests.wordpress.test_import import run_import
from tests.wordpress.wxr_factory import author, category, item, write, wxr

pytestmark = pytest.mark.django_db

HOSTILE = "\ufeffWorld\u202e\x85 news\x9b"


def test_hostile_terms_and_authors_are_imported_clean_and_their_pages_answer(tmp_path, client):
    export = wxr(
        item(
            1,
            "Filed",
            creator="ada",
            categories=(("a%2Fb", HOSTILE), ("%00", "Null\x85")),
            tags=(("%0Abreak", "Tag\u2067 one\ufeff"), ("%E2%80%AE", "\u202e")),
        ),
        authors=(author("ada", "Ada\x85 \u202eLovelace\ufeff"),),
        terms=(category("a%2Fb", HOSTILE, "About\x85 the world\ufeff"),),
    )
    run_import(write(tmp_path, export))
    subjects = [*Section.objects.all(), *Tag.objects.all(), *Author.objects.all()]
    assert {s.name for s in Section.objects.all()} >= {"World news"}
    assert Section.objects.get(name="World news").description == "About the world"
    assert Author.objects.get().name == "Ada Lovelace"
    for subject in subjects:
        assert subject.name and not NEVER_IN_A_NAME.search(subject.name), subject.name
        assert SLUG.fullmatch(subject.slug), subject.slug
        assert client.get(subject.get_absolute_url()).status_code == 200
    article = Article.objects.get()
    assert client.get(article.get_absolute_url()).status_code == 200
    assert client.get("/").status_code == 200
