"""The comment form of an article's page is drawn once a process for each article and
address (``templatetags.discussion.respond_html``): every page still has its own."""

from __future__ import annotations

import re

import pytest

from byline.articles.models import Article
from byline.discussion.templatetags import discussion
from tests.discussion.factory import make_comment
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def form_of(client, url: str) -> str:
    html = client.get(url).text
    return re.search(r'<div id="respond".*?</form>\s*</div>', html, re.S).group(0)


def hidden(form: str, name: str) -> str:
    return re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', form).group(1)


def test_each_article_has_its_own_form(client):
    first, second = make_article("First"), make_article("Second")
    one, two = form_of(client, first.get_absolute_url()), form_of(client, second.get_absolute_url())
    assert hidden(one, "article") == str(first.pk) and hidden(two, "article") == str(second.pk)
    assert f'data-article-url="{second.get_absolute_url()}"' in two


def test_a_new_address_is_in_the_form(client):
    """The address is part of what the form is kept under: a new slug is in the next form."""
    article = make_article("Harbour news", slug="harbour-news")
    assert 'data-article-url="' + article.get_absolute_url() in form_of(
        client, article.get_absolute_url()
    )
    Article.objects.filter(pk=article.pk).update(slug="harbour-news-today")  # no signal
    article.refresh_from_db()
    form = form_of(client, article.get_absolute_url())
    assert f'data-article-url="{article.get_absolute_url()}"' in form
    assert "harbour-news/" not in form


def test_a_reply_link_gets_a_form_of_its_own_and_the_plain_page_stays_plain(client):
    article = make_article()
    comment = make_comment(article, author_name="Ada")
    plain = form_of(client, article.get_absolute_url())
    reply = form_of(client, f"{article.get_absolute_url()}?replyto={comment.pk}")
    assert hidden(reply, "parent") == str(comment.pk) and "Replying to Ada" in reply
    assert form_of(client, article.get_absolute_url()) == plain
    assert 'name="parent" id=' in plain and "Replying to" not in plain


def test_the_forms_kept_are_bounded(client, monkeypatch):
    monkeypatch.setattr(discussion, "BLANK_FORMS_KEPT", 2)
    discussion._blank_forms.clear()
    for article in [make_article() for _ in range(5)]:
        form_of(client, article.get_absolute_url())
        assert len(discussion._blank_forms) <= 2


def test_an_unlocked_readers_pass_never_reaches_a_form_kept_for_others(client):
    """The form of a password-protected article's unlocked page carries the article's pass
    and is drawn for that reader alone: once the password is gone, the plain page's form
    has no pass."""
    article = make_article(password="open sesame")
    assert client.post(f"/articles/{article.slug}/unlock/", {"password": "open sesame"})
    assert 'name="unlock" value="' in form_of(client, article.get_absolute_url())
    article.password = ""
    article.save()
    assert 'name="unlock" value=' not in form_of(client, article.get_absolute_url())
