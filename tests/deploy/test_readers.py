"""A page view at nginx speed: the counts micro-cache, and the beacon nginx answers.

Starts the real app (`byline run --production`, granian, on a throwaway SQLite
data folder) with the real nginx running deploy/nginx.conf in front. nginx
keeps the live counts JSON 1 s (no lock, revalidated with the app's ETag),
and answers the page script's view beacon itself with those counts, writing
the view to its view log; `byline flush_views` folds the log into the counts
(exactly once, even when killed mid-batch). Skipped without nginx or granian.
The ports are two free ones, or the third and fourth in ``BYLINE_TEST_PORTS``
(e.g. ``8810,8811,8812,8813``).
"""

import gzip
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.harness import NGINX_CONF
from bench.slowclients import site_reader_requests
from byline.engagement.beacon_layer import COUNTS_SECONDS
from tests.deploy.conftest import needs_nginx_and_granian, site_behind_nginx

pytestmark = needs_nginx_and_granian
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app under granian with the shipped nginx in front: URLs and the article's id."""
    with site_behind_nginx(
        tmp_path_factory,
        "readers",
        2,
        view_log=True,
        page_files=True,
        BYLINE_CLIENT_IP_HEADER="X-Forwarded-For",
        # Folded only when a test says so (the app's own flush would fold at any time).
        BYLINE_VIEW_FLUSH_SECONDS="100000",
    ) as site:
        counts = site_reader_requests(site["nginx"])[1].path
        yield {**site, "id": int(re.search(r"/(\d+)/", counts).group(1))}


def send(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers with lower-case names, body) of one request."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                (response.read()),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def beacon(site, agent: str = BROWSER, source: str = "203.0.113.20", cookie: str = ""):
    """The view beacon as the page's script sends it, through nginx (which logs its own
    client address, 127.0.0.1: a new reader is a new ``agent``; the app sees ``source``)."""
    headers = {
        "User-Agent": agent,
        "Sec-Fetch-Site": "same-origin",
        "Accept": "application/json",
        "X-Forwarded-For": source,
    }
    return send(
        f"{site['nginx']}/api/articles/{site['id']}/view/",
        "POST",
        {**headers, "Cookie": cookie} if cookie else headers,
    )


