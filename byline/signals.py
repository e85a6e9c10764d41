"""Signals shared across apps.

``article_changed``: what readers see of an article changed (its text, its
publication, its approved comments). Sent with ``article_id``, or with
``article_id=None`` when many or all may have changed (a big import, a static
page in every page's footer). Whoever caches
rendered pages listens to it; live counts (views, reactions, ratings) do not
send it, since pages fetch those separately.
"""

from django.dispatch import Signal

article_changed = Signal()  # kwargs: article_id: int | None
