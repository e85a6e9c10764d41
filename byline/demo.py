"""The demo site that ``byline run`` loads into an empty site.

The captured article (``articles.demo``), exactly as captured and with every
count at zero, leads the front page; fictional stories with drawn pictures
(``articles.demo_stories``) fill the grid around it, with one that shows a
library image in its body and an embed (``media.demo``), and the About,
Contact and Ethics pages are in the menus; with some views over the
past week and a few approved comments about each story (``demo_remarks``), so
"Most read" and "Most discussed" have something to show. Each app's own demo
functions write its own tables.
"""

from __future__ import annotations

from byline.articles.demo import load_demo
from byline.articles.demo_stories import load_demo_stories
from byline.articles.models import Article
from byline.demo_remarks import REMARKS
from byline.discussion.demo import add_demo_comments
from byline.engagement.demo import add_demo_views
from byline.media.demo import load_media_demo

# Per story, in demo_stories.STORIES order: views today, yesterday, ... (7 days).
VIEWS = (
    (140, 0, 0, 0, 0, 0, 0),
    (95, 60, 0, 0, 0, 0, 0),
    (70, 180, 0, 0, 0, 0, 0),
    (20, 210, 130, 0, 0, 0, 0),
    (12, 40, 160, 0, 0, 0, 0),
    (6, 25, 90, 240, 0, 0, 0),
    (3, 10, 40, 110, 150, 0, 0),
)
COMMENTS = (4, 7, 3, 9, 2, 0, 5)


def load_demo_site() -> Article:
    """Load the demo article and the stories around it; returns the demo article.

    Safe to run again: what exists is left as it is, and views and comments
    are added only with the stories.
    """
    article, _ = load_demo()
    stories, created = load_demo_stories()
    if created:
        add_demo_views({story.pk: list(views) for story, views in zip(stories, VIEWS, strict=True)})
        for number, (story, count) in enumerate(zip(stories, COMMENTS, strict=True)):
            if count:
                add_demo_comments(story, count, seed=number, phrases=REMARKS[story.slug])
    load_media_demo()  # static pages, and an article with an in-body image and an embed
    return article
