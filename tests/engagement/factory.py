"""Helpers for engagement tests: a reader's browser, votes cast through the API, and
which requests a WSGI layer answered itself."""

from __future__ import annotations

import json

from django.test import Client

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def reader_client(ip: str = "203.0.113.7") -> Client:
    """A browser on this site: same-origin fetches, a real User-Agent, its own IP."""
    return Client(
        enforce_csrf_checks=True,
        headers={"User-Agent": BROWSER, "Sec-Fetch-Site": "same-origin"},
        REMOTE_ADDR=ip,
    )


def post_json(client: Client, url: str, body: object, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def react(client: Client, article_id: int, reaction: str):
    return post_json(client, f"/api/articles/{article_id}/reaction/", {"reaction": reaction})


def rate(client: Client, article_id: int, stars: object):
    return post_json(client, f"/api/articles/{article_id}/rating/", {"stars": stars})


def counts(client: Client, article_id: int) -> dict:
    return client.get(f"/api/articles/{article_id}/engagement/").json()


def reaction_counts(client: Client, article_id: int) -> dict[str, tuple[int, int]]:
    return {r["key"]: (r["count"], r["percent"]) for r in counts(client, article_id)["reactions"]}


def paths_answered_by(monkeypatch, *routes: str) -> list[str]:
    """The paths of the requests the WSGI entry's ``routes`` (names in
    ``byline.wsgi.application.routes``: "view", "engagement", "reaction", ...) answered
    themselves (rather than handing them on to Django), until the test ends."""
    from byline.wsgi import application

    answered: list[str] = []
    for route in routes:
        original = application.routes[route]

        def spy(environ, original=original):
            response = original(environ)
            if response is not None:
                answered.append(environ["PATH_INFO"])
            return response

        monkeypatch.setitem(application.routes, route, spy)
    return answered
