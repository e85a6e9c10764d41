"""What a flush tells operators when it fails for something other than a service away:
a bug (in a source of views, a statement the database refuses as wrong, a command Redis
refuses as wrong) is logged with its type and traceback, as the views wait for the next
flush, a line a while; not told as "views wait for the database" (or "for Redis") with
the message alone."""

from __future__ import annotations

import os

import pytest
import redis
from django.db import transaction

from byline.engagement import viewbuffer
from byline.engagement.models import ArticleStats
from byline.engagement.stats import IN_FLIGHT_KEY
from byline.redisconn import redis_client
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


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="Redis not configured")
def test_a_command_redis_refuses_as_wrong_is_a_bug_not_redis_away(caplog):
    """A key of the wrong type (WRONGTYPE): Redis answers, and will answer the same until
    the code or the data is mended. Told as the error it is, with its traceback once a
    while, not as views waiting for Redis to come back."""
    client = redis_client()
    assert client is not None
    client.set(IN_FLIGHT_KEY, "not a set")  # the flush reads the batches in flight (a set)
    with caplog.at_level("WARNING", logger=viewbuffer.logger.name):
        for _ in range(3):
            viewbuffer.flush()  # the database's buffer is flushed all the same
    [line] = lines(caplog)  # one line a while, however many flushes meet it
    assert "ResponseError: WRONGTYPE" in line.getMessage(), line.getMessage()
    assert "views wait for Redis" not in line.getMessage()
    assert line.exc_info is not None and line.exc_info[0] is redis.ResponseError
    client.delete(IN_FLIGHT_KEY)
    caplog.clear()
    with caplog.at_level("WARNING", logger=viewbuffer.logger.name):
        viewbuffer.flush()
    assert [r.getMessage()[:24] for r in lines(caplog)] == ["The flush works again af"]
