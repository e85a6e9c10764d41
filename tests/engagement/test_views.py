"""Views: counted by a beacon from the page, buffered, flushed in batches; bots and reloads not."""

import gc
import os
import threading
import time
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from byline.engagement import stats, viewbuffer
from byline.engagement.management.commands.flush_views import Command
from byline.engagement.models import ArticleStats, DailyViews, ViewBatch
from byline.engagement.stats import figures_for
from tests.engagement.factory import counts, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="Redis not configured: set REDIS_URL=redis://..."
)


def beacon(client, article_id: int):
    return client.post(f"/api/articles/{article_id}/view/")


def test_a_beacon_counts_a_view_once_flushed_and_live_counts_include_it_at_once():
    article = make_article()
    assert beacon(reader_client(), article.pk).status_code == 204
    assert counts(reader_client("192.0.2.1"), article.pk)["views"] == 1
    viewbuffer.flush()
    assert figures_for(article.pk).views == 1
    assert counts(reader_client("192.0.2.1"), article.pk)["views"] == 1


def test_a_reload_by_the_same_reader_within_30_minutes_is_not_counted():
    article = make_article()
    client = reader_client()
    for _ in range(3):
        beacon(client, article.pk)
    beacon(reader_client("192.0.2.2"), article.pk)
    viewbuffer.flush()
    assert figures_for(article.pk).views == 2


@pytest.mark.parametrize(
    "user_agent",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "python-requests/2.32",
        "",
    ],
)
def test_self_declared_bots_are_not_counted(user_agent):
    article = make_article()
    client = reader_client()
    assert client.post(f"/api/articles/{article.pk}/view/", headers={"User-Agent": user_agent})
    viewbuffer.flush()
    assert figures_for(article.pk).views == 0


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; BingBot/2.0)",
        "Mozilla/5.0 Chrome/130.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36",
        "Ünïcode SPİDER/1.0",
        "Ünïcode browser/1.0",
        "   ",
    ],
)
def test_the_bot_check_answers_as_the_case_insensitive_pattern(user_agent):
    """is_declared_bot searches a lower-cased ASCII User-Agent (the view folder asks it of
    every browser): the same answer as BOT_USER_AGENT, the pattern nginx repeats."""
    from byline.engagement.actions import BOT_USER_AGENT, is_declared_bot

    expected = not user_agent.strip() or bool(BOT_USER_AGENT.search(user_agent))
    assert is_declared_bot(user_agent) == expected


def test_views_of_drafts_and_unknown_articles_are_not_counted():
    draft = make_article(status="draft")
    beacon(reader_client(), draft.pk)
    beacon(reader_client(), 999999)
    assert viewbuffer.flush() == 0
    assert not ArticleStats.objects.exists()


