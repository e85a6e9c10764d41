"""The demo's newsroom features: static pages, and an article with an in-body image and
an embed, so a new user sees them at once (``byline.demo`` calls ``load_media_demo``).

The captured article is not touched. Running it again adds nothing.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from byline.articles.demo_stories import AUTHORS, FICTION_NOTE, draw_picture
from byline.articles.models import Article, Author, Section, StaticPage
from byline.media import actions
from byline.media.models import Image

DEMO_IMAGE = Path(__file__).with_name("demo_content") / "harbour-at-dusk.png"
DEMO_SLUG = "kestrelmouth-harbour-at-dusk-in-pictures"
DEMO_VIDEO = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"

# title, path, body, in header navigation, in footer, order
PAGES = [
    (
        "About",
        "/about/",
        "This is a demo of **Byline**, a self-hosted news site. The stories around the "
        "captured article are fictional, written to show what a newsroom sees: pictures "
        "from the media library, embeds, reactions, ratings and comments.\n\n"
        "Editors change this page in the admin, under *Static pages*, and choose the "
        "menus that link to it.",
        True,
        True,
        1,
    ),
    (
        "Contact",
        "/contact/",
        "Write to the newsroom at *news@example.com* (a demo address: nobody reads it).\n\n"
        "To report a mistake, see our [ethics and corrections policy](/ethics/).",
        False,
        True,
        2,
    ),
    (
        "Ethics and corrections policy",
        "/ethics/",
        "We correct mistakes openly. A correction says what was wrong and when it was "
        "fixed, at the end of the article.\n\n"
        "We name our sources unless naming them would put someone at risk, and we say "
        "why when we do not.\n\n"
        "Pictures carry a caption and a credit; we remove the location that cameras "
        "store in photos before we publish them.",
        False,
        True,
        3,
    ),
]

BODY = """The old harbour is at its best in the hour after sunset, when the quay lights come \
on and the last boats come in.

![](media:{image})

Our photographers' pictures now live in one media library: each is stored once, without \
the location the camera recorded, in sizes for every screen.

Below, a film from the evening's open-air screening on the quay. Nothing is loaded from \
YouTube until you ask for it.

{video}

{note}"""


def demo_image() -> Image:
    existing = Image.objects.filter(alt__startswith="The harbour at dusk").first()
    if existing is not None:
        return existing
    with DEMO_IMAGE.open("rb") as upload:
        return actions.upload_image(
            upload,
            filename=DEMO_IMAGE.name,
            size=DEMO_IMAGE.stat().st_size,
            alt="The harbour at dusk: sailing boats on dark water, a crane and lit windows on "
            "the quay",
            caption="Kestrelmouth harbour at dusk (an illustration for the demo).",
            credit="Drawing: Byline demo",
        )


def demo_lead_image() -> Image:
    """A drawn landscape (like the other demo stories'), uploaded to the library."""
    alt = "Illustration: blue hills under a pale evening sky"
    existing = Image.objects.filter(alt=alt).first()
    if existing is not None:
        return existing
    picture = draw_picture("#9fb8d8", "#5b7895", "#34506b", seed=17)
    return actions.upload_image(
        io.BytesIO(picture), filename="quay-evening.webp", size=len(picture), alt=alt,
        credit="Drawing: Byline demo",
    )  # fmt: skip


@transaction.atomic
def load_media_demo() -> Article:
    """Create the static pages and the picture-and-embed article unless they exist."""
    for title, path, body, in_header, in_footer, order in PAGES:
        if not StaticPage.objects.filter(path=path).exists():
            StaticPage.objects.create(
                title=title,
                path=path,
                body=body,
                status=StaticPage.Status.PUBLISHED,
                in_header=in_header,
                in_footer=in_footer,
                footer_order=order,
            )
    existing = Article.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return existing
    image = demo_image()
    name, bio = AUTHORS["nell-harrow"]
    author, _ = Author.objects.get_or_create(
        slug="nell-harrow", defaults={"name": name, "bio": bio}
    )
    section, _ = Section.objects.get_or_create(slug="city", defaults={"name": "City"})
    published = timezone.now() - timedelta(hours=26)
    article = Article.objects.create(
        headline="Kestrelmouth harbour at dusk, in pictures and film",
        slug=DEMO_SLUG,
        standfirst="An evening on the quay: the light, the boats, and the open-air screening.",
        body=BODY.format(image=image.pk, video=DEMO_VIDEO, note=FICTION_NOTE),
        section=section,
        lead_media=demo_lead_image(),
        status=Article.Status.PUBLISHED,
        published_at=published,
    )
    Article.objects.filter(pk=article.pk).update(updated_at=published)
    article.authors.add(author)
    return article
