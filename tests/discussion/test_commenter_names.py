"""A commenter's name is stored as every other name is (``articles.models.name_text``,
as for authors, sections, tags and headlines): one line of plain text, without control
characters, a terminal's escapes, a byte-order mark or direction controls (embeddings,
overrides, isolates); right-to-left text and its marks, emoji joined by ZWJ and the
ZWNJ stay. A name with nothing visible left is refused by the comment form, which comes
back with what the reader typed and says why; an import stores "Anonymous"."""

from __future__ import annotations

import re
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byline.articles.models import name_text, shows_text
from byline.discussion import notifications
from byline.discussion.forms import NAME_SHOWS_NOTHING, CommentForm
from byline.discussion.models import ANONYMOUS, Comment, commenter_name
from tests.articles.test_hostile_headlines import LEGITIMATE
from tests.corpora import CONTROLLED, INVISIBLE, NAUGHTY, NEVER_IN_A_NAME, XSS
from tests.discussion.factory import make_comment, post_comment

pytestmark = pytest.mark.django_db

CORPUS = NAUGHTY + XSS + CONTROLLED
# What hides, turns around or scrambles a name and shows nothing itself.
HIDING = ["\ufeff", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
          "\u2068", "\u2069", "\u200b", "\u2060", "\u200d", "\u200c", " ", "\r\n"]  # fmt: skip
NAMES = st.one_of(
    st.sampled_from(CORPUS + LEGITIMATE),
    st.text(max_size=100),
    st.lists(
        st.sampled_from(HIDING + INVISIBLE + ["Ada", "שלום", "👩\u200d👩\u200d👧"]), max_size=8
    ).map("".join),
)


def name_form(name: str) -> CommentForm:
    form = CommentForm(data={"body": "Words.", "name": name, "email": "ada@example.org",
                             "article": "1"})  # fmt: skip
    form.is_valid()
    return form


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES)
def test_the_form_keeps_no_name_that_hides_or_turns_text_around(name):
    """Whatever is typed: the name the form gives is clean and shows something, or the
    form refuses it with the reason (too long is the field's own refusal)."""
    form = name_form(name)
    if "name" in form.cleaned_data:
        cleaned = form.cleaned_data["name"]
        assert cleaned == name_text(name), name
        assert not NEVER_IN_A_NAME.search(cleaned), (name, cleaned)
        assert shows_text(cleaned) and cleaned == cleaned.strip(), (name, cleaned)
    elif len(name) <= 100 and name.strip() and "\x00" not in name:  # (the field's refusals)
        assert form.errors["name"] == [NAME_SHOWS_NOTHING], (name, form.errors["name"])
        assert not shows_text(name_text(name)), name


@settings(max_examples=300, deadline=None)
@given(name=NAMES)
def test_an_imported_name_is_clean_or_anonymous(name):
    stored = commenter_name(name)
    assert not NEVER_IN_A_NAME.search(stored), (name, stored)
    assert shows_text(stored) and stored == stored.strip() and len(stored) <= 100
    assert stored == ANONYMOUS or stored == name_text(name)[:100].rstrip()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("\ufeffAda Reader", "Ada Reader"),  # a byte-order mark pasted with the name
        ("Ada \u202eredaeR\u202c", "Ada redaeR"),  # an override turning the name around
        ("\u202bשלום עולם\u202c", "שלום עולם"),  # an embedding around RTL text
        ("\u2067Noor\u2069 Ali", "Noor Ali"),  # isolates (removed from every name)
    ],
)
def test_a_posted_name_loses_the_bom_and_direction_controls(client, article, typed, stored):
    assert post_comment(client, article, name=typed).status_code == 302
    assert Comment.objects.get().author_name == stored


@pytest.mark.parametrize("name", LEGITIMATE)
def test_right_to_left_names_joined_emoji_and_zwnj_are_kept(client, article, name):
    assert post_comment(client, article, name=name).status_code == 302
    assert Comment.objects.get().author_name == name


