"""The comments' reaction counts of the articles being read, as files nginx serves.

After each fold of nginx's view log the folder writes
``<BYLINE_VIEW_LOG_DIR>/reactions/<id>.json`` for the articles being read
(byline/discussion/reaction_files.py): every approved comment's count, as the
counts API answers them, rewritten only when a count changes and removed when
the article is no longer published. tests/deploy/test_readers.py serves them
through the real nginx.
"""

import json

import pytest

from byline.discussion import reaction_files, reactions
from byline.discussion.models import Comment
from byline.engagement import countfiles, viewlog
from byline.signals import article_changed
from tests.discussion.factory import make_comment
from tests.engagement.factory import BROWSER
from tests.engagement.test_viewlog import browser, line, write
from tests.factory import make_article

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def log_dir(settings, tmp_path, monkeypatch):
    settings.BYLINE_VIEW_LOG_DIR = str(tmp_path)
    monkeypatch.setattr(countfiles, "PUBLISH_SECONDS", 0.0)  # every fold writes them
    countfiles.start_afresh()
    yield tmp_path
    countfiles.start_afresh()


def reaction_file(log_dir, article):
    return log_dir / "reactions" / f"{article.pk}.json"


def read(log_dir, article) -> dict:
    return json.loads(reaction_file(log_dir, article).read_bytes())


def test_a_read_articles_comment_reaction_counts_are_a_file_as_the_api_answers_them(
    log_dir, client
):
    article = make_article()
    shown = [make_comment(article), make_comment(article)]
    make_comment(article, status=Comment.Status.PENDING)  # held: not on the page
    reactions.set_reaction(shown[0].pk, "reader-1", True)
    write(log_dir, line(article.pk, "198.51.100.1", browser()))
    viewlog.fold()
    ids = ",".join(str(comment.pk) for comment in shown)
    api = client.get(f"/api/comments/reactions/?article={article.pk}&ids={ids}").json()
    assert read(log_dir, article) == api
    assert api["counts"] == {str(shown[0].pk): 1, str(shown[1].pk): 0}


def test_a_reaction_shows_at_the_next_fold_and_nothing_new_leaves_the_file_alone(log_dir):
    article = make_article()
    comment = make_comment(article)
    write(log_dir, line(article.pk, "198.51.100.2", browser()))
    viewlog.fold()
    path = reaction_file(log_dir, article)
    first = path.stat().st_mtime
    viewlog.fold()
    assert path.stat().st_mtime == first  # nginx's ETag stays: readers get 304s
    reactions.react(comment.pk, None, "198.51.100.9", BROWSER, True)
    viewlog.fold()
    assert read(log_dir, article)["counts"] == {str(comment.pk): 1}
    assert path.stat().st_mtime > first


def test_an_unpublished_article_loses_its_file_at_once_and_an_article_unread_has_none(log_dir):
    article, unread = make_article(), make_article()
    make_comment(article)
    make_comment(unread)
    write(log_dir, line(article.pk, "198.51.100.3", browser()))
    viewlog.fold()
    assert reaction_file(log_dir, article).exists()
    assert not reaction_file(log_dir, unread).exists()  # nginx asks the app for it
    article.status = "draft"
    article.save()  # article_changed: the file goes at once
    assert not reaction_file(log_dir, article).exists()
    viewlog.fold()
    assert not reaction_file(log_dir, article).exists()


def test_a_discussion_too_long_for_one_file_is_left_to_the_app(log_dir, monkeypatch):
    monkeypatch.setattr(reaction_files, "MAX_COMMENTS", 1)
    article = make_article()
    make_comment(article)
    make_comment(article)
    write(log_dir, line(article.pk, "198.51.100.4", browser()))
    viewlog.fold()
    assert not reaction_file(log_dir, article).exists()


def test_the_article_page_asks_for_its_own_comments_reaction_counts(client):
    """The page's script names its article, so nginx can answer from that article's
    file whatever comments the page lists."""
    article = make_article()
    make_comment(article)
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'data-counts-url="/api/comments/reactions/?article={article.pk}"' in html


def test_the_articles_counts_carry_its_comments_reaction_counts_in_the_file_as_the_app(
    log_dir, client
):
    """The beacon's answer and the page's refreshes carry the comments' reaction counts
    (every approved comment that has any; one not listed has none), from the counts file
    behind nginx exactly as from the app: a page view asks for nothing more."""
    article = make_article()
    shown = [make_comment(article), make_comment(article)]
    held = make_comment(article, status=Comment.Status.PENDING)
    reactions.set_reaction(shown[0].pk, "reader-1", True)
    reactions.set_reaction(shown[0].pk, "reader-2", True)
    reactions.set_reaction(held.pk, "reader-1", True)
    write(log_dir, line(article.pk, "198.51.100.1", browser()))
    viewlog.fold()
    counts_file = json.loads((log_dir / "counts" / f"{article.pk}.json").read_bytes())
    app = client.get(f"/api/articles/{article.pk}/engagement/").json()
    assert app["comment_reactions"] == {str(shown[0].pk): 2}
    assert counts_file == app
    quiet = make_article()
    assert client.get(f"/api/articles/{quiet.pk}/engagement/").json()["comment_reactions"] == {}


