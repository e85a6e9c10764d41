"""Cached pages written as files for nginx, and the symlink that invalidates them."""

import fcntl
import os
import threading

import pytest

from byline.pagecache.files import LockNotTaken, PageFiles, folder_lock
from byline.pagecache.store import (
    FileGeneration,
    MemoryPages,
    PageStore,
    RedisGeneration,
    redis_client,
    reset_page_store,
)
from tests.pagecache.test_store import needs_redis, page
from tests.pagecache.wsgi_client import call


@pytest.fixture
def files(tmp_path):
    return PageFiles(tmp_path / "pages")


def served_by_nginx(files: PageFiles, scheme: str, host: str, uri: str) -> bytes | None:
    """What deploy/nginx.conf's try_files would find: current/$scheme/$host${uri}index.html."""
    path = files.root / "current" / scheme / host / (uri.lstrip("/") + "index.html")
    return path.read_bytes() if path.exists() else None


def test_a_page_is_written_where_nginx_looks(files):
    files.switch("7")
    files.write("https://news.example/articles/a-story/", page(b"<p>story</p>", generation="7"))
    files.write("https://news.example/", page(b"<p>front</p>", generation="7"))
    assert served_by_nginx(files, "https", "news.example", "/articles/a-story/") == b"<p>story</p>"
    assert served_by_nginx(files, "https", "news.example", "/") == b"<p>front</p>"


@pytest.mark.parametrize(
    "key",
    [
        "http://news.example/articles/a-story",  # nginx only looks for .../index.html
        "http://news.example/?page=2",  # nginx sends query strings to the app
        "http://news.example/articles/../../etc/",
        "http://news.example/articles/./x/",
        "http://news.example//x/",
        "http://evil/../x/",
        "http://bad host/x/",
    ],
)
def test_no_file_is_written_outside_what_nginx_would_serve(files, key):
    assert files.path_for(key, "1") is None


def test_a_new_generation_points_nginx_at_an_empty_folder(files):
    files.switch("1")
    files.write("http://news.example/", page(generation="1"))
    files.switch("2")
    assert served_by_nginx(files, "http", "news.example", "/") is None
    assert os.readlink(files.root / "current") == "2"


def test_a_missing_link_is_recreated(files):
    """`byline run` removes the link at start; the workers' poll puts it back."""
    files.switch("5")
    files.reset()
    assert not (files.root / "current").exists()
    files.ensure("5")
    assert os.readlink(files.root / "current") == "5"


def test_an_invalidation_empties_what_nginx_serves(files, tmp_path):
    store = PageStore(FileGeneration(tmp_path / "generation", 0), MemoryPages(1 << 20), files=files)
    generation = store.current_generation()
    store.set("http://news.example/", page(b"old", generation=generation))
    assert served_by_nginx(files, "http", "news.example", "/") == b"old"
    store.invalidate()
    assert served_by_nginx(files, "http", "news.example", "/") is None


@pytest.mark.django_db
def test_the_layer_writes_the_page_it_stores(page_cache, demo_article, settings, tmp_path):
    settings.BYLINE_PAGE_FILES_DIR = str(tmp_path / "pages")
    settings.ALLOWED_HOSTS = ["news.example"]
    reset_page_store()  # the demo article's save built one without files
    url = demo_article.get_absolute_url()
    response = call(page_cache, url, host="news.example")
    assert response.status == 200
    files = page_cache.store.files
    assert served_by_nginx(files, "http", "news.example", url) == response.body


def test_a_page_is_written_with_its_compressed_copy(files):
    """nginx sends browsers the compressed copy (gzip_static): the same page, and the
    same bytes each time it is written."""
    import gzip

    files.switch("7")
    body = b"<p>story</p>" * 500
    files.write("https://news.example/articles/a-story/", page(body, generation="7"))
    folder = files.root / "current" / "https" / "news.example" / "articles" / "a-story"
    compressed = (folder / "index.html.gz").read_bytes()
    assert gzip.decompress(compressed) == body
    assert len(compressed) < len(body) / 10
    files.switch("8")
    files.write("https://news.example/articles/a-story/", page(body, generation="8"))
    assert (files.root / "8" / folder.relative_to(files.root / "current")).joinpath(
        "index.html.gz"
    ).read_bytes() == compressed
    assert not [name for name in os.listdir(folder) if name.endswith(".tmp")]


