"""The page's script votes in the query string and shows the reader's vote at once.

A vote is ``POST <reaction url>?reaction=<key>`` (``?stars=<1-5>``; an empty value
withdraws) with no body and no Content-Type: a request the shipped nginx takes and logs
itself, answering 202 with the article's counts before the vote, which its view folder
counts within a few seconds. On the embedded tier the app answers 200 with the reader's
choice and the counts after it. Either way the reader sees their choice and the counts
with it at once; after a 202 the page applies the vote to the counts itself, exactly as
the server will count it (``Byline.withVote``), so nothing jumps when the folded
figures arrive. The 202 itself is answered by the shipped nginx in
tests/deploy/test_votelog.py (a reader in Chromium votes through it, then the fold).
"""

import json
import random

import pytest

from byline.engagement.models import STARS
from byline.engagement.stats import Figures, _reaction_figures, figures_for
from tests.browser.conftest import expect
from tests.browser.test_reader_journey import open_article, reaction


@pytest.fixture
def watched_page(page):
    """The reader's page, with every console error and uncaught exception kept."""
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def votes_sent(page):
    sent = []
    page.on(
        "request",
        lambda r: sent.append(r) if "/reaction/" in r.url or "/rating/" in r.url else None,
    )
    return sent


def test_a_reader_reacts_changes_withdraws_and_rates_through_the_query(watched_page, demo_article):
    page = watched_page
    sent = votes_sent(page)
    open_article(page, demo_article)
    status = page.locator(".engagement-status")
    happy = page.get_by_role("button", name="Happy", exact=True)
    sad = page.get_by_role("button", name="Sad", exact=True)
    withdraw = page.get_by_role("button", name="Withdraw my reaction")
    happy_count, happy_percent = reaction(page, "happy")
    sad_count, sad_percent = reaction(page, "sad")

    happy.click()
    expect(happy).to_have_attribute("aria-pressed", "true")
    expect(status).to_have_text("Your reaction: Happy.")
    expect(happy_count).to_have_text("1")
    expect(happy_percent).to_have_text("100")
    expect(withdraw).to_be_visible()

    sad.click()
    expect(sad).to_have_attribute("aria-pressed", "true")
    expect(happy).to_have_attribute("aria-pressed", "false")
    expect(status).to_have_text("Your reaction: Sad.")
    expect(sad_count).to_have_text("1")
    expect(sad_percent).to_have_text("100")
    expect(happy_count).to_have_text("0")
    expect(happy_percent).to_have_text("0")

    withdraw.click()
    expect(status).to_have_text("Your reaction was withdrawn.")
    expect(sad).to_have_attribute("aria-pressed", "false")
    expect(sad_count).to_have_text("0")
    expect(withdraw).to_be_hidden()

    page.get_by_role("button", name="4 stars").click()
    expect(status).to_have_text("You rated this article 4 stars.")
    expect(page.locator('[data-field="average"]')).to_have_text("4.0")
    expect(page.locator('[data-field="rating-count"]')).to_have_text("1")
    page.get_by_role("button", name="Withdraw my rating").click()
    expect(status).to_have_text("Your rating was withdrawn.")
    expect(page.locator('[data-field="average"]')).to_have_text("–")

    urls = [r.url.split("/api/articles/", 1)[1] for r in sent]
    pk = demo_article.pk
    assert urls == [
        f"{pk}/reaction/?reaction=happy",
        f"{pk}/reaction/?reaction=sad",
        f"{pk}/reaction/?reaction=",
        f"{pk}/rating/?stars=4",
        f"{pk}/rating/?stars=",
    ]
    for request in sent:
        assert request.method == "POST"
        assert request.post_data is None
        headers = request.all_headers()
        assert "content-type" not in headers
        assert headers["accept"] == "application/json"
    figures = figures_for(pk)
    assert figures.reaction_total == figures.rating_count == 0
    assert page.errors == []


def counts_of(reactions: dict[str, int], ratings: dict[int, int]) -> dict:
    """The counts JSON (its votes' part) the server gives for these votes."""
    figures = Figures(
        reactions=_reaction_figures(reactions),
        rating_counts={stars: ratings.get(stars, 0) for stars in STARS},
    )
    counts = figures.as_json()
    return {"reactions": counts["reactions"], "rating": counts["rating"]}


def vote_cases(keys: list[str], count: int) -> list[dict]:
    """Counts before a reader's vote, the vote (previous choice, next choice) and the
    counts the server gives after it: many shapes, ties and roundings among them."""
    rng = random.Random(21)
    cases = []
    for n in range(count):
        most = rng.choice([1, 2, 3, 7, 50, 1000])
        reactions = {key: rng.randint(0, most) for key in keys if rng.random() < 0.7}
        ratings = {stars: rng.randint(0, most) for stars in STARS if rng.random() < 0.7}
        kind = "reaction" if n % 2 else "rating"
        choices = keys if kind == "reaction" else list(STARS)
        tallies = reactions if kind == "reaction" else ratings
        held = [c for c in choices if tallies.get(c, 0) > 0]
        previous = rng.choice(held + [None]) if held else None
        following = rng.choice(choices + [None])
        after = dict(tallies)
        if previous is not None:
            after[previous] -= 1
        if following is not None:
            after[following] = after.get(following, 0) + 1
        before = counts_of(reactions, ratings)
        if kind == "reaction":
            expected = counts_of(after, ratings)
        else:
            expected = counts_of(reactions, after)
        cases.append(
            {
                "before": before,
                "kind": kind,
                "previous": previous,
                "next": following,
                "after": expected,
            }
        )
    return cases


def test_a_vote_applied_on_the_page_gives_the_counts_the_server_gives(
    watched_page, demo_article, settings
):
    """``Byline.withVote(counts, kind, previous, next)``: the counts nginx answered with
    (before the vote), less the reader's previous choice, plus the new one; the percents
    (largest remainder), the rating's count, average (to one decimal, half up) and
    per-star shares exactly as the server's ``counts_json`` gives them after the vote."""
    page = watched_page
    open_article(page, demo_article)
    keys = [kind.key for kind in settings.BYLINE_REACTIONS]
    cases = vote_cases(keys, 400)
    results = page.evaluate(
        """cases => cases.map(c => window.Byline.withVote(c.before, c.kind, c.previous, c.next))""",
        cases,
    )
    for case, result in zip(cases, results, strict=True):
        assert result == case["after"], json.dumps(case)
    # The answer itself is left as it was (a copy is changed).
    assert (
        page.evaluate(
            """() => {
            const counts = {reactions: [{key: "happy", count: 1, percent: 100}],
                            rating: {average: null, count: 0, stars: []}};
            window.Byline.withVote(counts, "reaction", null, "happy");
            return counts.reactions[0].count;
        }"""
        )
        == 1
    )
    assert page.errors == []
