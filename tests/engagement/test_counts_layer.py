"""The live counts GET answered before Django runs, as Django's own view answers it.

Behind nginx the app is asked for an article's counts about once a second per
article (nginx refreshing its micro-cached copy); ``byline.engagement.counts_layer``
answers those GETs without Django's request cycle, with the same JSON, ETag,
304 and headers as ``views.counts``; anything else goes to Django.
"""

import json

import pytest

from byline.engagement import actions, countfiles, counts_layer, viewlog
from byline.engagement.views import counts_body
from byline.wsgi import application
from tests.engagement.factory import paths_answered_by
from tests.factory import make_article
from tests.pagecache.wsgi_client import SECURITY_HEADERS, call

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("keep_test_connection", "fresh_beacon_counts"),
]


@pytest.fixture
def layer_answers(monkeypatch):
    return paths_answered_by(monkeypatch, "engagement")


def test_the_layer_answers_the_counts_as_the_view_does(layer_answers):
    """Same body and ETag as Django's view, public for 2 s, the security headers, no cookie."""
    article = make_article()
    url = f"/api/articles/{article.pk}/engagement/"
    body, etag = counts_body(article.pk)  # what views.counts answers
    response = call(application, url)
    assert layer_answers == [url]
    assert response.status == 200
    assert json.loads(response.body) == json.loads(body)
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "public, max-age=2"
    assert response.headers["content-type"] == "application/json"
    assert "set-cookie" not in response.headers
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_an_unchanged_copy_is_revalidated_with_a_304(layer_answers):
    article = make_article()
    url = f"/api/articles/{article.pk}/engagement/"
    etag = call(application, url).headers["etag"]
    response = call(application, url, headers={"If-None-Match": etag})
    assert response.status == 304
    assert response.body == b""
    assert call(application, url, headers={"If-None-Match": '"other"'}).status == 200


def test_what_the_layer_does_not_answer_goes_to_django(layer_answers):
    """An unpublished article (Django's JSON 404), a query string, another method."""
    draft = make_article(status="draft")
    article = make_article()
    assert call(application, f"/api/articles/{draft.pk}/engagement/").status == 404
    assert call(application, f"/api/articles/{article.pk}/engagement/?x=1").status == 200
    posted = call(application, f"/api/articles/{article.pk}/engagement/", method="POST")
    assert posted.status == 405
    assert layer_answers == []


@pytest.fixture
def counts_folder(settings, tmp_path, monkeypatch):
    """A view log folder (behind nginx), its counts folder made by an earlier fold."""
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path)
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 0.0)  # every fold looks at every file
    countfiles.start_afresh()
    (tmp_path / "counts").mkdir()
    yield tmp_path / "counts"
    countfiles.start_afresh()


def test_the_first_counts_the_app_answers_are_left_in_the_articles_file(counts_folder):
    """Behind nginx the app is asked only while the article has no counts file: it
    leaves its answer there, so the next readers get the file from nginx at once,
    before the folder's next look; a file already there is left alone."""
    article, other = make_article(), make_article()
    answered = call(application, f"/api/articles/{article.pk}/engagement/")
    path = counts_folder / f"{article.pk}.json"
    assert path.read_bytes() == answered.body
    path.write_bytes(b'{"views":7}')  # the folder's since
    call(application, f"/api/articles/{article.pk}/engagement/")
    assert path.read_bytes() == b'{"views":7}'
    assert not (counts_folder / f"{other.pk}.json").exists()  # nobody asked


def test_no_file_for_an_article_not_published_nor_without_a_view_log_folder(
    counts_folder, settings
):
    draft = make_article(status="draft")
    assert call(application, f"/api/articles/{draft.pk}/engagement/").status == 404
    assert list(counts_folder.iterdir()) == []
    settings.BYLINE_VIEW_LOG_DIR = ""
    article = make_article()
    assert call(application, f"/api/articles/{article.pk}/engagement/").status == 200
    assert list(counts_folder.iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_the_folder_takes_the_file_over_and_removes_it_when_the_article_is_taken_down(
    counts_folder,
):
    """The folder reads a file it did not write again at its next look (a vote since
    shows), and an article taken down loses its file at once and at the next fold."""
    article = make_article()
    call(application, f"/api/articles/{article.pk}/engagement/")
    path = counts_folder / f"{article.pk}.json"
    actions.react(article.pk, "reader-1", "happy")
    viewlog.fold()
    assert json.loads(path.read_bytes())["reactions"][0]["count"] == 1
    assert json.loads(path.read_bytes()) == json.loads(counts_body(article.pk)[0])
    article.status = "draft"
    article.save()
    assert not path.exists()
    call(application, f"/api/articles/{article.pk}/engagement/")  # its counts kept 1 s
    assert not path.exists()  # not written again
    viewlog.fold()
    assert not path.exists()


def test_an_article_page_rendered_leaves_the_articles_counts_file(counts_folder, client):
    """Behind nginx, rendering an article's page (once per change, then cached) leaves
    its counts in its file: not even its first reader's counts are the app's."""
    article = make_article()
    assert client.get(article.get_absolute_url()).status_code == 200
    path = counts_folder / f"{article.pk}.json"
    assert json.loads(path.read_bytes()) == json.loads(counts_body(article.pk)[0])


def test_a_page_never_cached_leaves_no_file_and_reads_no_counts(
    counts_folder, django_assert_num_queries
):
    """A password-protected article's page (private to the reader who unlocked it) and
    an unpublished article's preview are never cached nor counted publicly: rendering
    them reads no counts and writes no file."""
    protected = make_article(password="secret")
    draft = make_article(status="draft")
    for article in (protected, draft):
        with django_assert_num_queries(0):
            counts_layer.first_served(article)
    assert list(counts_folder.iterdir()) == []
