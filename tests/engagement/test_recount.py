"""The recount command finds totals that drifted from the vote rows, and repairs them."""

import io

import pytest
from django.core.management import call_command

from byline.engagement import viewbuffer
from byline.engagement.models import ArticleStats, ReactionTally
from byline.engagement.stats import figures_for
from tests.engagement.factory import rate, react, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def recount(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("recount_engagement", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def voted_article():
    article = make_article()
    for i, (reaction, stars) in enumerate([("happy", 5), ("sad", 2), ("happy", 4)]):
        client = reader_client(f"198.51.100.{i}")
        react(client, article.pk, reaction)
        rate(client, article.pk, stars)
        client.post(f"/api/articles/{article.pk}/view/")
    viewbuffer.flush()
    return article


def test_totals_kept_by_votes_show_no_drift(voted_article):
    assert recount() == (0, "No drift: every total equals its recount.\n")


def test_drift_is_reported_and_repaired(voted_article):
    ReactionTally.objects.filter(article=voted_article, reaction="happy").update(count=9)
    ArticleStats.objects.filter(article=voted_article).update(stars_5=0, views=40)
    status, output = recount()
    assert status == 1
    assert f"article {voted_article.pk}: reaction happy shows 9, recount 2" in output
    assert f"article {voted_article.pk}: 5 stars shows 0, recount 1" in output
    assert f"article {voted_article.pk}: views shows 40, recount 3" in output
    figures = figures_for(voted_article.pk)
    assert figures.reactions[0].count == 2
    assert figures.rating_counts[5] == 1
    assert figures.views == 3
    assert recount()[0] == 0


def test_a_dry_run_reports_without_repairing(voted_article):
    ReactionTally.objects.filter(article=voted_article, reaction="sad").delete()
    status, output = recount("--dry-run")
    assert status == 1
    assert "reaction sad shows 0, recount 1" in output
    assert "not repaired" in output
    assert figures_for(voted_article.pk).reactions[1].count == 0
