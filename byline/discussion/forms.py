"""The comment form ("Leave a Reply") and the comment-data request form."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import URLValidator
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from byline.articles.models import name_text, shows_text
from byline.discussion.markup import body_shows_text, clean_text
from byline.parsing import ID_DIGITS, MAX_ID

TIMESTAMP_SALT = "byline.discussion.form-time"
HONEYPOT = "url_confirm"
# A form token older than this has expired: the reader is asked to send again.
FORM_TOKEN_MAX_AGE = 24 * 60 * 60
# A "ts" that was sent but is not one this site handed out (expired, altered, or made up:
# "nan", "1e400"), whatever the minimum time to submit: the form comes back with it.
FORM_EXPIRED = (
    "The form had expired or was incomplete. Please check your comment and send it again."
)

# A name with nothing a reader can see once cleaned (spaces, zero-width or direction
# characters, a byte-order mark only): no name under a comment.
NAME_SHOWS_NOTHING = (
    "Please give a name readers can see: this one has only spaces or invisible characters."
)


@dataclass(frozen=True)
class FormToken:
    """What a comment form's token says: how long ago it was handed out, and a key
    (the digest of its random part) that lets it post one comment only."""

    seconds: float
    key: str


def form_timestamp(issued: float | None = None) -> str:
    """A signed, time-bound, single-use token for one comment form (the "ts" field).

    It holds when the form was handed out (the time-to-submit check) and a random
    part: the comment it posts spends it (``models.SpentFormToken``). Every form
    gets a fresh one: a form that comes back to the reader with an error starts
    the minimum time again. ``issued`` backdates it: for the no-script
    confirmation (``views.post_comment``: the reader wrote the comment before
    it), and for tests.
    """
    issued = time.time() if issued is None else issued
    return signing.dumps(
        {"t": f"{issued:.3f}", "n": secrets.token_urlsafe(16)}, salt=TIMESTAMP_SALT
    )


CLOCK_SKEW_SECONDS = 5.0


def read_form_token(stamp: str) -> FormToken | None:
    """The token ``form_timestamp()`` made, or None if missing, forged or expired."""
    if not stamp or len(stamp) > 500:
        return None
    try:
        data = signing.loads(stamp, salt=TIMESTAMP_SALT, max_age=FORM_TOKEN_MAX_AGE)
        issued, nonce = float(data["t"]), str(data["n"])
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return None
    seconds = time.time() - issued
    # A token stamped to the millisecond (rounded up) and read at once, or stamped by
    # another app server whose clock runs a little ahead, is not from the future.
    if not -CLOCK_SKEW_SECONDS <= seconds <= FORM_TOKEN_MAX_AGE:
        return None
    seconds = max(seconds, 0.0)
    key = hashlib.sha256(f"{TIMESTAMP_SALT}:{nonce}".encode()).hexdigest()
    return FormToken(seconds, key)


def seconds_since(stamp: str) -> float | None:
    """Seconds since ``form_timestamp()`` made ``stamp``; None if missing, forged or expired."""
    token = read_form_token(stamp)
    return None if token is None else token.seconds


class IdField(forms.IntegerField):
    """A hidden database id: Django's IntegerField from 1 to ``MAX_ID``, written in ASCII
    digits (``byline.parsing.ID_DIGITS``; ``int()`` alone reads "١٢", "+1" and "1_0" too,
    and the IntegerField "1.0"). Any value that is not one gets the field's one message."""

    widget = forms.HiddenInput

    def __init__(self, *, error_messages: dict[str, str], **kwargs: Any) -> None:
        one = dict.fromkeys(["invalid", "min_value", "max_value"], error_messages["invalid"])
        super().__init__(min_value=1, max_value=MAX_ID, error_messages=one, **kwargs)

    def to_python(self, value: Any) -> int | None:
        if value not in self.empty_values and not ID_DIGITS.fullmatch(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class WebAddressField(forms.URLField):
    """A website: an http or https address (its one validator replaces URLField's, which
    would repeat the same message for an address of another scheme)."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class CommentForm(forms.Form):
    """What a reader types. Abuse checks that need the request live in ``actions``."""

    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 8}))
    name = forms.CharField(label="Name", max_length=100)
    email = forms.EmailField(label="E-mail", max_length=254, help_text="Required, never published.")
    website = WebAddressField(
        label="Website", max_length=500, required=False, assume_scheme="https"
    )
    remember = forms.BooleanField(
        label="Save my name, e-mail and website in this browser for the next time I comment.",
        required=False,
    )
    notify = forms.BooleanField(label="E-mail me when someone replies.", required=False)
    parent = IdField(
        required=False,
        error_messages={
            "invalid": "The comment you are replying to is not available any more. "
            "Send your comment again to start a new thread."
        },
    )
    article = IdField(error_messages={"invalid": "This article does not take comments."})
    ts = forms.CharField(required=False, widget=forms.HiddenInput)
    # A password-protected article's pass (articles.protection.reader_pass), in the
    # form only when the page was shown to a reader who gave the password.
    unlock = forms.CharField(required=False, widget=forms.HiddenInput, max_length=1000)
    url_confirm = forms.CharField(label="Leave this field empty", required=False, max_length=1000)

    def text_fields(self) -> list:
        """The name, e-mail and website fields, in the order the form shows them."""
        return [self["name"], self["email"], self["website"]]

    def hidden_html(self) -> SafeString:
        """The hidden fields, byte for byte as Django's ``HiddenInput`` template writes
        them, without a template render each (the form is on every article page)."""
        inputs = []
        for field in self.hidden_fields():
            value = field.field.widget.format_value(field.value())
            shown = "" if value is None else f' value="{escape(value)}"'
            ident = f' id="{escape(field.auto_id)}"' if field.auto_id else ""
            inputs.append(f'<input type="hidden" name="{escape(field.html_name)}"{shown}{ident}>')
        return mark_safe("".join(inputs))  # noqa: S308 (every value escaped above)

    def clean_body(self) -> str:
        body = clean_text(self.cleaned_data["body"])
        if not body_shows_text(body):
            raise forms.ValidationError("Please write a comment.")
        limit = settings.BYLINE_COMMENT_MAX_LENGTH
        if len(body) > limit:
            raise forms.ValidationError(
                f"Your comment is {len(body):,} characters long; the limit is {limit:,}. "
                "Please shorten it."
            )
        return body

    def clean_name(self) -> str:
        """The name as every name is stored (``name_text``: one line, without control
        characters, a byte-order mark or direction controls); refused when nothing a
        reader can see is left (the form comes back with what was typed)."""
        name = name_text(self.cleaned_data["name"])
        if not shows_text(name):
            raise forms.ValidationError(NAME_SHOWS_NOTHING)
        return name

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean_ts(self) -> FormToken | None:
        """The form's token (``read_form_token``): None when none was sent (a cached
        page's form, confirmed once); an error when one was sent that is not valid."""
        stamp = self.cleaned_data["ts"]
        if not stamp:
            return None
        token = read_form_token(stamp)
        if token is None:
            raise forms.ValidationError(FORM_EXPIRED, code="expired")
        return token


class DataRequestForm(forms.Form):
    email = forms.EmailField(label="Your e-mail address", max_length=254)
    action = forms.ChoiceField(
        label="What would you like?",
        choices=[("export", "A copy of my comments"), ("erase", "Erase my comments")],
        widget=forms.RadioSelect,
        initial="export",
    )


class EditForm(forms.Form):
    """A reader's new words for their own comment: the body as the comment form checks it."""

    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 8}))

    clean_body = CommentForm.clean_body