def test_the_compressed_copy_is_a_plain_gzip_file_any_client_reads():
    """One gzip member and nothing after it: no file name, comment or time in its header
    (the same page, the same bytes), its CRC and length at the end (what ``gzip -t``,
    nginx's ``gunzip`` and browsers check); bytes, as the page is."""
    import gzip
    import struct
    import zlib

    from byline.pagecache.files import _compress

    body = "<p>Ünïcode story, told twice.</p>".encode() * 3000
    compressed = _compress(body)
    assert type(compressed) is bytes
    magic, method, flags, mtime = struct.unpack("<HBBI", compressed[:8])
    assert (magic, method, flags, mtime) == (0x8B1F, 8, 0, 0)
    assert struct.unpack("<II", compressed[-8:]) == (zlib.crc32(body), len(body))
    reader = zlib.decompressobj(wbits=31)
    assert reader.decompress(compressed) == body
    assert reader.eof and reader.unused_data == b""
    assert gzip.decompress(compressed) == body
    assert _compress(body) == compressed
    assert gzip.decompress(_compress(b"")) == b""


def test_a_worker_that_cannot_read_the_generation_leaves_the_others_files(tmp_path):
    """A worker that cannot read the generation for a moment points nginx at an empty
    folder (it cannot tell which pages are current), and points it back once it reads
    the generation again. The files the other workers wrote must still be there: they
    serve those pages from memory and never write them again."""
    files = PageFiles(tmp_path / "pages")
    one, two = (
        PageStore(FileGeneration(tmp_path / "generation", 0), MemoryPages(1 << 20), None, files)
        for _ in range(2)
    )
    generation = one.current_generation()
    two.current_generation()
    key = "http://news.example/articles/moths/"
    one.set(key, page(b"<p>moths</p>", generation=generation))
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") == b"<p>moths</p>"
    long_ago = os.stat(files.root / generation).st_mtime - 3600  # the site unchanged an hour
    os.utime(files.root / generation, (long_ago, long_ago))

    def unreadable() -> str:
        raise OSError("the disk is busy")

    readable, two.generation.read = two.generation.read, unreadable
    two.generation._next_read = float("-inf")
    assert two.current_generation() != generation
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None
    two.generation.read = readable
    two.generation._next_read = float("-inf")
    assert two.current_generation() == generation
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") == b"<p>moths</p>"
    assert one.get(key, one.current_generation()) is not None


@needs_redis
def test_a_move_owed_by_another_worker_is_made_before_nginx_is_pointed_back(tmp_path):
    """An edit while Redis cannot be reached cannot move the generation: its worker owes
    the move (noted in the data folder) and the workers point nginx at empty folders.
    When Redis answers again, a worker reading the generation before the move is made
    must not point nginx back at the folder of pages from before the edit (the owing
    worker may still be cut off, or have died): it makes the move itself, once."""
    client = redis_client(os.environ["REDIS_URL"])
    client.flushdb()
    unreachable = redis_client("redis://127.0.0.1:1/0")  # nothing listens on port 1
    files, owed = PageFiles(tmp_path / "pages"), tmp_path / "pagecache-owed"
    editor, reader = (
        PageStore(RedisGeneration(client, 0, owed), MemoryPages(1 << 20), None, files)
        for _ in range(2)
    )
    before = reader.current_generation()
    editor.current_generation()
    key = "http://news.example/articles/moths/"
    reader.set(key, page(b"<p>before the edit</p>", generation=before))
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is not None

    for store in (editor, reader):  # Redis goes
        store.generation.client = unreachable
        store.generation._next_read = float("-inf")
    editor.invalidate()  # an edit: the move is owed
    assert list(owed.glob("owed-*"))
    files.ensure(reader.current_generation())
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None

    reader.generation.client = client  # Redis is back for the reader, not yet the editor
    reader.generation._next_read = float("-inf")
    files.ensure(reader.current_generation())  # the reader's next poll
    assert served_by_nginx(files, "http", "news.example", "/articles/moths/") is None
    assert reader.current_generation() != before
    assert not list(owed.glob("owed-*"))

    # The editor, back too, finds its move made: it does not move the generation again.
    moved = reader.current_generation()
    editor.generation.client = client
    editor.generation._next_read = float("-inf")
    try:
        assert editor.current_generation() == moved
    finally:
        editor.generation._bump_owed = False  # its thread that retries the move stops
        client.flushdb()


def test_a_page_folder_s_lock_is_waited_for_as_long_as_asked_then_given_up(tmp_path):
    """Another process holds the folder's lock (here another descriptor: ``flock`` locks
    are per open file): a writer asking with a wait gives up after it (with Redis frozen
    the holder waits one Redis timeout, so the writers of that page would queue behind
    it and behind one another, ``files.folder_lock``); once it is free, it is taken at
    once; one asking without a wait waits until it is free."""
    folder = tmp_path / "articles" / "moths"
    folder.mkdir(parents=True)
    holder = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with pytest.raises(LockNotTaken), folder_lock(folder, wait=0.05):
            pytest.fail("taken while another holds it")
        taken = threading.Event()

        def patient() -> None:
            with folder_lock(folder):
                taken.set()

        waiter = threading.Thread(target=patient)
        waiter.start()
        assert not taken.wait(0.2)
    finally:
        os.close(holder)  # releases it
    waiter.join(10)
    assert taken.is_set()
    with folder_lock(folder, wait=0.05):
        pass
