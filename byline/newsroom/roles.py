"""The newsroom's roles and what each may do to an article.

Three groups, created by migration ``newsroom/migrations/0002_groups.py``:

- **Writer**: creates articles and edits their own while they are drafts or in
  review; submits them for review. Never publishes, schedules or unpublishes.
- **Editor**: edits any article, publishes, schedules, unpublishes, restores
  revisions, adds corrections, moderates comments.
- **Administrator**: every permission (users and groups included).

Every check goes through the functions below, used by the admin, its bulk
actions, the autosave and revision views and ``newsroom.actions`` alike.
"""

from __future__ import annotations

from byline.articles.models import Article

WRITER, EDITOR, ADMINISTRATOR = "Writer", "Editor", "Administrator"

# The groups and their permissions are created by migration 0002_groups (the
# permission lists are there, frozen as migrations are).

EDITABLE_BY_WRITERS = {Article.Status.DRAFT, Article.Status.REVIEW}
WRITER_STATUSES = [Article.Status.DRAFT, Article.Status.REVIEW]


def can_publish(user) -> bool:
    """Publish, schedule, unpublish, feature: editors and administrators."""
    return bool(user and user.is_active and user.has_perm("articles.publish_article"))


def is_own(user, article: Article) -> bool:
    if article.pk is None:
        return True
    if article.created_by_id is not None and article.created_by_id == user.pk:
        return True
    return article.authors.filter(user_id=user.pk).exists()


def can_edit(user, article: Article | None) -> bool:
    """Change this article (None: some article): any, for editors; a writer's own
    drafts and articles in review, for writers."""
    if not (user and user.is_active and user.has_perm("articles.change_article")):
        return False
    if article is None or user.has_perm("articles.edit_any_article"):
        return True
    return article.status in EDITABLE_BY_WRITERS and is_own(user, article)


def can_restore(user, article: Article) -> bool:
    return can_edit(user, article) and user.has_perm("articles.restore_revision")


def can_add_notes(user) -> bool:
    return bool(user and user.is_active and user.has_perm("newsroom.add_articlenote"))
