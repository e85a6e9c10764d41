"""Readers one server carries: whole page views through the shipped nginx, not just the HTML.

Starts Byline in production mode (``byline run --production``: granian) behind
deploy/nginx.conf, on PostgreSQL when DATABASE_URL says so and Redis when
REDIS_URL is set, creates ``--articles`` articles (a copy of the demo
article's body each) and simulates reader sessions against nginx, as a
browser runs the article page and its script:

- a reader opens an article, chosen Zipf-like (a few hot ones, a long tail):
  the HTML, then the CSS and the scripts the page links to. Half the sessions
  are returning readers: their browser has the static files (immutable,
  cached a year) and revalidates an article it has seen (If-None-Match: 304);
- the page's script sends the view beacon and shows the live counts, then
  revalidates them every ``data-refresh-seconds`` while figures are on screen
  (``Generator.follow_counts`` does what engagement.js does): the counters
  under the headline for the first 15 s, the figures after the article for
  the readers who read to the end;
- 30% of the readers read to the end (the discussion: each article has
  ``--comments`` approved comments), between 30% and 90% of their stay: the
  figures and the comments' reaction counts come into view (refreshed at once
  when older than the interval: the counts carry the comments' reaction counts)
  and discussion.js asks for the reader's own comment session
  (``GET /comments/session/?article=<id>``: a fresh form timestamp, their
  details and comments) if their browser holds the session marker (a reader
  who commented in it, returning: ``byline_has_session``, set with the
  commenter's cookies); the others ask only when they use the form;
- a commenting reader sends what discussion.js sends: the form's session when
  the form is used (``&form=1``: the form token and the CSRF token the post
  sends, setting the ``csrftoken`` cookie), then the form (multipart, with
  ``X-CSRFToken``), whose answer carries the Edit link on the new comment and
  the next tokens: two requests to the app. ``GET /api/csrf/`` only when the
  session gave no CSRF token, and the session again after posting only when
  the answer has no next form token (kinds "comment form", "comment", and
  "comment csrf", "comment session" in those cases);
- stay times are log-normal, median 60 s, sigma 1 (mean 99 s, one in twenty
  over 5 minutes); 2% of the sessions react, 0.1% comment (every 50th and
  every 1000th of a generator's sessions, from a random first one); 0.5% are
  self-declared bots (a bot User-Agent) whose beacons must not be counted;
- browsers ask for compressed answers (``Accept-Encoding: gzip``; ``--identity``
  not), so nginx sends the page files' compressed copies;
- every reader browses from an address of its own (127.x.y.z, so nginx sees
  it as the client address) with a User-Agent of its own.

The clock is compressed by ``--time-scale`` (default 60: a 60 s stay and a
60 s refresh take 1 s): N simulated readers send what N x time-scale real
readers would, so that figure is what the table calls "readers carried". Each
step runs ``--seconds`` with N concurrent readers (a reader that leaves is
replaced by a new session) after a warm-up; N doubles from
``--start-readers`` until a step fails twice in a row (p99 latency over 200 ms
or any failed request), then one step between the last pass and the failure,
and, if the ramp stopped below ``--cpu-readers``, one step there for steady
CPU figures. The kinds of browsers are measured **side by side**: at each N,
two phases of ``--seconds``/2 each, in the order A B B A, so a neighbour's
burst or a drift in the machine's load weighs on both alike; the ratio to the
HTML alone is printed by CPU per view at each N (the headline: at the most
readers both carried under 200 ms) and by readers carried. On a shared machine
one step's ratio still swings (a neighbour's burst in one phase; nginx's CPU a
request itself moves 15% with the machine's load), so ``--rounds R`` then runs R
more steps of every script at the most readers all carried (the ramp's steps
are their warm-up: a run's first phases hold the view folder's and the app's
first looks) and prints each round's
ratio, their median (the headline to compare) and spread (min-max, quartiles),
and all rounds pooled. A view is a page opened (its HTML, 304 or not) in the
phase.

That headline divides a phase's CPU by its views at a few percent of the machine
(~310 views/s at 480 simulated readers), so its CPU a view holds work that does not grow
with the views: the view folder's look at every article, the roles' timed work. What
one server carries at saturation depends on the **marginal** CPU a view instead.
``--slope-readers M`` (above the rounds' N, e.g. 2N) runs in each round one more A B B A
step of every script at M readers (after the N step in odd rounds, before it in even
ones, so a drift in the machine's load weighs on both); per script and role it prints
the CPU a second at N and at M, the slope (µs a view more) and the intercept (the CPU a
second used whatever the views while readers read, idle included), then "readers by CPU
at saturation" = (cores - the fixed CPU/s of every server role) / their µs a view more x
the mean stay, and its ratio to the HTML alone's: all rounds pooled (the figure to
compare: the line through every N step and every M step) and by round (in turn; median,
min-max: each round's a line through two steps, a neighbour's burst in one of them
swings it far more than the headline's ratio of two averages), measured per view like
the headline. Comments (0.1% of readers, tens
of ms of the app's CPU each: one more or less in a phase moved its CPU a view by 15%) are
**apportioned by their share**: each step's CPU is taken less a comment's CPU x (the
comments posted - 0.1% of its views), a comment's CPU fitted per role over every phase
of the script (least squares: CPU = fixed x seconds + a view x views + a comment x
comments), so the slope holds the comments at their share and not the luck of a
phase's draw; votes (every 50th session) follow the views within one a phase and are
left in the views. The M steps must be fair: the worst p99 and the errors at M, the
views' growth against the readers' (under 0.9 of it: someone fell behind) and the
generator's cores are checked and printed ("NOT A FAIR SLOPE" when the views fell
behind, the generator ran out of CPU or every round went over; a round whose step at M
went over 200 ms or had errors is marked "*", and the median of the others printed). The line
through two points assumes the CPU a view does not change between N and M; it does
somewhat: nginx's CPU a request falls as more requests share each wake-up (at ~320 and
~1,200 views/s of the html readers, 175 µs a view on average, 73 µs a view more; wrk
keeps it busier still at ~21 µs a page), so part of nginx's "fixed" CPU/s is that
batching, not work done whatever the views, and the slope is what one more view costs
in the range measured, not at full load. On a shared machine a neighbour's load lands
in the intercept or the slope as it falls (the intercept, extrapolated to no views, the
more), hence the rounds' spread. On 2 shared cores M = 2N (960 from 480) kept up (views
x1.99-2.10 for readers x2, p99 over 200 ms in one round in five); 3N kept the views
(x2.74-3.06 for x3) but the after readers' p99 went over in 6 rounds of 8 (p50 up to
245 ms while the servers used a fifth of the cores: the generator's queue, below); 4N fell behind
(x3.3 for x4, p99 over 1 s). A full run, about 11 minutes::

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/readers.py \\
        --start-readers 480 --max-readers 480 --seconds 8 --rounds 10 --slope-readers 960

The load generator
is ``--generators`` processes (2), each an asyncio loop speaking HTTP/1.1 over
raw keep-alive sockets (one connection per session) for its share of the
readers, browsers numbered apart; their CPU is printed beside the servers',
read from /proc like the others, and ``--generator-cpus`` pins them.

A request's latency is timed by the generator, from writing it to reading its answer
whole, so it holds the wait for the generator's own loop: on 2 shared cores at load
5-6 its processes wait for a CPU, and an answer nginx sent in under a millisecond is
read when the loop next runs. Each step therefore prints the readers' p50/p99 by kind
of request, how late the generators' loops woke (a 10 ms timer, sampled while
measuring: "generator loop late p50/p99/max") and how long their processes waited for
a CPU (the kernel's schedstat); ``--request-log`` (a diagnosis: the log costs nginx
CPU) adds nginx's own time for each request ($request_time, by kind, from a timing log
every location of the measured nginx writes). At 960 simulated readers (2026-12-06,
load 5-6) nginx's p99 was under 1 ms for every kind it answers (page, beacon, refresh,
vote) while the readers saw p99 114-334 ms, the same for every kind, and the loop woke
late by p99 47-203 ms: the after readers' latency over 200 ms at 960 was the
generator's queue, not Byline's (only the comment POST, the app's, takes tens of ms
in nginx's own time).

Kinds of browsers (``--scripts``, html and after by default), measured in the
same run with the same generator:

  html    the reference: sessions that fetch the page alone (nginx's page file,
          a 304 for a returning reader) and nothing else;
  before  the page script as it was: the view beacon (204), then a GET of the
          counts, then one counts request every refresh, all answered by the
          app (a second nginx running deploy/nginx.conf without its counts
          micro-cache);
  app-beacon  the page script now, with the beacon answered by the app (the
          last version of deploy/nginx.conf, without its view log beacon): the
          beacon answers with the counts (one request instead of two);
          refreshes are revalidations that nginx answers from its 1 s
          micro-cache (a 304 when nothing changed), and the script backs off
          (twice the interval, up to 4x) while nothing changes. Both, like
          previous, with discussion.js's comment session on every page view.
  previous  the page's scripts of the third round through deploy/nginx.conf
          as shipped then (the fourth's, below): discussion.js asks the app
          for the reader's comment session on every page view, and
          reactions.js for the comments' reaction counts (nginx's file) when
          the discussion comes into view;
  fourth  the page's scripts and nginx of the fourth round (2026-12-05): as
          after, but every comment session (asked when the discussion comes
          into view) is the app's: deploy/nginx.conf without its "comment
          session" block;
  after   the page's scripts now through deploy/nginx.conf as shipped: a page
          view is the HTML and the beacon, whose answer (like the refreshes)
          carries the comments' reaction counts; the comment session only for
          the readers who reach the discussion and commented before in that
          browser (its session marker), who send their commenter cookies: the
          app answers. nginx answers
          the beacon itself (the article's counts file, else the micro-cached
          counts) and the comment session of a reader who has none (no token:
          the form asks the app for one when used, ``&form=1``), and writes the
          view to its view log, which ``byline
          flush_views --every 2`` (the "view folder" below) folds into the
          counts, writing the counts files of the articles being read when
          they change: no Python per view, no per-article polling.

Beside them, nginx's ceiling for the HTML: wrk -c64 on the cached article
through the same nginx. "readers by CPU" divides the machine's cores by the
server CPU (nginx, app, PostgreSQL, Redis, less their idle use) a page view
cost in the busiest step (and in the best passing one), times the mean stay:
the readers one server would
carry were the load generator elsewhere, which on a shared machine is the
steadier ratio. CPU is read per process from the kernel's CPU clock, to the
nanosecond (bench/harness.py's ``StackCPU``; /proc's ticks of 10 ms were 5% of
nginx's CPU in a phase). PostgreSQL is our database's backends only; Redis is
counted when REDIS_URL names a server of its own (its port in the command line).
Idle use: nginx's, the least of 2 s before and after the readers; the other
roles', their rate over all the html phases (the HTML alone never asks them, so
they do only their timed work then: the view folder's look at every article
every 30 s, tens of ms, fell in one phase or another).

After each kind of browser the view buffer is flushed and the views stored
for the bench's articles must equal exactly the views its readers sent
(counted once per browser and article; none from bots; see ``exact_views``
for the one degraded mode explained rather than failed), and no plain read
may set a cookie. Requests are told apart by who answered them: nginx from a
file (page or counts file), nginx's micro-cache, or the app.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_readers \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/readers.py [--quick]

``--quick`` (CI): one 3 s step per kind of browser (two 1.5 s phases) at
``--start-readers``, 20 articles, one session in 10 voting and one in 20
commenting (the paths run at all: at 0.1% a short run posted no comment);
asserts exact counts, bots' beacons sent and not counted, votes and comments
answered, every reader's last vote of each kind on each article stored (the vote
log folded first: nginx takes the page script's votes, "vote (nginx)", 202), no
cookie, no failed request; never timings.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gzip
import json
import math
import multiprocessing
import os
import random
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Connection_
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402  (bench/ is on the path)
    Bench,
    CheckFailed,
    Server,
    StackCPU,
    bench_parser,
    database_of,
    ensure_database,
    ensure_tools,
    percentile,
    redis_port_of,
    shipped_nginx_config,
    start_app,
    start_nginx,
    wait_for,
)

STAY_MEDIAN_SECONDS = 60.0
STAY_SIGMA = 1.0
MEAN_STAY_SECONDS = STAY_MEDIAN_SECONDS * math.exp(STAY_SIGMA**2 / 2)
P99_LIMIT_MS = 200.0
# A step over P99_LIMIT_MS whose generator loop woke later than this at p99 is told as
# the generator's queue (its processes short of CPU), not the servers'.
GENERATOR_LATE_MS = P99_LIMIT_MS / 4
RETURNING_SHARE = 0.5
VOTE_SHARE = 0.02
COMMENT_SHARE = 0.001
BOT_SHARE = 0.005
SCROLL_SHARE = 0.3  # readers who scroll the discussion into view
CHUNK = 300  # comment ids per reaction counts request (reactions.js)
BACKOFF_MAX = 4
HEADER_SECONDS = 15.0  # the counters under the headline stay on screen (or near it) this long
BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
REACTIONS = ["happy", "sad", "excited", "sleepy", "angry", "surprise"]
WITHDRAW_SHARE = 0.1  # of votes: the reader's vote of that kind withdrawn
# Scripts that send a vote in the query with no body (engagement.js since the votes nginx
# takes); the earlier ones sent a JSON body.
QUERY_VOTES = ("after",)
# The counts micro-cache in deploy/nginx.conf, removed for the "before" script.
MICRO_CACHE = re.compile(
    r"\n    # --- counts micro-cache ---.*?# --- end counts micro-cache ---\n", re.S
)
# The beacon nginx answers and logs, removed for the "before" and "app-beacon" scripts.
VIEW_LOG_BEACON = re.compile(
    r"\n    # --- view log beacon ---.*?# --- end view log beacon ---\n", re.S
)
VIEW_LOG_DEFINITIONS = re.compile(
    r"\n# --- view log beacon: definitions ---.*?# --- end view log beacon: definitions ---\n",
    re.S,
)
# The votes nginx answers and logs (the query form only "after" sends), removed for the
# scripts before them: their nginx handed every vote to the app.
VOTE_LOG = re.compile(r"\n    # --- vote log ---.*?# --- end vote log ---\n", re.S)
VOTE_LOG_DEFINITIONS = re.compile(
    r"\n# --- vote log: definitions ---.*?# --- end vote log: definitions ---\n", re.S
)
ANSWERS_COUNTS = ("after", "fourth", "previous", "app-beacon")
# Scripts that ask for the comment session when the discussion comes into view ("after":
# only in a browser holding the session marker, Browser.marked).
SESSION_IN_VIEW = ("after", "fourth")
SESSION_MARKER = "byline_has_session"  # byline/discussion/views.py
# What readers write: the genuine (ham) news comments of the spam filter's own corpus, in
# the package (byline/antispam/data: real news sites' comments and hand-written newsroom
# ones, in many languages; YouTube's are left out), drawn at random: varied texts, as on
# a news site, not one template (the filter held ~93% of the old templated one).
CORPUS = Path(__file__).resolve().parent.parent / "byline" / "antispam" / "data"
FIRST_NAMES = (
    "Maria James Aisha Tom Sofia Lukas Chen Fatima Pedro Anna Kwame Olga Ravi Emma Yusuf"
    " Claire Hiro Ines David Nadia Sam Joanna Mehmet Lena Carlos Grace Piotr Amara Noah Elif"
).split()
LAST_NAMES = (
    "Lopez Smith Okafor Brown Rossi Weber Wang Haddad Silva Nowak Mensah Ivanova Patel Wilson"
    " Demir Martin Tanaka Costa Cohen Karimi Taylor Kowalski Yilmaz Fischer Garcia Njoroge"
).split()


@functools.cache
def reader_comments() -> list[str]:
    """The genuine comments of the corpus (read once per generator process)."""
    import json

    texts = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        if path.name.startswith("youtube"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("label") == "ham" and row["text"].strip():
                texts.append(row["text"])
    return texts


def commenter(rng: random.Random) -> tuple[str, str]:
    """A reader's name and e-mail address, varied as readers sign (reserved domains)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    shape = rng.randrange(5)
    name = (f"{first} {last}", first, f"{first} {last[0]}.", f"{first[0]}. {last}", first)[shape]
    if shape == 4:  # a handle
        name = f"{first.lower()}{rng.randrange(10, 99)}"
    local = rng.choice(
        (f"{first}.{last}", f"{first}{last}{rng.randrange(1, 999)}", f"{first[0]}{last}")
    ).lower()
    domain = rng.choice(("example.com", "example.org", "example.net", "mail.example.com"))
    return name, f"{local}.{rng.randrange(10**6)}@{domain}"


