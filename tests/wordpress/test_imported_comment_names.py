"""A commenter's name from a WordPress export is stored as the comment form stores one."""

from __future__ import annotations

import re

import pytest

from byline.articles.models import name_text, shows_text
from byline.discussion.models import Comment
from tests.corpora import CONTROLLED, NAUGHTY, NEVER_IN_A_NAME
from tests.wordpress.test_import import run_import
from tests.wordpress.test_imported_headlines import BY_REFERENCE, as_references
from tests.wordpress.wxr_factory import comment, item, write, wxr

pytestmark = pytest.mark.django_db

# The corpus strings an export's CDATA holds as typed (no C0 control, no "]]>"; no "&":
# WordPress writes a name's entities, which the import decodes).
AS_TYPED = [
    value
    for value in NAUGHTY + CONTROLLED
    if not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|]]>|&", value)
]


def test_imported_commenters_names_are_cleaned_as_the_comment_form_cleans_them(tmp_path):
    """A terminal's escapes (their ESC given by reference, as an export carries it), C1
    controls, line ends, a byte-order mark and direction controls leave the name (as
    every name: ``name_text``); one with nothing visible left is "Anonymous"."""
    names = [as_references(value) for value in BY_REFERENCE] + AS_TYPED
    comments = [comment(n, author=name) for n, name in enumerate(names, start=1)]
    run_import(write(tmp_path, wxr(item(1, comments=tuple(comments)))))
    stored = dict(Comment.objects.values_list("import_id", "author_name"))
    for n, value in enumerate(BY_REFERENCE + AS_TYPED, start=1):
        typed = name_text(value)[:100].rstrip()
        expected = typed if shows_text(typed) else "Anonymous"
        assert stored[n] == expected, value
        assert not NEVER_IN_A_NAME.search(stored[n]), value  # BOM, direction controls too
    assert "Roses are red, violets are blue. Hope you enjoy terminal hue" in stored.values()
    assert not any(re.search(r"\[[0-9;]*m", name) for name in stored.values())
