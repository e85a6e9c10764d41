"""The demo content is the captured article, loaded once."""

import pytest
from django.core.management import call_command

from byline.articles.demo import load_demo, read_demo_text
from byline.articles.models import Article, Author

pytestmark = pytest.mark.django_db


def test_the_demo_is_the_captured_article():
    text = read_demo_text()
    assert text.headline == "Iraq’s Attack Against ISIS Catches U.S. ‘By Surprise’"
    assert text.standfirst.startswith("The biggest offensive against ISIS so far")
    assert text.body.startswith("The Iraqi military launched a major campaign")
    assert text.body.rstrip().endswith("to the Iraqi government.")


def test_loading_the_demo_twice_creates_it_once():
    first, created_first = load_demo()
    second, created_second = load_demo()
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Article.objects.count() == 1
    assert Author.objects.count() == 1


def test_the_demo_command_is_idempotent(capsys):
    call_command("demo")
    call_command("demo")
    assert Article.objects.count() == 1
    assert "Already present" in capsys.readouterr().out


def test_the_demo_is_credited_to_no_real_person():
    article, _ = load_demo()
    assert [a.name for a in article.authors.all()] == ["Byline Demo"]
