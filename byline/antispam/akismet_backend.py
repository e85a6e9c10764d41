"""The optional Akismet backend: every comment is sent to Akismet's hosted service.

Off by default. Turn it on with
``BYLINE_SPAM_BACKEND=byline.antispam.akismet_backend.AkismetBackend`` plus
``BYLINE_AKISMET_API_KEY`` and ``BYLINE_AKISMET_SITE_URL``; the comment-data page
then says what is sent (``describe_data_use``). If Akismet cannot be reached the
comment waits for a moderator.
"""

from __future__ import annotations

import logging
from typing import Any

import akismet
import httpx
from django.conf import settings

from byline.antispam.contract import Decision, Label, SpamBackend, Submission, Verdict

logger = logging.getLogger("byline.antispam")

# What Byline sends for each comment, in Akismet's names (see request_fields()).
SENT_FIELDS = (
    "the commenter's IP address, browser (user agent) and referring page",
    "their name, e-mail address and website",
    "the comment's text and whether it is a reply",
)
TIMEOUT_SECONDS = 3.0


class AkismetBackend(SpamBackend):
    """Akismet's verdict, mapped to Byline's; moderators' decisions are reported back."""

    name = "akismet"

    def __init__(self, http_client: httpx.Client | None = None, **options: object) -> None:
        super().__init__(**options)
        self._http_client = http_client
        self._client: akismet.SyncClient | None = None

    def client(self) -> akismet.SyncClient:
        if self._client is None:
            config = akismet.Config(
                key=settings.BYLINE_AKISMET_API_KEY, url=settings.BYLINE_AKISMET_SITE_URL
            )
            http_client = self._http_client or httpx.Client(
                timeout=TIMEOUT_SECONDS, headers={"User-Agent": akismet.USER_AGENT}
            )
            self._client = akismet.SyncClient(config=config, http_client=http_client)
        return self._client

    def request_fields(self, submission: Submission) -> dict[str, str]:
        """The fields sent to Akismet for one comment, besides the key and site URL."""
        fields = {
            "user_ip": submission.ip_address,
            "user_agent": submission.user_agent,
            "referrer": submission.referrer,
            "comment_type": "reply" if submission.parent_id else "comment",
            "comment_author": submission.author_name,
            "comment_author_email": submission.author_email,
            "comment_author_url": submission.author_url,
            "comment_content": submission.body,
            "blog_lang": settings.LANGUAGE_CODE,
            "blog_charset": "UTF-8",
        }
        if submission.created_at is not None:
            fields["comment_date_gmt"] = submission.created_at.isoformat()
        return {key: value for key, value in fields.items() if value}

    def _split(self, submission: Submission) -> tuple[str, dict[str, Any]]:
        fields: dict[str, Any] = self.request_fields(submission)
        return fields.pop("user_ip", ""), fields

    def check(self, submission: Submission) -> Decision:
        if submission.honeypot_filled:
            return Decision(Verdict.DISCARD, ("The hidden honeypot field was filled in.",))
        user_ip, fields = self._split(submission)
        try:
            response = self.client().comment_check(user_ip, **fields)
        except akismet.AkismetError as error:
            logger.warning("Akismet check failed: %s", error)
            return Decision(Verdict.HOLD, ("Akismet could not be reached: held for a moderator.",))
        if response == akismet.CheckResponse.DISCARD:
            return Decision(Verdict.DISCARD, ("Akismet says this is blatant spam.",), 1.0)
        if response == akismet.CheckResponse.SPAM:
            return Decision(Verdict.SPAM, ("Akismet says this is spam.",), 1.0)
        if submission.author_approved_comments > 0:
            reason = "Akismet says this is not spam, and the commenter is known."
            return Decision(Verdict.APPROVE, (reason,), 0.0)
        reason = "Akismet says this is not spam; a first comment waits for a moderator."
        return Decision(Verdict.HOLD, (reason,), 0.0)

    def train(self, submission: Submission, label: Label) -> None:
        user_ip, fields = self._split(submission)
        try:
            if Label(label) == Label.SPAM:
                self.client().submit_spam(user_ip, **fields)
            else:
                self.client().submit_ham(user_ip, **fields)
        except akismet.AkismetError as error:
            logger.warning("Could not report a moderator's decision to Akismet: %s", error)

    def describe_data_use(self) -> str:
        from byline.antispam.data_use import kept_on_site

        return (
            "Every new comment is sent to Akismet (Automattic), a hosted spam filter, "
            "with " + "; ".join(SENT_FIELDS) + ". Moderators' decisions are sent there "
            f"too. See Akismet's privacy notice for what they keep. {kept_on_site()}"
        )
