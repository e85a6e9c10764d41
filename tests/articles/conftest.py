import pytest

from byline.pagecache import store


@pytest.fixture
def own_store(settings, tmp_path):
    """This worker's page store on a fresh data folder, reading the generation every time."""
    settings.DATA_DIR = tmp_path
    settings.BYLINE_PAGE_CACHE_SYNC_SECONDS = 0
    store.reset_page_store()
    yield tmp_path
    store.reset_page_store()
