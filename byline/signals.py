"""Signals shared across apps.

``article_changed``: what readers see of an article changed (its text, its
publication, its approved comments). Sent with ``article_id``, or with
``article_id=None`` when many or all may have changed (a big import, a static
page in every page's footer). Whoever caches
rendered pages listens to it; live counts (views, reactions, ratings) do not
send it, since pages fetch those separately. ``what="comments"`` says only
the article's approved comments changed (their list and count): the page
cache then redraws only the pages that show them; ``listings=False`` with it
says the listings' "Most discussed" cannot show the change (the article is far
from it), so they are not redrawn; ``removed=False`` with it says comments were
published only, none readers saw went away (the default, True, says one may have:
taken down, deleted, erased), so what names comments outside the pages (the
counts and reaction files nginx serves) may wait for the next look; ``threads``
with it names the article's only threads that changed (a comment posted: its own),
when the sender knows them (empty: any may have).

``what=NAMES`` (with ``article_id=None``) says only the names pages show
changed: an author, a section or a tag renamed, created or deleted (its slug,
bio, description, place in the navigation...), or the tags or authors of an
article (``byline.articles.names``). Pages showing them are redrawn (the page
cache: every page, since names are on nearly all of them); no article's own
state changed, so receivers that keep something per article (counts files,
reaction files, the live-article memo) ignore it: ``article_id=None`` is not
"every article changed" then.
"""

from django.dispatch import Signal

NAMES = "names"
COMMENTS = "comments"

# kwargs: article_id: int | None, what: COMMENTS | NAMES | None, listings: bool (True),
# removed: bool (True), threads: Collection[int] (())
article_changed = Signal()
