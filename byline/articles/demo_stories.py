"""Fictional stories around the demo article, so a new site's front page looks alive.

The captured article stays exactly as it was captured (``demo.py``) and leads
the front page, being the newest. These stories are invented: the places,
teams and people do not exist, each says so in its last line, and they are
credited to fictional reporters. Their pictures are drawn here with Pillow
(layered hills under a sky, from a fixed seed), so nothing is downloaded and
no photograph of a real place or person is used.

Loaded once into a new site by ``byline run``; running it again adds nothing.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from byline.articles.models import Article, Author, Section

FICTION_NOTE = "*This story is fictional: it is part of Byline's demo content.*"
IMAGE_SIZE = (960, 540)


@dataclass(frozen=True)
class Story:
    slug: str
    headline: str
    standfirst: str
    body: str
    section: tuple[str, str]
    author: str
    hours_ago: int
    picture: tuple[str, str, str] | None  # sky, far hills, near hills (hex colours)
    alt: str = ""


AUTHORS = {
    "nell-harrow": ("Nell Harrow", "A fictional reporter who covers the fictional town of "
                    "Kestrelmouth for Byline's demo content."),
    "idris-vane": ("Idris Vane", "A fictional science and culture writer, invented for "
                   "Byline's demo content."),
}  # fmt: skip

STORIES = (
    Story(
        slug="kestrelmouth-harbour-footbridge-reopens",
        headline="Kestrelmouth’s harbour footbridge reopens after a year of repairs",
        standfirst="Walkers and cyclists can cross the old harbour again; the town council "
        "says the new deck should last fifty years.",
        body="The footbridge closed last spring when inspectors found rot in its timber "
        "deck. Ferry users had to take a twenty-minute detour round the quay.\n\n"
        "The new deck is recycled steel with a non-slip surface, and the railings are "
        "higher than before. Lights along the handrail come on at dusk.\n\n"
        "Shops on the north quay say they expect their Saturday trade to return.",
        section=("city", "City"),
        author="nell-harrow",
        hours_ago=3,
        picture=("#f6c56b", "#4f7f6a", "#2f5546"),
        alt="Illustration: green hills under a golden evening sky",
    ),
    Story(
        slug="record-count-of-lantern-moths-in-the-vell-valley",
        headline="Volunteers count a record number of lantern moths in the Vell valley",
        standfirst="Forty volunteers spent three nights with light traps; the count is "
        "double last year's.",
        body="The lantern moth, whose wings glow faintly under a torch, is the valley's "
        "best-loved insect. Volunteers have counted it every summer for twelve years.\n\n"
        "This year's warm, damp nights may explain the jump, the survey's organisers "
        "say, and they warn against reading too much into one good year.\n\n"
        "The full count will be published in the autumn.",
        section=("science", "Science"),
        author="idris-vane",
        hours_ago=9,
        picture=("#27345f", "#3f4f7c", "#1d2540"),
        alt="Illustration: blue hills under a night sky with a pale moon",
    ),
    Story(
        slug="brindlewick-library-lends-musical-instruments",
        headline="A library in Brindlewick lends out musical instruments, and the waiting "
        "list is long",
        standfirst="Violins, ukuleles and a single tuba can be borrowed for a month with a "
        "library card.",
        body="The scheme began with a dozen instruments donated by a closing music shop. "
        "It now has more than ninety.\n\n"
        "Borrowers get a short lesson when they collect an instrument, and the library "
        "holds an open evening every month where they can play together.\n\n"
        "The tuba, librarians admit, is rarely borrowed twice.",
        section=("culture", "Culture"),
        author="idris-vane",
        hours_ago=20,
        picture=("#f2a38a", "#b66a5a", "#7e4238"),
        alt="Illustration: terracotta hills under a pink sky",
    ),
    Story(
        slug="fennmoor-rovers-win-the-valley-cup-on-penalties",
        headline="Fennmoor Rovers win the valley cup on penalties after a goalless final",
        standfirst="The amateur side's goalkeeper saved two penalties in front of a "
        "record crowd of 1,200.",
        body="Neither side found a way through in ninety minutes or in extra time, on a "
        "pitch softened by a morning of rain.\n\n"
        "In the shoot-out the Rovers' goalkeeper, a schoolteacher in the week, guessed "
        "right twice.\n\n"
        "The cup will be shown at the clubhouse on Sunday afternoon.",
        section=("sport", "Sport"),
        author="nell-harrow",
        hours_ago=30,
        picture=("#9fd3f0", "#6fae5c", "#3f7a36"),
        alt="Illustration: bright green hills under a clear blue sky",
    ),
    Story(
        slug="quarry-square-night-market-to-run-all-year",
        headline="Quarry Square night market to run all year after a busy summer",
        standfirst="Stallholders asked to stay open through the winter; the town will add "
        "covered walkways.",
        body="The market began as a summer trial with twenty stalls. By August there were "
        "sixty, and a waiting list.\n\n"
        "Covered walkways will go up in October, and the market will close an hour "
        "earlier in the coldest months.",
        section=("city", "City"),
        author="nell-harrow",
        hours_ago=44,
        picture=None,
    ),
    Story(
        slug="kestrel-estuary-tide-gauges-go-solar",
        headline="Tide gauges on the Kestrel estuary get a solar-powered upgrade",
        standfirst="Readings every minute instead of every hour, published as open data "
        "from next month.",
        body="The six gauges, some of them eighty years old, are being fitted with solar "
        "panels and radio links.\n\n"
        "Sailors and the harbour master will be able to read the water level on the "
        "town's website.",
        section=("science", "Science"),
        author="idris-vane",
        hours_ago=60,
        picture=("#cfe3e8", "#7aa6b0", "#3d6f7a"),
        alt="Illustration: grey-blue hills above a calm estuary",
    ),
    Story(
        slug="orrin-falls-choir-records-in-an-old-mill",
        headline="The town choir of Orrin Falls records its first album in a disused mill",
        standfirst="Sixty singers, one microphone and a building famous for its echo.",
        body="The choir chose the mill for its sound: a note sung at one end takes almost "
        "two seconds to fade.\n\n"
        "The album, of folk songs from the valley, is due out before the winter concerts.",
        section=("culture", "Culture"),
        author="idris-vane",
        hours_ago=80,
        picture=("#e9d8f4", "#9a7fb4", "#5e4a78"),
        alt="Illustration: violet hills under a lilac sky",
    ),
)


def _colour(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def draw_picture(sky: str, far: str, near: str, seed: int) -> bytes:
    """A small landscape (WebP): a sky fading to white, a sun, two ranges of hills."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not security
    width, height = IMAGE_SIZE
    image = Image.new("RGB", IMAGE_SIZE)
    draw = ImageDraw.Draw(image)
    top, white = _colour(sky), (255, 255, 255)
    for y in range(height):
        draw.line([(0, y), (width, y)], fill=_mix(top, white, 0.55 * y / height))
    sun_x, sun_y, radius = rng.randint(160, width - 160), rng.randint(90, 190), 46
    draw.ellipse(
        [sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius],
        fill=_mix(top, white, 0.8),
    )
    for colour, base, amplitude in ((far, 300, 70), (near, 390, 90)):
        points = [(0, height)]
        phase, waves = rng.uniform(0, 6.28), rng.uniform(1.2, 2.4)
        for x in range(0, width + 16, 16):
            y = base - amplitude * (0.5 + 0.5 * math.sin(phase + waves * 6.28 * x / width))
            points.append((x, round(y + rng.uniform(-6, 6))))
        points.append((width, height))
        draw.polygon(points, fill=_colour(colour))
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=72, method=4)
    return out.getvalue()


