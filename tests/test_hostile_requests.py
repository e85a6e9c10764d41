"""Hostile requests never get a 5xx, and JSON clients always get JSON errors.

A property-based walk (Hypothesis) over every URL pattern of the URLconf (the
site, the API, feeds, sitemaps, search, the comment, vote and view
endpoints, and the admin as a signed-in editor), with every method, and with
hostile values in every query, form and JSON parameter, cookie and header the
site reads: Unicode digits, huge, negative and zero numbers, NUL and control
characters, invalid percent-escapes and invalid UTF-8, very long strings,
JSON nested 100,000 deep, wrong content types, repeated parameters, and the
strings of ``tests/data/naughty`` and ``tests/data/xss``.

Every request goes through ``byline.wsgi.application``, as granian would
call it: the page cache and the vote fast path (which answer before Django)
included. Run it on SQLite and on PostgreSQL (``DATABASE_URL``). Each URL
pattern gets ``EXAMPLES_PER_PATTERN`` requests (about two minutes in all on a
busy 2-core machine); ``HYPOTHESIS_PROFILE=ci`` (``tests/conftest.py``)
replays the same examples every run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import pytest
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byline.wsgi import application
from tests.conftest import kept_test_connection
from tests.discussion.factory import make_comment
from tests.factory import make_article, make_author, make_editor, make_section, make_tag
from tests.pagecache.wsgi_client import call

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES_PER_PATTERN = 6


def corpus() -> list[str]:
    naughty = json.loads((DATA / "naughty" / "blns.json").read_text(encoding="utf-8"))
    xss = (DATA / "xss" / "payloads.txt").read_text(encoding="utf-8").splitlines()
    return list(dict.fromkeys([*naughty, *xss]))


NUMBERS = [
    "0", "00", "-1", "1", "+1", " 1", "1.0", "1e3", "0x10", "1_000", "²", "٣", "১২", "１",
    str(2**31), str(2**63 - 1), str(2**63), str(2**64), "9" * 30, "9" * 5000,
]  # fmt: skip
SPECIAL = [
    "", " ", "\x00", "a\x00b", "\r\n", "\t", "\x1b[31m", "\x7f", "\u202e", "\ufeff",
    "../../etc/passwd", "null", "true", "[]", "{}", '{"a":', "x" * 10_000, "é" * 3000,
    "\U0001f600", "<script>alert(1)</script>", "' OR 1=1 --", "%s%s%n",
]  # fmt: skip
# Percent-escapes that do not decode, or decode to bytes that are not UTF-8.
RAW_ESCAPES = ["%", "%z", "%zz", "%ff", "%fe%ff", "%c0%af", "%e0%a4%a", "%ed%a0%80", "%00", "%%"]
DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_JSON_QUOTED = quote(DEEP_JSON)  # as a cookie carries it; quoted once, not per request

hostile_text = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(SPECIAL),
    st.sampled_from(corpus()),
    st.text(max_size=20),
)


def encode(text: str) -> str:
    """``text`` as a URL would carry it; lone surrogates become invalid UTF-8 bytes."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


raw_value = st.one_of(hostile_text.map(encode), st.sampled_from(RAW_ESCAPES))

# What the site reads from query strings (grep request.GET) and the admin's own.
QUERY_NAMES = [
    "article", "replyto", "cpage", "thread", "tpage", "sort", "page", "before", "p", "q",
    "download", "voted", "o", "e", "all", "ids", "reacted", "reaction", "stars",
    "_popup", "_to_field", "_changelist_filters", "status__exact", "status",
    "submitted_at__year", "submitted_at__month", "submitted_at__day",
    "published_at__year", "published_at__month", "created_at__year", "utm_source", "fbclid",
]  # fmt: skip
# What the site reads from forms and JSON bodies (grep request.POST / body).
FIELD_NAMES = [
    "reaction", "stars", "withdraw", "body", "name", "email", "website", "remember",
    "notify", "parent", "article", "ts", "url_confirm", "action", "_selected_action",
    "index", "select_across", "post", "headline", "slug", "username", "password", "reacted",
]  # fmt: skip


