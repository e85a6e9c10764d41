"""The comment-data page, data requests by e-mail, and the retention command."""

import base64
import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from byline.discussion.commenterdata import erase_comments
from byline.discussion.models import Comment, DataLink
from tests.discussion.factory import SAME_SITE, make_comment

pytestmark = pytest.mark.django_db


def test_the_article_links_to_the_comment_data_page(client, article):
    """The line under the form links to "Learn how your comment data is processed"."""
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<a href="/comments/data/">Learn how your comment data is processed.</a>' in html


def test_the_data_page_is_generated_from_the_settings_in_force(client, settings):
    """Retention periods, the spam backend's own account and the mail route come from settings."""
    from django.utils.html import escape

    from byline.antispam.backends import get_backend

    settings.BYLINE_COMMENT_IP_RETENTION_DAYS = 12
    settings.BYLINE_COMMENT_SPAM_RETENTION_DAYS = 9
    html = client.get("/comments/data/").content.decode()
    assert "deleted after 12 days" in html
    assert "deleted after 9 days" in html
    assert html.count(escape(get_backend().describe_data_use())) == 1
    assert "not sent over the internet" in html
    settings.BYLINE_SMTP_HOST = "smtp.news.example"
    html = client.get("/comments/data/").content.decode()
    assert "smtp.news.example" in html


def test_the_data_page_describes_whichever_spam_backend_runs(client, settings):
    """Switching the backend changes the page: it quotes describe_data_use()."""
    from byline.antispam.backends import get_backend

    settings.BYLINE_SPAM_BACKEND = "byline.antispam.backends.DummyBackend"
    html = client.get("/comments/data/").content.decode()
    assert get_backend().describe_data_use() in html


def test_the_data_page_states_the_first_comment_policy_whichever_backend_runs(
    client, settings, dummy_spam
):
    """The first-comment rule holds with any backend, so the page says it with any."""
    settings.BYLINE_SPAM_FIRST_COMMENT = "hold-links"
    html = client.get("/comments/data/").content.decode()
    assert "A first comment under an e-mail address waits for a moderator when it" in html
    settings.BYLINE_SPAM_FIRST_COMMENT = "publish"
    assert "A first comment" not in client.get("/comments/data/").content.decode()


