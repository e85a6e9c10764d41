"""A WordPress export's categories, tags and authors arrive as clean names and slugs an
address can carry, and its posts as clean text, whatever the file holds (XML 1.0
allows C1 controls, the byte-order mark and direction overrides; a percent-encoded
slug can decode to NUL, a newline or a "/")."""

from __future__ import annotations

import pytest

from byline.articles.models import SLUG, Article, Author, Section, Tag
from tests.corpora import NEVER_IN_A_NAME, NEVER_IN_TEXT
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


def test_a_post_s_text_is_imported_without_control_characters(tmp_path, client):
    """Its title, excerpt and body lose what an article loses when saved (``typed_text``),
    on the first import and when WordPress changed the post since."""
    for modified in ("2014-06-10 12:00:00", "2015-01-01 00:00:00"):
        post = item(
            1,
            f"Storm\x85 warning\ufeff {modified[:4]}",
            "<p>Keep off\x85 the\ufeff harbour arm.</p>",
            excerpt="Waves\x9b over\ufeff the wall.",
        ).replace(
            "<wp:post_modified_gmt><![CDATA[2014-06-10 12:00:00]]>",
            f"<wp:post_modified_gmt><![CDATA[{modified}]]>",
        )
        run_import(write(tmp_path, wxr(post), f"export-{modified[:4]}.xml"))
        article = Article.objects.get()
        assert article.headline == f"Storm warning {modified[:4]}"
        assert article.standfirst == "Waves over the wall."
        assert not NEVER_IN_TEXT.search(article.body + article.body_html + article.body_text)
        assert "Keep off the harbour arm." in article.body_html
        assert client.get("/feed/").status_code == 200


def test_a_post_keeps_its_typography_s_spaces(tmp_path):
    """No-break, thin and narrow no-break spaces are the writer's (French puts U+202F
    before ; : ! ?, numbers group digits with U+2009): the headline, the standfirst and
    the body keep them where WordPress had them, next to a line break too; control
    characters still go."""
    post = item(
        1,
        "Quoi\u202f? 10\u2009000\u00a0euros\x85 à\ufeff payer",
        "Le prix\u202f: 10\u2009000\u00a0€\u00a0\n\u00a0\u00a0Retrait.\n\n\u00a0Alinéa\u202f!",
        excerpt="Enfin\u202f! <em>Bref</em>\u00a0: fini.",
    )
    run_import(write(tmp_path, wxr(post)))
    article = Article.objects.get()
    assert article.headline == "Quoi\u202f? 10\u2009000\u00a0euros à payer"
    assert article.standfirst == "Enfin\u202f! Bref\u00a0: fini."
    assert "<p>Le prix\u202f: 10\u2009000&nbsp;€&nbsp;<br>\n&nbsp;&nbsp;Retrait.</p>" in (
        article.body_html
    )
    assert "<p>&nbsp;Alinéa\u202f!</p>" in article.body_html
    assert not NEVER_IN_TEXT.search(article.headline + article.standfirst + article.body)


def test_hostile_names_survive_an_export_and_a_new_import(tmp_path):
    """Every corpus string as a tag, a section and an author name, and a headline that
    looks like markup, go out through ``export-wxr`` and come back by ``import-wxr`` as
    the same text and slug."""
    from byline.articles.models import name_text
    from tests.corpora import CONTROLLED, NAUGHTY, XSS
    from tests.factory import make_article
    from tests.wordpress.test_export import export_and_empty_the_site

    # Line breaks and runs of plain spaces are one space in a name; no-break, thin and
    # the other Unicode spaces are typography, kept by the export and the import.
    names = [name_text(name[:100]) for name in NAUGHTY + XSS + CONTROLLED]
    names = [name for name in names if name]
    tags = [Tag.objects.create(name=name, slug=f"t-{n}") for n, name in enumerate(names)]
    sections = [Section.objects.create(name=name, slug=f"s-{n}") for n, name in enumerate(names)]
    authors = [Author.objects.create(name=name, slug=f"a-{n}") for n, name in enumerate(names)]
    headline = "Why <div> & &amp; </title> still matter"
    make_article(headline, section=sections[0], tags=tags, authors=authors)
    before = {
        model.__name__: sorted(model.objects.values_list("slug", "name"))
        for model in (Section, Tag, Author)
    }
    run_import(export_and_empty_the_site(tmp_path))
    after = {
        model.__name__: sorted(model.objects.values_list("slug", "name"))
        for model in (Section, Tag, Author)
    }
    assert after == before
    assert Article.objects.get().headline == headline