@dataclass
class World:
    """Real rows for the walk to find, and an editor's session."""

    ids: list[str]
    slugs: list[str]
    editor_cookie: str
    csrf_token: str
    reader_cookie: str


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str | None = None

    def __str__(self) -> str:
        shown = self.body[:200] + (b"..." if len(self.body) > 200 else b"")
        return (
            f"{self.method} {self.path[:300]}?{self.query[:300]} "
            f"headers={ {k: v[:120] for k, v in self.headers.items()} } "
            f"content_type={self.content_type!r} body={shown!r}"
        )


@cache
def patterns() -> list[str]:
    """Every URL pattern of the URLconf, as its route or regular expression."""

    def walk(entries, prefix: str = ""):
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    return list(dict.fromkeys(walk(get_resolver().url_patterns)))


@st.composite
def fill(draw, pattern: str, world: World) -> str:
    """A raw (percent-encoded) path for ``pattern``: real values or hostile ones."""
    import re

    def number() -> str:
        return draw(
            st.one_of(
                st.sampled_from(world.ids + NUMBERS[:12]).map(encode),
                st.integers(min_value=2**63 - 2, max_value=10**19 + 2).map(str),
            )
        )

    def text(slash: bool) -> str:
        value = draw(
            st.one_of(
                st.sampled_from(world.slugs + world.ids).map(encode),
                raw_value,
            )
        )
        return value.replace("%2F", "/") if slash else value

    def route_part(match: re.Match) -> str:
        converter = match[1] or "str"
        return number() if converter == "int" else text(converter == "path")

    def regex_group(match: re.Match) -> str:
        choices = match[2].split("|")
        if all(choice.isidentifier() for choice in choices):
            return draw(st.sampled_from(choices))
        return text(True)

    path = pattern.lstrip("^").rstrip("$")
    path = re.sub(r"\(\?P<(\w+)>([^)]*)\)", regex_group, path)
    path = re.sub(r"<(?:(\w+):)?(\w+)>", route_part, path)
    path = path.replace("\\", "").replace("^", "").replace("$", "")
    return "/" + path


@st.composite
def query(draw) -> str:
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(QUERY_NAMES).map(encode) | raw_value, raw_value),
            max_size=4,
        )
    )
    repeats = draw(st.sampled_from([0, 0, 0, 50, 1200]))  # repeated parameters
    pairs += [("article", "1")] * repeats
    return "&".join(f"{name}={value}" for name, value in pairs)


def json_value():
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats()
        | hostile_text,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3)
        ),
        max_leaves=6,
    )


@st.composite
def body(draw, world: World, editor: bool) -> tuple[bytes, str | None]:
    kind = draw(
        st.sampled_from(
            ["none", "form", "form", "json", "json", "deep", "multipart", "broken-multipart",
             "bytes", "wrong-type", "huge"]
        )
    )  # fmt: skip
    fields = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), hostile_text, max_size=6))
    if editor:
        fields["csrfmiddlewaretoken"] = world.csrf_token
    if kind == "none":
        return b"", None
    if kind == "form":
        encoded = "&".join(f"{encode(k)}={encode(v)}" for k, v in fields.items())
        return encoded.encode(), "application/x-www-form-urlencoded"
    if kind == "json":
        data = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), json_value(), max_size=4))
        text = json.dumps(draw(st.one_of(st.just(data), json_value())))
        return text.encode("utf-8", "surrogatepass"), "application/json"
    if kind == "deep":
        return ('{"reaction": ' + DEEP_JSON + "}").encode(), "application/json"
    if kind == "multipart":
        safe = {
            k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            for k, v in fields.items()
        }
        return encode_multipart(BOUNDARY, safe), f"multipart/form-data; boundary={BOUNDARY}"
    if kind == "broken-multipart":
        return b"reaction=happy&stars=4", "multipart/form-data"
    if kind == "bytes":
        return b"\xff\xfe\x00{" + b"\xc0\xaf" * 10, "application/json; charset=utf-8"
    if kind == "wrong-type":
        return b'{"stars": 4}', draw(st.sampled_from(["text/plain", "application/xml", "", "*/*"]))
    return b'{"stars": 4, "pad": "' + b"x" * 3_000_000 + b'"}', "application/json"


