"""Readers order an article's threads oldest first, newest first or by most replies.

Only the top-level threads move; the replies in a thread stay in the order of the
conversation. The order is a plain link (``?sort=``), kept by the page links and
the "more replies" fold, cached under one address per order; anything else is the
default order, answered but not stored.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from byline.discussion import sorting
from byline.discussion.threads import first_page_address
from byline.pagecache.decorators import STORABLE
from byline.pagecache.rules import _query_key
from tests.discussion.factory import make_comment
from tests.pagecache.conftest import page_cache  # noqa: F401 (a fixture)
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db

SHOWN = re.compile(r'id="comment-(\d+)"')


def shown(response) -> list[int]:
    return [int(pk) for pk in SHOWN.findall(response.content.decode())]


@pytest.fixture
def threads(article):
    """Three threads: the oldest with one reply, the middle one with three, the newest none."""
    start = timezone.now() - timedelta(hours=5)
    old = make_comment(article, submitted_at=start)
    middle = make_comment(article, submitted_at=start + timedelta(hours=1))
    new = make_comment(article, submitted_at=start + timedelta(hours=2))
    replies = {old.pk: [make_comment(article, parent=old, submitted_at=start + timedelta(hours=3))]}
    first = make_comment(article, parent=middle, submitted_at=start + timedelta(hours=3, minutes=1))
    second = make_comment(article, parent=first, submitted_at=start + timedelta(hours=3, minutes=2))
    third = make_comment(article, parent=middle, submitted_at=start + timedelta(hours=3, minutes=3))
    replies[middle.pk] = [first, second, third]
    return old, middle, new, replies


def roots_in(ids, threads):
    old, middle, new, _ = threads
    return [pk for pk in ids if pk in {old.pk, middle.pk, new.pk}]


def test_threads_are_oldest_first_by_default(client, article, threads):
    """Without ?sort= the oldest thread comes first, and the choice says so."""
    old, middle, new, _ = threads
    response = client.get(article.get_absolute_url())
    assert roots_in(shown(response), threads) == [old.pk, middle.pk, new.pk]
    html = response.content.decode()
    assert 'aria-label="Order of comments"' in html
    assert re.search(r'href="[^"]*#comments" aria-current="true">Oldest first<', html)


def test_newest_first_reverses_the_threads_not_the_replies(client, article, threads):
    """?sort=newest: the newest thread first; inside a thread the replies keep the
    conversation's order (first reply, its answer, then the later reply)."""
    old, middle, new, replies = threads
    ids = shown(client.get(article.get_absolute_url() + "?sort=newest"))
    assert roots_in(ids, threads) == [new.pk, middle.pk, old.pk]
    first, second, third = replies[middle.pk]
    at = ids.index(middle.pk)
    assert ids[at : at + 4] == [middle.pk, first.pk, second.pk, third.pk]


def test_most_replies_puts_the_liveliest_thread_first(client, article, threads):
    """?sort=top: threads with more approved replies first; ties stay oldest first."""
    old, middle, new, _ = threads
    response = client.get(article.get_absolute_url() + "?sort=top")
    assert roots_in(shown(response), threads) == [middle.pk, old.pk, new.pk]
    assert 'aria-current="true">Most replies<' in response.content.decode()


def test_held_replies_do_not_count_towards_top(client, article, threads):
    """Only approved replies count: replies waiting for a moderator give no rank."""
    old, middle, new, _ = threads
    for _ in range(5):
        make_comment(article, parent=new, status="pending")
    ids = shown(client.get(article.get_absolute_url() + "?sort=top"))
    assert roots_in(ids, threads) == [middle.pk, old.pk, new.pk]


def test_the_order_is_kept_across_pages_and_replies(client, article, threads, settings):
    """Two threads a page: page links, Reply links and the page they lead to keep ?sort=."""
    old, middle, new, _ = threads
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 2
    first = client.get(article.get_absolute_url() + "?sort=newest")
    html = first.content.decode()
    assert roots_in(shown(first), threads) == [new.pk, middle.pk]
    assert 'href="?cpage=2&amp;sort=newest#comments" rel="next"' in html
    assert f'href="?sort=newest&replyto={new.pk}#respond"' in html
    second = client.get(article.get_absolute_url() + "?cpage=2&sort=newest")
    assert roots_in(shown(second), threads) == [old.pk]
    assert 'href="?sort=newest#comments" rel="prev"' in second.content.decode()  # page 1
    assert f'href="?cpage=2&sort=newest&replyto={old.pk}#respond"' in second.content.decode()


