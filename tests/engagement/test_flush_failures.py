"""What a flush tells operators when it fails for something other than a service away:
a bug (in a source of views, or a statement the database refuses as wrong) is logged
with its type and traceback, as the views wait for the next flush, a line a while; not
told as "views wait for the database" with the message alone."""

from __future__ import annotations

import pytest
from django.db import transaction

from byline.engagement import viewbuffer
from byline.engagement.models import ArticleStats
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def flush_with(monkeypatch, source) -> None:
    """A flush that also folds ``source`` (as the view log is folded: ``also_flush``)."""
    monkeypatch.setattr(viewbuffer, "_more_sources", [*viewbuffer._more_sources, source])
    viewbuffer.flush()


def lines(caplog) -> list:
    return [r for r in caplog.records if r.name == viewbuffer.logger.name]


def test_a_bug_in_a_source_of_views_is_logged_with_its_type_and_traceback(monkeypatch, caplog):
    def broken() -> int:
        return {}["views"]  # a bug: KeyError('views'), whose message is only "'views'"

    with caplog.at_level("WARNING", logger=viewbuffer.logger.name):
        flush_with(monkeypatch, broken)
    [line] = lines(caplog)
    assert "KeyError" in line.getMessage() and "views wait for the next flush" in line.getMessage()
    assert line.exc_info is not None and line.exc_info[0] is KeyError
    monkeypatch.setattr(viewbuffer, "_more_sources", [])
    caplog.clear()
    with caplog.at_level("WARNING", logger=viewbuffer.logger.name):
        viewbuffer.flush()
    assert [r.getMessage()[:24] for r in lines(caplog)] == ["The flush works again af"]


def test_a_statement_the_database_refuses_as_wrong_is_a_bug_not_the_database_away(
    monkeypatch, caplog
):
    """An IntegrityError (a row written twice) is not the database away: it is told as
    the bug it is, with its traceback, not as views waiting for the database."""
    article = make_article()
    ArticleStats.objects.get_or_create(article=article)

    def writes_a_row_twice() -> int:
        with transaction.atomic():
            ArticleStats.objects.create(article=article)
        return 0

    with caplog.at_level("WARNING", logger=viewbuffer.logger.name):
        flush_with(monkeypatch, writes_a_row_twice)
    [line] = lines(caplog)
    assert "IntegrityError" in line.getMessage(), line.getMessage()
    assert "views wait for the database" not in line.getMessage()
    assert line.exc_info is not None
