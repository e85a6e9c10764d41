"""The demo site `byline run` loads: the captured article, untouched, leading a front
page of clearly fictional stories with pictures drawn for them."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from byline.articles.demo import read_demo_text
from byline.articles.demo_stories import FICTION_NOTE, STORIES
from byline.articles.models import Article
from byline.demo import load_demo_site
from byline.discussion.models import Comment
from byline.engagement.stats import figures_for
from byline.media.demo import DEMO_SLUG as MEDIA_DEMO_SLUG

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_the_captured_article_is_loaded_as_captured_and_leads(client, media):
    """Its text is the capture's, its counts are all zero, and it is the newest story."""
    article = load_demo_site()
    text = read_demo_text()
    assert (article.headline, article.standfirst, article.body) == (
        text.headline,
        text.standfirst,
        text.body,
    )
    figures = figures_for(article.pk)
    assert (figures.views, figures.comments, figures.reaction_total) == (0, 0, 0)
    assert not Comment.objects.filter(article=article).exists()
    html = client.get("/").text
    lead = html[html.index('class="lead-story') : html.index("</article>")]
    assert text.headline in lead


def test_the_other_stories_are_fictional_and_say_so(media):
    load_demo_site()
    stories = Article.objects.exclude(slug__startswith="iraqs-").exclude(slug=MEDIA_DEMO_SLUG)
    assert stories.count() == len(STORIES)
    for story in stories:
        assert story.body.endswith(FICTION_NOTE)
        assert all("fictional" in a.bio for a in story.authors.all())
        assert not story.was_updated


def test_their_pictures_are_small_images_drawn_here(media):
    load_demo_site()
    pictured = Article.objects.exclude(lead_image="")
    assert pictured.count() == sum(1 for s in STORIES if s.picture)
    for article in pictured:
        data = article.lead_image.read()
        assert len(data) < 60_000
        image = Image.open(io.BytesIO(data))
        assert (image.format, image.size) == ("WEBP", (960, 540))
        assert article.lead_image_alt.startswith("Illustration:")


def test_loading_the_demo_site_twice_adds_nothing(client, media):
    load_demo_site()
    counts = (Article.objects.count(), Comment.objects.count())
    views = [figures_for(a.pk).views for a in Article.objects.order_by("pk")]
    load_demo_site()
    assert (Article.objects.count(), Comment.objects.count()) == counts
    assert [figures_for(a.pk).views for a in Article.objects.order_by("pk")] == views
    html = client.get("/").text
    assert 'id="most-read-heading"' in html and 'id="most-discussed-heading"' in html


def test_the_demo_comments_are_about_the_story_they_are_under(media):
    """Under the footbridge, readers talk about the bridge; under the cup final, about
    the penalties: every sentence of a demo comment is one of its own story's remarks
    (or a general answer or sign-off), none another story's, none about a war."""
    from byline.demo_remarks import CLOSINGS, REMARKS, REPLIES
    from byline.discussion.demo import NEWS

    load_demo_site()
    assert {story.slug for story in STORIES} <= set(REMARKS)
    general = {*CLOSINGS, *REPLIES} - {""}
    discussed = Article.objects.filter(comments__isnull=False).distinct()
    assert discussed.count() >= 5
    for article in discussed:
        own = {*REMARKS[article.slug].openings, *REMARKS[article.slug].middles}
        others = {
            remark
            for slug, phrases in REMARKS.items()
            if slug != article.slug
            for remark in (*phrases.openings, *phrases.middles)
        } | {*NEWS.openings, *NEWS.middles, *NEWS.closings} - {""}
        for comment in Comment.objects.filter(article=article):
            text = comment.body
            assert any(remark in text for remark in own), (article.slug, text)
            assert not any(remark in text for remark in others - own - general), text
            for known in own | general:
                text = text.replace(known, "")
            assert not re.sub(r"@\w+|\s", "", text), (article.slug, text)  # "@Grace" stays
