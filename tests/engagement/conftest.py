import pytest

from byline.engagement import beacon_layer


@pytest.fixture
def fresh_beacon_counts():
    """Counts kept by an earlier test's process-wide copy (the beacon layer's) must not
    leak into this one."""
    beacon_layer._counts.clear()
    yield
    beacon_layer._counts.clear()
