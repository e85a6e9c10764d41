"""The optional Akismet backend, tested against a fake Akismet: no request leaves the machine."""

from urllib.parse import parse_qs

import httpx
import pytest

from byline import antispam
from byline.antispam import Label, Submission, Verdict
from byline.antispam.akismet_backend import AkismetBackend
from byline.antispam.checks import spam_settings


@pytest.fixture
def akismet_settings(settings):
    settings.BYLINE_AKISMET_API_KEY = "test-key"
    settings.BYLINE_AKISMET_SITE_URL = "https://news.example"
    return settings


def fake_akismet(answer: str, pro_tip: str = ""):
    """An httpx client whose transport answers like Akismet and records each request."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        headers = {"X-akismet-pro-tip": pro_tip} if pro_tip else {}
        if request.url.path.endswith("submit-spam") or request.url.path.endswith("submit-ham"):
            return httpx.Response(200, text="Thanks for making the web a better place.")
        return httpx.Response(200, text=answer, headers=headers)

    return httpx.Client(transport=httpx.MockTransport(handler)), requests


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


SUBMISSION = Submission(
    body="Nice piece.",
    author_name="Ann",
    author_email="ann@example.org",
    author_url="https://ann.example",
    article_id=7,
    parent_id=3,
    ip_hash="abc123",
    ip_address="203.0.113.9",
    user_agent="Mozilla/5.0",
    referrer="https://news.example/a/",
)


def test_the_request_sends_what_the_comment_data_page_says(akismet_settings):
    client, requests = fake_akismet("false")
    AkismetBackend(http_client=client).check(SUBMISSION)
    (request,) = requests
    assert request.url.path == "/1.1/comment-check"
    sent = form(request)
    assert sent == {
        "api_key": "test-key",
        "blog": "https://news.example",
        "user_ip": "203.0.113.9",
        "user_agent": "Mozilla/5.0",
        "referrer": "https://news.example/a/",
        "comment_type": "reply",
        "comment_author": "Ann",
        "comment_author_email": "ann@example.org",
        "comment_author_url": "https://ann.example",
        "comment_content": "Nice piece.",
        "blog_lang": "en",
        "blog_charset": "UTF-8",
    }
    described = AkismetBackend().describe_data_use()
    for phrase in ("IP address", "user agent", "name, e-mail address and website", "text"):
        assert phrase in described


@pytest.mark.parametrize(
    ("answer", "pro_tip", "verdict"),
    [
        ("true", "discard", Verdict.DISCARD),
        ("true", "", Verdict.SPAM),
        ("false", "", Verdict.HOLD),
    ],
)
def test_akismets_answer_maps_to_a_verdict(akismet_settings, answer, pro_tip, verdict):
    client, _ = fake_akismet(answer, pro_tip)
    decision = AkismetBackend(http_client=client).check(SUBMISSION)
    assert decision.verdict == verdict
    assert "Akismet" in decision.reasons[0]


def test_a_known_commenter_akismet_calls_genuine_is_published(akismet_settings):
    client, _ = fake_akismet("false")
    known = Submission(body="Again", author_name="Ann", author_approved_comments=4)
    assert AkismetBackend(http_client=client).check(known).verdict == Verdict.APPROVE


def test_when_akismet_cannot_be_reached_the_comment_waits(akismet_settings, caplog):
    def unreachable(request):
        raise httpx.ConnectError("no route")

    client = httpx.Client(transport=httpx.MockTransport(unreachable))
    decision = AkismetBackend(http_client=client).check(SUBMISSION)
    assert decision.verdict == Verdict.HOLD
    assert "could not be reached" in decision.reasons[0]
    assert "Akismet check failed" in caplog.text


def test_moderators_decisions_are_reported_to_akismet(akismet_settings):
    client, requests = fake_akismet("false")
    backend = AkismetBackend(http_client=client)
    backend.train(SUBMISSION, Label.SPAM)
    backend.train(SUBMISSION, Label.HAM)
    assert [r.url.path for r in requests] == ["/1.1/submit-spam", "/1.1/submit-ham"]
    assert form(requests[0])["comment_content"] == "Nice piece."


@pytest.mark.django_db
def test_chosen_as_backend_it_goes_through_check_and_learn(akismet_settings, monkeypatch):
    from byline.antispam.backends import get_backend

    akismet_settings.BYLINE_SPAM_BACKEND = "byline.antispam.akismet_backend.AkismetBackend"
    client, requests = fake_akismet("true")
    monkeypatch.setattr(get_backend(), "_http_client", client)
    decision = antispam.check(SUBMISSION)
    assert (decision.verdict, decision.backend) == (Verdict.SPAM, "akismet")
    antispam.learn(SUBMISSION, Label.HAM)
    assert [r.url.path for r in requests] == ["/1.1/comment-check", "/1.1/submit-ham"]


def test_choosing_akismet_without_its_key_is_a_start_up_error(settings):
    settings.BYLINE_SPAM_BACKEND = "byline.antispam.akismet_backend.AkismetBackend"
    settings.BYLINE_AKISMET_API_KEY = ""
    assert [e.id for e in spam_settings(None)] == ["antispam.E004"]
    settings.BYLINE_AKISMET_API_KEY = "key"
    settings.BYLINE_AKISMET_SITE_URL = "https://news.example"
    assert spam_settings(None) == []
