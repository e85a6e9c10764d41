"""What readers send, as WSGI calls (in-process) or HTTP requests (a live server).

Both give a ``Reply``; neither raises on a 4xx or 5xx. The requests are what
the article page's script and forms send: same-origin JSON votes, the view
beacon, the counts, and the comment form.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.apps import apps

from tests.pagecache.wsgi_client import call

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@dataclass
class Reply:
    """An answer; ``headers`` has lower-case names."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def __post_init__(self) -> None:
        self.headers = {name.lower(): value for name, value in self.headers.items()}

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def comment_fields(article_id: int, body: str, name: str = "Ada Reader") -> dict[str, str]:
    """The comment form as the page's script fills it (``ts`` needs this process's
    Django settings; without them it is left empty, for a server that does not ask)."""
    stamp = ""
    if apps.ready:  # the form module loads the models: only in a process with Django set up
        from byline.discussion.forms import form_timestamp

        stamp = form_timestamp(issued=time.time() - 60)  # handed out a minute ago
    return {
        "article": str(article_id),
        "body": body,
        "name": name,
        "email": "ada@example.org",
        "website": "",
        "parent": "",
        "ts": stamp,
        "url_confirm": "",
    }


class Reader:
    """One reader's requests: to a WSGI application, or over HTTP to ``base``."""

    def __init__(
        self, app: Any = None, base: str = "", ip: str = "203.0.113.7", timeout: float = 30
    ) -> None:
        self.app, self.base, self.ip, self.timeout = app, base.rstrip("/"), ip, timeout
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        headers = {"User-Agent": BROWSER, "Sec-Fetch-Site": "same-origin", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        reply = (
            self._wsgi(method, path, body, headers)
            if self.app is not None
            else self._http(method, path, body, headers)
        )
        for name, value in reply.headers.items():
            if name.lower() == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
        return reply

    def _wsgi(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        environ, plain = {"REMOTE_ADDR": self.ip}, {}
        for name, value in headers.items():
            if name.lower() == "content-type":
                environ["CONTENT_TYPE"] = value
            else:
                plain[name] = value
        response = call(
            self.app,
            path,
            method=method,
            headers=plain,
            host="127.0.0.1",
            body=body,
            extra_environ=environ,
        )
        merged: dict[str, str] = {}
        for name, value in response.header_list:
            merged[name] = value if name not in merged else merged[name] + ", " + value
        return Reply(response.status, merged, response.body)

    def _http(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        # The reader's own address, for a server trusting X-Forwarded-For
        # (BYLINE_CLIENT_IP_HEADER), as behind nginx.
        headers = {"X-Forwarded-For": self.ip, **headers}
        request = urllib.request.Request(
            self.base + path, data=body or None, method=method, headers=headers
        )
        opener = urllib.request.build_opener(_NoRedirects())
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())

    # What the page's script and forms send.

    def page(self, path: str) -> Reply:
        return self.request("GET", path, headers={"Accept": "text/html"})

    def counts(self, article_id: int) -> Reply:
        return self.request("GET", f"/api/articles/{article_id}/engagement/")

    def react(self, article_id: int, reaction: str) -> Reply:
        return self._vote(article_id, "reaction", {"reaction": reaction})

    def rate(self, article_id: int, stars: int) -> Reply:
        return self._vote(article_id, "rating", {"stars": stars})

    def _vote(self, article_id: int, kind: str, data: dict[str, Any]) -> Reply:
        """A same-origin JSON vote, as the page's script sends it."""
        return self.request(
            "POST",
            f"/api/articles/{article_id}/{kind}/",
            json.dumps(data).encode(),
            {"Content-Type": "application/json", "Accept": "application/json"},
        )

    def view(self, article_id: int) -> Reply:
        return self.request("POST", f"/api/articles/{article_id}/view/")

    def comment(self, article_id: int, body: str, as_json: bool = False) -> Reply:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if as_json:
            headers["Accept"] = "application/json"
        data = urlencode(comment_fields(article_id, body)).encode()
        return self.request("POST", "/comments/post/", data, headers)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
