"""What an import of a WordPress export became, item by item: the report.

``STATUSES`` maps each WordPress status to a Byline state; the other tables
say why an item is not published or not imported. ``ImportSummary`` is what
``importer.import_export()`` returns and ``import-wxr`` prints: counts,
warnings, every item readers will not see and why, and notes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from django.utils.text import Truncator

from byline.articles.models import Article
from byline.articles.rendering import CONTROL, DIRECTION_CONTROLS, ESCAPE_SEQUENCES
from byline.discussion.imports import ImportResult
from byline.wordpress.media import MediaCopy

SHOWN_UNPUBLISHED = 200  # items listed on screen; --report FILE lists all
# What would end a report's line early, or overwrite it (a carriage return), on a terminal.
LINE_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]")

STATUSES = {
    "publish": Article.Status.PUBLISHED,
    "future": Article.Status.SCHEDULED,
    "draft": Article.Status.DRAFT,
    "pending": Article.Status.DRAFT,
    "private": Article.Status.DRAFT,
}
# Why an imported item is not published, by its WordPress status.
HIDDEN_BECAUSE = {
    "draft": "a draft on WordPress",
    "pending": "pending review on WordPress",
    "private": "private on WordPress (only its editors could read it)",
}
NOT_IMPORTED_STATUSES = {
    "trash": "in WordPress's trash",
    "auto-draft": "an automatic draft WordPress saved while editing",
    "inherit": "a revision (status inherit)",
}
OTHER_TYPES = {
    "attachment": "attachments (files, not articles; galleries and --copy-media use them)",
    "revision": "revisions",
    "nav_menu_item": "menu items",
    "custom_css": "custom CSS",
    "customize_changeset": "customizer changesets",
    "wp_global_styles": "block theme styles",
    "wp_navigation": "block navigation menus",
    "wp_template": "block templates",
    "wp_template_part": "block template parts",
    "wp_block": "reusable blocks",
    "oembed_cache": "cached embeds",
}


@dataclass(frozen=True)
class NotPublished:
    """One item of the export that readers will not see, and why."""

    kind: str  # post, page, or the item's own type
    wp_id: int | None
    title: str
    outcome: str  # "draft", "scheduled", "password-protected", "not imported"
    reason: str

    def line(self) -> str:
        number = f" #{self.wp_id}" if self.wp_id is not None else " (no id)"
        title = Truncator(self.title or "(no title)").chars(70)
        return f"{self.kind}{number} “{title}”: {self.outcome}: {self.reason}"


@dataclass
class ImportSummary:
    source: str
    version: str
    articles: int = 0
    pages: int = 0
    already_imported: int = 0
    updated: int = 0
    authors: int = 0
    sections: int = 0
    tags: int = 0
    redirects: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_published: list[NotPublished] = field(default_factory=list)
    comments_found: Counter[str] = field(default_factory=Counter)
    comments: ImportResult = field(default_factory=ImportResult)
    media: MediaCopy | None = None
    dry_run: bool = False

    def lines(self, shown: int = SHOWN_UNPUBLISHED) -> list[str]:
        verb = "Would import" if self.dry_run else "Imported"
        out = [f"Warning: {warning}" for warning in self.warnings]
        out += [
            f"{verb} from {self.source} (WXR {self.version}):",
            f"  {self.articles} articles, {self.pages} static pages, {self.authors} new authors, "
            f"{self.sections} new sections, {self.tags} new tags, {self.redirects} old "
            "addresses redirected",
        ]
        if self.already_imported:
            out.append(
                f"  {self.already_imported} posts were already imported: {self.updated} of them "
                "changed on WordPress since and were updated, the others left as they are"
            )
        total = sum(self.comments_found.values())
        if total:
            kinds = ", ".join(f"{n} {status}" for status, n in sorted(self.comments_found.items()))
            out.append(f"  {total} comments found ({kinds}); {self.comments.stored} stored")
            if self.comments.already_stored:
                out.append(f"    {self.comments.already_stored} comments were already stored")
            for reason, count in sorted(self.comments.not_stored.items()):
                out.append(f"    not stored: {count}: {reason}")
        if self.not_published:
            out.append(f"Not published ({len(self.not_published)}): readers do not see these:")
            out.extend(f"  {entry.line()}" for entry in self.not_published[:shown])
            if len(self.not_published) > shown:
                out.append(
                    f"  ... and {len(self.not_published) - shown} more (--report FILE lists all)"
                )
        if self.skipped:
            out.append("Not imported:")
            out.extend(f"  {count} {reason}" for reason, count in sorted(self.skipped.items()))
        if self.notes:
            out.append("Notes:")
            out.extend(f"  {note}" for note in self.notes)
        if self.media is not None:
            out.extend(self.media.lines())
        if self.dry_run:
            out.append("Dry run: nothing was saved.")
        return [terminal_line(line) for line in out]


def terminal_line(line: str) -> str:
    """A line of the report as it is printed (the operator's terminal) and written
    (``--report FILE``): whatever an export's text put in it (a title, a reason, a
    warning), no terminal escape sequence (colours, a cleared screen, a window title or
    the clipboard set by OSC 52), no control character, no line end and no direction
    control is left; the spaces that indent it stay."""
    line = LINE_BREAKS.sub(" ", ESCAPE_SEQUENCES.sub("", line))
    return DIRECTION_CONTROLS.sub("", CONTROL.sub("", line))