@pytest.mark.parametrize(
    "backend",
    ["byline.antispam.backends.LocalFilterBackend", "byline.antispam.backends.DummyBackend"],
)
def test_the_data_page_speaks_plainly_and_says_each_thing_once(client, settings, backend):
    """No code names (class paths, <code>), no database or cache product names, and no
    paragraph or list item twice, whichever backend and database run."""
    settings.BYLINE_SPAM_BACKEND = backend
    html = client.get("/comments/data/").content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    for word in ["byline.", "<code>", "SQLite", "PostgreSQL", "Redis", "Backend", "LocMem"]:
        assert word not in main, word
    blocks = [b.strip() for b in re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", main, re.S)]
    blocks = [b for b in blocks if len(b) > 40]
    assert len(blocks) == len(set(blocks)), "a paragraph is repeated"


def request_link(client, mailoutbox, email: str, action: str) -> str:
    response = client.post(
        "/comments/data/request/", {"email": email, "action": action}, **SAME_SITE
    )
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    return re.search(r"http://testserver(/comments/data/[^/\s]+/)", mailoutbox[-1].body).group(1)


def test_a_commenter_can_export_their_comments(client, article, mailoutbox):
    """An e-mailed link downloads every comment under the address as JSON."""
    mine = make_comment(article, author_email="Me@Example.org", body="my words")
    make_comment(article, author_email="other@example.org")
    link = request_link(client, mailoutbox, "me@example.org", "export")
    assert "1 comment" in client.get(link).content.decode()
    download = client.get(link + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    assert "private" in download["Cache-Control"]  # a per-reader download, never cached
    data = json.loads(b"".join(download.streaming_content))
    assert [c["id"] for c in data["comments"]] == [mine.pk]
    assert data["comments"][0]["body"] == "my words"


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_download_is_streamed_in_pieces_as_one_json_document(
    client, article, monkeypatch, count
):
    """The download is written piece by piece (what one commenter wrote may be megabytes),
    one comment a line, and the pieces make one JSON document of every comment, oldest
    first: quotes, line breaks and non-ASCII in a comment included, replies and edits too."""
    from byline.discussion import commenterdata
    from byline.discussion.notifications import data_link_token

    monkeypatch.setattr(commenterdata, "EXPORT_CHUNK", 2)  # several reads for three comments
    monkeypatch.setattr(commenterdata, "PIECE_CHARACTERS", 1)  # a piece a comment
    other = make_comment(article, author_email="other@example.org")
    for n in range(count):
        make_comment(
            article,
            author_email="me@example.org",
            body=f'Comment {n}: "quoted",\nnew line, café ✓',
            parent=other if n == 1 else None,
            edited_at=timezone.now() if n == 2 else None,
        )
    link = f"/comments/data/{data_link_token('me@example.org', 'export')}/"
    download = client.get(link + "?download=1")
    assert download.streaming
    pieces = list(download.streaming_content)
    assert len(pieces) == count + 2  # the head, a piece a comment, the tail
    text = b"".join(pieces).decode()
    comments = commenterdata.export_comments("me@example.org")
    assert json.loads(text) == {"email": "me@example.org", "comments": comments}
    assert len(text.splitlines()) == (5 + count if count else 4)  # one comment a line
    assert [c["id"] for c in comments] == sorted(
        Comment.objects.filter(author_email="me@example.org").values_list("pk", flat=True)
    )
    if count:
        assert comments[-1]["body"] == f'Comment {count - 1}: "quoted",\nnew line, café ✓'
        assert comments[-1]["article_url"] == article.get_absolute_url()


def test_each_comment_is_one_line_of_what_json_writes_for_all_that_is_stored(client, article):
    """Every stored detail of a comment, each line exactly what ``json.dumps`` writes for
    the comment's object (the download writes it straight from the database's row)."""
    from byline.discussion.notifications import data_link_token

    when = timezone.now() - timedelta(days=2)
    first = make_comment(
        article,
        author_email="Me@Example.org",
        author_name='Zoë "Z" \\ Ünal',
        author_url="https://zoe.example/ü?a=1&b=2",
        body="Line one,\n\ttabbed \u2028 and \x01 a control character, 東京 ✓",
        submitted_at=when,
        ip_hash="abc123",
        user_agent="Mozilla/5.0 (X11)",
        notify_replies=True,
        spam_backend="builtin",
        spam_verdict="ham",
        spam_score=0.125,
        spam_reasons=["link count", 'a "quoted" reason'],
    )
    reply = make_comment(
        article,
        parent=first,
        status=Comment.Status.PENDING,
        author_email="me@example.org",
        author_name="Zoë",
        submitted_at=when + timedelta(minutes=1),
        edited_at=when + timedelta(minutes=2, microseconds=5),
    )
    Comment.objects.filter(pk=reply.pk).update(reactions=3)
    link = f"/comments/data/{data_link_token('me@example.org', 'export')}/?download=1"
    lines = b"".join(client.get(link).streaming_content).decode().split("\n")  # not at U+2028
    expected = [
        {
            "id": first.pk,
            "article": article.headline,
            "article_url": article.get_absolute_url(),
            "in_reply_to": None,
            "status": "approved",
            "submitted_at": when.isoformat(),
            "edited_at": None,
            "name": 'Zoë "Z" \\ Ünal',
            "email": "Me@Example.org",
            "website": "https://zoe.example/ü?a=1&b=2",
            "body": "Line one,\n\ttabbed \u2028 and \x01 a control character, 東京 ✓",
            "reply_notifications": True,
            "reactions": 0,
            "hashed_ip": "abc123",
            "browser": "Mozilla/5.0 (X11)",
            "spam_check": {
                "backend": "builtin",
                "verdict": "ham",
                "score": 0.125,
                "reasons": ["link count", 'a "quoted" reason'],
            },
        },
        {
            "id": reply.pk,
            "article": article.headline,
            "article_url": article.get_absolute_url(),
            "in_reply_to": first.pk,
            "status": "pending",
            "submitted_at": (when + timedelta(minutes=1)).isoformat(),
            "edited_at": (when + timedelta(minutes=2, microseconds=5)).isoformat(),
            "name": "Zoë",
            "email": "me@example.org",
            "website": "",
            "body": reply.body,
            "reply_notifications": False,
            "reactions": 3,
            "hashed_ip": "",
            "browser": "",
            "spam_check": {"backend": "", "verdict": "", "score": None, "reasons": []},
        },
    ]
    written = [line.strip().rstrip(",") for line in lines[3:5]]
    assert written == [json.dumps(c, ensure_ascii=False) for c in expected]


def test_a_commenter_can_erase_their_comments(client, article, mailoutbox):
    """Erasure deletes unanswered comments and empties answered ones; counts follow."""
    lonely = make_comment(article, author_email="me@example.org")
    answered = make_comment(article, author_email="me@example.org", body="secret words")
    reply = make_comment(article, parent=answered)
    link = request_link(client, mailoutbox, "me@example.org", "erase")
    assert "cannot be undone" in client.get(link).content.decode()
    response = client.post(link)
    assert response.status_code == 200
    assert not Comment.objects.filter(pk=lonely.pk).exists()
    answered.refresh_from_db()
    assert (answered.body, answered.author_email, answered.erased_at is not None) == ("", "", True)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "secret words" not in html
    assert "erased at its author" in html
    assert f"comment-{reply.pk}" in html


def test_an_erasure_never_takes_another_reader_s_reply_deeper_in_the_thread(article):
    """Answered only by their own reply, which another reader answered: both of the
    author's comments stay as placeholders over that reader's reply (deleting the top
    one would take every reply under it)."""
    mine = make_comment(article, author_email="me@example.org", body="first words")
    my_follow_up = make_comment(article, parent=mine, author_email="me@example.org")
    theirs = make_comment(article, parent=my_follow_up, author_email="you@example.org")
    erase_comments("me@example.org")
    assert Comment.objects.filter(pk=theirs.pk).exists()
    for comment in (mine, my_follow_up):
        comment.refresh_from_db()
        assert (comment.body, comment.author_email, comment.erased_at is not None) == (
            "",
            "",
            True,
        )


def test_unknown_addresses_get_the_same_answer_and_no_e_mail(client, mailoutbox):
    """The form does not reveal whether an address has comments."""
    response = client.post(
        "/comments/data/request/", {"email": "nobody@example.org", "action": "export"}, **SAME_SITE
    )
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    assert mailoutbox == []


def test_a_forged_or_expired_data_link_is_refused(client, article, mailoutbox, settings):
    """Tampered links fail; links older than BYLINE_COMMENT_DATA_LINK_HOURS fail."""
    make_comment(article, author_email="me@example.org")
    assert client.get("/comments/data/not-a-token/").status_code == 400
    link = request_link(client, mailoutbox, "me@example.org", "erase")
    DataLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(link).status_code == 400
    assert Comment.objects.count() == 1


def test_a_data_link_works_once_and_carries_no_address(client, article, mailoutbox):
    """The link is a random key: no address, not even encoded, is in it; a download
    spends it, so the same link (forwarded, or from a browser's history) then fails."""
    make_comment(article, author_email="me@example.org", body="my words")
    link = request_link(client, mailoutbox, "me@example.org", "export")
    key = link.rstrip("/").rsplit("/", 1)[1]
    decoded = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert b"me@example.org" not in decoded and "example" not in key
    assert client.get(link + "?download=1").status_code == 200
    assert client.get(link + "?download=1").status_code == 400
    assert client.get(link).status_code == 400
    assert DataLink.objects.get().email == ""  # spent: the address is not kept with it


def test_purge_clears_old_hashed_ips_and_deletes_old_spam(article, settings, capsys):
    """purge_comment_data honours the retention settings and has a --dry-run."""
    settings.BYLINE_COMMENT_IP_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    aged = make_comment(article, ip_hash="abc", user_agent="Firefox", submitted_at=old)
    fresh = make_comment(article, ip_hash="def", user_agent="Firefox")
    old_spam = make_comment(article, status=Comment.Status.SPAM, submitted_at=old)
    call_command("purge_comment_data", "--dry-run")
    assert "Would clear" in capsys.readouterr().out
    assert Comment.objects.get(pk=aged.pk).ip_hash == "abc"
    call_command("purge_comment_data")
    assert Comment.objects.get(pk=aged.pk).ip_hash == ""
    assert Comment.objects.get(pk=fresh.pk).ip_hash == "def"
    assert not Comment.objects.filter(pk=old_spam.pk).exists()


def test_no_raw_ip_is_ever_stored(client, article):
    """The comment row holds a salted hash, never the address."""
    from tests.discussion.factory import post_comment

    headers = {**SAME_SITE, "REMOTE_ADDR": "203.0.113.9"}
    assert post_comment(client, article, headers=headers).status_code == 302
    comment = Comment.objects.get()
    assert comment.ip_hash and "203.0.113.9" not in comment.ip_hash
    values = json.dumps(list(Comment.objects.values()), default=str)
    assert "203.0.113.9" not in values


def test_a_commenters_comments_are_found_from_the_address_index_on_either_database(article):
    """Finding the comments under an address (the download, erasure, a new comment's
    author history) reads the address index, whatever the case of the address, on SQLite
    as on PostgreSQL: never every comment of the site."""
    from django.db import connection, transaction

    mine = make_comment(article, author_email="Me@Example.org")
    make_comment(article, author_email="other@example.org")
    found = Comment.objects.by_email(" me@EXAMPLE.org ")
    assert list(found) == [mine]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # the table is tiny
        plan = found.explain()
    assert "comment_email_status_ci" in plan, plan
