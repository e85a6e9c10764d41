import pytest

from byline import db
from byline.pagecache import store


@pytest.fixture
def own_store(settings, tmp_path):
    """This worker's page store on a fresh data folder, reading the generation every time."""
    settings.DATA_DIR = tmp_path
    settings.BYLINE_PAGE_CACHE_SYNC_SECONDS = 0
    store.reset_page_store()
    yield tmp_path
    store.reset_page_store()


@pytest.fixture
def lagging_replica(monkeypatch):
    """Reads go to a replica ("replica_1") unless the primary is asked for; it is not set
    up here, so a read sent there fails, as one that lags would answer from before."""
    monkeypatch.setattr(db, "replica_aliases", lambda: ["replica_1"])
    db.unpin()  # what request_started does
    yield
    db.unpin()
