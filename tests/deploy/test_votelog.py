"""The page script's vote answered by nginx and cast from its vote log.

Starts the real app (`byline run --production`, granian, on a throwaway SQLite data
folder) with the real nginx running deploy/nginx.conf in front. A same-origin vote in
the query form with no body (``?reaction=<key>``, ``?stars=<1-5>``) is answered by nginx
with 202 and the article's counts file, written to the vote log, and the browser given
a reader cookie nginx minted if it had none; `byline flush_views` casts the log. Any
other vote is the app's, as before. Skipped without nginx or granian. The ports are two
free ones, or the fifth and sixth in ``BYLINE_TEST_PORTS``.
"""

import contextlib
import json
import os
import re
import threading
import time
import urllib.request
from collections import Counter

import pytest

from bench.slowclients import site_reader_requests
from byline import readers
from byline.engagement import actions
from tests.deploy.conftest import needs_nginx_and_granian, site_behind_nginx
from tests.deploy.test_readers import BROWSER, beacon, fold, send

pytestmark = needs_nginx_and_granian
SAME_ORIGIN = {
    "User-Agent": BROWSER,
    "Sec-Fetch-Site": "same-origin",
    "Accept": "application/json",
    "X-Forwarded-For": "203.0.113.60",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app with the shipped nginx in front, and the article's counts file written (a
    view of it folded): nginx answers votes on articles being read."""
    with site_behind_nginx(
        tmp_path_factory,
        "votelog",
        4,
        view_log=True,
        BYLINE_CLIENT_IP_HEADER="X-Forwarded-For",
        BYLINE_VIEW_FLUSH_SECONDS="100000",  # folded only when a test says so
    ) as site:
        counts = site_reader_requests(site["nginx"])[1].path
        site = {**site, "id": int(re.search(r"/(\d+)/", counts).group(1))}
        beacon(site)
        fold(site)
        assert (site["data"] / "views" / "counts" / f"{site['id']}.json").exists()
        yield site


def vote(site, query: str, kind: str = "reaction", cookie: str = "", method: str = "POST", **more):
    headers = {**SAME_ORIGIN, **({"Cookie": cookie} if cookie else {}), **more}
    return send(f"{site['nginx']}/api/articles/{site['id']}/{kind}/?{query}", method, headers)


def vote_lines(site, at_least: int = 0) -> list[list[str]]:
    """The vote log's lines (split), waiting up to 10 s for ``at_least`` of them: nginx
    writes a line once it has sent the answer."""
    for _ in range(100):
        lines = logged(site)
        if len(lines) >= at_least:
            break
        time.sleep(0.1)
    return lines


def logged(site) -> list[list[str]]:
    return [
        each.split("\t")
        for path in sorted((site["data"] / "views").glob("votes-*.log"))
        for each in path.read_text().splitlines()
    ]


def the_app(site, path: str, cookie: str = "") -> dict:
    _, _, body = send(f"{site['app']}{path}", headers={"Cookie": cookie} if cookie else {})
    return json.loads(body)


def reaction_count(site, key: str) -> int:
    counts = the_app(site, f"/api/articles/{site['id']}/engagement/")
    return next(r["count"] for r in counts["reactions"] if r["key"] == key)


def test_a_same_origin_vote_is_answered_by_nginx_and_cast_once_at_the_fold(site):
    """202 with the counts and the minted reader cookie, a line in the vote log; the same
    reader's second vote changes their vote; after the fold the API and the counts file
    show it exactly once, and the reader's own vote is the second."""
    first, second = actions.reaction_keys()[:2]
    before = reaction_count(site, second)
    lines = len(vote_lines(site))
    status, headers, body = vote(site, f"reaction={first}")
    assert status == 202
    assert headers["cache-control"] == "private, no-store"
    assert "reactions" in json.loads(body)
    cookie = headers["set-cookie"]
    reader = re.fullmatch(
        r"byline_reader=([0-9a-f]{32}); Max-Age=(\d+); Path=/; HttpOnly; SameSite=Lax", cookie
    )
    assert reader, cookie
    assert int(reader[2]) == readers.COOKIE_MAX_AGE
    written = vote_lines(site, lines + 1)[lines:]
    assert [(f[1], f[2], f[3], f[5], f[6]) for f in written] == [
        (str(site["id"]), "reaction", f"={first}", "-", reader[1])
    ]

    status, headers, _ = vote(site, f"reaction={second}", cookie=f"byline_reader={reader[1]}")
    assert status == 202
    assert "set-cookie" not in headers
    assert vote_lines(site, lines + 2)[-1][6] == reader[1]

    fold(site)
    assert reaction_count(site, second) == before + 1
    mine = the_app(
        site, f"/api/articles/{site['id']}/engagement/mine/", f"byline_reader={reader[1]}"
    )
    assert mine["reaction"] == second
    file = json.loads((site["data"] / "views" / "counts" / f"{site['id']}.json").read_bytes())
    assert next(r["count"] for r in file["reactions"] if r["key"] == second) == before + 1
    fold(site)
    assert reaction_count(site, second) == before + 1