@pytest.mark.parametrize("typed", ["\ufeff", "\u202e\u202c", "\u2066 \u2069", "\ufeff\u200b\u202d"])
def test_a_name_with_nothing_visible_is_refused_and_the_form_keeps_what_was_typed(
    client, article, typed
):
    """The reader sees why, and gets the form back with their comment and the name as
    they typed it (the script's JSON answer names the field)."""
    response = post_comment(client, article, name=typed, body="My considered words")
    page = response.content.decode()
    assert response.status_code == 400
    assert NAME_SHOWS_NOTHING in unescape(page)
    assert "My considered words" in page
    shown = re.search(r'<input[^>]*name="name"[^>]*>', page)[0]
    assert unescape(re.search(r'value="([^"]*)"', shown)[1]) == typed
    answer = post_comment(client, article, json=True, name=typed)
    assert answer.status_code == 400 and answer.json()["errors"]["name"] == [NAME_SHOWS_NOTHING]
    assert not Comment.objects.exists()


PRINTABLE_NAMES = st.one_of(
    st.from_regex(r"[A-Za-z\u05d0-\u05ea .'-]{0,110}", fullmatch=True),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=110),
)


@settings(max_examples=500, deadline=None)
@given(name=PRINTABLE_NAMES)
def test_a_name_is_stored_and_shown_as_the_rule_leaves_it(name):
    """``commenter_name`` answers a name the rule leaves as it is at once: never a name
    the rule would not give (cut to 100, "Anonymous" when nothing shows)."""
    ruled = name_text(name)[:100].rstrip()
    assert commenter_name(name) == (ruled if shows_text(ruled) else ANONYMOUS), name


def test_a_name_written_around_the_form_is_stored_clean(article):
    """The shell, a script, a demo: ``Comment.save`` stores the name as the rule has it."""
    comment = make_comment(article, author_name="\ufeffAda \u202eredaeR")
    comment.refresh_from_db()
    assert comment.author_name == "Ada redaeR"


def test_a_moderators_correction_of_a_name_is_cleaned_or_refused(editor_client, article):
    """The admin's edit of a comment: the name stored cleaned; one showing nothing is a
    form error, and the comment keeps its name."""
    comment = make_comment(article, author_name="Ada")
    url = f"/admin/discussion/comment/{comment.pk}/change/"
    data = {
        "author_email": comment.author_email,
        "author_url": "",
        "body": comment.body,
        "decisions-TOTAL_FORMS": "0",
        "decisions-INITIAL_FORMS": "0",
    }
    assert editor_client.post(url, {**data, "author_name": "\u202eAda L."}).status_code == 302
    comment.refresh_from_db()
    assert comment.author_name == "Ada L."
    refused = editor_client.post(url, {**data, "author_name": "\u202e\u200b\ufeff"})
    assert refused.status_code == 200
    assert "Give a name readers can see." in refused.content.decode()
    comment.refresh_from_db()
    assert comment.author_name == "Ada L."


@pytest.mark.parametrize(
    ("full_name", "stored"), [("\u202eEdna\u202c Editor", "Edna Editor"), ("\u2066\u2069", None)]
)
def test_an_editors_reply_is_under_their_name_cleaned(
    editor_client, editor, article, full_name, stored
):
    """An editor's reply from the queue: their full name as the rule has it, their user
    name when it shows nothing."""
    editor.first_name, editor.last_name = full_name, ""
    editor.save()
    comment = make_comment(article)
    reply = editor_client.post(f"/admin/discussion/comment/{comment.pk}/reply/", {"body": "Thanks"})
    assert reply.status_code == 302
    assert Comment.objects.get(parent=comment).author_name == (stored or editor.get_username())


def test_a_name_stored_before_names_were_cleaned_turns_nothing_around_where_it_is_shown(
    client, article, mailoutbox
):
    """A row stored with an override left open (U+202E, before the rule): the article's
    page (the comment, "In reply to", the reaction button), the reply form's "Replying
    to", the comments feed and the reply's e-mail show the name as the rule has it, and
    the words after it read as written."""
    parent = make_comment(article, author_name="Ada", notify_replies=True)
    reply = make_comment(article, parent=parent, author_name="Bob")
    Comment.objects.filter(pk__in=[parent.pk, reply.pk]).update(author_name="Mallory\u202e")
    shown = [
        client.get(article.get_absolute_url()).content.decode(),
        client.get(f"{article.get_absolute_url()}?replyto={parent.pk}").content.decode(),
        client.get(f"{article.get_absolute_url()}comments/feed/").content.decode(),
    ]
    reply.refresh_from_db()
    assert notifications.notify_reply(reply)
    shown += [mailoutbox[0].subject, mailoutbox[0].body]
    for text in shown:
        assert "Mallory" in text and "\u202e" not in text, text[:200]
