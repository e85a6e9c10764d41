"""``viewmarks``: the folds' ``ViewMark`` rows, read and written one way (the vote log's
limits, the view log's marks and limits without Redis): ``store`` makes a key's row or
replaces its count and end, ``counts`` reads what the keys hold (a key without a row:
none), for any number of keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from byline.engagement import viewmarks
from byline.engagement.models import ViewMark

pytestmark = [pytest.mark.django_db]


def test_a_key_is_made_then_its_count_and_end_replaced():
    now = timezone.now()
    viewmarks.store([("a", 1), ("b", 4)], now + timedelta(minutes=1))
    assert viewmarks.counts(["a", "b", "c"]) == {"a": 1, "b": 4}
    viewmarks.store([("b", 5), ("c", 1)], now + timedelta(minutes=2))
    assert viewmarks.counts(["a", "b", "c"]) == {"a": 1, "b": 5, "c": 1}
    rows = {mark.key: mark for mark in ViewMark.objects.all()}
    assert rows["a"].expires_at == now + timedelta(minutes=1)
    assert rows["b"].expires_at == rows["c"].expires_at == now + timedelta(minutes=2)


def test_any_number_of_keys_as_the_orm_reads_them():
    """More keys than one statement takes on SQLite (``CHUNK``), quotes and backslashes in
    them (a PostgreSQL array's text): the same rows as the ORM's own filter."""
    keys = [f'key "{n}" \\ {n}' for n in range(viewmarks.CHUNK * 2 + 7)]
    viewmarks.store([(key, n) for n, key in enumerate(keys)], timezone.now())
    assert viewmarks.counts(keys) == dict(
        ViewMark.objects.filter(key__in=keys).values_list("key", "count")
    )
    assert len(viewmarks.counts(keys)) == len(keys)
    assert viewmarks.counts([]) == {}
    viewmarks.store([], timezone.now())  # nothing to write