def test_a_cross_site_beacon_is_refused():
    article = make_article()
    response = reader_client().post(
        f"/api/articles/{article.pk}/view/", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert viewbuffer.flush() == 0


def test_the_no_script_pixel_counts_a_view_from_this_site_only():
    article = make_article()
    url = f"/engagement/{article.pk}/seen.gif"
    response = reader_client().get(url)
    assert response["Content-Type"] == "image/gif"
    assert "no-store" in response["Cache-Control"]
    reader_client("192.0.2.8").get(url, headers={"Sec-Fetch-Site": "cross-site"})
    viewbuffer.flush()
    assert figures_for(article.pk).views == 1


def test_a_flush_adds_the_day_and_the_total_in_one_go():
    article = make_article()
    for i in range(5):
        beacon(reader_client(f"198.51.100.{i}"), article.pk)  # the first one flushed itself
    assert viewbuffer.flush() == 4
    assert viewbuffer.flush() == 0
    today = datetime.now(UTC).date()
    assert DailyViews.objects.get(article=article, day=today).views == 5
    assert ArticleStats.objects.get(article=article).views == 5


def test_views_wait_in_the_buffer_until_a_flush_is_due(settings):
    settings.BYLINE_VIEW_FLUSH_SECONDS = 3600
    article = make_article()
    viewbuffer.maybe_flush()  # a flush just happened
    beacon(reader_client("198.51.100.1"), article.pk)
    beacon(reader_client("198.51.100.2"), article.pk)
    assert figures_for(article.pk).views == 0
    assert stats.pending_views(article.pk) == 2
    call_command("flush_views", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert figures_for(article.pk).views == 2
    assert stats.pending_views(article.pk) == 0


def test_the_comment_count_survives_view_flushes_and_votes():
    from byline.engagement.stats import set_comment_count

    article = make_article()
    set_comment_count(article.pk, 7)
    beacon(reader_client(), article.pk)
    viewbuffer.flush()
    assert (figures_for(article.pk).views, figures_for(article.pk).comments) == (1, 7)


def leave_batch(client, name: str, article_id: int, views: int) -> None:
    """What a flusher leaves in Redis when it takes batch ``name``: today's views."""
    today = datetime.now(UTC).date().isoformat()
    client.hset(viewbuffer.BATCH_PREFIX + name, f"{article_id}:{today}", views)


@needs_redis
def test_a_batch_left_by_a_crashed_flusher_is_applied_exactly_once():
    article = make_article()
    client = viewbuffer.redis_client()
    # A flusher took its batch (renamed, and named in the set of batches in flight),
    # then died before applying it.
    leave_batch(client, "1-dead", article.pk, 4)
    # Another died after committing, before deleting its key.
    leave_batch(client, "2-done", article.pk, 9)
    client.sadd(viewbuffer.IN_FLIGHT_KEY, "1-dead", "2-done")
    ViewBatch.objects.create(token="2-done")
    assert viewbuffer.flush() == 4
    assert figures_for(article.pk).views == 4
    assert not list(client.scan_iter(match=viewbuffer.BATCH_PREFIX + "*"))
    assert not client.smembers(viewbuffer.IN_FLIGHT_KEY)


@needs_redis
def test_a_batch_still_locked_by_a_live_flusher_is_left_alone():
    article = make_article()
    client = viewbuffer.redis_client()
    leave_batch(client, "3-busy", article.pk, 2)
    client.set(viewbuffer.BATCH_PREFIX + "lock:3-busy", 1, ex=60)
    assert viewbuffer.flush() == 0
    assert client.exists(viewbuffer.BATCH_PREFIX + "3-busy")


def test_views_beyond_the_per_ip_limit_are_not_counted(settings):
    """Many browsers (User-Agents) behind one address cannot inflate the count unboundedly."""
    settings.BYLINE_VIEWS_PER_MINUTE = 3
    article = make_article()
    for n in range(5):
        client = reader_client("192.0.2.60")
        client.post(
            f"/api/articles/{article.pk}/view/", headers={"User-Agent": f"Mozilla/5.0 Browser/{n}"}
        )
    viewbuffer.flush()
    assert figures_for(article.pk).views == 3


def test_a_reader_who_votes_and_reloads_is_not_counted_twice():
    """The vote gives them a cookie; the reload is still the same reader."""
    from tests.engagement.factory import react

    article = make_article()
    client = reader_client()
    beacon(client, article.pk)
    react(client, article.pk, "happy")
    beacon(client, article.pk)
    viewbuffer.flush()
    assert figures_for(article.pk).views == 1


def test_after_any_flush_the_app_leaves_the_views_alone_until_one_is_due_again(settings):
    """``flush_views --every 1`` (behind nginx) flushes every second: an app server's
    request then finds no flush due and does not fold the same views again."""
    settings.BYLINE_VIEW_FLUSH_SECONDS = 3600
    article = make_article()
    call_command("flush_views", stdout=open(os.devnull, "w"))  # noqa: SIM115  (the service)
    beacon(reader_client("198.51.100.1"), article.pk)
    assert viewbuffer.maybe_flush() == 0
    assert stats.pending_views(article.pk) == 1
    assert viewbuffer.flush() == 1


def test_the_folder_keeps_what_its_start_up_made_out_of_full_collections(monkeypatch):
    """``flush_views --every`` freezes (``gc.freeze``) what start-up and its first flush
    made, as the app's workers do: a full collection walking all of it cost a fold
    25-30 ms of CPU, as much as ten folds' own work."""
    was_frozen = gc.get_freeze_count()
    gc.unfreeze()
    flushes, freezes = [], []

    def stop_after_two(seconds: float) -> None:
        # Only the command's own pauses: a thread an earlier test left running (a poller
        # sleeping between looks) takes the patched sleep too, and once it had taken the
        # second call the loop never stopped (a one-process run hung here for minutes).
        if threading.current_thread() is not threading.main_thread():
            return real_sleep(seconds)
        flushes.append(gc.get_freeze_count())
        if len(flushes) >= 2:
            raise KeyboardInterrupt

    def freeze() -> None:
        freezes.append(len(flushes))
        real_freeze()

    real_freeze, real_sleep = gc.freeze, time.sleep
    monkeypatch.setattr("time.sleep", stop_after_two)
    monkeypatch.setattr("gc.freeze", freeze)
    try:
        call_command("flush_views", "--every", "2", stdout=open(os.devnull, "w"))  # noqa: SIM115
        assert freezes == [0]  # once, after the first flush
        assert flushes[0] > 0
    finally:
        if not was_frozen:
            gc.unfreeze()


@pytest.mark.parametrize("every", ["nan", "inf", "-inf", "-1", "two"])
def test_flush_views_refuses_an_every_that_is_not_a_finite_number_of_seconds(every):
    """``--every nan`` made a loop flushing without a pause (NaN compares false with
    everything), ``--every inf`` failed after the first flush (``time.sleep``), and a
    negative value flushed once as if it were not there."""
    with pytest.raises(CommandError, match="--every"):
        call_command("flush_views", "--every", every, stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.mark.parametrize(("every", "seconds"), [("2", 2.0), ("0.5", 0.5), ("0", 0.0)])
def test_flush_views_takes_a_number_of_seconds_for_every(every, seconds):
    parser = Command().create_parser("byline", "flush_views")
    assert parser.parse_args(["--every", every]).every == seconds