@st.composite
def hostile_request(draw, pattern: str, world: World) -> Request:
    editor = draw(st.booleans())
    method = draw(
        st.sampled_from(["GET", "GET", "HEAD", "POST", "POST", "DELETE", "PUT", "OPTIONS"])
    )
    raw_path = draw(fill(pattern, world))
    headers: dict[str, str] = {}
    accept = draw(
        st.sampled_from([None, "application/json", "text/html", "*/*", "application/json;q=0.1"])
    )
    if accept:
        headers["Accept"] = accept
    fetch_site = draw(st.sampled_from([None, "same-origin", "same-origin", "cross-site", "\x00"]))
    if fetch_site:
        headers["Sec-Fetch-Site"] = fetch_site
    if draw(st.booleans()):
        headers["Origin"] = draw(
            st.sampled_from(["http://testserver", "null", "http://evil.example"])
        )
    for name in ("User-Agent", "Referer", "If-None-Match", "If-Modified-Since", "X-Forwarded-For"):
        if draw(st.integers(0, 4)) == 0:
            headers[name] = draw(hostile_text).encode("utf-8", "surrogatepass").decode("latin-1")
    cookies = []
    if editor:
        cookies.append(world.editor_cookie)
        headers["X-CSRFToken"] = world.csrf_token
    reader = draw(st.sampled_from([None, world.reader_cookie, "junk", "1" * 5000]))
    if reader:
        cookies.append(f"byline_reader={reader}")
    remembered = draw(
        st.sampled_from([None, DEEP_JSON_QUOTED, quote('{"name": [[["x"]]]}'), "%ff", "{"])
    )
    if remembered:
        cookies.append(f"byline_comment_author={remembered}")
    if draw(st.integers(0, 5)) == 0:
        cookies.append(f"byline_commenter={draw(raw_value)}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    payload, content_type = (b"", None)
    if method in {"POST", "PUT", "DELETE"}:
        payload, content_type = draw(body(world, editor))
    return Request(method, raw_path, draw(query()), headers, payload, content_type)


def send(request: Request):
    """Call the WSGI application as a server would: PATH_INFO is the decoded path as
    latin-1 (PEP 3333), with invalid escapes left as they are."""
    environ = {
        "PATH_INFO": unquote_to_bytes(request.path).decode("latin-1"),
        "QUERY_STRING": request.query,
        "REMOTE_ADDR": "198.51.100.7",
    }
    if request.content_type is not None:
        environ["CONTENT_TYPE"] = request.content_type
    response = call(
        application,
        "/",
        method=request.method,
        headers=request.headers,
        body=request.body,
        extra_environ=environ,
    )
    return response.status, response.headers, response.body


def wants_json(request: Request) -> bool:
    path = unquote_to_bytes(request.path).decode("latin-1")
    return path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def check(request: Request) -> None:
    status, headers, data = send(request)
    assert status < 500, f"{status} for {request}"
    if status >= 400:
        assert b"Traceback" not in data, request
        if wants_json(request) and request.method != "HEAD":
            assert headers.get("content-type", "").startswith("application/json"), (
                f"{status} {headers.get('content-type')} for {request}"
            )
            error = json.loads(data)["error"]
            assert error["status"] == status and error["message"], request


@pytest.fixture
def world(settings) -> World:
    """Articles, comments, a section, a tag, an author, an editor signed in.

    The requests run inside the test's transaction: as Django's test client does,
    connections are not closed at the end of each request (on PostgreSQL that
    would close the test's own transaction)."""
    made = make_world(settings)  # (the test client reconnects them after each request)
    with kept_test_connection():
        yield made


def make_world(settings) -> World:
    settings.BYLINE_VOTES_PER_MINUTE = 10**6
    settings.BYLINE_VIEWS_PER_MINUTE = 10**6
    settings.BYLINE_COMMENT_RATE_LIMIT = 10**6
    settings.BYLINE_COMMENT_MIN_SECONDS = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    section, tag, author = make_section(), make_tag(), make_author()
    article = make_article("A story", section=section, tags=[tag], authors=[author])
    comment = make_comment(article)
    reply = make_comment(article, parent=comment)
    editor = make_editor()
    client = Client()
    client.force_login(editor)
    csrf = client.get("/api/csrf/").json()["csrfToken"]
    session = client.cookies["sessionid"].value
    reader = Client()
    reader.post(
        f"/api/articles/{article.pk}/reaction/",
        {"reaction": "happy"},
        content_type="application/json",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    return World(
        ids=[str(article.pk), str(comment.pk), str(reply.pk), str(editor.pk)],
        slugs=[article.slug, section.slug, tag.slug, author.slug, "auth", "articles"],
        editor_cookie=f"sessionid={session}; csrftoken={client.cookies['csrftoken'].value}",
        csrf_token=csrf,
        reader_cookie=reader.cookies["byline_reader"].value,
    )


def test_the_walk_covers_the_whole_urlconf():
    """The site, the API, feeds, sitemaps, search, comments, votes, views and the admin."""
    every = patterns()
    for expected in [
        "", "api/articles/<int:article_id>/reaction/", "comments/post/", "feed/",
        "sitemap.xml", "search/", "engagement/<int:article_id>/seen.gif",
        "admin/discussion/comment/", "admin/articles/article/<path:object_id>/change/",
        "api/comments/<int:pk>/reaction/", "api/comments/reactions/", "comments/<int:pk>/react/",
    ]:  # fmt: skip
        assert expected in every
    assert len(every) > 100


def walk(pattern: str, world: World) -> str | None:
    """``EXAMPLES_PER_PATTERN`` hostile requests to ``pattern``: the first failure
    (shrunk by Hypothesis to a small request), or None."""

    @settings(
        max_examples=EXAMPLES_PER_PATTERN,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def requests_to_pattern(data):
        check(data.draw(hostile_request(pattern, world), label="request"))

    try:
        requests_to_pattern()
    except Exception as failure:  # collected, reported together below
        return f"{pattern}: {type(failure).__name__}: {failure}"[:3000]
    return None


# The sweep: values that broke the site before, each sent in every parameter at once.
SHARP = ["²", "٣", "-1", "0", str(2**64), "9" * 5000, "a\x00b", "%ff", "[]"]


def sweep(pattern: str, world: World, value: str) -> list[Request]:
    """GET ``pattern`` with every query parameter set to ``value``; POST every form and
    JSON field set to it; the path's own parameters real ones (so the view runs)."""
    path = fill_real(pattern, world)
    raw = "%ff" if value == "%ff" else encode(value)
    query = "&".join(f"{name}={raw}" for name in QUERY_NAMES)
    deep_cookie = f"byline_comment_author={DEEP_JSON_QUOTED}"
    if pattern.startswith("admin/"):
        return [Request("GET", path, query, {"Cookie": world.editor_cookie})]
    form = "&".join(f"{name}={raw}" for name in FIELD_NAMES).encode()
    number = parse_json_number(value)
    data = json.dumps({name: number if number is not None else value for name in FIELD_NAMES})
    as_json = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json"}
    as_page = {"Sec-Fetch-Site": "same-origin", "Cookie": deep_cookie}
    form_type = "application/x-www-form-urlencoded"
    return [
        Request("GET", path, query, {"Cookie": deep_cookie}),
        Request("GET", path, query, {"Accept": "application/json"}),
        Request("POST", path, "", as_json, form, form_type),
        Request("POST", path, "", as_page, form, form_type),
        Request("POST", path, "", as_json, data.encode(), "application/json"),
        Request("DELETE", path, "", as_json, b"", None),
    ]


def parse_json_number(value: str) -> int | None:
    try:
        return int(value) if value.lstrip("-").isascii() and len(value) < 100 else None
    except ValueError:
        return None


def fill_real(pattern: str, world: World) -> str:
    """``pattern`` with the world's own values (the first id or slug that fits)."""
    import re

    path = pattern.lstrip("^").rstrip("$")
    path = re.sub(r"\(\?P<(\w+)>([^)]*)\)", lambda m: m[2].split("|")[0].replace(".*", "x"), path)
    path = re.sub(
        r"<(?:(\w+):)?(\w+)>",
        lambda m: world.ids[0] if m[1] in {"int", "path"} else world.slugs[0],
        path,
    )
    return "/" + path.replace("\\", "")


# Each walk is cut into shards of the URL patterns, so that pytest-xdist's workers share it.
SHARDS = 4


def shard_of(shard: int) -> list[str]:
    """Every ``SHARDS``-th URL pattern from ``shard``: the shards together are all of them."""
    return patterns()[shard::SHARDS]


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_pattern_takes_every_sharp_value_in_every_parameter(world, shard):
    """Deterministic: each value that once gave a 500 (Unicode digits, huge numbers, NUL,
    invalid UTF-8, JSON nested 100,000 deep ...) in every query, form and JSON
    parameter the site reads, at every URL pattern."""
    failures = []
    for pattern in shard_of(shard):
        for value in SHARP:
            for request in sweep(pattern, world, value):
                try:
                    check(request)
                except AssertionError as failure:
                    failures.append(f"{pattern}: {failure}"[:2000])
    assert not failures, "\n\n".join(failures[:20])


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_hostile_request_gets_a_5xx(world, shard):
    """Whatever a client sends to any address: a 2xx, 3xx or 4xx, JSON errors to JSON
    clients, and never a traceback. The world (rows, the editor's session) is made
    once a shard; every URL pattern gets its own run of examples."""
    failures = [failure for pattern in shard_of(shard) if (failure := walk(pattern, world))]
    assert not failures, "\n\n".join(failures)


def known_causes(world: World) -> list[Request]:
    """The nine causes of the 500s found before this walk existed, one request each."""
    article_id, comment_id = world.ids[0], world.ids[1]
    slug = world.slugs[0]
    same = {"Sec-Fetch-Site": "same-origin"}
    form = "application/x-www-form-urlencoded"
    return [
        Request("GET", f"/articles/{slug}/", "replyto=%C2%B2"),
        Request("GET", f"/articles/{slug}/", "replyto=" + "9" * 5000),
        Request("GET", "/comments/session/", "article=%C2%B2"),
        Request("GET", "/comments/session/", "article=" + "9" * 5000),
        Request("POST", "/comments/post/", "", same, b"article=%C2%B2&body=x", form),
        Request(
            "POST", "/comments/post/", "", same, f"article={article_id}&parent=²".encode(), form
        ),
        Request(
            "POST", "/comments/post/", "", same,
            f"article={article_id}&parent={'9' * 40}&body=x&name=x&email=a@b.co".encode(), form,
        ),
        Request(
            "POST", f"/api/articles/{article_id}/reaction/", "", same,
            ('{"reaction": ' + DEEP_JSON + "}").encode(), "application/json",
        ),
        Request(
            "GET", "/comments/session/", "",
            {"Cookie": f"byline_comment_author={DEEP_JSON_QUOTED}"},
        ),
        Request(
            "GET", "/admin/discussion/comment/", f"submitted_at__year={2**64}",
            {"Cookie": world.editor_cookie},
        ),
        Request(
            "GET", "/admin/discussion/comment/", "submitted_at__year=9999&submitted_at__month=12",
            {"Cookie": world.editor_cookie},
        ),
        Request("GET", "/old-wordpress-path%00/", ""),
        Request("GET", "/tag/x%00y/", ""),
        Request("GET", f"/articles/{slug}%00/", ""),
        Request(
            "POST", f"/api/articles/{article_id}/rating/", "", same,
            b'{"stars": 4, "pad": "' + b"x" * 3_000_000 + b'"}', "application/json",
        ),
        Request(
            "POST", f"/api/articles/{article_id}/rating/", "", same, b"stars=4",
            "multipart/form-data",
        ),
        Request(  # TooManyFieldsSent while Django builds the request: the WSGI guard
            "GET", f"/comments/{comment_id}/", "&".join(["a=1"] * 1500), {}, b"",
            "text/plain; charset=utf-8",
        ),
    ]  # fmt: skip


def test_the_known_causes_of_500s_are_answered_with_4xx(world):
    for request in known_causes(world):
        status, _, _ = send(request)
        assert 400 <= status < 500 or status in {200, 302}, f"{status} for {request}"
        check(request)


@pytest.mark.parametrize("to_field", ["", "%00", "no_such_field"])
def test_every_admin_object_address_takes_any_to_field(world, to_field):
    """``?_to_field=`` (the admin's popups name the field an object is picked by) at any
    object's address (change, history, delete) with no field, or one the model has not, is
    a 400, never a 500: Django checks only a non-empty name against the fields it allows,
    then looks the empty one up (FieldDoesNotExist), found by the walk above."""
    failures = []
    for pattern in patterns():
        if pattern.startswith("admin/") and "<path:object_id>" in pattern:
            path = "/" + pattern.replace("<path:object_id>", world.ids[0])
            request = Request("GET", path, f"_to_field={to_field}", {"Cookie": world.editor_cookie})
            try:
                status, _, _ = send(request)
                assert status < 500, f"{status} for GET {path}?_to_field={to_field}"
            except AssertionError as failure:
                failures.append(str(failure)[:300])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("number", [str(2**63), str(-(2**63) - 1), str(2**64), "9" * 40])
def test_every_admin_object_address_takes_an_id_no_database_can_hold(world, number):
    """An editor's mistyped or pasted id at any object's address in the admin (change,
    history, delete) is "doesn't exist" (a redirect) or a 404, never a 500: a foreign-key
    primary key is not range-checked by Django before the database sees it."""
    failures = []
    for pattern in patterns():
        if pattern.startswith("admin/") and "<path:object_id>" in pattern:
            path = "/" + pattern.replace("<path:object_id>", number)
            try:
                check(Request("GET", path, "", {"Cookie": world.editor_cookie}))
            except AssertionError as failure:
                failures.append(str(failure)[:300])
    assert not failures, "\n".join(failures)


# Ids around the largest a database holds (2**63 - 1) and the 19 and 20 digits nginx's
# beacon location and the app's routes let through.
UNHOLDABLE_IDS = [str(2**63 - 1), str(2**63), "9999999999999999999", str(10**19), str(10**19 + 1)]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"


@pytest.mark.parametrize("number", UNHOLDABLE_IDS)
def test_every_article_address_takes_an_id_no_database_can_hold(world, number):
    """A beacon, a vote, the counts, a form, ``?article=``: an id past 2**63 - 1 is an
    article that does not exist (404, JSON for a JSON client), never a 500."""
    as_json = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json", "User-Agent": BROWSER}
    failures = []
    for pattern in patterns():
        if pattern.startswith("admin/") or "<int:" not in pattern:
            continue
        path = "/" + re.sub(r"<int:\w+>", number, pattern)
        for request in [
            Request("GET", path, "", as_json),
            Request("GET", path, f"article={number}", {"User-Agent": BROWSER}),
            Request("POST", path, "", as_json, b'{"reaction": "happy", "stars": 4}',
                    "application/json"),
            Request("POST", path, "", as_json, b"", None),
            Request("DELETE", path, "", as_json, b"", None),
        ]:  # fmt: skip
            try:
                check(request)
                status = send(request)[0]
                no_article = (
                    {404, 405} if request.body or request.method == "GET" else {400, 404, 405}
                )
                if path.startswith("/api/articles/") and not path.endswith("/mine/"):
                    assert status in no_article, f"{status} for {request}"
            except AssertionError as failure:
                failures.append(str(failure)[:300])
    for path in ["/api/comments/reactions/", "/comments/session/", "/"]:
        try:
            check(Request("GET", path, f"article={number}&ids=1", as_json))
        except AssertionError as failure:
            failures.append(str(failure)[:300])
    assert not failures, "\n".join(failures)
