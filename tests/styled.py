"""What a page carries of the site's stylesheet (``byline.styles``), shared by the page tests."""

from __future__ import annotations

from byline import styles


def carries_the_site_styles(html: str) -> bool:
    """site.css is written into the page, and no stylesheet is linked."""
    written = f"<style>{styles.page_style(styles.SITE_CSS)}</style>"
    return written in html and 'rel="stylesheet"' not in html