@transaction.atomic
def load_demo_stories() -> tuple[list[Article], bool]:
    """Create the fictional stories that are missing. Returns all of them, newest
    first, and whether any was created."""
    now = timezone.now()
    articles = []
    created = False
    for number, story in enumerate(STORIES):
        existing = Article.objects.filter(slug=story.slug).first()
        if existing is not None:
            articles.append(existing)
            continue
        name, bio = AUTHORS[story.author]
        author, _ = Author.objects.get_or_create(
            slug=story.author, defaults={"name": name, "bio": bio}
        )
        section_slug, section_name = story.section
        section, _ = Section.objects.get_or_create(
            slug=section_slug, defaults={"name": section_name}
        )
        article = Article(
            headline=story.headline,
            slug=story.slug,
            standfirst=story.standfirst,
            body=f"{story.body}\n\n{FICTION_NOTE}",
            section=section,
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(hours=story.hours_ago),
            lead_image_alt=story.alt,
        )
        if story.picture is not None:
            picture = draw_picture(*story.picture, seed=number)
            article.lead_image.save(f"{story.slug}.webp", ContentFile(picture), save=False)
        article.save()
        # Written long ago, not "updated" today: no "Updated" line under the headline.
        Article.objects.filter(pk=article.pk).update(
            updated_at=article.published_at, content_changed_at=article.published_at
        )
        article.authors.add(author)
        articles.append(article)
        created = True
    return articles, created
