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
from it), so they are not redrawn.
"""

from django.dispatch import Signal

# kwargs: article_id: int | None, what: "comments" | None, listings: bool (True)
article_changed = Signal()