def test_a_rating_and_its_withdrawal_through_nginx(site):
    """``?stars=4`` then ``?stars=`` from one reader: after the fold, no rating of theirs."""
    lines = len(vote_lines(site))
    status, headers, _ = vote(site, "stars=4", kind="rating")
    assert status == 202
    cookie = headers["set-cookie"].split(";")[0]
    assert vote(site, "stars=", kind="rating", cookie=cookie)[0] == 202
    assert [f[3] for f in vote_lines(site, lines + 2)[lines:]] == ["=4", "="]
    fold(site)
    mine = the_app(site, f"/api/articles/{site['id']}/engagement/mine/", cookie)
    assert mine["rating"] is None


@pytest.mark.parametrize(
    ("query", "kind", "method", "more"),
    [
        ("reaction=like", "reaction", "DELETE", {}),
        ("reaction=like", "reaction", "POST", {"Sec-Fetch-Site": "cross-site"}),
        ("reaction=LIKE", "reaction", "POST", {}),
        ("reaction=like&x=1", "reaction", "POST", {}),
        ("stars=4", "reaction", "POST", {}),
        ("stars=6", "rating", "POST", {}),
        ("reaction=like", "reaction", "POST", {"Accept": "text/html"}),
    ],
)
def test_any_other_vote_goes_to_the_app(site, query, kind, method, more):
    """A DELETE, another site's post, a query not exactly one well-formed field of the
    kind, a request not asking for JSON: the app answers (no line in the vote log)."""
    lines = len(vote_lines(site))
    status, headers, _ = vote(site, query, kind=kind, method=method, **more)
    assert status != 202
    assert headers.get("x-cache") != "FILE"
    assert len(vote_lines(site)) == lines


