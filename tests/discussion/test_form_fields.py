"""The comment form's hidden fields are written by hand (``CommentForm.hidden_html``):
byte for byte what Django's widget templates write, whatever the form holds."""

import pytest

from byline.discussion.forms import CommentForm


def django_writes(form: CommentForm) -> str:
    return "".join(str(field) for field in form.hidden_fields())


@pytest.mark.parametrize(
    "form",
    [
        CommentForm(initial={"article": 12, "parent": ""}),
        CommentForm(initial={"article": 12, "parent": 7, "unlock": "pass:1:abc"}),
        CommentForm({"article": "12", "parent": "", "ts": "eyJ0Ijo:1x2y"}),
        CommentForm({"article": "12x", "parent": '"><script>&amp;', "ts": "a b", "unlock": "é"}),
        CommentForm({"article": "", "ts": ""}),
        CommentForm(initial={"article": 3}, auto_id=False),
        CommentForm(initial={"article": 3}, auto_id="f-%s", prefix="reply"),
    ],
)
def test_the_hidden_fields_are_what_django_writes(form):
    form.is_valid()  # a bound form's errors, if any, change nothing
    assert form.hidden_html() == django_writes(form)