def fold(site) -> None:
    """`byline flush_views`: nginx's view log folded into the counts, as the service does;
    then the app's own copy of the counts (kept ``COUNTS_SECONDS`` in each worker) has
    expired, so the next read from the app shows the fold."""
    subprocess.run(
        [sys.executable, "-m", "byline", "flush_views"],
        env=site["env"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    time.sleep(COUNTS_SECONDS + 0.1)


def add_comments(site, count: int, reactions: int = 0) -> list[str]:
    """Approved demo comments on the article (the first with ``reactions`` reactions);
    the ids of all its comments."""
    code = (
        "from byline.articles.models import Article;"
        "from byline.discussion.demo import add_demo_comments;"
        f"add_demo_comments(Article.objects.get(pk={site['id']}), {count}, seed=1);"
        "from byline.discussion.models import Comment;"
        f"ids = Comment.objects.filter(article_id={site['id']}).values_list('pk', flat=True);"
        f"Comment.objects.filter(pk=min(ids)).update(reactions={reactions}) if {reactions} else 0;"
        "from byline.signals import article_changed;"
        f"article_changed.send(sender=Article, article_id={site['id']});"
        "print(*ids)"
    )
    made = subprocess.run(
        [sys.executable, "-m", "byline", "shell", "-v", "0", "-c", code],
        env=site["env"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ids = [word for word in made.stdout.split() if word.isdigit()]
    assert ids
    return ids


def views_now(site) -> int:
    """The article's views straight from the app (nginx's copy may be a second old)."""
    _, _, body = send(f"{site['app']}/api/articles/{site['id']}/engagement/")
    return json.loads(body)["views"]


def test_the_shipped_configuration_micro_caches_the_counts_without_a_lock():
    """deploy/nginx.conf keeps the counts JSON of an article without a counts file 1 s,
    serves the stale copy while one request updates it, never makes readers wait for each
    other, and revalidates with the ETag."""
    text = NGINX_CONF.read_text()
    counts = re.search(
        r'location ~ "\^/api/articles/.*?/engagement/\$" \{(.*?)\n    \}', text, re.S
    )
    assert counts, "the counts location is missing"
    assert "try_files /$byline_counts.json @counts;" in counts.group(1)
    block = re.search(r"location @counts \{(.*?)\n    \}", text, re.S)
    assert block, "the counts micro-cache is missing"
    for directive in (
        r"proxy_cache byline_pages;",
        r"proxy_cache_valid 200 404 1s;",
        r"proxy_cache_lock off;",
        r"proxy_cache_revalidate on;",
        r"proxy_cache_background_update on;",
        r"proxy_cache_use_stale updating error timeout",
        r"proxy_ignore_headers Cache-Control Expires Vary X-Accel-Expires;",
    ):
        assert re.search(rf"(?m)^\s*{directive}", block.group(1)), directive
    assert "Set-Cookie" not in block.group(1)  # a response setting a cookie is never stored


def test_nginx_answers_the_counts_from_its_micro_cache_and_304_when_unchanged(site):
    """The second reader within a second gets nginx's copy, or the counts file the app
    left with its answer (counts_layer.leave_file); a reader whose page already
    shows these counts gets a 304 from nginx; nobody gets a cookie."""
    url = f"{site['nginx']}/api/articles/{site['id']}/engagement/"
    # The copy lives one second: on a loaded machine two requests can be further
    # apart than that, so a few pairs are tried; one of them must be served by nginx.
    for _ in range(5):
        send(url)
        status, headers, body = send(url)
        assert status == 200
        if headers["x-cache"] in {"HIT", "UPDATING", "FILE"}:
            break
    assert headers["x-cache"] in {"HIT", "UPDATING", "FILE"}
    assert "set-cookie" not in headers
    assert json.loads(body)["reactions"]
    status, again, _ = send(url, headers={"If-None-Match": headers["etag"]})
    if again.get("x-cache") == "HIT":
        assert status == 304
    assert status in (200, 304)


def test_nginx_keeps_the_comments_reaction_counts_a_few_seconds(site):
    """The counts a page's script asks for when its discussion comes into view: the same
    list from a second reader within 5 s is nginx's copy; nobody gets a cookie, and
    a reader's cookie does not reach the app (the answer is the same for everyone)."""
    url = f"{site['nginx']}/api/comments/reactions/?ids=1,2,3"
    for _ in range(5):
        send(url)
        status, headers, body = send(url, headers={"Cookie": "byline_reader=someone"})
        assert status == 200
        if headers["x-cache"] in {"HIT", "UPDATING"}:
            break
    assert headers["x-cache"] in {"HIT", "UPDATING"}
    assert "set-cookie" not in headers
    assert "counts" in json.loads(body)
    status, headers, _ = send(f"{site['nginx']}/api/comments/reactions/?ids=x")
    assert status == 400  # an error is the app's, never kept
    assert headers["x-cache"] != "HIT"


def test_the_beacon_through_nginx_is_answered_by_nginx_and_counted_once_after_folding(site):
    """One request a page view, answered by nginx with the counts (no Python runs for it);
    once the log is folded the view is counted, once per reader; a bot's is not."""
    before = views_now(site)
    status, headers, body = beacon(site)
    assert status == 200
    assert "set-cookie" not in headers
    assert headers["etag"]
    assert headers["x-cache"] in {"HIT", "MISS", "EXPIRED", "UPDATING", "STALE", "FILE"}
    assert json.loads(body)["reactions"]
    fold(site)
    assert views_now(site) == before + 1
    beacon(site)  # the same reader again
    status, _, _ = beacon(site, agent=BOT, source="203.0.113.21")
    assert status == 200
    fold(site)
    assert views_now(site) == before + 1


def test_a_beacon_nginx_cannot_vouch_for_goes_to_the_app(site):
    """A beacon without the browser's Sec-Fetch-Site (an old browser, a script) is the
    app's to check and count, as before: here another site's, refused."""
    status, headers, body = send(
        f"{site['nginx']}/api/articles/{site['id']}/view/",
        "POST",
        {"User-Agent": BROWSER, "Accept": "application/json", "X-Forwarded-For": "203.0.113.30"},
    )
    assert status == 403
    assert json.loads(body)["error"]["status"] == 403


def test_no_plain_read_sets_a_cookie_through_nginx(site):
    """The front page, the article, its counts and its beacon: not one Set-Cookie."""
    _, headers, body = send(f"{site['nginx']}/", headers={"User-Agent": BROWSER})
    assert "set-cookie" not in headers
    article = re.search(rb'href="(/[^"]+/)"[^>]*>', body)
    answers = [
        send(f"{site['nginx']}/api/articles/{site['id']}/engagement/"),
        beacon(site, source="203.0.113.40"),
    ]
    if article:
        answers.append(send(f"{site['nginx']}{article[1].decode()}"))
    for status, headers, _ in answers:
        assert status == 200
        assert "set-cookie" not in headers


def test_a_fold_killed_mid_batch_and_run_again_counts_every_view_exactly_once(site):
    """kill -9 the folder while it works through a large view log, run it again: every
    line is counted once, none twice (its position moves in the transaction that adds
    the views)."""
    lines = 60_000  # six batches or so: the kill lands inside one
    before = views_now(site)
    now = time.time()
    log = site["data"] / "views" / f"views-{int(now) // 100}.log"
    with log.open("ab") as file:
        for n in range(lines):
            address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            file.write(f"{now:.3f}\t{site['id']}\t{address}\t{BROWSER}\t-\n".encode())
    size = log.stat().st_size
    folder = subprocess.Popen(
        [sys.executable, "-m", "byline", "flush_views"],
        env=site["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    database = site["data"] / "byline.sqlite3"
    offset = 0
    try:
        for _ in range(1200):  # a bound on the loop, not a timing
            time.sleep(0.05)
            if folder.poll() is not None:
                break
            offset = position_of(database, log.name)
            if offset > 0:
                break
        assert folder.poll() is None, "the folder finished before it could be killed"
        assert 0 < offset < size
    finally:
        if folder.poll() is None:
            os.killpg(folder.pid, signal.SIGKILL)
        folder.wait()
    fold(site)
    assert views_now(site) == before + lines


def number_in(database, sql: str, *params: object) -> int:
    """The number the site's SQLite database answers to ``sql`` (0 when no row)."""
    with sqlite3.connect(database, timeout=30) as connection:
        row = connection.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def position_of(database, name: str) -> int:
    return number_in(database, "SELECT offset FROM engagement_viewlogposition WHERE name = ?", name)


def test_the_nginx_bot_list_is_the_apps(site):
    """nginx leaves out of its view log the same self-declared bots the app never counts."""
    from byline.engagement.actions import BOT_USER_AGENT

    text = NGINX_CONF.read_text()
    words = re.search(r'"~\*([^"]+)" 0;', text)
    assert words, "the bot map is missing from deploy/nginx.conf"
    assert words[1] == BOT_USER_AGENT.pattern


def test_the_view_logs_folder_is_written_out_in_every_path():
    """The counts files' roots and the view log's path name the folder as text: a variable
    there costs nginx about 2,600 instructions a beacon and 1,800 a counts refresh
    (bench/nginx_kinds.py --instructions); only the log's file name changes (its slot)."""
    text = NGINX_CONF.read_text()
    roots = re.findall(r"(?m)^\s+root (\S+);", text)
    logs = re.findall(r"(?m)^\s+access_log (\S+) byline_(?:view|vote)\b", text)
    views = [path for path in roots + logs if "/views/" in path]
    # counts, reactions, beacon, vote; the beacon's two logs, the vote log
    assert len(views) == 7, views
    assert all(path.startswith("/srv/byline/var/views/") for path in views), views
    assert [path for path in roots if "$" in path] == []
    assert [path.rsplit("/", 1)[0] for path in logs if "$" in path.rsplit("/", 1)[0]] == []


def test_the_counts_through_nginx_catch_up_within_seconds(site):
    """A new view shows in the counts nginx hands out a second or two after it is folded."""
    url = f"{site['nginx']}/api/articles/{site['id']}/engagement/"
    beacon(site, source="203.0.113.22")
    fold(site)
    expected = views_now(site)
    seen = []
    for _ in range(50):  # a bound on the loop, not a timing: nginx refreshes each second
        _, _, body = send(url)
        seen.append(json.loads(body)["views"])
        if seen[-1] == expected:
            break
        time.sleep(0.1)
    assert seen[-1] == expected, seen


def test_after_a_fold_nginx_answers_the_counts_and_the_beacon_from_the_counts_file(site):
    """The folder writes the counts of the articles being read as files; nginx answers the
    counts and the beacon from them (no request reaches the app), revalidates them with
    their ETag, and still logs the beacon's view."""
    beacon(site, agent=f"{BROWSER} reader 50")
    expected = views_in_file_after_folds(site)
    url = f"{site['nginx']}/api/articles/{site['id']}/engagement/"
    status, headers, body = send(url)
    assert (status, headers["x-cache"]) == (200, "FILE")
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == json.loads(send(url.replace(site["nginx"], site["app"]))[2])
    status, _, _ = send(url, headers={"If-None-Match": headers["etag"]})
    assert status == 304
    status, answer, body = beacon(site, agent=f"{BROWSER} reader 51")
    assert (status, answer["x-cache"]) == (200, "FILE")
    assert "set-cookie" not in answer
    assert json.loads(body)["views"] == expected
    fold(site)
    assert views_now(site) == expected + 1


def test_the_counts_files_answers_are_revalidated_by_their_etag_alone(site):
    """nginx's answers from the counts file (a refresh, its 304, the beacon's) carry the
    ETag the page script compares and no Last-Modified (nginx's work for nothing: the
    beacon's answer is never stored, and the script revalidates by the ETag); the ETag
    alone still gets the 304, and the beacon's is the refresh's for the same file."""
    beacon(site, agent=f"{BROWSER} reader 58")
    views_in_file_after_folds(site)
    url = f"{site['nginx']}/api/articles/{site['id']}/engagement/"
    status, headers, _ = send(url)
    assert (status, headers["x-cache"]) == (200, "FILE")
    assert headers["etag"] and "last-modified" not in headers
    status, revalidated, _ = send(url, headers={"If-None-Match": headers["etag"]})
    assert status == 304
    assert revalidated["etag"] == headers["etag"] and "last-modified" not in revalidated
    status, answer, _ = send(
        f"{site['nginx']}/api/articles/{site['id']}/view/",
        "POST",
        {"User-Agent": BOT, "Sec-Fetch-Site": "same-origin", "Accept": "application/json"},
    )  # a bot's beacon: the same answer, no view to count
    assert (status, answer["x-cache"]) == (200, "FILE")
    assert answer["etag"] == headers["etag"] and "last-modified" not in answer


def view_log_lines(site, article: int) -> list[bytes]:
    """The lines of nginx's view log for ``article``."""
    return [
        line
        for log in sorted((site["data"] / "views").glob("views-*.log"))
        for line in log.read_bytes().splitlines()
        if line.split(b"\t")[1:2] == [str(article).encode()]
    ]


def test_a_lively_discussions_counts_are_sent_as_they_are_and_the_beacon_still_logs_once(site):
    """A counts file carrying the reaction counts of 200 comments (about 3 KB, over
    gzip_min_length) is sent by nginx as it is, to a browser asking for gzip, both as the
    beacon's answer and as the counts: not compressed again for each reader. A much
    larger one (2,000 comments) still is. Each reader's beacon is one line of the view
    log; a bot's none."""
    reacted = ", ".join(f'"{100000 + n}": {n % 17 + 1}' for n in range(200))
    talked = {"views": 123456, "comments": 321, "reactions": {"happy": 3}}
    counts = site["data"] / "views" / "counts"
    counts.mkdir(exist_ok=True)
    article = 987654321  # no such article: what nginx does with a file, whoever wrote it
    file = counts / f"{article}.json"
    file.write_text(json.dumps(talked)[:-1] + f', "comment_reactions": {{{reacted}}}}}')
    assert 2048 < file.stat().st_size < 8192
    asks_gzip = {"User-Agent": BROWSER, "Accept-Encoding": "gzip, deflate, br"}
    url = f"{site['nginx']}/api/articles/{article}/engagement/"
    status, headers, body = send(url, headers=asks_gzip)
    assert (status, headers["x-cache"]) == (200, "FILE")
    assert "content-encoding" not in headers
    assert body == file.read_bytes()
    before = len(view_log_lines(site, article))
    for agent in (BOT, f"{BROWSER} lively 1", f"{BROWSER} lively 2"):  # the bot's first
        status, headers, body = send(
            url.replace("/engagement/", "/view/"),
            "POST",
            {**asks_gzip, "User-Agent": agent, "Sec-Fetch-Site": "same-origin"}
            | {"Accept": "application/json"},
        )
        assert (status, headers["x-cache"]) == (200, "FILE")
        assert "content-encoding" not in headers
        assert body == file.read_bytes()
    for _ in range(40):  # a bound, not a timing: nginx logs as the request ends
        lines = view_log_lines(site, article)[before:]
        if len(lines) >= 2:
            break
        time.sleep(0.05)
    assert [line.split(b"\t")[3].decode() for line in lines] == [
        f"{BROWSER} lively 1",
        f"{BROWSER} lively 2",
    ]
    reacted = ", ".join(f'"{100000 + n}": {n % 17 + 1}' for n in range(2000))
    file.write_text(json.dumps(talked)[:-1] + f', "comment_reactions": {{{reacted}}}}}')
    for _ in range(40):  # nginx looks at an open file again every second
        status, headers, body = send(url, headers=asks_gzip)
        if headers.get("content-encoding") == "gzip":
            break
        time.sleep(0.1)
    assert headers.get("content-encoding") == "gzip"
    assert gzip.decompress(body) == file.read_bytes()
    file.unlink()


def test_after_a_fold_nginx_answers_the_comments_reaction_counts_from_their_file(site):
    """The address the page's script asks for its comments' reaction counts names the
    article: once the folder has written that article's file, nginx answers from it
    (no request reaches the app) what the app would, and revalidates it with its ETag.
    An article without a file is still the app's (kept a few seconds)."""
    path = site_reader_requests(site["nginx"])[0].path
    page = send(f"{site['nginx']}{path}")[2].decode()
    address = re.search(r'<script[^>]* data-counts-url="([^"]+)"', page).group(1)
    assert address == f"/api/comments/reactions/?article={site['id']}"
    ids = add_comments(site, 3)
    url = f"{site['nginx']}{address}&ids={','.join(ids)}"
    beacon(site, agent=f"{BROWSER} reader 60")
    fold(site)
    status, headers, body = send(url)
    assert (status, headers["x-cache"]) == (200, "FILE")
    assert "set-cookie" not in headers
    assert json.loads(body) == json.loads(send(url.replace(site["nginx"], site["app"]))[2])
    assert send(url, headers={"If-None-Match": headers["etag"]})[0] == 304
    status, headers, _ = send(f"{site['nginx']}/api/comments/reactions/?article=x&ids={ids[0]}")
    assert status == 200 and headers["x-cache"] != "FILE"
    status, headers, body = send(url, "POST", {"Content-Type": "application/json"})
    assert status == 405 and json.loads(body)  # a JSON client gets a JSON error


def test_a_counts_file_is_rewritten_only_when_the_counts_change(site):
    """Folding again with nothing new leaves the file (and so nginx's ETag) as it was; a
    new view gives it a new ETag within a few seconds (a vote at the next fold)."""
    beacon(site, agent=f"{BROWSER} reader 52")
    views_in_file_after_folds(site)
    url = f"{site['nginx']}/api/articles/{site['id']}/engagement/"
    first = send(url)[1]["etag"]
    fold(site)
    assert send(url)[1]["etag"] == first
    beacon(site, agent=f"{BROWSER} reader 53")
    expected = views_in_file_after_folds(site)
    status, headers, body = send(url, headers={"If-None-Match": first})
    assert status == 200
    assert headers["etag"] != first
    assert json.loads(body)["views"] == expected


def views_in_file_after_folds(site) -> int:
    """Fold until the article's counts file shows the views the database holds (a change
    of the views alone is written every few seconds, countfiles.VIEWS_ONLY_SECONDS)."""
    path = site["data"] / "views" / "counts" / f"{site['id']}.json"
    for _ in range(40):  # a bound, not a timing
        fold(site)
        expected = views_now(site)
        if path.exists() and json.loads(path.read_bytes())["views"] == expected:
            return expected
        time.sleep(0.25)
    raise AssertionError(f"the counts file never showed {expected} views")


def test_an_unpublished_article_loses_its_counts_file_and_its_beacon_gets_404(site):
    """Taken down, an article's counts and beacon are answered 404 by nginx and the app
    alike, and its views are no longer counted; published again, it is counted again."""
    beacon(site, agent=f"{BROWSER} reader 54")
    fold(site)
    counts = site["data"] / "views" / "counts" / f"{site['id']}.json"
    assert counts.exists()
    database = site["data"] / "byline.sqlite3"
    set_status(database, site["id"], "draft")
    try:
        fold(site)
        assert not counts.exists()
        for n in range(120):  # a bound, not a timing: each app worker remembers "published"
            status, _, body = beacon(site, agent=f"{BROWSER} reader 55-{n}")
            direct = send(
                f"{site['app']}/api/articles/{site['id']}/view/",
                "POST",
                {
                    "User-Agent": BROWSER,
                    "Sec-Fetch-Site": "same-origin",
                    "Accept": "application/json",
                },
            )
            if status == direct[0] == 404:
                break
            time.sleep(0.25)
        assert status == direct[0] == 404
        assert json.loads(body)["error"]["status"] == 404
        assert json.loads(direct[2]) == json.loads(body)
        fold(site)  # views the app counted while it still took the article as published
        before = views_now_in(database, site["id"])
        assert beacon(site, agent=f"{BROWSER} reader 57")[0] == 404
        fold(site)
        assert views_now_in(database, site["id"]) == before
    finally:
        set_status(database, site["id"], "published")
    for _ in range(120):  # as above: until nginx and the app know it is back
        if beacon(site, agent=f"{BROWSER} reader 56")[0] == 200:
            break
        time.sleep(0.25)
    fold(site)


def set_status(database, article_id: int, status: str) -> None:
    with sqlite3.connect(database, timeout=30) as connection:
        connection.execute(
            "UPDATE articles_article SET status = ? WHERE id = ?", [status, article_id]
        )


def views_now_in(database, article_id: int) -> int:
    return number_in(
        database, "SELECT views FROM engagement_articlestats WHERE article_id = ?", article_id
    )


def test_a_browser_gets_the_page_files_compressed_copy_not_one_compressed_for_it(site):
    """The article page from its page file, as a browser asks for it (gzip): nginx sends
    the copy the app compressed once (Content-Length, its own ETag), the same page."""
    path = site_reader_requests(site["nginx"])[0].path
    url = f"{site['nginx']}{path}"
    for _ in range(40):  # a bound, not a timing: until the app has written the file
        status, plain_headers, plain = send(url, headers={"User-Agent": BROWSER})
        if plain_headers.get("x-cache") == "FILE":
            break
        time.sleep(0.25)
    assert plain_headers.get("x-cache") == "FILE"
    assert "content-encoding" not in plain_headers
    status, headers, body = send(
        url, headers={"User-Agent": BROWSER, "Accept-Encoding": "gzip, deflate, br"}
    )
    assert status == 200 and headers.get("x-cache") == "FILE"
    assert headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(body) < len(plain) / 2  # not chunked on the fly
    assert gzip.decompress(body) == plain
    assert headers["etag"] != plain_headers["etag"]
    again = {"User-Agent": BROWSER, "Accept-Encoding": "gzip", "If-None-Match": headers["etag"]}
    status, _, _ = send(url, headers=again)
    assert status == 304


SECURITY_HEADERS = (
    "cache-control",
    "content-type",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
)


def test_nginx_answers_the_comment_session_of_a_reader_who_has_none_without_a_token(site):
    """A reader with no commenter cookie and no remembered details has nothing of theirs in
    the comment session: nginx answers it (empty lists, no token, never stored, the app's
    headers), and the form's own request for a token (&form=1), a reader with a cookie, a
    protected article's pass and another method reach the app, which signs a fresh token."""
    session = f"{site['nginx']}/comments/session/?article={site['id']}"
    status, headers, body = send(session, headers={"User-Agent": BROWSER})
    assert status == 200 and headers["x-cache"] == "NGINX"
    assert json.loads(body) == {
        "ts": None,
        "remembered": {"name": "", "email": "", "website": ""},
        "pending": [],
        "editable": [],
    }
    assert "set-cookie" not in headers
    status, app_headers, app_body = send(
        session.replace(site["nginx"], site["app"]), headers={"User-Agent": BROWSER}
    )
    assert status == 200
    app_answer = json.loads(app_body)
    assert app_answer["ts"] and {**app_answer, "ts": None} == json.loads(body)
    for name in SECURITY_HEADERS:  # the same headers as the app's own answer
        assert sorted(headers[name].replace(" ", "").split(",")) == sorted(
            app_headers[name].replace(" ", "").split(",")
        ), name
    for url, cookie in (
        (f"{session}&form=1", ""),
        (session, "byline_commenter=x"),
        (session, "a=1; byline_comment_author=%7B%7D"),
        (f"{session}&unlock=x", ""),
    ):
        status, headers, body = send(url, headers={"User-Agent": BROWSER, "Cookie": cookie})
        assert headers.get("x-cache") != "NGINX", url
        if status == 200:
            assert json.loads(body)["ts"], url
    status, headers, _ = send(session, "POST", {"User-Agent": BROWSER})
    assert status in (403, 405) and headers.get("x-cache") != "NGINX"  # CSRF or method


def test_a_page_view_in_a_browser_is_the_html_and_one_request_comments_included(site):
    """Real Chromium through the shipped nginx: after the page (and its stylesheet, kept a
    year), the page's script sends one request, the beacon, whose answer carries the live
    counts and the comments' reaction counts; reading down to the discussion asks for
    nothing more within the refresh interval (not even the comment session: a reader
    who never commented here has nothing in it). The reader's view is counted once; a
    declared bot's page view is answered the same way and not counted."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, sync_playwright

    if sync_playwright is None or not CHROMIUM:
        pytest.skip("Chromium and Playwright are needed")
    article = site_reader_requests(site["nginx"])[0].path
    first = min(add_comments(site, 3, reactions=7), key=int)
    # The page with these comments, not one kept from before they were added (earlier
    # tests of this module comment on the same article): their purge may take a moment.
    mark = f'data-comment-reaction="{first}"'.encode()
    shown = 0
    for _ in range(400):  # until nginx serves the page with its comments for 2 s
        page = send(f"{site['nginx']}{article}", headers={"Accept-Encoding": "gzip"})[2]
        shown = shown + 1 if mark in gzip.decompress(page) else 0
        if shown == 20:
            break
        time.sleep(0.1)
    assert shown == 20, "nginx never served the page with the new comments"
    counts = f"{site['nginx']}/api/articles/{site['id']}/engagement/"
    for _ in range(100):  # the counts are at most a few seconds old
        if json.loads(send(counts)[2]).get("comment_reactions", {}).get(first) == 7:
            break
        time.sleep(0.1)
    fold(site)  # the views earlier tests sent, counted first: only this one moves `before`
    before = views_now(site)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for agent in (f"{BROWSER} in Chromium", BOT):  # a reader new to this module
                context = browser.new_context(user_agent=agent)
                page = context.new_page()
                asked: list[tuple[str, str]] = []
                answers = []
                page.on("request", lambda r, asked=asked: asked.append((r.method, r.url)))
                page.on("response", lambda r, answers=answers: answers.append(r))
                page.goto(f"{site['nginx']}{article}", wait_until="networkidle")
                assert page.locator("button[data-comment-reaction]").count() > 0

                def after_page(asked=asked):
                    return [
                        (method, url.removeprefix(site["nginx"]))
                        for method, url in asked[1:]
                        if "/static/" not in url
                    ]

                assert after_page() == [("POST", f"/api/articles/{site['id']}/view/")]
                page.locator("#comments").scroll_into_view_if_needed()
                page.wait_for_timeout(1500)
                # Reaching the discussion asks for nothing: the comments' reaction counts
                # came with the beacon's answer, and a reader without the session marker
                # has nothing in the comment session ...
                session = f"/comments/session/?article={site['id']}"
                assert after_page()[1:] == []
                # ... and using the form asks the app for a fresh token, once.
                cached_token = page.locator("#respond [name=ts]").input_value()
                page.locator("#respond [name=body]").focus()
                page.wait_for_function(
                    "t => document.querySelector('#respond [name=ts]').value !== t",
                    arg=cached_token,
                )
                page.locator("#respond [name=name]").focus()
                page.wait_for_timeout(300)
                assert after_page()[1:] == [("GET", f"{session}&form=1")]
                beacon_answer = next(a for a in answers if a.url.endswith("/view/")).json()
                assert beacon_answer["comment_reactions"][first] == 7
                shown = page.locator(f'button[data-comment-reaction="{first}"] [data-count]')
                assert shown.text_content() == "7"
                # The one cookie: the CSRF token's, which the form's session hands out
                # with the form token (as /api/csrf/ did before the first post).
                assert [c["name"] for c in page.context.cookies()] == ["csrftoken"]
                context.close()
        finally:
            browser.close()
    fold(site)
    assert views_now(site) == before + 1


SESSION_MARKER = "byline_has_session"


def test_the_session_marker_alone_never_sends_a_page_to_the_app(site):
    """The marker is no credential and no commenter cookie: a reader holding it alone (or
    beside a reader cookie) gets nginx's page file and nginx's empty comment session, as
    a reader without it; the commenter cookie it marks still reaches the app."""
    article = site_reader_requests(site["nginx"])[0].path
    session = f"{site['nginx']}/comments/session/?article={site['id']}"
    for cookie in (f"{SESSION_MARKER}=1", f"byline_reader=abc; {SESSION_MARKER}=1"):
        headers = {"User-Agent": BROWSER, "Cookie": cookie}
        for _ in range(2):  # the second is the page file for certain
            status, answer, _ = send(f"{site['nginx']}{article}", headers=headers)
        assert status == 200 and answer["x-cache"] == "FILE", cookie
        assert "set-cookie" not in answer
        status, answer, _ = send(session, headers=headers)
        assert status == 200 and answer["x-cache"] == "NGINX", cookie
    cookie = f"byline_commenter=x; {SESSION_MARKER}=1"
    _, answer, _ = send(session, headers={"User-Agent": BROWSER, "Cookie": cookie})
    assert answer.get("x-cache") != "NGINX"


def test_nginxs_beacon_marks_a_browser_holding_a_commenters_cookies_without_the_marker(site):
    """A reader who commented before the marker existed holds the commenter cookies and
    no marker. The view beacon nginx answers at page load (from the counts file, or from
    the app's counts when there is none) gives them the marker, with what the app sets
    on it (no expires: Max-Age rules); a browser already marked, or without the
    commenter cookies, gets no cookie, and every one of these views is logged."""
    from byline.readers import session_marker_headers

    counts_file = site["data"] / "views" / "counts" / f"{site['id']}.json"
    beacon(site, agent=f"{BROWSER} marker reader")
    views_in_file_after_folds(site)
    app_sets = session_marker_headers({"byline_commenter": "x"}, False, unmark=False)
    expected = re.sub(r"expires=[^;]*; ", "", app_sets[0][1])
    assert expected == f"{SESSION_MARKER}=1; Max-Age=2592000; Path=/; SameSite=Lax"
    cookies = {
        "byline_commenter=abc:def": expected,
        "byline_reader=r; byline_comment_author=%7B%7D": expected,
        f"byline_commenter=abc:def; {SESSION_MARKER}=1": None,
        f"{SESSION_MARKER}=1": None,
        "byline_reader=r": None,
        "": None,
    }
    aside = counts_file.with_name("aside.json")
    logged = len(view_log_lines(site, site["id"]))
    try:
        for answered_by in ("FILE", "the app's counts"):
            for number, (cookie, marker) in enumerate(cookies.items()):
                if answered_by != "FILE" and counts_file.exists():  # the app writes it back
                    counts_file.replace(aside)
                    time.sleep(1.1)  # nginx's open_file_cache_valid
                agent = f"{BROWSER} marker {answered_by} {number}"
                status, answer, _ = beacon(site, agent=agent, cookie=cookie)
                assert status == 200, cookie
                assert (answer["x-cache"] == "FILE") == (answered_by == "FILE"), cookie
                assert answer.get("set-cookie") == marker, (answered_by, cookie)
    finally:
        if aside.exists() and not counts_file.exists():
            aside.rename(counts_file)
    assert len(view_log_lines(site, site["id"])) == logged + 2 * len(cookies)


def test_a_reader_who_commented_gets_their_session_when_the_discussion_comes_into_view(site):
    """Real Chromium through the shipped nginx. A new reader reaching the discussion sends
    no session request. Once they comment (details remembered), the browser holds the
    session marker beside the HttpOnly cookies, and each later visit asks for the session
    when the discussion comes into view, once, from the app: the form filled in and the
    Edit link on their comment. Unticking "Save my name" forgets the details and keeps
    the marker for the commenter cookie's 30 days (their comments stay theirs). A browser
    holding the cookies without the marker (commented before it existed, or removed it)
    is marked again by the view beacon at load, and asks when the discussion comes into
    view; the marker without its cookies is asked once more (nginx answers) and removed
    when the form is used."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, sync_playwright

    if sync_playwright is None or not CHROMIUM:
        pytest.skip("Chromium and Playwright are needed")
    article = f"{site['nginx']}{site_reader_requests(site['nginx'])[0].path}"
    session = f"/comments/session/?article={site['id']}"
    body = f"The marker test says hello, {time.time_ns()}."
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(user_agent=f"{BROWSER} commenter")
            page = context.new_page()
            asked: list[str] = []
            page.on("request", lambda r: asked.append(r.url))

            def read_to_the_discussion() -> list[str]:
                """Open the article, scroll to the discussion: the session requests sent."""
                asked.clear()
                page.goto(article, wait_until="networkidle")
                page.locator("#comments").scroll_into_view_if_needed()
                page.wait_for_timeout(1000)
                return [
                    url.removeprefix(site["nginx"]) for url in asked if "/comments/session/" in url
                ]

            def cookies() -> dict[str, dict]:
                return {cookie["name"]: cookie for cookie in context.cookies()}

            def own_comment():
                return page.locator(".comment", has_text=body)

            def lifetime_days(cookie: dict) -> float:
                """How many days the browser keeps ``cookie`` from now (its Expires)."""
                return (cookie["expires"] - time.time()) / 86400

            assert read_to_the_discussion() == []  # a new reader
            form = page.locator("#respond")
            form.locator("[name=body]").fill(body)
            form.locator("[name=name]").fill("Robin Quill")
            form.locator("[name=email]").fill("robin@example.org")
            form.locator("[name=remember]").check()
            page.wait_for_timeout(3500)  # BYLINE_COMMENT_MIN_SECONDS
            form.get_by_role("button", name="Post Comment").click()
            own_comment().get_by_role("link", name="Edit").wait_for(timeout=30_000)
            marker = cookies()[SESSION_MARKER]
            assert marker["value"] == "1" and not marker["httpOnly"]
            assert cookies()["byline_commenter"]["httpOnly"]

            for _ in range(50):  # until nginx's page file shows the new comment
                sent = read_to_the_discussion()
                if own_comment().count():
                    break
                time.sleep(0.2)
            assert sent == [session]
            assert own_comment().get_by_role("link", name="Edit").is_visible()
            assert form.locator("[name=name]").input_value() == "Robin Quill"
            assert form.locator("[name=remember]").is_checked()

            # "Save my name" unticked: the details go, the marker stays with the cookie.
            form.locator("[name=body]").fill(f"{body} And a second thought.")
            form.locator("[name=name]").fill("Robin Quill")
            form.locator("[name=email]").fill("robin@example.org")
            form.locator("[name=remember]").uncheck()
            page.wait_for_timeout(3500)  # BYLINE_COMMENT_MIN_SECONDS, from the session's token
            form.get_by_role("button", name="Post Comment").click()
            page.wait_for_function(
                "() => !document.querySelector('#respond [name=body]').value", timeout=30_000
            )
            left = cookies()
            assert "byline_comment_author" not in left
            assert 29 < lifetime_days(left[SESSION_MARKER]) <= 30
            assert read_to_the_discussion() == [session]
            assert form.locator("[name=name]").input_value() == ""
            assert own_comment().first.get_by_role("link", name="Edit").is_visible()

            # The cookie without the marker (a reader who commented before it existed, or
            # who removed it): the view beacon at page load marks the browser again, for
            # the commenter cookie's 30 days, and the discussion in view asks for the
            # session: the Edit link is back without using the form.
            context.clear_cookies(name=SESSION_MARKER)
            assert read_to_the_discussion() == [session]
            own_comment().first.get_by_role("link", name="Edit").wait_for()
            marker = cookies()[SESSION_MARKER]
            assert marker["value"] == "1" and not marker["httpOnly"]
            assert 29 < lifetime_days(marker) <= 30

            # The marker without its cookies (they expired): asked once more, nginx answers
            # (nothing of theirs), and the form's request removes the marker.
            context.clear_cookies(name="byline_commenter")
            assert read_to_the_discussion() == [session]
            assert own_comment().first.get_by_role("link", name="Edit").count() == 0
            form.locator("[name=body]").focus()
            page.wait_for_timeout(500)
            assert SESSION_MARKER not in cookies()
            assert read_to_the_discussion() == []
        finally:
            browser.close()


def nginx_workers(site) -> list[str]:
    """The process ids of the site's nginx workers (children of its master)."""
    config = str(site["data"].parent / "nginx-shipped.conf")
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and config in (proc / "cmdline").read_text():
                children = proc / "task" / proc.name / "children"
                return children.read_text().split()
        except OSError:
            continue
    raise AssertionError("the site's nginx is not running")


@pytest.mark.skipif(not shutil.which("strace"), reason="needs strace (apt-get install strace)")
def test_nginx_sends_the_counts_and_the_beacons_answer_with_their_headers_in_one_write(site):
    """A counts file is a few hundred bytes. With sendfile, as Debian's nginx.conf sets it
    for every site (and tcp_nopush), nginx would send each with four system calls: the
    socket corked, the headers written, the file sent, the socket uncorked. nginx reads
    the file and sends it with its headers in one write instead, for the counts, the
    beacon's answer and the comments' reaction counts."""
    counts = site["data"] / "views" / "counts"
    counts.mkdir(exist_ok=True)
    article = 987654322  # no such article: what nginx does with a file, whoever wrote it
    (counts / f"{article}.json").write_text('{"views": 71917, "comments": 0, "reactions": {}}')
    reactions = site["data"] / "views" / "reactions"
    reactions.mkdir(exist_ok=True)
    (reactions / f"{article}.json").write_text('{"1": {"happy": 71939}}')
    url = f"{site['nginx']}/api/articles/{article}"
    answers = {  # each request, and what its answer's file holds
        "counts": (f"{url}/engagement/", "GET", {}, "71917"),
        "beacon": (
            f"{url}/view/",
            "POST",
            {"Sec-Fetch-Site": "same-origin", "Accept": "application/json"},
            "71917",
        ),
        "reactions": (
            f"{site['nginx']}/api/comments/reactions/?article={article}&ids=1",
            "GET",
            {},
            "71939",
        ),
    }
    trace = site["data"].parent / "strace-counts.txt"
    tracer = subprocess.Popen(
        ["strace", "-qq", "-f", "-s", "4096", "-e", "trace=sendfile,setsockopt,writev"]
        + ["-o", str(trace)]
        + [arg for pid in nginx_workers(site) for arg in ("-p", pid)],
        stderr=subprocess.PIPE,
        text=True,
    )
    written = {}
    try:
        for kind, (address, method, headers, holds) in answers.items():
            for _ in range(100):  # a bound: strace attaches to both workers as they run
                status, answer, _ = send(address, method, {"User-Agent": BROWSER, **headers})
                assert (status, answer["x-cache"]) == (200, "FILE"), kind
                if tracer.poll() is not None:
                    pytest.skip(f"strace cannot attach here: {tracer.stderr.read()[-200:]!r}")
                calls = trace.read_text() if trace.exists() else ""
                writes = [line for line in calls.splitlines() if "writev(" in line]
                # one write: the status line and the file's bytes together
                written[kind] = any("HTTP/1.1 200" in w and holds in w for w in writes)
                if written[kind]:
                    break
                time.sleep(0.1)
    finally:
        tracer.terminate()
        tracer.wait(timeout=10)
    assert written == {kind: True for kind in answers}
    calls = trace.read_text()
    assert "sendfile(" not in calls
    assert "TCP_CORK" not in calls