# The comment session nginx answers for a reader who has none, removed for "fourth".
COMMENT_SESSION = re.compile(
    r"\n    # --- comment session ---.*?# --- end comment session ---\n", re.S
)
# Scripts whose discussion.js asks for the reader's comment session on every page view
# (the one now asks only when the discussion comes into view).
SESSION_AT_LOAD = ("before", "app-beacon", "previous")


# --- the load generator --------------------------------------------------------------


class Failed(Exception):
    """A request the reader would have seen fail (status, cookie, timeout)."""


@dataclass
class Browser:
    """What a browser keeps between visits: its address, cookies and HTTP cache."""

    ip: str
    agent: str
    bot: bool = False
    cookie: str = ""
    etags: dict[str, str] = field(default_factory=dict)
    has_static: bool = False
    marked: bool = False  # holds the comment session marker (commented in this browser)
    signed: tuple[str, str] = ("", "")  # the name and e-mail this browser commented under

    def keep(self, set_cookie: str) -> None:
        """Keep the cookies an answer set (``read_response`` joins them with newlines)."""
        jar = dict(pair.split("=", 1) for pair in self.cookie.split("; ") if "=" in pair)
        for line in set_cookie.split("\n"):
            name, value = line.split(";", 1)[0].split("=", 1)
            if value.strip('"'):
                jar[name.strip()] = value
            else:
                jar.pop(name.strip(), None)  # deleted
        self.cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
        self.marked = SESSION_MARKER in jar


@dataclass
class Page:
    article_id: int
    path: str
    static: list[str]
    counts: str
    view: str
    reaction: str
    rating: str
    comment_counts: list[str] = field(default_factory=list)  # ?ids= lists, one per chunk


@dataclass
class Tally:
    """What one step (or the whole run) sent and got."""

    kinds: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    sessions: int = 0
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # latencies by kind
    # How late the generator's loop woke a timer (s), sampled every ``LAG_EVERY`` s: a
    # request's latency holds the wait for its loop, so a late loop is the generator's.
    lags: list[float] = field(default_factory=list)
    waited: float = 0.0  # seconds the generator processes waited for a CPU (run queue)

    def add(self, other: Tally) -> None:
        self.kinds.update(other.kinds)
        self.latencies += other.latencies
        self.errors.update(other.errors)
        self.sessions += other.sessions
        for kind, values in other.by_kind.items():
            self.by_kind.setdefault(kind, []).extend(values)
        self.lags += other.lags
        self.waited += other.waited