def test_the_fold_and_the_thread_page_keep_the_order(client, article, threads, settings):
    """A folded thread's "more replies" link carries ?sort=, and the thread's page leads
    back ("All comments") to the page of that order that shows it."""
    old, middle, new, _ = threads
    settings.BYLINE_COMMENT_THREAD_FOLD = 1
    settings.BYLINE_COMMENT_THREADS_PER_PAGE = 1
    html = client.get(article.get_absolute_url() + "?sort=top").content.decode()
    link = re.search(r'<p class="more-replies"><a href="([^"]+)">', html).group(1)
    assert link.startswith(f"?thread={middle.pk}&amp;sort=top#comment-")
    page = client.get(article.get_absolute_url() + f"?thread={middle.pk}&sort=top")
    assert f'href="?sort=top#comment-{middle.pk}">All comments' in page.content.decode()
    by_date = client.get(article.get_absolute_url() + f"?thread={middle.pk}")
    assert f'href="?cpage=2#comment-{middle.pk}">All comments' in by_date.content.decode()


def test_an_unknown_order_is_the_default_and_not_stored(client, article, threads):
    """?sort=random (or sort=oldest written out) answers the default page, uncached;
    the known orders' pages are stored under their one address."""
    old, middle, new, _ = threads
    base = article.get_absolute_url()
    for query in ("?sort=random", "?sort=OLDEST", "?sort=oldest", "?sort=", "?sort=top&sort=new"):
        response = client.get(base + query)
        assert response.status_code == 200
        if query != "?sort=top&sort=new":
            assert roots_in(shown(response), threads) == [old.pk, middle.pk, new.pk], query
        assert response.wsgi_request.META.get(STORABLE) is False, query
    for query in ("", "?sort=newest", "?sort=top"):
        assert client.get(base + query).wsgi_request.META.get(STORABLE) is True, query


def test_the_page_cache_keys_the_order(page_cache, article, threads):  # noqa: F811
    """Each order is its own cached page; a made-up order is never stored."""
    base = article.get_absolute_url()
    assert _query_key("sort=newest&cpage=2") == "?cpage=2&sort=newest"
    assert _query_key("sort=x%00") is None
    assert _query_key("sort=" + "a" * 40) is None
    for query in ("?sort=newest", "?sort=top"):
        assert call(page_cache, base + query).headers["x-page-cache"] == "miss"
        assert call(page_cache, base + query).headers["x-page-cache"] == "hit"
    newest = call(page_cache, base + "?sort=newest").text
    oldest = call(page_cache, base).text
    assert newest != oldest
    call(page_cache, base + "?sort=bogus")
    bogus = call(page_cache, base + "?sort=bogus")
    assert bogus.status == 200 and bogus.headers.get("x-page-cache") != "hit"


@hsettings(max_examples=60, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["top", "newest", "oldest"])))
def test_parse_sort_always_gives_a_known_order(value):
    """Any value of ?sort= becomes one of the known orders; unknown ones the default."""
    order = sorting.parse_sort(value)
    assert order in sorting.SORTS
    if value not in sorting.SORTS:
        assert order == sorting.DEFAULT


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sort=st.text(max_size=20), cpage=st.text(max_size=6))
@example(sort="", cpage="1").via("the first page's second address")
@example(sort="oldest", cpage="01").via("the first page's second address")
def test_any_sort_parameter_answers_a_page(client, article, sort, cpage):
    """Whatever ?sort= and ?cpage= hold, the article answers with its comments (a NUL,
    which Django refuses everywhere, is a 400), never an error of the server."""
    if not article.comments.exists():
        make_comment(article)
    response = client.get(article.get_absolute_url(), {"sort": sort, "cpage": cpage})
    if "\x00" in sort + cpage:
        assert response.status_code == 400
        return
    if first_page_address(response.wsgi_request) is not None:  # ?cpage=1, 01...
        assert response.status_code == 301  # to the page without it
        response = client.get(response["Location"])
    assert response.status_code == 200
    assert "comment-list" in response.content.decode()


@pytest.mark.parametrize("sort", sorting.SORTS)
def test_a_threads_position_is_its_place_in_the_order(article, sort):
    """``position`` (counted in the database for the default order) is the thread's index
    in ``root_ids``: ties of time broken by id, removed comments heading threads among them."""
    same = timezone.now() - timedelta(hours=3)
    roots = [make_comment(article, submitted_at=same) for _ in range(3)]
    roots += [make_comment(article) for _ in range(4)]
    removed = make_comment(article, submitted_at=same, status="trash")
    make_comment(article, parent=removed)
    make_comment(article, parent=roots[5])
    held = make_comment(article, status="pending")  # not a thread readers see
    order = sorting.root_ids(article.pk, sort)
    assert removed.pk in order and held.pk not in order
    for index, pk in enumerate(order):
        assert sorting.position(article.pk, pk, sort) == index
    without = sorting.root_ids(article.pk, sort, removed_threads=False)
    for index, pk in enumerate(without):
        assert sorting.position(article.pk, pk, sort, removed_threads=False) == index
