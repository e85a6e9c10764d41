"""The demo content: the captured article, loaded once into an empty site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from byline.articles.models import Article, Author, Section, Tag

DEMO_FILE = Path(__file__).with_name("demo_content") / "article.txt"
DEMO_SLUG = "iraqs-attack-against-isis-catches-us-by-surprise"


@dataclass(frozen=True)
class DemoText:
    headline: str
    standfirst: str
    body: str


def read_demo_text(path: Path = DEMO_FILE) -> DemoText:
    """Headline on the first line, then paragraphs; the first paragraph is the standfirst."""
    blocks = [block.strip() for block in path.read_text(encoding="utf-8").split("\n\n")]
    blocks = [block for block in blocks if block]
    headline, standfirst, *body = blocks
    return DemoText(headline=headline, standfirst=standfirst, body="\n\n".join(body))


@transaction.atomic
def load_demo() -> tuple[Article, bool]:
    """Create the demo article unless it exists. Returns it and whether it was created.

    Running it again changes nothing, so it is safe at every start.
    """
    existing = Article.objects.filter(slug=DEMO_SLUG).first()
    if existing:
        return existing, False
    text = read_demo_text()
    author, _ = Author.objects.get_or_create(
        slug="byline-demo", defaults={"name": "Byline Demo", "bio": "Sample content."}
    )
    section, _ = Section.objects.get_or_create(slug="world", defaults={"name": "World"})
    tags = [
        Tag.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in [("iraq", "Iraq"), ("isis", "ISIS"), ("iran", "Iran")]
    ]
    article = Article.objects.create(
        headline=text.headline,
        slug=DEMO_SLUG,
        standfirst=text.standfirst,
        body=text.body,
        section=section,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    article.authors.add(author)
    article.tags.add(*tags)
    return article, True


def site_is_empty() -> bool:
    return not Article.objects.exists()
