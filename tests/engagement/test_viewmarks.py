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


def test_its_rows_are_those_the_orms_upsert_writes():
    """What ``viewlog`` wrote with ``bulk_create(update_conflicts=True)`` before: rows made
    and rows replaced (an older count, an expired end), the end to the microsecond,
    given in any time zone."""
    from zoneinfo import ZoneInfo

    now = timezone.now().astimezone(ZoneInfo("America/New_York"))
    old = [("kept", 9, now - timedelta(days=1)), ("moved", 2, now - timedelta(seconds=5))]
    new = [("moved", 3), ("made", 1), ("made twice", 70_000)]
    until = now + timedelta(seconds=61, microseconds=7)

    def rows() -> list[tuple[str, int, object]]:
        return sorted(ViewMark.objects.values_list("key", "count", "expires_at"))

    written = []
    for write in ("orm", "viewmarks"):
        ViewMark.objects.all().delete()
        ViewMark.objects.bulk_create([ViewMark(key=k, count=c, expires_at=e) for k, c, e in old])
        if write == "orm":
            ViewMark.objects.bulk_create(
                [ViewMark(key=k, count=c, expires_at=until) for k, c in new],
                update_conflicts=True,
                unique_fields=["key"],
                update_fields=["count", "expires_at"],
            )
        else:
            viewmarks.store(new, until)
        written.append(rows())
    assert written[0] == written[1]
    assert dict((k, c) for k, c, _ in written[1]) == {
        "kept": 9,
        "moved": 3,
        "made": 1,
        "made twice": 70_000,
    }