@pytest.fixture
def fresh_reaction_files(monkeypatch):
    reaction_files._made_from.clear()
    reaction_files._with_file.clear()
    monkeypatch.setattr(reaction_files, "_full", [float("inf")])  # no full pass unless asked
    yield
    reaction_files._made_from.clear()
    reaction_files._with_file.clear()


def test_a_quiet_discussion_costs_no_query_and_a_reaction_is_read_again(
    log_dir, fresh_reaction_files
):
    """The folder reads an article's comments again only when its counts JSON (which
    carries the comments' reaction counts and how many are approved) changed other
    than in its views, or the article has no file yet."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = make_article()
    comment = make_comment(article)
    counts = countfiles.counts_bodies([article.pk])
    reaction_files.publish(log_dir, counts)
    assert read(log_dir, article)["counts"] == {str(comment.pk): 0}
    more_views = {article.pk: counts[article.pk].replace(b'{"views":0,', b'{"views":9,')}
    with CaptureQueriesContext(connection) as asked:
        reaction_files.publish(log_dir, more_views)
    assert len(asked) == 0
    reactions.set_reaction(comment.pk, "reader-3", True)
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk]))
    assert read(log_dir, article)["counts"] == {str(comment.pk): 1}


def test_an_article_without_comments_is_not_asked_for_them_at_every_look(
    log_dir, fresh_reaction_files, monkeypatch
):
    """Most articles being read have no approved comment, so no file: their comments are
    read once, then again only when their counts say a comment may have come (and a
    file removed since it was made is made again)."""
    asked: list[list[int]] = []
    real = reaction_files.reaction_bodies
    monkeypatch.setattr(
        reaction_files, "reaction_bodies", lambda ids: asked.append(list(ids)) or real(ids)
    )
    article, discussed = make_article(), make_article()
    comment = make_comment(discussed)
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk, discussed.pk]))
    assert not reaction_file(log_dir, article).exists()
    reaction_file(log_dir, discussed).unlink()
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk, discussed.pk]))
    assert asked == [[article.pk, discussed.pk], [discussed.pk]]
    assert read(log_dir, discussed)["counts"] == {str(comment.pk): 0}
    first = make_comment(article)
    article_changed.send(sender=Comment, article_id=article.pk, what="comments")  # as posted
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk, discussed.pk]))
    assert read(log_dir, article)["counts"] == {str(first.pk): 0}


def test_a_vote_or_a_rating_on_the_article_does_not_read_its_comments_again(
    log_dir, fresh_reaction_files, settings
):
    """A reader's reaction or rating changes the article's counts JSON but nothing its
    comments' reaction counts file shows: the folder reads the comments again only when
    the number of approved comments or their reaction counts moved."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from byline.engagement import actions

    article = make_article()
    comment = make_comment(article)
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk]))
    actions.react(article.pk, "reader-4", settings.BYLINE_REACTIONS[0].key)
    actions.rate(article.pk, "reader-4", 4)
    voted = countfiles.counts_bodies([article.pk])
    with CaptureQueriesContext(connection) as asked:
        reaction_files.publish(log_dir, voted)
    assert len(asked) == 0
    reactions.set_reaction(comment.pk, "reader-3", True)
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk]))
    assert read(log_dir, article)["counts"] == {str(comment.pk): 1}


def test_what_the_counts_cannot_tell_shows_at_the_next_full_pass(
    log_dir, fresh_reaction_files, monkeypatch
):
    """A comment removed and another approved between two looks leave the counts as they
    were: every file is read again at least every FULL_SECONDS."""
    article = make_article()
    first = make_comment(article)
    second = make_comment(article, status=Comment.Status.PENDING)
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk]))
    Comment.objects.filter(pk=first.pk).update(status=Comment.Status.SPAM)
    Comment.objects.filter(pk=second.pk).update(status=Comment.Status.APPROVED)
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk]))
    assert read(log_dir, article)["counts"] == {str(first.pk): 0}  # not yet
    monkeypatch.setattr(reaction_files, "_full", [float("-inf")])
    reaction_files.publish(log_dir, countfiles.counts_bodies([article.pk]))
    assert read(log_dir, article)["counts"] == {str(second.pk): 0}
