"""The old addresses of an imported WordPress blog, saved so that they keep working.

WordPress offers several permalink structures (plain ``/?p=12``, day and name,
month and name, numeric ``/archives/12``, post name, custom ones); an export
carries each post's actual permalink (``<link>``), and this module saves it
with the other usual forms, prefixed with the folder the blog lived in
(``/blog``), as ``LegacyURL`` rows. Categories, tags, authors, attachment
pages and pages get theirs too. ``?p=``, ``?page_id=`` and ``/archives/12``
are answered from ``ImportedPost`` and ``StaticPage`` without rows (see
``middleware``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from byline import bulkcopy
from byline.articles.models import (
    Article,
    Author,
    Section,
    StaticPage,
    Tag,
    is_byline_path,
    normalize_page_path,
)
from byline.wordpress.models import LegacyURL
from byline.wordpress.reader import WxrExport, WxrItem

if TYPE_CHECKING:
    from byline.wordpress.content import Attachments
    from byline.wordpress.report import ImportSummary

BATCH = 500
MAX_PATH = 500


def free_path(path: str, taken: set[str]) -> str:
    """``/about/`` → ``/about-2/`` (or -3 ...) when taken."""
    stem, n = path.rstrip("/"), 2
    while f"{stem}-{n}/" in taken:
        n += 1
    return f"{stem}-{n}/"


class LegacyPaths:
    """Collects the old paths of one import, then saves the new ones in bulk."""

    def __init__(self, export: WxrExport, summary: ImportSummary) -> None:
        self.export = export
        self.summary = summary
        self.folder = export.blog_folder
        self.rows: dict[str, tuple[int | None, str]] = {}  # path → (article id, target)

    def add(self, path: str, *, article: Article | None = None, target: str = "") -> None:
        path = path[:MAX_PATH]
        if not path or path == target or path in self.rows:
            return
        self.rows[path] = (article.pk if article is not None else None, target[:MAX_PATH])

    def link_path(self, link: str) -> str:
        """The path of a permalink, decoded; empty for plain ``?p=`` links and bare roots."""
        parts = urlsplit(link.strip())
        if parts.query or not parts.path or parts.path == "/":
            return ""
        return unquote(parts.path)

    def for_post(self, post: WxrItem, article: Article) -> None:
        """The post's own permalink and the other structures WordPress offers."""
        self.add(self.link_path(post.link), article=article)
        if post.slug:
            if post.local_date:
                self.add(f"{self.folder}/{post.local_date:%Y/%m/%d}/{post.slug}/", article=article)
                self.add(f"{self.folder}/{post.local_date:%Y/%m}/{post.slug}/", article=article)
            path = f"{self.folder}/{post.slug}/"
            if not is_byline_path(path) or path == "/search/":
                self.add(path, article=article)

    def for_terms(
        self,
        sections: Mapping[str, Section],
        tags: Mapping[str, Tag],
        authors_by_login: Mapping[str, Author],
    ) -> None:
        folder = self.folder
        if folder:
            self.add(f"{folder}/", target="/")
        categories = self.export.categories
        for slug, section in sections.items():
            url = section.get_absolute_url()
            self.add(f"{folder}/category/{slug}/", target=url)
            chain, term, hops = [slug], categories.get(slug), 0
            while term is not None and term.parent and hops < 20:
                chain.insert(0, term.parent)
                term, hops = categories.get(term.parent), hops + 1
            if len(chain) > 1:
                self.add(f"{folder}/category/{'/'.join(chain)}/", target=url)
            term = categories.get(slug)
            if term is not None and term.wp_id:
                self.add(f"{folder}/?cat={term.wp_id}", target=url)
        for slug, tag in tags.items():
            if folder or tag.get_absolute_url() != f"/tag/{slug}/":
                self.add(f"{folder}/tag/{slug}/", target=tag.get_absolute_url())
        for login, author in authors_by_login.items():
            url = author.get_absolute_url()
            self.add(f"{folder}/author/{login}/", target=url)
            known = self.export.authors.get(login)
            if known is not None and known.wp_id:
                self.add(f"{folder}/?author={known.wp_id}", target=url)

    def for_attachments(self, attachments: Attachments, article_ids: Mapping[int, int]) -> None:
        """An attachment page leads to the article that showed the file."""
        for wp_id, attachment in attachments.by_id.items():
            article_id = article_ids.get(attachment.parent_id)
            if article_id is None:
                continue
            article = Article(pk=article_id)
            self.add(self.link_path(attachment.link), article=article)
            self.add(f"{self.folder}/?attachment_id={wp_id}", article=article)

    def page_paths(self, pages: Iterable[WxrItem]) -> dict[int, str]:
        """Where each page is served: its old path without the blog's folder."""
        pages = list(pages)
        by_id = {page.wp_id: page for page in pages}
        result = {}
        for page in pages:
            path = self.link_path(page.link)
            if path and self.folder and path.startswith(self.folder + "/"):
                path = path[len(self.folder) :]
            if not path:
                chain, node, hops = [], page, 0
                while node is not None and hops < 20:
                    chain.insert(0, node.slug or f"page-{node.wp_id}")
                    node, hops = by_id.get(node.parent_id), hops + 1
                path = "/" + "/".join(chain) + "/"
            path = normalize_page_path(path)
            if is_byline_path(path):
                path = normalize_page_path(f"/pages{path}")
            result[page.wp_id] = path[:MAX_PATH]
        return result

    def for_page(self, item: WxrItem, page: StaticPage) -> None:
        old = self.link_path(item.link)
        if old and old != page.path:
            self.add(old, target=page.path)

    def save(self) -> None:
        paths = list(self.rows)
        taken: set[str] = set()
        for start in range(0, len(paths), BATCH):
            chunk = paths[start : start + BATCH]
            taken.update(LegacyURL.objects.filter(path__in=chunk).values_list("path", flat=True))
        new = (
            {"path": path, "article_id": article_id, "target": target}
            for path, (article_id, target) in self.rows.items()
            if path not in taken
        )
        bulkcopy.write_rows(LegacyURL, new)
        self.summary.redirects += len(self.rows) - len(taken)
        self.rows.clear()
