"""``{% share_links article %}``: plain links that share an article.

An e-mail (``mailto:``) and the big networks' own share addresses, as
ordinary links: no script, image or request reaches those networks until a
reader follows one. The addresses depend only on the article and the site's
origin, so the page stays the same for every reader.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django import template

from byline.articles.models import Article
from byline.articles.origin import absolute_url

register = template.Library()


def share_urls(url: str, title: str) -> list[tuple[str, str]]:
    """(network, address) pairs sharing ``url`` under ``title``."""
    text = f"{title} {url}"
    return [
        ("E-mail", f"mailto:?{urlencode({'subject': title, 'body': url}, quote_via=quote)}"),
        ("Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": text})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
        ("X", "https://x.com/intent/post?" + urlencode({"text": title, "url": url})),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": text})),
        ("Reddit", "https://www.reddit.com/submit?" + urlencode({"url": url, "title": title})),
    ]


@register.inclusion_tag("articles/share_links.html", takes_context=True)
def share_links(context, article: Article) -> dict:
    request = context.get("request")
    path = article.get_absolute_url()
    url = absolute_url(request, path) if request is not None else path
    return {"links": share_urls(url, article.headline)}