class Generator:
    """Reader sessions over raw HTTP/1.1 keep-alive connections to nginx."""

    def __init__(self, port: int, pages: list[Page], script: str, scale: float, seed: int):
        self.port = port
        self.pages = pages
        self.script = script  # "before", "app-beacon", "previous", "fourth", "after", "html"
        self.scale = scale
        self.rng = random.Random(seed)
        weights = [1 / (rank + 1) ** 1.1 for rank in range(len(pages))]
        total = sum(weights)
        self.cumulative = list(_accumulate([w / total for w in weights]))
        self.browsers: list[Browser] = []
        self.tally = Tally()
        self.measuring = False
        self.tag = secrets.token_hex(3)
        self.refresh_seconds = 60.0
        self.bot_every = round(1 / BOT_SHARE)
        self.vote_share, self.comment_share = VOTE_SHARE, COMMENT_SHARE
        # Sessions owed a vote / a comment (``act``), from a random start.
        self.vote_due, self.comment_due = self.rng.random(), self.rng.random()
        self.scroll_share = SCROLL_SHARE
        self.compressed = True  # ask for compressed answers (--identity: not)
        self.index, self.count = 0, 1  # this process's place among the generator processes
        self.texts = reader_comments()

    def record_error(self, kind: str, what: str) -> None:
        if self.measuring:
            self.tally.errors[f"{kind}: {what}"] += 1
        ERRORS[f"{kind}: {what}"] += 1

    # -- who reads what

    def new_browser(self) -> Browser:
        # Numbered across the generator processes: each has every ``count``-th number.
        n = self.index + self.count * len(ALL_BROWSERS)
        ip = f"127.{1 + n // 64516 % 250}.{1 + n // 254 % 254}.{1 + n % 254}"
        bot = n % self.bot_every == 10  # 0.5% (4% in --quick), from the 11th browser on
        agent = (
            BOT_AGENT
            if bot
            else f"Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0 bench-{self.tag}-{n}"
        )
        browser = Browser(ip, agent, bot)
        ALL_BROWSERS.append(browser)
        self.browsers.append(browser)
        return browser

    def act(self) -> float:
        """Whether this session votes (0.0), comments (``vote_share``) or neither (1.0):
        every 1/share-th session of the generator, from a random first one, not a draw
        each: a comment costs the app tens of times a view, and drawn at random their
        number in a phase of a few seconds (one or two expected) swung the app's CPU
        a view by a third between phases."""
        self.vote_due += self.vote_share
        self.comment_due += self.comment_share
        if self.comment_due >= 1.0:
            self.comment_due -= 1.0
            return self.vote_share
        if self.vote_due >= 1.0:
            self.vote_due -= 1.0
            return 0.0
        return 1.0

    def pick_browser(self) -> Browser:
        if self.browsers and self.rng.random() < RETURNING_SHARE:
            return self.rng.choice(self.browsers)
        return self.new_browser()

    def pick_page(self) -> Page:
        x = self.rng.random()
        lo, hi = 0, len(self.cumulative) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cumulative[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return self.pages[lo]

    def stay(self) -> float:
        return self.rng.lognormvariate(math.log(STAY_MEDIAN_SECONDS), STAY_SIGMA) / self.scale

    # -- one reader slot: sessions one after another until told to stop

    async def reader(self, stop: asyncio.Event, first_delay: float) -> None:
        await _sleep(stop, first_delay)
        while not stop.is_set():
            try:
                await self.session(stop)
            except Failed:
                pass

    async def session(self, stop: asyncio.Event) -> None:
        browser, page = self.pick_browser(), self.pick_page()
        started = time.monotonic()
        stay = self.stay()
        leave_at = started + stay
        connection = Connection(self, browser)
        try:
            await connection.open()
            await self.open_page(connection, browser, page)
            if self.script == "html":
                await _sleep(stop, leave_at - time.monotonic())
                return
            shown_tag = await self.count_view(connection, browser, page)
            if self.script in SESSION_AT_LOAD:  # discussion.js, as it was
                await self.comment_session(connection, page)
            if browser.bot:
                await _sleep(stop, leave_at - time.monotonic())
                return
            await self.follow_counts(connection, browser, page, stop, started, stay, shown_tag)
        finally:
            connection.close()
            if self.measuring:
                self.tally.sessions += 1

    async def follow_counts(
        self,
        connection: Connection,
        browser: Browser,
        page: Page,
        stop: asyncio.Event,
        started: float,
        stay: float,
        shown_tag: str,
    ) -> None:
        """What the page's script does while the reader stays (engagement.js): refreshes
        while figures are on screen, every ``data-refresh-seconds``, the wait doubling (up
        to 4x) while a refresh's ETag is the one already shown; out of view nothing, and
        figures coming back into view older than the interval are refreshed at once. The
        reader: the counters under the headline are on screen for the first
        ``HEADER_SECONDS``; the ``--scroll-share`` who read to the end reach the figures
        block and the discussion (discussion.js then asks for the reader's comment session;
        only in a browser holding the session marker, fourth's in every one; the previous
        scripts asked for it at load, and for the comments' reaction counts
        here, which the counts now carry) between 30% and 90%
        of their stay, and keep them in view until they leave; a reader who votes or
        comments does it within the first interval (a vote's answer carries the counts)."""
        scale, leave_at = self.scale, started + stay
        every = self.refresh_seconds / scale
        header_end = started + HEADER_SECONDS / scale
        arrive = None
        if self.rng.random() < self.scroll_share:
            arrive = started + stay * self.rng.uniform(0.3, 0.9)
        if self.script == "before":  # the old script: every interval, in view or not
            header_end, arrive = leave_at, None
        roll = self.act()
        acts = roll < self.vote_share + self.comment_share
        act_at = started + self.rng.random() * every if acts else math.inf
        changes = sorted(t for t in (header_end, arrive) if t is not None and t < leave_at)
        fetched, unchanged = time.monotonic(), 0  # the beacon's answer

        def on_screen(t: float) -> bool:
            return t < header_end or (arrive is not None and t >= arrive)

        while not stop.is_set():
            now = time.monotonic()
            gated = self.script in ANSWERS_COUNTS
            wait = every * (min(BACKOFF_MAX, 2**unchanged) if gated else 1)
            timer = fetched + wait if every > 0 and on_screen(now) else math.inf
            change = changes[0] if changes else math.inf
            at = min(timer, change, act_at, leave_at)
            await _sleep(stop, at - time.monotonic())
            if stop.is_set() or at >= leave_at:
                return
            if at == act_at:
                act_at = math.inf
                if roll < self.vote_share:
                    await self.vote(connection, browser, page)
                    fetched, unchanged = time.monotonic(), 0
                else:
                    await self.comment(connection, browser, page)
                continue
            if at == change:
                changes.pop(0)
                if at == arrive and self.script in SESSION_IN_VIEW:  # the discussion in view:
                    if browser.marked or self.script != "after":  # a commenter's browser
                        await self.comment_session(connection, page)  # their own session
                elif at == arrive:  # ... and, before, its reaction counts
                    for url in page.comment_counts:
                        await connection.request("GET", url, {}, kind="comment counts", ok=(200,))
                if not on_screen(at) or every <= 0 or time.monotonic() - fetched < every:
                    continue
            fetched = time.monotonic()
            tag = await self.refresh(connection, browser, page)
            unchanged = unchanged + 1 if tag and tag == shown_tag else 0
            shown_tag = tag

    # -- what the page and its script send

    async def open_page(self, connection: Connection, browser: Browser, page: Page) -> None:
        headers = {}
        etag = browser.etags.get(page.path)
        if etag:
            headers["If-None-Match"] = etag
        status, answer, _ = await connection.request("GET", page.path, headers, kind="html")
        if status == 200 and "etag" in answer:
            browser.etags[page.path] = answer["etag"]
        if self.script == "html" or browser.has_static:
            return
        for path in page.static:
            await connection.request("GET", path, {}, kind="static")
        browser.has_static = True

    async def count_view(self, connection: Connection, browser: Browser, page: Page) -> str:
        """The beacon, then (before) the counts; the ETag of the counts shown."""
        headers = {"Sec-Fetch-Site": "same-origin", "Origin": connection.origin}
        if self.script in ANSWERS_COUNTS:  # the script asks the beacon for the counts
            headers["Accept"] = "application/json"
        try:
            status, answer, body = await connection.request(
                "POST", page.view, headers, kind="beacon", ok=(200, 204)
            )
        except Failed:
            if not browser.bot:
                TOTALS["beacons failed"] += 1
            raise
        pair = (browser.ip, browser.agent, page.article_id)
        if browser.bot:
            TOTALS["bot beacons"] += 1
        elif pair in ALL_PAIRS:
            TOTALS["repeat beacons"] += 1  # the same browser again: not counted
        else:
            ALL_PAIRS.add(pair)
        if self.script in ANSWERS_COUNTS and status == 200:
            if (
                self.script in SESSION_IN_VIEW
                and page.comment_counts
                and b'"comment_reactions"' not in body
            ):
                self.record_error("beacon", "no comments' reaction counts in the answer")
                raise Failed("the beacon's answer lacks the comments' reaction counts")
            return answer.get("etag", "")  # the beacon's answer carries the counts
        return await self.refresh(connection, browser, page, kind="counts")

    async def refresh(
        self, connection: Connection, browser: Browser, page: Page, kind: str = "refresh"
    ) -> str:
        """A revalidation of the counts (``cache: "no-cache"``: the browser sends the
        ETag of its cached copy); the ETag of the counts now shown."""
        etag = browser.etags.get(page.counts)
        headers = {"If-None-Match": etag} if etag else {}
        status, answer, _ = await connection.request(
            "GET", page.counts, headers, kind=kind, ok=(200, 304)
        )
        tag = answer.get("etag", etag or "")
        if tag:
            browser.etags[page.counts] = tag
        return tag

    async def comment_session(self, connection: Connection, page: Page) -> None:
        """discussion.js: the reader's own session (a fresh form timestamp, their details
        and comments), from the app, never cached."""
        await connection.request(
            "GET",
            f"/comments/session/?article={page.article_id}",
            {"Accept": "application/json"},
            kind="comment session",
            ok=(200,),
        )

    async def vote(self, connection: Connection, browser: Browser, page: Page) -> None:
        """A reaction or a rating (one in ``WITHDRAW_SHARE`` withdrawn). The page's
        script ("after") sends it in the query, with no body: the shipped nginx takes it
        (202, "vote (nginx)", folded later), or hands it to the app (200); the earlier
        scripts sent a JSON body. The reader's last choice of each kind on each article
        is kept (``VOTES_SENT``) for the exact check at the end."""
        kind = "reaction" if self.rng.random() < 0.5 else "rating"
        choice: str | int | None = (
            self.rng.choice(REACTIONS) if kind == "reaction" else self.rng.randint(1, 5)
        )
        if self.rng.random() < WITHDRAW_SHARE:
            choice = None
        field = "reaction" if kind == "reaction" else "stars"
        url = page.reaction if kind == "reaction" else page.rating
        headers = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json"}
        body = b""
        if self.script in QUERY_VOTES:
            url += f"?{field}={'' if choice is None else choice}"
        else:
            headers["Content-Type"] = "application/json"
            body = json.dumps({field: choice}).encode()
        key = (browser.ip, page.article_id, kind)
        VOTES_UNSURE.add(key)  # until answered: a vote with no answer may have landed
        status, answer, _ = await connection.request(
            "POST", url, headers, body, kind="vote", ok=(200, 202), cookie_ok=True
        )
        TOTALS["votes answered"] += 1
        TOTALS[f"votes answered {status}"] += 1
        if "set-cookie" in answer:
            browser.keep(answer["set-cookie"])
        VOTES_SENT[key] = (reader_cookie(browser), choice)
        VOTES_UNSURE.discard(key)

    async def comment(self, connection: Connection, browser: Browser, page: Page) -> None:
        """What discussion.js sends for a comment: the form's session when the form is
        used (its form token and the CSRF token its post sends, setting the
        ``csrftoken`` cookie; nginx's answer to the session has neither), the form as
        ``FormData`` (multipart) with that token, and nothing after: the answer carries
        the Edit link on the new comment and the next tokens. ``GET /api/csrf/`` only
        when the session gave no CSRF token, and the session again after posting only
        when the answer has no next form token (a comment the filter discarded) or no
        session of the app's was read."""
        form = "&form=1" if self.script == "after" else ""
        session = f"/comments/session/?article={page.article_id}"
        json_headers = {"Accept": "application/json"}
        _, answer, answered = await connection.request(
            "GET", session + form, json_headers, kind="comment form", cookie_ok=True
        )
        if "set-cookie" in answer:  # the CSRF token's cookie (the form's request)
            browser.keep(answer["set-cookie"])
        ts = re.search(rb'"ts":\s*"([^"]+)"', answered)
        csrf = re.search(rb'"csrfToken":\s*"([^"]+)"', answered)
        if csrf is None:  # nginx's answer, or a plain session without the cookie
            _, answer, token = await connection.request(
                "GET", "/api/csrf/", json_headers, kind="comment csrf", ok=(200,), cookie_ok=True
            )
            if "set-cookie" in answer:
                browser.keep(answer["set-cookie"])
            csrf = re.search(rb'"csrfToken":\s*"([^"]+)"', token)

        # A browser that commented before signs as it did (the form remembers the
        # details): a known commenter to the filter; a new one, a first comment.
        name, email = browser.signed if browser.signed[0] else commenter(self.rng)
        browser.signed = (name, email)
        fields = {
            "article": str(page.article_id),
            "parent": "",
            "name": name,
            "email": email,
            "website": "",
            "body": self.rng.choice(self.texts),
            "ts": ts.group(1).decode() if ts else "",
        }
        boundary = f"----BylineBench{self.rng.getrandbits(64):016x}"
        body = form_data(fields, boundary)
        headers = {
            "Sec-Fetch-Site": "same-origin",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
            "X-CSRFToken": csrf.group(1).decode() if csrf else "",
        }
        _, answer, posted = await connection.request(
            "POST", "/comments/post/", headers, body, kind="comment", cookie_ok=True
        )
        status = re.search(rb'"status":\s*"([a-z]+)"', posted)
        TOTALS[f"comments {status.group(1).decode() if status else 'unanswered'}"] += 1
        if "set-cookie" in answer:  # the commenter's cookies and the session marker
            browser.keep(answer["set-cookie"])
        if status and (ts is None or b'"ts"' not in posted):  # as discussion.js does
            _, answer, _ = await connection.request(
                "GET",
                session + "&form=1",
                json_headers,
                kind="comment session",
                ok=(200,),
                cookie_ok=True,
            )
            if "set-cookie" in answer:
                browser.keep(answer["set-cookie"])


def form_data(fields: dict[str, str], boundary: str) -> bytes:
    """``fields`` as a browser's ``FormData`` sends them (multipart/form-data)."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


ALL_BROWSERS: list[Browser] = []
ALL_PAIRS: set[tuple[str, str, int]] = set()  # (address, agent, article) of views sent
SENT_PAIRS: list[int] = []  # len(ALL_PAIRS) of each generator process, at the end
TOTALS: Counter = Counter()
# A process's readers' last vote of each kind on each article: (browser, article id,
# "reaction"/"rating") -> (the reader cookie's value after it, the choice; None:
# withdrawn); the votes sent but not answered (failed: they may or may not have landed).
VOTES_SENT: dict[tuple[str, int, str], tuple[str, str | int | None]] = {}
VOTES_UNSURE: set[tuple[str, int, str]] = set()
# Every process's, gathered at the end (``Generators.close``).
ALL_VOTES: dict[tuple[str, int, str], tuple[str, str | int | None]] = {}
ALL_UNSURE: set[tuple[str, int, str]] = set()
ERRORS: Counter = Counter()  # every failed request of the run, by kind and what went wrong


class Connection:
    """One browser's keep-alive connection to nginx, from the browser's own address."""

    def __init__(self, generator: Generator, browser: Browser):
        self.generator = generator
        self.browser = browser
        self.origin = f"http://127.0.0.1:{generator.port}"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.timed_out = False

    async def open(self) -> None:
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(
                    "127.0.0.1", self.generator.port, local_addr=(self.browser.ip, 0)
                ),
                10,
            )
        except (TimeoutError, OSError) as error:
            self.generator.record_error("connect", type(error).__name__)
            raise Failed from error

    def close_on_timeout(self) -> None:
        """No answer within 10 s: the read fails as the connection closes."""
        self.timed_out = True
        if self.writer is not None:
            self.writer.transport.abort()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes = b"",
        *,
        kind: str,
        ok: tuple[int, ...] = (200, 304),
        cookie_ok: bool = False,
    ) -> tuple[int, dict[str, str], bytes]:
        generator = self.generator
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{generator.port}",
            f"User-Agent: {self.browser.agent}",
        ]
        if generator.compressed:  # as every browser does
            lines.append("Accept-Encoding: gzip, deflate, br")
        if self.browser.cookie:
            lines.append(f"Cookie: {self.browser.cookie}")
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        started = time.monotonic()
        try:
            if self.writer is None or self.reader is None:
                await self.open()
            assert self.writer is not None and self.reader is not None
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            timer = asyncio.get_running_loop().call_later(10, self.close_on_timeout)
            try:
                status, answer, content = await read_response(self.reader)
            finally:
                timer.cancel()
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self.close()
            # No answer in 10 s (the generator gave up), or the connection closed early.
            reason = "no answer in 10 s" if self.timed_out else type(error).__name__
            if isinstance(error, asyncio.IncompleteReadError) and not self.timed_out:
                reason += f" after {len(error.partial)} bytes, {time.monotonic() - started:.0f} s"
            generator.record_error(kind, reason)
            raise Failed from error
        elapsed = time.monotonic() - started
        if answer.get("content-encoding") == "gzip" and kind not in ("html", "static"):
            # A page's body is not read: inflating its ~115 KB cost the generator ~10% of
            # its CPU, time its loop then lacked for the next answers (their latency).
            content = gzip.decompress(content)
        if answer.get("connection", "").lower() == "close":
            self.close()
        if kind in ("refresh", "counts", "html", "comment counts"):
            kind += " 304" if status == 304 else ""
        if kind == "vote" and status == 202:
            kind = "vote (nginx)"  # taken and logged by nginx, folded into the counts later
        elif kind != "static":
            # Who answered: nginx from a file (a page or counts file), nginx from its
            # micro-cache, or the app (through nginx).
            cache = answer.get("x-cache")
            if cache in ("HIT", "UPDATING", "STALE"):
                kind += " (micro-cache)"
            elif cache not in ("FILE", "NGINX"):  # NGINX: a fixed answer (the empty session)
                kind += " (app)"
        if generator.measuring:
            generator.tally.kinds[kind] += 1
            generator.tally.latencies.append(elapsed)
            generator.tally.by_kind.setdefault(kind, []).append(elapsed)
        if status not in ok and not (kind.startswith("comment") and 200 <= status < 400):
            generator.record_error(kind, str(status))
            raise Failed(f"{kind} {path}: {status}")
        if "set-cookie" in answer and not cookie_ok:
            generator.record_error(kind, "set a cookie")
            raise Failed(f"{kind} {path} set a cookie")
        return status, answer, content

    def __del__(self) -> None:
        self.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie" and name in headers:  # each of them, a line each
                value = f"{headers[name]}\n{value}"
            headers[name] = value
    if status in (204, 304) or 100 <= status < 200:
        return status, headers, b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size + 2))
        return status, headers, b"".join(p[:-2] for p in parts)
    return status, headers, await reader.readexactly(int(headers.get("content-length", "0")))


def _accumulate(values: list[float]):
    total = 0.0
    for value in values:
        total += value
        yield total


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, in slices of at most a second so a stop is noticed soon (no task per sleep)."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(left, 1.0))


# --- one step: N readers for a while -------------------------------------------------


@dataclass
class Step:
    script: str
    readers: int
    seconds: float
    tally: Tally
    cpu: dict[str, float]
    # PostgreSQL backends of our database that started in the phase (seen at its end).
    backends: int = 0
    load: float = field(default_factory=lambda: os.getloadavg()[0])
    parts: list[Step] = field(default_factory=list)  # its phases, when merged from them
    wall: tuple[float, float] = (0.0, 0.0)  # when it was measured (time.time())

    @property
    def requests(self) -> int:
        return sum(self.tally.kinds.values())

    @property
    def p99_ms(self) -> float:
        return (percentile(self.tally.latencies, 99) or 0.0) * 1000

    @property
    def p50_ms(self) -> float:
        return (percentile(self.tally.latencies, 50) or 0.0) * 1000

    @property
    def lag_p99_ms(self) -> float:
        """How late the generator's loop woke, p99: the latency it adds to a request."""
        return (percentile(self.tally.lags, 99) or 0.0) * 1000

    @property
    def errors(self) -> int:
        return sum(self.tally.errors.values())

    @property
    def passed(self) -> bool:
        return self.errors == 0 and self.p99_ms < P99_LIMIT_MS

    @property
    def server_cpu(self) -> float:
        """CPU seconds of nginx, the app server, PostgreSQL and Redis (not the generator)."""
        return sum(used for role, used in self.cpu.items() if role != "generator")

    @property
    def views(self) -> int:
        """Pages opened in the phase (what the CPU of the phase served: a session is
        counted when it ends, its page when it opens; the two differ by a few %)."""
        return sum(n for kind, n in self.tally.kinds.items() if kind.split(" ", 1)[0] == "html")

    @property
    def sessions_per_second(self) -> float:
        return self.views / self.seconds

    @property
    def comments(self) -> int:
        """Comments posted (answered by the app) in the phase: tens of ms of CPU each."""
        return sum(n for kind, n in self.tally.kinds.items() if kind.startswith("comment ("))


async def run_sessions(generator: Generator, readers: int, start: float, end: float) -> Tally:
    """``readers`` concurrent sessions until ``end`` (``time.monotonic()``, the same clock
    in every process), measured from ``start`` (after a warm-up)."""
    stop = asyncio.Event()
    warm = max(0.0, start - time.monotonic())
    tasks = [
        asyncio.ensure_future(generator.reader(stop, generator.rng.random() * warm))
        for _ in range(readers)
    ]
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    generator.tally = Tally()
    generator.measuring = True
    waited = run_queue_wait()
    while (now := time.monotonic()) < end:  # the loop's lag, sampled while measuring
        await asyncio.sleep(min(LAG_EVERY, end - now))
        generator.tally.lags.append(max(0.0, time.monotonic() - now - min(LAG_EVERY, end - now)))
    generator.measuring = False
    tally = generator.tally
    tally.waited = run_queue_wait() - waited
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return tally


LAG_EVERY = 0.01  # seconds between two looks at the generator loop's lag


def run_queue_wait() -> float:
    """Seconds this process has waited for a CPU, runnable (the kernel's schedstat)."""
    try:
        return int(Path("/proc/self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def generator_process(generator: Generator, commands: Connection_, cpus: set[int]) -> None:
    """One load generator process: runs the steps it is sent, answers each with its tally
    and its running totals (views sent, bots, repeats, failures)."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    while True:
        command = commands.recv()
        if command is None:
            return
        readers, start, end = command
        tally = asyncio.run(run_sessions(generator, readers, start, end)) if readers else Tally()
        commands.send(
            (tally, len(ALL_PAIRS), Counter(TOTALS), Counter(ERRORS), VOTES_SENT, VOTES_UNSURE)
        )


class Generators:
    """Several load generator processes (one asyncio loop each, a share of the readers
    each, browsers numbered apart), so the generator is not the bottleneck; their CPU
    is measured apart from the servers' (the "generator" role)."""

    def __init__(self, make: Callable[[int, int], Generator], count: int, cpus: set[int]):
        self.script = make(0, 1).script
        self.pipes: list[Connection_] = []
        self.processes: list[multiprocessing.Process] = []
        self.totals: dict[int, tuple[int, Counter, Counter]] = {}
        self.votes: dict[int, tuple[dict, set]] = {}
        context = multiprocessing.get_context("fork")
        for index in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=generator_process, args=(make(index, count), theirs, cpus), daemon=True
            )
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    @property
    def pids(self) -> set[int]:
        return {process.pid for process in self.processes if process.pid}

    def step(self, readers: int, seconds: float, roles: Roles) -> Step:
        """``readers`` concurrent sessions shared out; measured after a warm-up."""
        warm = min(MEAN_STAY_SECONDS / SCALE[0], 2.0)
        start = time.monotonic() + warm + 0.2
        end = start + seconds
        count = len(self.pipes)
        for index, pipe in enumerate(self.pipes):
            pipe.send((readers // count + (index < readers % count), start, end))
        time.sleep(max(0.0, start - time.monotonic()))
        before = roles.snapshot()
        time.sleep(max(0.0, end - time.monotonic()))
        after = roles.snapshot()
        cpu = roles.since(before, after)
        measured = time.time()
        tally = Tally()
        for index, pipe in enumerate(self.pipes):
            part, pairs, totals, errors, votes, unsure = pipe.recv()
            self.votes[index] = (votes, unsure)
            tally.add(part)
            self.totals[index] = (pairs, totals, errors)
        step = Step(self.script, readers, seconds, tally, cpu, roles.opened(before, after))
        step.wall = (measured - seconds, measured)
        return step

    def sent(self) -> Counter:
        """Views sent by readers so far (once per browser and article), repeats, failed
        beacons: as the processes reported them after their last step."""
        return Counter(
            sent=sum(pairs for pairs, _, _ in self.totals.values()),
            repeats=sum(totals["repeat beacons"] for _, totals, _ in self.totals.values()),
            failed=sum(totals["beacons failed"] for _, totals, _ in self.totals.values()),
        )

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for process in self.processes:
            process.join(10)
        for index in self.totals:
            pairs, totals, errors = self.totals[index]
            SENT_PAIRS.append(pairs)
            TOTALS.update(totals)
            ERRORS.update(errors)
        for votes, unsure in self.votes.values():
            ALL_VOTES.update(votes)
            ALL_UNSURE.update(unsure)


SCALE = [60.0]  # the clock's compression (--time-scale), for the warm-up


# --- where the time goes -------------------------------------------------------------------


ROLES = (
    "nginx",
    "app server",
    "view folder",
    "PostgreSQL",
    "folder's PostgreSQL",
    "Redis",
    "generator",
)
FOLDER_APP_NAME = "byline view folder"  # the folder's PGAPPNAME: its backends told apart
IDLE: dict[str, float] = dict.fromkeys(ROLES, 0.0)  # each role's CPU cores used idle


class Roles(StackCPU):
    """CPU seconds used by nginx, the app server, the view folder, our PostgreSQL
    backends, our Redis, and the load generators (``generator_pids`` and this
    process), per process to the nanosecond (bench/harness.py's ``StackCPU``)."""

    def __init__(
        self, nginx: list[Server], app: Server, folder: Server, database: str, redis_port: str
    ):
        groups = {server.process.pid: "nginx" for server in nginx}
        groups[app.process.pid] = "app server"
        groups[folder.process.pid] = "view folder"
        super().__init__(groups, database, redis_port)
        self.roles = list(ROLES)

    @property
    def generator_pids(self) -> set[int]:
        return set(self.pids)

    @generator_pids.setter
    def generator_pids(self, pids: set[int]) -> None:
        self.pids = dict.fromkeys(pids, "generator")

    @staticmethod
    def folder_backends() -> set[int]:
        """The PostgreSQL backends of the view folder (its ``application_name``)."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return set()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [FOLDER_APP_NAME]
            )
            return {row[0] for row in cursor.fetchall()}

    @staticmethod
    def opened(before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]) -> int:
        """PostgreSQL backends of our database that started between two snapshots and
        were still there at the second (one that came and went between them is missed):
        each costs the server a fork and its first queries' catalog look-ups."""
        started = {pid for role, pid in after if "PostgreSQL" in role}
        return len(started - {pid for role, pid in before if "PostgreSQL" in role})

    def snapshot(self) -> dict[tuple[str, int], float]:
        used = super().snapshot()
        if self.database:
            folders = self.folder_backends()
            for role, pid in [key for key in used if key[0] == "PostgreSQL"]:
                if pid in folders:
                    used[("folder's PostgreSQL", pid)] = used.pop((role, pid))
        me = resource.getrusage(resource.RUSAGE_SELF)
        used[("generator", os.getpid())] = me.ru_utime + me.ru_stime
        return used


# --- the site --------------------------------------------------------------------------


def site_environment(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BYLINE_")}
    env.update(
        BYLINE_PRODUCTION="1",
        BYLINE_SECRET_KEY=secrets.token_urlsafe(50),
        BYLINE_ALLOWED_HOSTS="127.0.0.1,localhost",
        BYLINE_SITE_URL="http://127.0.0.1",
        BYLINE_DATA_DIR=str(data_dir),
        BYLINE_SECURE_COOKIES="0",
        BYLINE_PAGE_FILES_DIR=str(data_dir / "pages"),
        BYLINE_VIEW_LOG_DIR=str(data_dir / "views"),
        # nginx passes the reader's address (each simulated browser has its own).
        BYLINE_CLIENT_IP_HEADER="X-Forwarded-For",
        # The compressed clock: a comment is written in seconds, not minutes (the
        # bench sends it as soon as the form has its token; a reader takes minutes):
        # neither the refusal nor the filter's "faster than a person writes" sign.
        BYLINE_COMMENT_MIN_SECONDS="0",
        BYLINE_SPAM_MIN_SECONDS="0",
        BYLINE_COMMENT_RATE_LIMIT="1000",
        # Workers past their first comment, as on a server up for hours: the spam
        # model, loaded by a worker's first comment otherwise (about 0.4 s of CPU
        # once a worker's life), is loaded as each worker starts.
        BYLINE_PRELOAD_SPAM_MODEL="1",
        DJANGO_SETTINGS_MODULE="byline.settings",
    )
    return env


def make_articles(count: int, comments: int) -> list:
    """``count`` articles (the demo article's text), each with ``comments`` approved demo
    comments (threads, as readers write them)."""
    from django.db import connection

    from byline.articles.demo import load_demo
    from byline.articles.models import Article
    from byline.discussion.demo import add_demo_comments

    demo, _ = load_demo()
    tag = secrets.token_hex(3)
    articles = []
    for n in range(count):
        article = Article.objects.create(
            headline=f"{demo.headline} ({tag} {n})",
            slug=f"readers-{tag}-{n}",
            standfirst=demo.standfirst,
            body=demo.body,
            section=demo.section,
            status=Article.Status.PUBLISHED,
            published_at=demo.published_at,
        )
        article.authors.set(demo.authors.all())
        if comments:
            add_demo_comments(article, comments, seed=n)
        articles.append(article)
    # A site's tables have the planner's statistics (autovacuum's, or the app's own
    # on SQLite: byline.sqlitestats); fresh bench tables have none, and the comment
    # queries of the counts files planned without them cost 6-14 ms instead of <1.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return articles


def page_of(article, html: str) -> Page:
    static = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    ids = re.findall(r'data-comment-reaction="(\d+)"', html)
    counts_url = re.search(r'<script[^>]* data-counts-url="([^"]+)"', html)
    if ids and counts_url is None:
        raise CheckFailed("the article page has comment reactions but no reaction counts address")
    joint = "&" if counts_url is not None and "?" in counts_url.group(1) else "?"
    comment_counts = [
        f"{counts_url.group(1)}{joint}ids={','.join(ids[start : start + CHUNK])}"
        for start in range(0, len(ids), CHUNK)
        if counts_url is not None
    ]
    return Page(
        article.pk,
        article.get_absolute_url(),
        list(dict.fromkeys(static)),
        re.search(r'data-counts-url="([^"]+)"', html).group(1),
        re.search(r'data-view-url="([^"]+)"', html).group(1),
        re.search(r'data-reaction-url="([^"]+)"', html).group(1),
        re.search(r'data-rating-url="([^"]+)"', html).group(1),
        comment_counts,
    )


def reader_cookie(browser: Browser) -> str:
    """The reader id in the browser's reader cookie (its signed value ``id:signature``),
    "" without one."""
    from django.conf import settings

    name = settings.BYLINE_READER_COOKIE
    for pair in browser.cookie.split("; "):
        if pair.startswith(f"{name}="):
            return pair.split("=", 1)[1].strip('"').rsplit(":", 1)[0]
    return ""


def exact_votes(
    ids: list[int],
    sent: dict[tuple[str, int, str], tuple[str, str | int | None]],
    unsure: set[tuple[str, int, str]],
) -> tuple[list[str], str]:
    """Whether every reader's last vote of each kind on each article is the row stored
    (the vote log folded first): the failures and a line for the report. A vote that
    got no answer may or may not have landed: its reader's row on that article is left
    out (and counted in the line)."""
    from byline.engagement.models import Rating, Reaction

    skipped = {(sent.get(key, ("", None))[0], key[1], key[2]) for key in unsure}
    wanted: dict[tuple[str, int, str], str | int | None] = {}
    for (_, article_id, kind), (reader, choice) in sent.items():
        if (reader, article_id, kind) not in skipped:
            wanted[(reader, article_id, kind)] = choice
    stored: dict[tuple[str, int, str], str | int | None] = {}
    rows = Reaction.objects.filter(article_id__in=ids).values_list(
        "reader", "article_id", "reaction"
    )
    for reader, article_id, reaction in rows:
        stored[(reader, article_id, "reaction")] = reaction or None
    rows = Rating.objects.filter(article_id__in=ids).values_list("reader", "article_id", "stars")
    for reader, article_id, stars in rows:
        stored[(reader, article_id, "rating")] = stars
    failures = []
    for key in sorted(set(wanted) | set(stored), key=str):
        if key in skipped:
            continue
        if not key[0] and key in wanted:
            failures.append(f"votes: a reader's vote on article {key[1]} set no reader cookie")
        elif wanted.get(key) != stored.get(key):
            failures.append(
                f"votes: reader {key[0][:8]}… on article {key[1]} ({key[2]}): sent last"
                f" {wanted.get(key, 'nothing')!r}, stored {stored.get(key, 'no row')!r}"
            )
    kept = sum(1 for choice in wanted.values() if choice is not None)
    line = (
        f"votes: {len(wanted)} readers' last choices ({kept} standing, the rest withdrawn),"
        f" {len(skipped)} left out (a vote without an answer):"
        f" {'exact' if not failures else f'{len(failures)} DIFFER'}"
    )
    return failures[:20] + ([f"... {len(failures) - 20} more"] if len(failures) > 20 else []), line


def stored_views(ids: list[int]) -> int:
    from django.db.models import Sum

    from byline.engagement.models import ArticleStats

    return ArticleStats.objects.filter(article_id__in=ids).aggregate(n=Sum("views"))["n"] or 0


def wrk_html(
    url: str, seconds: float, connections: int, compressed: bool = True
) -> tuple[float, float, int, dict]:
    gzip_header = ["-H", "Accept-Encoding: gzip, deflate, br"] if compressed else []
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
        + gzip_header
        + [url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p99, int(errors.group(1)) if errors else 0, {}


# --- the run -------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = bench_parser(
        __doc__,
        8600,
        4,
        "CI: 3 s per script at --start-readers; asserts exact counts and no errors",
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="measured length of each step")
    parser.add_argument("--time-scale", type=float, default=60.0, help="clock compression")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--comments", type=int, default=20, help="approved comments an article")
    parser.add_argument(
        "--vote-share", type=float, default=VOTE_SHARE, help="share of readers who vote"
    )
    parser.add_argument(
        "--comment-share", type=float, default=COMMENT_SHARE, help="share of readers who comment"
    )
    parser.add_argument(
        "--scroll-share",
        type=float,
        default=SCROLL_SHARE,
        help="share of readers who scroll to the discussion",
    )
    parser.add_argument(
        "--identity",
        action="store_true",
        help="clients that do not ask for compressed answers (browsers all do; wrk too)",
    )
    parser.add_argument("--start-readers", type=int, default=20, help="simulated readers, step 1")
    parser.add_argument("--max-readers", type=int, default=6400)
    parser.add_argument(
        "--cpu-readers",
        type=int,
        default=160,
        help="simulated readers of a last step when the ramp stopped below (CPU figures)",
    )
    parser.add_argument(
        "--generators",
        type=int,
        default=2,
        help="load generator processes (their CPU is measured and reported apart)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="steps of every script after the ramp, at the most readers all carried (A B B A"
        " each; the ramp's are their warm-up): the ratio's median and spread over them",
    )
    parser.add_argument(
        "--slope-readers",
        type=int,
        default=0,
        help="simulated readers M of one more A B B A step of every script in each round"
        " (more than the rounds' N, e.g. 4N): the marginal CPU a view (the slope from N"
        " to M) and the fixed CPU/s, and the readers by CPU at saturation from them",
    )
    parser.add_argument(
        "--request-log",
        action="store_true",
        help="log nginx's own time for every request ($request_time) and print its p50/p99"
        " by kind beside the readers' (a diagnosis: the log costs nginx CPU)",
    )
    parser.add_argument(
        "--generator-cpus",
        default="",
        help="pin the generator processes to these CPUs (e.g. 1), to keep them off the servers'",
    )
    parser.add_argument(
        "--scripts",
        default="html,after",
        help="what the readers' browsers send: html (the page alone: the reference), before,"
        " app-beacon, previous, fourth, after",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.quick:
        args.seconds, args.articles = 3.0, min(args.articles, 20)
    ensure_tools()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bench = Bench("byline-readers-")  # the scratch folder, its logs/ and the servers
    work = bench.work
    data_dir = work / "data"
    (data_dir / "views").mkdir(parents=True)
    env = site_environment(data_dir)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("BYLINE_", "DJANGO_"))})
    database_url = os.environ.get("DATABASE_URL", "")
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    redis_url = os.environ.get("REDIS_URL", "")
    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from byline.engagement import viewbuffer

    call_command("migrate", interactive=False, verbosity=0)
    articles = make_articles(args.articles, args.comments)
    ids = [article.pk for article in articles]
    ports = {
        "app": args.port_base,
        "before": args.port_base + 1,
        "after": args.port_base + 2,
        "fourth": args.port_base + 4,
        "app-beacon": args.port_base + 3,
    }
    failures: list[str] = []
    try:
        app = start_app(env, ports["app"], "app", work / "logs")
        bench.add(app)
        wait_for(f"http://127.0.0.1:{ports['app']}/", app, seconds=120)
        nginx: dict[str, Server] = {}
        # nginx's view log, folded into the counts every 2 s, as
        # deploy/byline-views.service does.
        folder_log = (work / "logs" / "folder.log").open("w")
        view_folder = Server(
            subprocess.Popen(
                [sys.executable, "-m", "byline", "flush_views", "--every", "2"],
                env={**env, "PGAPPNAME": FOLDER_APP_NAME},
                stdout=folder_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            ),
            0,
            "view folder",
        )
        bench.add(view_folder)
        for script in ("before", "app-beacon", "fourth", "after"):
            folder = work / f"nginx-{script}"
            folder.mkdir()
            config = shipped_nginx_config(folder, ports[script], ports["app"], data_dir / "static")
            text = config.read_text()
            if script != "after":
                text, found = VOTE_LOG.subn("\n", text)
                text, defined = VOTE_LOG_DEFINITIONS.subn("\n", text)
                if not (found and defined):
                    raise CheckFailed("deploy/nginx.conf no longer has its vote log")
            if script in ("before", "app-beacon"):
                text, found = VIEW_LOG_BEACON.subn("\n", text)
                text, defined = VIEW_LOG_DEFINITIONS.subn("\n", text)
                if not (found and defined):
                    raise CheckFailed("deploy/nginx.conf no longer has its view log beacon")
            if script == "fourth":
                text, found = COMMENT_SESSION.subn("\n", text)
                if not found:
                    raise CheckFailed("deploy/nginx.conf no longer answers the empty session")
            if script == "before":
                text, found = MICRO_CACHE.subn("\n", text)
                if not found:
                    raise CheckFailed("deploy/nginx.conf no longer has its counts micro-cache")
            if script == "after" and args.request_log:
                REQUEST_LOG.append(RequestLog(folder / "timing.log"))
                text = REQUEST_LOG[0].configure(text)
            config.write_text(text)
            nginx[script] = bench.add(start_nginx(config, folder))
            wait_for(f"http://127.0.0.1:{ports[script]}/", nginx[script])
        import urllib.request
        from concurrent.futures import ThreadPoolExecutor

        def first_visit(article) -> Page:  # the app renders it and writes its page file
            url = f"http://127.0.0.1:{ports['after']}{article.get_absolute_url()}"
            with urllib.request.urlopen(url, timeout=60) as response:
                return page_of(article, response.read().decode())

        with ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(first_visit, articles))
        for log in REQUEST_LOG:
            log.learn(pages)
        refresh = float(settings.BYLINE_COUNTS_REFRESH_SECONDS)
        url = f"http://127.0.0.1:{ports['after']}{pages[0].path}"
        with urllib.request.urlopen(url, timeout=10) as response:
            cached = response.headers.get("X-Cache", "")
            html_kb = len(response.read()) / 1024
        print(
            f"Readers benchmark: {database}, Redis {'yes' if redis_url else 'no'},"
            f" {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f};"
            f" {len(pages)} articles (Zipf 1.1), page {html_kb:.0f} KB (X-Cache {cached}),"
            f" static files {len(pages[0].static)}, {args.comments} comments an article,"
            f" refresh every {refresh:g} s;"
            f" stay log-normal median {STAY_MEDIAN_SECONDS:g} s (mean {MEAN_STAY_SECONDS:.0f} s);"
            f" clock x{args.time_scale:g}, {args.seconds:g} s per step"
        )
        database_name, redis_port = database_of(database_url), redis_port_of(redis_url)
        roles = Roles(list(nginx.values()), app, view_folder, database_name, redis_port)
        results: dict[str, list[Step]] = {}
        rounds: list[dict[str, Step]] = []
        slopes: list[dict[str, Step]] = []
        scripts = [s for s in args.scripts.split(",") if s]
        idle_before = roles.snapshot()
        time.sleep(2)
        idle = {role: used / 2 for role, used in roles.since(idle_before, roles.snapshot()).items()}
        IDLE.update(idle)
        print("  idle (CPU cores): " + ", ".join(f"{r} {c:.3f}" for r, c in idle.items()))
        SCALE[0] = args.time_scale
        cpus = {int(c) for c in args.generator_cpus.split(",") if c}
        every: dict[str, Generators] = {}
        for n, script in enumerate(scripts):
            # The earlier rounds' scripts, through the earlier round's nginx (the
            # comment session always the app's).
            port = ports["fourth"] if script == "previous" else ports.get(script, ports["after"])

            def make(index: int, count: int, port=port, script=script, n=n) -> Generator:
                generator = Generator(port, pages, script, args.time_scale, seed=n * 100 + index)
                # Browsers numbered apart across the scripts' generators too.
                generator.index, generator.count = n * count + index, count * len(scripts)
                generator.refresh_seconds = refresh
                generator.vote_share = args.vote_share
                generator.comment_share = args.comment_share
                generator.scroll_share = args.scroll_share
                generator.compressed = not args.identity
                if args.quick:  # a few bots' beacons, votes and comments even in a short run
                    generator.bot_every = 25
                    generator.vote_share = max(generator.vote_share, 0.1)
                    generator.comment_share = max(generator.comment_share, 0.05)
                return generator

            every[script] = Generators(make, args.generators, cpus)
        roles.generator_pids = set().union(*(g.pids for g in every.values()))
        views = Views(ids)
        try:
            results, rounds, slopes = ramp_together(every, args, roles, views)
        finally:
            for generators in every.values():
                generators.close()
        # Idle again, the readers gone: a role's idle is the lesser of the two looks (the
        # first may hold the start's work, this one the last folds).
        time.sleep(1)
        idle_before = roles.snapshot()
        time.sleep(2)
        again = roles.since(idle_before, roles.snapshot())
        idle = {role: min(idle[role], again[role] / 2) for role in idle}
        # The roles the HTML alone never asks (all but nginx) do only their timed work
        # while html readers read: the folder's look at the counts every 2 s and at every
        # article every 30 s (tens of ms, in one phase or another), the app's and
        # Redis's housekeeping. Their rate over every html phase of the run is their idle.
        html_steps = results.get("html", []) + [r["html"] for r in rounds if "html" in r]
        html_seconds = sum(s.seconds for s in html_steps)
        if html_seconds:
            for role in ("app server", "view folder", "PostgreSQL", "folder's PostgreSQL", "Redis"):
                idle[role] = sum(s.cpu[role] for s in html_steps) / html_seconds
        IDLE.update(idle)
        print(
            f"  idle (CPU cores; but nginx's, over the {html_seconds:g} s of the html phases):"
            + ", ".join(f" {r} {c:.4f}" for r, c in idle.items())
        )
        # Each script's views, counted exactly (checked after each of its steps and summed:
        # the app-answered beacon and the view log count repeats apart, see exact_views()).
        for script in scripts:
            failures += exact_views(
                script, views.sent[script], views.stored[script], work / "logs" / "app.log"
            )
        # The reference: the HTML alone from nginx's cache, wrk with 64 connections.
        html_url = f"http://127.0.0.1:{ports['after']}{pages[0].path}"
        before_cpu = roles.snapshot()
        html_rps, html_p99, html_errors, _ = wrk_html(html_url, args.seconds, 64, not args.identity)
        html_cpu = roles.since(before_cpu, roles.snapshot())
        # Every view sent, counted exactly.
        viewbuffer.flush()
        time.sleep(0.2)
        viewbuffer.flush()
        stored = stored_views(ids)
        sent, bots, unknown = sum(SENT_PAIRS), TOTALS["bot beacons"], TOTALS["beacons failed"]
        report(results, args, html_rps, html_p99, html_cpu, idle)
        rounds_report(rounds, idle)
        marginal_report(rounds, slopes, args)
        print(
            f"views: {sent} sent by readers (once per browser and article; and"
            f" {TOTALS['repeat beacons']} repeats, not to be counted), {bots} by bots,"
            f" {unknown} beacons failed; stored after the flush: {stored}"
        )
        for line in VIEW_CHECKS:
            print(f"  {line}")
        # No vote lost: every reaction total equals a recount of the vote rows.
        from byline.engagement.recount import recount

        drifts = recount()
        comments = {k.split(" ", 1)[1]: v for k, v in TOTALS.items() if k.startswith("comments ")}
        print(
            f"comments: {sum(comments.values())} posted:"
            f" {', '.join(f'{v} {k}' for k, v in sorted(comments.items())) or 'none'}"
        )
        votes = TOTALS["votes answered"]
        print(
            f"votes: {votes} answered ({TOTALS['votes answered 202']} taken by nginx, 202;"
            f" {TOTALS['votes answered 200']} by the app, 200); recount of the vote rows:"
            f" {'exact' if not drifts else f'{len(drifts)} totals DRIFTED'}"
        )
        failures += [f"recount: {drift}" for drift in drifts]
        # Every reader's last vote of each kind on each article stored (the vote log
        # folded with the views above).
        vote_failures, vote_line = exact_votes(ids, ALL_VOTES, ALL_UNSURE)
        print(f"  {vote_line}")
        failures += vote_failures
        asked = [k for steps in results.values() for step in steps for k in step.tally.kinds]
        if args.quick and "after" in results:
            after = [k for step in results["after"] for k in step.tally.kinds]
            if any(k.startswith("comment counts") for k in after):
                failures.append("a reader asked for the comments' reaction counts apart")
            # discussion.js asks for the comment session only in a browser holding the
            # session marker (set beside the commenter's cookies): never nginx's empty one.
            if any(k == "comment session" for k in after):
                failures.append("a reader without the session marker asked for its session")
        if (
            args.quick
            and "previous" in results
            and not any(k.startswith("comment counts") for k in asked)
        ):
            failures.append("no reader asked for the comments' reaction counts (previous)")
        if args.quick and bots == 0:
            failures.append("no bot beacon was sent: the bot check was not exercised")
        if args.quick and not votes:
            failures.append("no vote was answered: the vote path was not exercised")
        if args.quick and not sum(comments.values()):
            failures.append("no comment was posted: the comment path was not exercised")
        if args.quick and comments.get("unanswered"):
            failures.append(f"{comments['unanswered']} comments were not answered")
        errors = ERRORS
        if html_errors:
            failures.append(f"wrk: {html_errors} HTML answers not 2xx/3xx")
        if args.quick and errors:
            failures.append(f"requests failed: {dict(errors)}")
        elif errors:
            print(f"  failures past the limit (while ramping): {dict(errors)}")
        print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    except CheckFailed as failure:
        failures.append(str(failure))
    finally:
        bench.stop()
        for article in articles:
            article.delete()
    for failure in failures:
        print(f"FAILED: {failure}")
    if failures:
        print(f"logs: {work / 'logs'}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(
        "ok: every view counted exactly, no bot counted, no vote lost,"
        " no cookie on a plain read, no failed request"
        if not ERRORS
        else "ok: every view counted exactly, no bot counted, no vote lost,"
        " no cookie on a plain read"
    )
    return 0


VIEW_CHECKS: list[str] = []  # one line per script: views sent and stored


def exact_views(script: str, sent: Counter, stored: int, app_log: Path) -> list[str]:
    """Whether the views a script's readers sent are stored exactly; the failures.

    One exception is explained rather than failed: with beacons the app answers
    ("before", "app-beacon"), the 30-minute repeat marks are in Django's cache,
    which falls back to each worker's memory while Redis does not answer (its
    breaker opened: the app's log says so). A repeat view that then reaches
    another worker is counted again, as docs/deploy.md's fault table says. The
    view log's fold ("after") waits for Redis instead, so it stays exact.
    """
    expected, repeats, failed = sent["sent"], sent["repeats"], sent["failed"]
    line = f"{script}: {expected} views sent, {stored} stored"
    if failed == 0 and stored == expected or failed and expected <= stored <= expected + failed:
        VIEW_CHECKS.append(line + ": exact" + (f" ({failed} beacons failed)" if failed else ""))
        return []
    log = app_log.read_text(errors="replace") if app_log.exists() else ""
    if script not in ("after", "html") and "Redis failed" in log and expected < stored:
        if stored <= expected + repeats + failed:
            VIEW_CHECKS.append(
                f"{line}: {stored - expected} of {repeats} repeat views counted again while"
                " the app worked without Redis (its log: 'Redis failed'; repeat marks in"
                " each worker's memory meanwhile)"
            )
            return []
    VIEW_CHECKS.append(line + ": NOT EXACT")
    return [f"{script}: the database holds {stored} views, readers sent {expected}+{failed}"]


class Views:
    """Views sent and stored, per script: checked after each of its steps (the buffers
    flushed, the view log folded), so scripts measured in turn keep their counts apart."""

    def __init__(self, ids: list[int]):
        self.ids = ids
        self.sent: dict[str, Counter] = {}
        self.stored: Counter = Counter()

    def around(self, generators: Generators, run: Callable[[], Step]) -> Step:
        from byline.engagement import viewbuffer

        script = generators.script
        counted, sent = stored_views(self.ids), generators.sent()
        step = run()
        viewbuffer.flush()
        time.sleep(0.2)
        viewbuffer.flush()
        now = generators.sent()
        self.sent.setdefault(script, Counter()).update(
            {kind: now[kind] - sent[kind] for kind in now}
        )
        self.stored[script] += stored_views(self.ids) - counted
        return step


def merged(parts: list[Step]) -> Step:
    """One step of several phases of the same script and readers."""
    tally = Tally()
    cpu = dict.fromkeys(ROLES, 0.0)
    for part in parts:
        tally.add(part.tally)
        for role, used in part.cpu.items():
            cpu[role] += used
    seconds = sum(p.seconds for p in parts)
    step = Step(
        parts[0].script, parts[0].readers, seconds, tally, cpu, sum(p.backends for p in parts)
    )
    step.load = max(p.load for p in parts)
    step.parts = [phase for part in parts for phase in (part.parts or [part])]
    return step


def ramp_together(
    every: dict[str, Generators], args: argparse.Namespace, roles: Roles, views: Views
) -> tuple[dict[str, list[Step]], list[dict[str, Step]], list[dict[str, Step]]]:
    """Every script at the same number of readers, side by side: each step is two
    phases per script in the order A B B A (half of ``--seconds`` each), so a
    neighbour's burst or a drift in the machine's load weighs on every script alike
    and their ratio holds on a shared machine. The readers double while any script
    passes; a script whose step fails twice in a row (p99 over 200 ms or an error;
    once may be a neighbour's burst) stops, then tries once between its last pass and
    the failure; if every script stopped below ``--cpu-readers``, one step of all there
    for steady CPU figures. Then ``--rounds`` rounds at the most readers all carried
    (the headline's), each with, given ``--slope-readers`` M, one more step of every
    script at M (after it in odd rounds, before it in even ones): the steps, the rounds
    and the rounds at M."""
    scripts = list(every)
    steps: dict[str, list[Step]] = {script: [] for script in scripts}

    def together(readers: int, which: list[str], keep: bool = True) -> dict[str, Step]:
        phases: dict[str, list[Step]] = {script: [] for script in which}
        for script in which + which[::-1]:
            phase = views.around(
                every[script], lambda s=script: every[s].step(readers, args.seconds / 2, roles)
            )
            phases[script].append(phase)
            print(f"    phase: {phase_line(phase)}", flush=True)
        done = {script: merged(parts) for script, parts in phases.items()}
        if REQUEST_LOG:
            time.sleep(0.3)  # its buffer written (every 100 ms)
        for script, step in done.items():
            if keep:
                steps[script].append(step)
            print(f"  {describe(step, args.time_scale)}", flush=True)
            print(f"    {latency_line(step)}", flush=True)
            for log in REQUEST_LOG:
                for phase in step.parts:
                    print(f"    {log.line(phase)}", flush=True)
        return done

    readers, active = args.start_readers, list(scripts)
    while active:
        done = together(readers, active)
        if args.quick:
            return steps, [], []
        failed = [script for script in active if not done[script].passed]
        if failed:
            again = together(readers, failed)
            active = [s for s in active if s not in failed or again[s].passed]
        if readers * 2 > args.max_readers:
            break
        readers *= 2
    for script in scripts:
        passed = [s.readers for s in steps[script] if s.passed]
        last = steps[script][-1]
        if passed and not last.passed:
            middle = (passed[-1] + last.readers) // 2
            if middle not in (passed[-1], last.readers):
                together(middle, [script])
    if max(s.readers for group in steps.values() for s in group) < args.cpu_readers:
        together(args.cpu_readers, scripts)
    if args.quick or args.rounds < 1:
        return steps, [], []
    carried = [
        readers
        for readers in sorted({s.readers for s in steps[scripts[0]]})
        if all(any(s.readers == readers and s.passed for s in steps[x]) for x in scripts)
    ]
    readers = carried[-1] if carried else steps[scripts[0]][-1].readers
    rounds, slopes = [], []
    more = args.slope_readers
    if more and more <= readers:
        print(f"  --slope-readers {more} is not above the rounds' {readers}: no slope", flush=True)
        more = 0
    for n in range(1, args.rounds + 1):
        if more and n % 2 == 0:  # M first in even rounds: a drift weighs on N and M alike
            print(f"  round {n} of {args.rounds} at {more} simulated readers (slope)", flush=True)
            slopes.append(together(more, scripts, keep=False))
        print(f"  round {n} of {args.rounds} at {readers} simulated readers", flush=True)
        rounds.append(together(readers, scripts, keep=False))
        if more and n % 2 == 1:
            print(f"  round {n} of {args.rounds} at {more} simulated readers (slope)", flush=True)
            slopes.append(together(more, scripts, keep=False))
    return steps, rounds, slopes


def describe(step: Step, scale: float) -> str:
    verdict = "ok" if step.passed else "OVER"
    if not step.passed and step.lag_p99_ms > GENERATOR_LATE_MS:
        # The readers' latency holds the wait for the generator's own loop.
        verdict += f" (the generator's loop late p99 {step.lag_p99_ms:.0f} ms)"
    views = max(step.views, 1)
    return (
        f"{step.script:<7}{step.readers:>6} simulated ({step.readers * scale:>9,.0f} readers):"
        f" {step.requests / step.seconds:6.0f} req/s, {step.sessions_per_second:5.0f} views/s,"
        f" p50 {step.p50_ms:5.1f} ms, p99 {step.p99_ms:6.1f} ms, errors {step.errors} {verdict};"
        f" server CPU {1e6 * step.server_cpu / views:5.0f} µs/view"
        f" (app {1e6 * step.cpu['app server'] / views:.0f}),"
        f" generator {step.cpu['generator'] / step.seconds:.2f} cores,"
        f" load average {step.load:.1f}"
    )


def latency_line(step: Step) -> str:
    """p50/p99 (ms) by kind of request as the readers saw them, the most asked first,
    and how late the generators' loops woke (a request's latency holds that wait)."""
    by_kind = step.tally.by_kind
    kinds = sorted(by_kind, key=lambda kind: -len(by_kind[kind]))
    parts = [
        f"{kind} {1000 * (percentile(by_kind[kind], 50) or 0):.1f}"
        f"/{1000 * (percentile(by_kind[kind], 99) or 0):.0f} ({len(by_kind[kind])})"
        for kind in kinds
    ]
    lags = step.tally.lags
    return (
        "p50/p99 ms by kind (requests): "
        + ", ".join(parts)
        + f"; generator loop late p50/p99/max {1000 * (percentile(lags, 50) or 0):.1f}"
        f"/{1000 * (percentile(lags, 99) or 0):.0f}/{1000 * max(lags, default=0):.0f} ms,"
        f" its processes waited for a CPU {step.tally.waited / step.seconds:.2f} s a second"
    )


class RequestLog:
    """nginx's own time for each request (``--request-log``): $request_time (first byte
    read to last byte sent) and $upstream_response_time, logged by every location of the
    measured nginx, to tell a queue in the servers from one in the load generator."""

    FORMAT = (
        "log_format byline_timing"
        ' "$msec $request_time $upstream_response_time $request_method $request_uri $status";'
    )

    def __init__(self, path: Path):
        self.path = path
        self.kinds: dict[str, str] = {}  # a path -> the kind of request

    def configure(self, text: str) -> str:
        """``text`` (a whole nginx.conf) with the timing log in every location."""
        log = f"access_log {self.path} byline_timing buffer=64k flush=100ms;"
        text = text.replace("http {\n", f"http {{\n    {self.FORMAT}\n", 1)
        text = re.sub(r"(?m)^(\s*)(access_log (?!off)[^;]*;)", rf"\1\2\n\1{log}", text)
        return text.replace("access_log off;", log)

    def learn(self, pages: list[Page]) -> None:
        for page in pages:
            self.kinds.update({page.path: "html", page.view: "beacon", page.counts: "refresh"})
            self.kinds.update({page.reaction: "vote", page.rating: "vote"})

    def kind(self, uri: str, upstream: str) -> str:
        kind = self.kinds.get(uri) or ("comment" if uri.startswith("/comments/") else "other")
        return kind + (" (app)" if upstream != "-" else "")

    def line(self, step: Step) -> str:
        start, end = step.wall
        times: dict[str, list[float]] = {}
        for row in self.path.read_text().splitlines():
            fields = row.split(" ")
            if len(fields) == 6 and start <= float(fields[0]) < end:
                times.setdefault(self.kind(fields[4].split("?")[0], fields[2]), []).append(
                    float(fields[1])
                )
        kinds = sorted(times, key=lambda kind: -len(times[kind]))
        return "nginx's $request_time p50/p99 ms: " + ", ".join(
            f"{kind} {1000 * (percentile(times[kind], 50) or 0):.1f}"
            f"/{1000 * (percentile(times[kind], 99) or 0):.0f} ({len(times[kind])})"
            for kind in kinds
        )


REQUEST_LOG: list[RequestLog] = []  # the measured nginx's, given --request-log


def phase_line(step: Step) -> str:
    """What the app answered in one phase, and its CPU a request: the app's share of a
    view moves with the votes and comments (a few ms each) that fall in the phase."""
    kinds = step.tally.kinds
    app = {kind: n for kind, n in kinds.items() if kind.endswith(" (app)")}
    votes = sum(n for kind, n in app.items() if kind.startswith("vote"))
    comments = step.comments
    counts = sum(n for kind, n in app.items() if kind.startswith(("beacon", "refresh", "counts")))
    others = sum(app.values()) - votes - comments - counts
    used = step.cpu["app server"]
    each = 1e6 * used / max(sum(app.values()), 1)
    return (
        f"{step.script} {step.views} views; the app answered {votes} votes,"
        f" {comments} comments, {counts} counts, {others} other,"
        f" {step.backends} new PostgreSQL backends"
        f" ({1e6 * used / max(step.views, 1):.0f} µs a view, {each:.0f} µs a request);"
        f" server {1e6 * server_per_view(step, IDLE):.0f} µs a view ("
        + ", ".join(
            f"{role} {1e6 * (step.cpu[role] - IDLE[role] * step.seconds) / max(step.views, 1):.0f}"
            for role in ROLES
            if role != "generator"
        )
        + f"), load {step.load:.1f}"
    )


def server_per_view(step: Step, idle: dict[str, float]) -> float:
    """CPU seconds of nginx, the app, the view folder, PostgreSQL and Redis per page view
    in ``step``, less what they use idle."""
    server = sum(
        max(0.0, step.cpu[role] - idle[role] * step.seconds)
        for role in ROLES
        if role != "generator"
    )
    return server / max(step.views, 1)


def report(results, args, html_rps, html_p99, html_cpu, idle) -> None:
    """The table: readers carried per script beside the HTML alone, and where the CPU goes.

    "server µs/view" is the CPU of nginx, the app, PostgreSQL and Redis in the
    busiest step, less what they use idle, per page view; "readers by CPU" is
    how many readers the machine's cores would carry at that cost, were the
    load generator elsewhere.
    """
    cores = os.cpu_count() or 1
    wrk_each = sum(v for k, v in html_cpu.items() if k != "generator") / max(
        html_rps * args.seconds, 1
    )
    print(
        f"\nnginx's ceiling for the HTML (wrk -c64, the cached article through the same nginx):"
        f" {html_rps:,.0f} pages/s, p99 {html_p99:.1f} ms, server CPU {wrk_each * 1e6:.0f} µs"
        f" a page = {html_rps * MEAN_STAY_SECONDS:,.0f} readers of the HTML alone"
        f" (pages/s x {MEAN_STAY_SECONDS:.0f} s mean stay)"
    )
    rows = {}
    for script, steps in results.items():
        passed = [s for s in steps if s.passed]
        best = max(passed, key=lambda s: s.readers) if passed else None
        busiest = max(steps, key=lambda s: s.views)
        per_view = server_per_view(busiest, idle)
        by_cpu = cores / per_view * MEAN_STAY_SECONDS if per_view else 0.0
        rows[script] = (best, busiest, per_view, by_cpu)
        if best is not None and best is not busiest:
            at_best = server_per_view(best, idle)
            print(
                f"  {script}: server CPU {at_best * 1e6:.0f} µs/view at the best passing step"
                f" ({best.readers} simulated), = {cores / at_best * MEAN_STAY_SECONDS:,.0f}"
                " readers by CPU"
            )
    reference = rows.get("html")
    print(
        f"{'browsers send':<14}{'readers carried':>16}{'/ html':>8}{'views/s':>9}"
        f"{'p99 ms':>8}{'server µs/view':>16}{'readers by CPU':>16}{'/ html':>8}"
    )
    for script, (best, _, per_view, by_cpu) in rows.items():
        if best is None:
            carried, carried_text, views, p99 = 0.0, "none <200 ms", "-", "-"
        else:
            carried = best.readers * args.time_scale
            carried_text = f"{carried:,.0f}"
            views, p99 = f"{best.sessions_per_second:.0f}", f"{best.p99_ms:.1f}"
        ratio = by_ratio = "-"
        if reference is not None:
            ref_best, _, _, ref_by_cpu = reference
            if ref_best is not None and carried:
                ratio = f"{carried / (ref_best.readers * args.time_scale):.3f}"
            if ref_by_cpu:
                by_ratio = f"{by_cpu / ref_by_cpu:.3f}"
        print(
            f"{script:<14}{carried_text:>16}{ratio:>8}{views:>9}{p99:>8}"
            f"{per_view * 1e6:>16.0f}{by_cpu:>16,.0f}{by_ratio:>8}"
        )
    side_by_side(results, idle)
    for script, (best, busiest, _, _) in rows.items():
        step = best or busiest
        rates = ", ".join(
            f"{kind} {count / step.seconds:.0f}" for kind, count in sorted(step.tally.kinds.items())
        )
        views = max(step.views, 1)
        split = ", ".join(f"{role} {1e6 * used / views:.0f}" for role, used in step.cpu.items())
        busy = ", ".join(f"{role} {used / step.seconds:.2f}" for role, used in step.cpu.items())
        print(f"{script} at {step.readers} simulated readers, requests/s by kind: {rates}")
        print(f"  CPU per view (µs, idle included): {split}")
        print(f"  CPU cores busy: {busy}")


def side_by_side(results: dict[str, list[Step]], idle: dict[str, float]) -> None:
    """The ratio to the HTML alone by CPU per view, from steps measured side by side (the
    same readers, phases in turn): at each number of readers, and the headline at the
    most readers both carried under 200 ms (the most views, the least noise)."""
    reference = {step.readers: step for step in results.get("html", [])}
    for script, steps in results.items():
        if script == "html" or not reference:
            continue
        pairs = [(reference[s.readers], s) for s in steps if s.readers in reference]
        if not pairs:
            continue
        print(f"{script} beside html, measured in turn (CPU per view: html / {script}):")
        ratios = []
        for html, step in pairs:
            ratio = server_per_view(html, idle) / max(server_per_view(step, idle), 1e-9)
            both = html.passed and step.passed
            if both:
                ratios.append((step.readers, ratio))
            print(
                f"  {step.readers:>6} simulated: html {server_per_view(html, idle) * 1e6:5.0f}"
                f" µs/view ({html.sessions_per_second:.0f} views/s), {script}"
                f" {server_per_view(step, idle) * 1e6:5.0f} µs/view"
                f" ({step.sessions_per_second:.0f} views/s): {ratio:.3f}"
                + ("" if both else " (not both under 200 ms)")
            )
        if ratios:
            readers, ratio = ratios[-1]
            upper = sorted(r for _, r in ratios[len(ratios) // 2 :])
            print(
                f"  ratio by CPU per view, side by side: {ratio:.3f} at {readers} simulated"
                f" readers (median {upper[len(upper) // 2]:.3f} over the upper half of the"
                " steps both passed)"
            )


def rounds_report(rounds: list[dict[str, Step]], idle: dict[str, float]) -> None:
    """The ratio to the HTML alone by CPU per view in each round (one A B B A step of
    every script at the same readers), and the headline: their median, with the spread
    (min-max, and the quartiles from 4 rounds) that says what a change must exceed."""
    if not rounds or "html" not in rounds[0]:
        return
    readers = rounds[0]["html"].readers
    html = [1e6 * server_per_view(r["html"], idle) for r in rounds]
    print(
        f"\nrounds at {readers} simulated readers ({len(rounds)}): html"
        f" {' '.join(f'{v:.0f}' for v in html)} µs/view (median {statistics.median(html):.0f})"
    )
    for script in rounds[0]:
        if script == "html":
            continue
        each = [1e6 * server_per_view(r[script], idle) for r in rounds]
        ratios = sorted(h / max(v, 1e-9) for h, v in zip(html, each, strict=True))
        pooled = server_per_view(merged([r["html"] for r in rounds]), idle) / max(
            server_per_view(merged([r[script] for r in rounds]), idle), 1e-9
        )
        quartiles = ""
        if len(ratios) >= 4:
            low, _, high = statistics.quantiles(ratios, n=4)
            quartiles = f", quartiles {low:.3f}-{high:.3f}"
        median = statistics.median(ratios)
        print(
            f"  {script}: {' '.join(f'{v:.0f}' for v in each)} µs/view"
            f" (median {statistics.median(each):.0f}); ratio html / {script} by round"
            f" {' '.join(f'{r:.3f}' for r in ratios)}"
        )
        print(
            f"  ratio by CPU per view over {len(rounds)} rounds: median {median:.3f}"
            f" (min-max {ratios[0]:.3f}-{ratios[-1]:.3f}{quartiles}), all rounds pooled"
            f" {pooled:.3f}"
        )


# --- the marginal CPU a view: what capacity at saturation depends on ---------------------

SERVER_ROLES = tuple(role for role in ROLES if role != "generator")


def solve(matrix: list[list[float]], vector: list[float]) -> list[float] | None:
    """``matrix`` x = ``vector`` by Gaussian elimination with partial pivoting; None when
    the system is singular (a regressor that never varied)."""
    size = len(vector)
    rows = [list(row) + [value] for row, value in zip(matrix, vector, strict=True)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-12 * max(1.0, max(abs(v) for v in rows[col][:size])):
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(size):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[r][size] / rows[r][r] for r in range(size)]


def comment_cost(phases: list[Step], role: str) -> float:
    """CPU seconds of ``role`` a comment posted, fitted over ``phases`` (least squares:
    CPU = fixed x seconds + a view x views + a comment x comments; their readers differ,
    so views and seconds are not in proportion); 0 when the phases' comments never
    varied apart from their views (none posted: the html readers) or the fit says less."""
    rows = [(p.seconds, float(p.views), float(p.comments)) for p in phases]
    if len({c for _, _, c in rows}) < 2:
        return 0.0
    matrix = [[sum(r[i] * r[j] for r in rows) for j in range(3)] for i in range(3)]
    vector = [sum(r[i] * p.cpu[role] for r, p in zip(rows, phases, strict=True)) for i in range(3)]
    fit = solve(matrix, vector)
    return max(0.0, fit[2]) if fit else 0.0


@dataclass
class Slope:
    """One role's CPU against the views served, from steps at N and M readers."""

    at_n: float  # CPU cores busy at N readers (comments apportioned)
    at_m: float  # ... at M
    per_view: float  # the slope: CPU seconds a view more
    fixed: float  # the intercept: CPU cores busy whatever the views, while readers read


def slope(at_n: Step, at_m: Step, role: str, cost: float, share: float) -> Slope:
    """The straight line through ``role``'s CPU at N and at M readers against their views a
    second. Comments apportioned by their share: each step's CPU less ``cost`` x (the
    comments posted - ``share`` x its views), so a phase that drew one comment more or
    less than its share weighs as one that drew its share."""

    def rate(step: Step) -> float:
        return (step.cpu[role] - cost * (step.comments - share * step.views)) / step.seconds

    n_rate, m_rate = rate(at_n), rate(at_m)
    extra = at_m.sessions_per_second - at_n.sessions_per_second
    per_view = (m_rate - n_rate) / extra if extra > 0 else math.nan
    return Slope(n_rate, m_rate, per_view, n_rate - per_view * at_n.sessions_per_second)


def at_saturation(slopes: dict[str, Slope], cores: int) -> float:
    """Readers the cores carry at saturation: (cores - the fixed CPU/s) / the marginal CPU
    a view, times the mean stay (views a second x seconds a reader stays)."""
    per_view = sum(s.per_view for s in slopes.values())
    fixed = sum(s.fixed for s in slopes.values())
    if not per_view > 0:
        return math.nan
    return (cores - fixed) / per_view * MEAN_STAY_SECONDS


def marginal_report(
    rounds: list[dict[str, Step]], slopes: list[dict[str, Step]], args: argparse.Namespace
) -> None:
    """What capacity depends on: the marginal CPU a view (the slope of each role's CPU from
    N to M readers, the rounds' steps and the ``--slope-readers`` ones) and the fixed CPU
    a second while readers read (the intercept); readers by CPU at saturation from them,
    per script, in each round and all rounds pooled, and its ratio to the HTML alone."""
    if not slopes or not rounds:
        return
    cores = os.cpu_count() or 1
    scripts = list(rounds[0])
    n, m = rounds[0][scripts[0]].readers, slopes[0][scripts[0]].readers
    share = args.comment_share
    costs = {
        script: {
            role: comment_cost(
                [p for r in rounds + slopes for p in (r[script].parts or [r[script]])], role
            )
            for role in SERVER_ROLES
        }
        for script in scripts
    }
    print(
        f"\nmarginal CPU a view, from {n} to {m} simulated readers ({len(slopes)} rounds, A B B A"
        f" at each): comments apportioned by their share ({share:g} of views): each step's"
        " CPU less a comment's CPU x (comments posted - share x views), a comment's CPU"
        " fitted per role over every phase (CPU = fixed x s + a view x views + a comment x"
        " comments)"
    )
    pooled: dict[str, float] = {}
    for script in scripts:
        at_n = merged([r[script] for r in rounds[: len(slopes)]])
        at_m = merged([r[script] for r in slopes])
        fits = {role: slope(at_n, at_m, role, costs[script][role], share) for role in SERVER_ROLES}
        pooled[script] = at_saturation(fits, cores)
        comments = f"{at_n.comments}+{at_m.comments}"
        expected = f"{share * at_n.views:.1f}+{share * at_m.views:.1f}"
        print(
            f"  {script}: {at_n.sessions_per_second:.0f} -> {at_m.sessions_per_second:.0f}"
            f" views/s (x{at_m.sessions_per_second / max(at_n.sessions_per_second, 1e-9):.2f}"
            f" for readers x{m / n:.2f}); comments posted {comments}, share {expected};"
            " a comment: "
            + (
                ", ".join(
                    f"{role} {1e3 * cost:.0f} ms" for role, cost in costs[script].items() if cost
                )
                or "none apportioned"
            )
        )
        for role, fit in fits.items():
            print(
                f"    {role:<20} CPU/s {fit.at_n:6.3f} at {n}, {fit.at_m:6.3f} at {m}:"
                f" {1e6 * fit.per_view:6.1f} µs a view more, fixed {fit.fixed:6.3f} CPU/s"
            )
        total = sum(f.per_view for f in fits.values())
        fixed = sum(f.fixed for f in fits.values())
        average = sum(at_n.cpu[r] for r in SERVER_ROLES) / max(at_n.views, 1)
        print(
            f"    {'server':<20} {1e6 * total:.1f} µs a view more (the average at {n}, idle"
            f" included: {1e6 * average:.1f}), fixed {fixed:.3f} CPU/s: readers by CPU at"
            f" saturation ({cores} cores - {fixed:.3f}) / {1e6 * total:.1f} µs x"
            f" {MEAN_STAY_SECONDS:.0f} s = {pooled[script]:,.0f}"
        )
        over = [k for k, r in enumerate(slopes, 1) if not r[script].passed]
        gen = max(r[script].cpu["generator"] / r[script].seconds for r in slopes)
        errors = sum(r[script].errors for r in slopes)
        ratio = at_m.sessions_per_second / max(at_n.sessions_per_second, 1e-9) / (m / n)
        notes = []
        if ratio < 0.9:
            notes.append(f"views grew {ratio:.2f} of the readers' growth")
        if gen >= 0.8 * args.generators:
            notes.append(f"the generator used {gen:.2f} of its {args.generators} processes' cores")
        if len(over) == len(slopes):
            notes.append(f"p99 over {P99_LIMIT_MS:.0f} ms or errors in every round at {m}")
        verdict = "the generator kept up"
        if notes:
            verdict = "NOT A FAIR SLOPE (" + "; ".join(notes) + ")"
        if over and not notes:
            verdict += (
                f"; p99 over {P99_LIMIT_MS:.0f} ms or errors at {m} in round"
                f" {', '.join(map(str, over))} (marked * below: a neighbour's burst, or a limit)"
            )
            late = [k for k in over if slopes[k - 1][script].lag_p99_ms > GENERATOR_LATE_MS]
            if late:
                verdict += (
                    f"; in round {', '.join(map(str, late))} the generator's loop woke over"
                    f" {GENERATOR_LATE_MS:.0f} ms late at p99: its queue, not the servers'"
                )
        lags = " ".join(f"{r[script].lag_p99_ms:.0f}" for r in slopes)
        print(
            f"    at {m}: p99 by round {' '.join(f'{r[script].p99_ms:.0f}' for r in slopes)} ms,"
            f" the generator's loop late p99 by round {lags} ms (a request's latency holds"
            f" it), errors {errors}, generator up to {gen:.2f} cores, views grew {ratio:.2f}"
            f" of the readers' growth: {verdict}"
        )
    if "html" not in scripts:
        return
    for script in scripts:
        if script == "html":
            continue
        each = []
        for at_n, at_m in zip(rounds, slopes, strict=False):
            by = {
                s: at_saturation(
                    {
                        role: slope(at_n[s], at_m[s], role, costs[s][role], share)
                        for role in SERVER_ROLES
                    },
                    cores,
                )
                for s in (script, "html")
            }
            each.append(by[script] / by["html"] if by["html"] > 0 else math.nan)
        marks = ["" if r[script].passed and r["html"].passed else "*" for r in slopes]
        fair = [r for r, mark in zip(each, marks, strict=True) if not mark and not math.isnan(r)]
        ratios = sorted(r for r in each if not math.isnan(r))
        if not ratios:
            print(f"  readers by CPU at saturation, {script} / html: no slope (no views more)")
            continue
        quartiles = ""
        if len(ratios) >= 4:
            low, _, high = statistics.quantiles(ratios, n=4)
            quartiles = f", quartiles {low:.3f}-{high:.3f}"
        print(
            f"  readers by CPU at saturation, {script} / html, by round (in turn):"
            f" {' '.join(f'{r:.3f}{mark}' for r, mark in zip(each, marks, strict=True))};"
            f" median {statistics.median(ratios):.3f}"
            f" (min-max {ratios[0]:.3f}-{ratios[-1]:.3f}{quartiles}), all rounds pooled"
            f" {pooled[script] / pooled['html']:.3f}"
            f" ({pooled[script]:,.0f} / {pooled['html']:,.0f} readers)"
            + (
                f"; median of the {len(fair)} rounds both passed at {m}:"
                f" {statistics.median(fair):.3f}"
                if "*" in marks and fair
                else ""
            )
        )


if __name__ == "__main__":
    sys.exit(main())