def test_a_vote_with_a_body_goes_to_the_app(site):
    """A body is never nginx's: the app reads and answers it (the JSON form alone: 200;
    a body and a choice in the query: its 400, send the choice once), no line logged."""
    lines = len(vote_lines(site))
    key = actions.reaction_keys()[0]
    for query, expected in (("", 200), (f"?reaction={key}", 400)):
        request = urllib.request.Request(
            f"{site['nginx']}/api/articles/{site['id']}/reaction/{query}",
            data=json.dumps({"reaction": key}).encode(),
            method="POST",
            headers={**SAME_ORIGIN, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers = response.status, response.headers
        except urllib.error.HTTPError as error:
            status, headers = error.code, error.headers
        assert status == expected
        assert headers.get("X-Cache") != "FILE"
    assert len(vote_lines(site)) == lines


def test_a_vote_on_an_article_without_a_counts_file_is_cast_by_the_app(site):
    """No counts file (nobody has read the article since the last fold, or there is no
    such article): the app checks and answers the vote itself (its 404; a 400 from an app
    that does not read the query form yet)."""
    lines = len(vote_lines(site))
    status, headers, _ = send(
        f"{site['nginx']}/api/articles/987654321/reaction/?reaction={actions.reaction_keys()[0]}",
        "POST",
        SAME_ORIGIN,
    )
    assert status in {404, 400}
    assert headers.get("x-cache") != "FILE"
    assert len(vote_lines(site)) == lines


@contextlib.contextmanager
def reader_in_chromium():
    """(context, page) of a new reader in headless Chromium (skipped without it)."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, sync_playwright

    if sync_playwright is None or not CHROMIUM:
        pytest.skip("Chromium and Playwright are needed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(user_agent=f"{BROWSER} in Chromium")
            yield context, context.new_page()
        finally:
            browser.close()


SHOWN = """() => {
    const text = (selector) => document.querySelector(selector).textContent.trim();
    const pressed = [...document.querySelectorAll(
        'section.engagement button[aria-pressed="true"]')];
    return {
        reactions: Object.fromEntries([...document.querySelectorAll("li[data-reaction]")].map(
            (li) => [li.dataset.reaction, [li.querySelector('[data-field="count"]').textContent,
                                           li.querySelector('[data-field="percent"]').textContent]])),
        stars: [...document.querySelectorAll("li[data-stars]")].map((li) =>
            [li.querySelector('[data-field="count"]').textContent,
             li.querySelector('[data-field="bar"]').style.width]),
        average: text('[data-field="average"]'),
        ratings: text('[data-field="rating-count"]'),
        pressed: pressed.map((button) => button.name + "=" + button.value).sort(),
    };
}"""


def test_a_reader_in_a_browser_votes_through_nginx_and_the_fold_brings_what_was_shown(site):
    """Real Chromium on the article page through the shipped nginx: each vote (a
    reaction, another reaction, the reaction withdrawn, a rating, another rating) is
    answered 202 by nginx; at once the page shows the pressed button, the status and the
    counts with the vote applied; after the fold a reload shows exactly those figures
    (the API's too), and the reader is one reader throughout: a second vote changes
    theirs, never adds one."""
    article = site_reader_requests(site["nginx"])[0].path
    first, second = actions.reaction_keys()[2:4]
    fold(site)  # the votes earlier tests logged, folded first
    before = the_app(site, f"/api/articles/{site['id']}/engagement/")
    reactions_before = sum(r["count"] for r in before["reactions"])
    ratings_before = before["rating"]["count"]
    with reader_in_chromium() as (context, page):
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        beacon_url = f"/api/articles/{site['id']}/view/"

        def load(reload: bool = False) -> None:
            with page.expect_response(lambda r: r.url.endswith(beacon_url)) as answer:
                page.reload() if reload else page.goto(f"{site['nginx']}{article}")
            answer.value.finished()

        def press(name: str, query: str) -> dict:
            """Click, see nginx's 202, and the figures the page shows at once."""
            with page.expect_response(lambda r: "/api/articles/" in r.url and "?" in r.url) as r:
                page.get_by_role("button", name=name, exact=True).click()
            assert r.value.status == 202
            assert r.value.url.endswith(query)
            assert r.value.headers.get("x-cache") == "FILE"
            page.wait_for_function(
                "() => !document.querySelector('section.engagement button:disabled')"
            )
            return page.evaluate(SHOWN)

        def folded_and_reloaded() -> dict:
            fold(site)
            load(reload=True)
            page.wait_for_function(
                "want => JSON.stringify((" + SHOWN + ")().pressed) === JSON.stringify(want)",
                arg=shown["pressed"],
            )
            return page.evaluate(SHOWN)

        load()
        at_first = page.evaluate(SHOWN)
        assert at_first["pressed"] == []
        label = {
            key: page.locator(f'li[data-reaction="{key}"] .reaction-label').text_content()
            for key in (first, second)
        }
        status = page.locator(".engagement-status")

        shown = press(label[first], f"?reaction={first}")
        assert shown["pressed"] == [f"reaction={first}"]
        assert int(shown["reactions"][first][0]) == int(at_first["reactions"][first][0]) + 1
        assert status.text_content() == f"Your reaction: {label[first]}."
        assert page.get_by_role("button", name="Withdraw my reaction").is_visible()
        assert folded_and_reloaded() == shown

        shown = press(label[second], f"?reaction={second}")
        assert shown["pressed"] == [f"reaction={second}"]
        # Back to the first within one fold: nginx's counts lack the second vote,
        # which the page then does not take out of them.
        shown = press(label[first], f"?reaction={first}")
        assert shown["pressed"] == [f"reaction={first}"]
        assert int(shown["reactions"][first][0]) == int(at_first["reactions"][first][0]) + 1
        assert shown["reactions"][second] == at_first["reactions"][second]
        assert folded_and_reloaded() == shown
        shown = press(label[second], f"?reaction={second}")
        assert folded_and_reloaded() == shown
        after = the_app(site, f"/api/articles/{site['id']}/engagement/")
        assert sum(r["count"] for r in after["reactions"]) == reactions_before + 1

        shown = press("Withdraw my reaction", "?reaction=")
        assert shown["pressed"] == []
        assert status.text_content() == "Your reaction was withdrawn."
        assert shown["reactions"] == at_first["reactions"]
        assert folded_and_reloaded() == shown

        shown = press("4 stars", "?stars=4")
        assert shown["pressed"] == ["stars=4"]
        assert int(shown["ratings"]) == ratings_before + 1
        folded = folded_and_reloaded()
        assert folded == shown
        # Not folded for a while: the page keeps its figures until the fold is due,
        # then its one refresh shows the server's (here still the 4 stars).
        counts_url = f"/api/articles/{site['id']}/engagement/"
        with page.expect_response(lambda r: r.url.endswith(counts_url), timeout=20000):
            shown = press("2 stars", "?stars=2")
            assert shown["stars"] != folded["stars"]
        page.wait_for_function(
            "want => JSON.stringify((" + SHOWN + ")().stars) === JSON.stringify(want)",
            arg=folded["stars"],
        )
        assert {**page.evaluate(SHOWN), "pressed": folded["pressed"]} == folded
        assert folded_and_reloaded() == shown
        after = the_app(site, f"/api/articles/{site['id']}/engagement/")
        assert after["rating"]["count"] == ratings_before + 1
        assert str(after["rating"]["average"]) == shown["average"]
        assert [c["name"] for c in context.cookies() if c["name"] == "byline_reader"] == [
            "byline_reader"
        ]
        assert errors == []


def test_a_vote_is_logged_only_when_nginx_answered_it_202(site):
    """nginx looks for the counts file, then sends it: a file removed in between (the
    folder removes the files of articles no longer read) makes the answer a 404. Such a
    vote must not be in the log: the reader was told it failed. Every line is a 202."""
    path = site["data"] / "views" / "counts" / f"{site['id']}.json"
    content = path.read_bytes()
    spare = path.with_name("spare.json")
    stop = threading.Event()

    def flicker() -> None:  # the file there, then not, then there again
        while not stop.is_set():
            spare.write_bytes(content)
            os.rename(spare, path)
            os.unlink(path)

    lines = len(vote_lines(site))
    answers: Counter[int] = Counter()
    thread = threading.Thread(target=flicker)
    thread.start()
    try:
        for n in range(600):
            headers = {**SAME_ORIGIN, "X-Forwarded-For": f"203.0.113.{n % 200}"}
            status, _, _ = send(
                f"{site['nginx']}/api/articles/{site['id']}/reaction/?reaction=",
                "POST",
                headers,
            )
            answers[status] += 1
    finally:
        stop.set()
        thread.join()
        path.write_bytes(content)
    # nginx writes a line after its answer: waited for, one for each 202 and no more
    assert len(vote_lines(site, lines + answers[202])) - lines == answers[202], answers


def test_a_vote_line_holds_no_user_agent_however_long(site):
    """The fold does not read the user agent: the line leaves it out ("-"), so a flood
    of votes with 8 KB headers writes lines of a hundred bytes or so, not 8 KB each."""
    lines = len(vote_lines(site))
    status, _, _ = vote(site, "reaction=", **{"User-Agent": "Mozilla/5.0 " + '\t"x' * 2000})
    assert status == 202
    written = vote_lines(site, lines + 1)[lines:]
    assert [(len(f), f[5]) for f in written] == [(7, "-")]
    assert len("\t".join(written[0])) < 200


def test_a_vote_sent_before_the_readers_choices_arrive_takes_out_the_one_they_had(site):
    """A reader who voted before opens the page and votes again before the page has
    their choices (the mine request answered late: held here, then answered by the real
    app): the figures shown take out the choice they had, as the fold does, and the late
    answer does not press the old choice again."""
    article = site_reader_requests(site["nginx"])[0].path
    first, second = actions.reaction_keys()[4:6]
    with reader_in_chromium() as (context, page):
        beacon_url = f"/api/articles/{site['id']}/view/"
        with page.expect_response(lambda r: r.url.endswith(beacon_url)) as answer:
            page.goto(f"{site['nginx']}{article}")
        answer.value.finished()
        label = {
            key: page.locator(f'li[data-reaction="{key}"] .reaction-label').text_content()
            for key in (first, second)
        }
        with page.expect_response(lambda r: "?reaction=" in r.url) as voted:
            page.get_by_role("button", name=label[first], exact=True).click()
        assert voted.value.status == 202
        fold(site)

        held: list = []
        page.route("**/engagement/mine/", lambda route: held.append(route))
        with page.expect_response(lambda r: r.url.endswith(beacon_url)) as answer:
            page.reload()
        answer.value.finished()
        folded = page.evaluate(SHOWN)
        assert folded["pressed"] == []  # not known yet
        with page.expect_response(lambda r: "?reaction=" in r.url) as voted:
            page.get_by_role("button", name=label[second], exact=True).click()
        assert voted.value.status == 202
        voted.value.finished()
        with page.expect_response(lambda r: r.url.endswith("/engagement/mine/")) as mine:
            held[0].continue_()  # answered by the app, after the vote's answer
        mine.value.finished()
        page.wait_for_function(
            "() => !document.querySelector('section.engagement button:disabled')"
        )
        page.wait_for_timeout(300)  # the late choices shown, had they been
        shown = page.evaluate(SHOWN)
        assert shown["pressed"] == [f"reaction={second}"]
        for key, moved in ((first, -1), (second, 1)):
            assert int(shown["reactions"][key][0]) == int(folded["reactions"][key][0]) + moved
        fold(site)
        page.unroute("**/engagement/mine/")
        with page.expect_response(lambda r: r.url.endswith(beacon_url)) as answer:
            page.reload()
        answer.value.finished()
        page.wait_for_function(
            "() => document.querySelector('section.engagement button[aria-pressed=\"true\"]')"
        )
        assert page.evaluate(SHOWN) == shown
