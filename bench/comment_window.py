"""What readers of an article get through nginx while a comment on it is published.

Starts the app (granian, a throwaway SQLite data folder, the Redis of ``REDIS_URL``:
scoped purges need it) behind the shipped nginx with page files, warms the article's
page file, then has a few readers ask for the article's HTML without a pause while
comments are posted through the real form (``/comments/session/`` then
``/comments/post/``). For each comment it reports the answers that did not come from
nginx's page file (``X-Cache: FILE``), how long after the comment's answer the last of
them came, any error, and when the comment first showed in a page file.

    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/comment_window.py --comments 5

``tests/deploy/test_comment_pages.py`` asserts the same on the same stack.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclass
class Answer:
    at: float  # time.monotonic() when it came
    status: int
    source: str  # nginx's X-Cache: FILE (the page file), HIT, MISS, EXPIRED, UPDATING...
    body: bytes
    app: str = ""  # the app's X-Page-Cache (hit, miss, stale) when it answered


@dataclass
class Window:
    """The answers of one comment's watch, and what they say."""

    text: str
    posted_at: float  # when the comment's POST was answered
    status: str  # "approved", "pending"...
    answers: list[Answer] = field(default_factory=list)

    def after(self) -> list[Answer]:
        return [a for a in self.answers if a.at >= self.posted_at]

    def not_from_a_file(self) -> list[Answer]:
        """Answers after the comment's that nginx did not take from a page file."""
        return [a for a in self.after() if a.source != "FILE"]

    def errors(self) -> list[Answer]:
        return [a for a in self.answers if a.status != 200]

    def shown_after(self) -> float | None:
        """Seconds from the comment's answer to the first page file that shows it."""
        text = self.text.encode()
        for answer in self.after():
            if answer.source == "FILE" and text in answer.body:
                return answer.at - self.posted_at
        return None

    def summary(self) -> dict:
        proxied = self.not_from_a_file()
        return {
            "status": self.status,
            "html answers after the comment": len(self.after()),
            "not from a file": len(proxied),
            "by source": dict(Counter(f"{a.source} {a.app}".strip() for a in proxied)),
            "old page not from a file": sum(self.text.encode() not in a.body for a in proxied),
            "last not from a file (s after)": round(proxied[-1].at - self.posted_at, 3)
            if proxied
            else None,
            "errors": len(self.errors()),
            "shown in a file after (s)": None
            if (shown := self.shown_after()) is None
            else round(shown, 3),
        }


def read_continuously(
    base: str, path: str, stop: threading.Event, into: list[Answer], pause: float = 0.0
) -> None:
    """One reader asking for ``path`` again and again on a keep-alive connection,
    ``pause`` seconds between answer and question."""
    netloc = urllib.parse.urlsplit(base).netloc
    connection = http.client.HTTPConnection(netloc, timeout=10)
    while not stop.is_set():
        try:
            connection.request("GET", path, headers={"User-Agent": "Mozilla/5.0 watcher"})
            response = connection.getresponse()
            body = response.read()
            into.append(
                Answer(
                    time.monotonic(),
                    response.status,
                    response.getheader("X-Cache", ""),
                    body,
                    response.getheader("X-Page-Cache", ""),
                )
            )
        except (OSError, http.client.HTTPException):
            into.append(Answer(time.monotonic(), 0, "refused", b""))
            connection.close()
            connection = http.client.HTTPConnection(netloc, timeout=10)
        if pause:
            time.sleep(pause)
    connection.close()


def post_comment(base: str, article_id: int, text: str, reader: int) -> str:
    """A comment through the real form, as discussion.js sends it: its status."""
    netloc = urllib.parse.urlsplit(base).netloc
    connection = http.client.HTTPConnection(netloc, timeout=30)
    agent = {
        "User-Agent": f"Mozilla/5.0 commenter {reader}",
        "X-Forwarded-For": f"203.0.113.{reader}",
    }
    connection.request("GET", f"/comments/session/?article={article_id}&form=1", headers=agent)
    session = connection.getresponse().read()
    ts = re.search(rb'"ts":\s*"([^"]+)"', session)
    body = urllib.parse.urlencode(
        {
            "article": article_id,
            "name": f"Reader {reader}",
            "email": f"reader{reader}@example.org",
            "body": text,
            "ts": ts.group(1).decode() if ts else "",
        }
    )
    headers = {
        **agent,
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "X-Requested-With": "fetch",
    }
    connection.request("POST", "/comments/post/", body=body, headers=headers)
    answer = connection.getresponse().read()
    connection.close()
    try:
        return str(json.loads(answer).get("status", answer[:80]))
    except ValueError:
        return repr(answer[:80])


TEXTS = (
    "The council should publish the full budget before the vote, not after it. {n}",
    "My street flooded twice last winter and nobody came to look at the drains. {n}",
    "Good reporting. Would like to know what the schools think about the plan. {n}",
    "I was at the meeting and the figures quoted there were different from these. {n}",
    "Thanks for following up on this story, the earlier piece left questions open. {n}",
)


def watch_comments(
    base: str,
    path: str,
    article_id: int,
    comments: int,
    readers: int = 3,
    settle: float = 3.0,
    pause: float = 0.0,
) -> list[Window]:
    """Readers ask for ``path`` through nginx (``pause`` seconds between answer and next
    question) while ``comments`` comments are posted, ``settle`` seconds apart: one
    ``Window`` per comment."""
    answers: list[Answer] = []
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=read_continuously, args=(base, path, stop, answers, pause), daemon=True
        )
        for _ in range(readers)
    ]
    for thread in threads:
        thread.start()
    windows = []
    try:
        time.sleep(settle)
        for n in range(comments):
            text = TEXTS[n % len(TEXTS)].format(n=f"(note {time.time_ns() % 100000})")
            start = len(answers)
            status = post_comment(base, article_id, text, reader=10 + n)
            posted = time.monotonic()
            time.sleep(settle)
            windows.append(Window(text, posted, status, answers[start:]))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return windows


def main() -> int:
    from bench.harness import Bench, app_behind_nginx, free_ports, throwaway_site_environment
    from bench.slowclients import site_reader_requests

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=5)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--port-base", type=int, default=0)
    options = parser.parse_args()
    redis = os.environ.get("REDIS_URL", "")
    if not redis:
        print("REDIS_URL is needed (without Redis a comment moves the generation)")
        return 2
    with Bench("byline-comment-window-") as bench:
        app_port, nginx_port = (
            (options.port_base, options.port_base + 1) if options.port_base else free_ports(2)
        )
        env = throwaway_site_environment(
            bench.work / "data",
            REDIS_URL=redis,
            BYLINE_COMMENT_MIN_SECONDS="0",
            BYLINE_COMMENT_RATE_LIMIT="1000",
            BYLINE_CLIENT_IP_HEADER="X-Forwarded-For",
        )
        _, nginx = app_behind_nginx(bench, env, app_port, nginx_port)
        page, counts, _ = site_reader_requests(nginx)
        article_id = int(re.search(r"/(\d+)/", counts.path).group(1))
        windows = watch_comments(
            nginx, page.path, article_id, options.comments, options.readers, options.settle
        )
        for n, window in enumerate(windows):
            print(n, json.dumps(window.summary()))
    return bench.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
