"""bench/readers.py's capacity at saturation: the marginal CPU a view, not the average.

A server's CPU while readers read is a fixed part (the view folder's timed look at
every article, housekeeping) and a part a view; at a few hundred views a second the
fixed part weighs on the average a view, not on what one view more costs. The bench
runs every script at N and at M readers and draws the line through both: its slope is
the CPU a view more, its intercept the fixed CPU a second, and the readers the cores
carry at saturation are (cores - fixed) / slope x the mean stay. Comments (0.1% of
readers, tens of ms each) fall one more or less in a phase: each step's CPU is taken
as if it had drawn its share of them, a comment's CPU fitted over every phase.
"""

from __future__ import annotations

import math

import pytest

from bench.readers import (
    MEAN_STAY_SECONDS,
    ROLES,
    Step,
    Tally,
    at_saturation,
    comment_cost,
    merged,
    slope,
)

FIXED, A_VIEW, A_COMMENT = 0.1, 50e-6, 0.030  # CPU s/s, CPU s a view, CPU s a comment


def phase(readers: int, views: int, comments: int, seconds: float = 4.0) -> Step:
    """A phase whose app used exactly the fixed part, its views' and its comments'."""
    tally = Tally()
    tally.kinds.update({"html": views, "comment (app)": comments})
    cpu = dict.fromkeys(ROLES, 0.0)
    cpu["app server"] = FIXED * seconds + A_VIEW * views + A_COMMENT * comments
    return Step("after", readers, seconds, tally, cpu)


def test_the_line_through_n_and_m_gives_the_cpu_a_view_more_and_the_fixed_cpu():
    at_n = merged([phase(480, 1200, 1), phase(480, 1200, 1)])
    at_m = merged([phase(1920, 4800, 5), phase(1920, 4800, 5)])

    fit = slope(at_n, at_m, "app server", A_COMMENT, 0.001)

    # The comments at their share (one in a thousand views) are part of a view's cost.
    assert fit.per_view == pytest.approx(A_VIEW + 0.001 * A_COMMENT)
    assert fit.fixed == pytest.approx(FIXED)
    # The average a view at N holds the fixed part: more than the marginal.
    assert at_n.cpu["app server"] / at_n.views > fit.per_view


def test_a_comment_more_or_less_than_its_share_does_not_move_the_slope():
    share = 0.001
    at_n = merged([phase(480, 1200, 0), phase(480, 1200, 0)])  # 2.4 due, none drawn
    at_m = merged([phase(1920, 4800, 6), phase(1920, 4800, 6)])  # 9.6 due, 12 drawn
    unlucky = slope(at_n, at_m, "app server", A_COMMENT, share)
    assert unlucky.per_view == pytest.approx(A_VIEW + share * A_COMMENT)
    assert unlucky.fixed == pytest.approx(FIXED)
    # Without the apportioning, the luck of the draw would show in the slope.
    raw = slope(at_n, at_m, "app server", 0.0, share)
    assert raw.per_view > 1.2 * unlucky.per_view


def test_a_comments_cpu_is_fitted_over_the_phases():
    phases = [
        phase(480, 1200, 1),
        phase(480, 1180, 2),
        phase(480, 1230, 0),
        phase(1920, 4800, 5),
        phase(1920, 4750, 3),
        phase(1920, 4900, 6),
    ]
    assert comment_cost(phases, "app server") == pytest.approx(A_COMMENT)
    # No comment posted (the html readers): nothing to fit, nothing apportioned.
    assert comment_cost([phase(480, 1200, 0), phase(1920, 4800, 0)], "app server") == 0.0


def test_readers_at_saturation_are_the_cores_left_by_the_fixed_cpu_over_the_slope():
    at_n = merged([phase(480, 1200, 1), phase(480, 1200, 1)])
    at_m = merged([phase(1920, 4800, 5), phase(1920, 4800, 5)])
    fits = {"app server": slope(at_n, at_m, "app server", A_COMMENT, 0.001)}
    per_view = A_VIEW + 0.001 * A_COMMENT
    assert at_saturation(fits, 2) == pytest.approx((2 - FIXED) / per_view * MEAN_STAY_SECONDS)
    # No more views at M than at N: no slope, no figure (not a division by zero).
    flat = {"app server": slope(at_n, at_n, "app server", 0.0, 0.001)}
    assert math.isnan(at_saturation(flat, 2))


def test_the_report_marks_a_round_whose_step_at_m_went_over_the_limit(capsys):
    import argparse

    from bench.readers import marginal_report

    def step(script: str, readers: int, views: int, slow: bool = False) -> Step:
        made = merged([phase(readers, views, 0), phase(readers, views, 0)])
        made.script = script
        made.tally.latencies = [0.5 if slow else 0.001] * 10
        if script == "html":  # the HTML alone: a third of the CPU a view
            made.cpu["app server"] = FIXED * made.seconds + A_VIEW / 3 * made.views
        return made

    rounds = [{s: step(s, 480, 1200) for s in ("html", "after")} for _ in range(3)]
    slopes = [{s: step(s, 960, 2400, slow=k == 1) for s in ("html", "after")} for k in range(3)]
    args = argparse.Namespace(comment_share=0.001, generators=2)

    marginal_report(rounds, slopes, args)

    out = capsys.readouterr().out
    assert "µs a view more" in out and "fixed" in out
    assert "p99 over 200 ms or errors at 960 in round 2" in out
    # The readers at saturation: (cores - fixed) / marginal, so the ratio is not the
    # ratio of the averages at N (the fixed CPU weighs on those).
    assert "after / html, by round (in turn): 0.333 0.333* 0.333" in out
    assert "median of the 2 rounds both passed at 960: 0.333" in out
