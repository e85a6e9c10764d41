"""Who is a reader: a signed cookie, and a salted IP hash whose salt changes every day."""

import os

import pytest
import redis
from django.http import HttpResponse
from django.test import RequestFactory

from byline import readers
from byline.redisconn import redis_client

pytestmark = pytest.mark.django_db
factory = RequestFactory()


def test_the_ip_hash_never_contains_the_ip_and_changes_with_the_day(monkeypatch):
    request = factory.get("/", REMOTE_ADDR="203.0.113.99")
    monkeypatch.setattr(readers, "_today", lambda: "2026-11-25")
    today = readers.ip_hash(request)
    assert "203.0.113.99" not in today
    assert today == readers.ip_hash(factory.get("/", REMOTE_ADDR="203.0.113.99"))
    assert today != readers.ip_hash(factory.get("/", REMOTE_ADDR="203.0.113.98"))
    monkeypatch.setattr(readers, "_today", lambda: "2026-11-26")
    assert readers.ip_hash(request) != today


def test_the_proxy_header_names_the_reader_ip_when_configured(settings):
    request = factory.get("/", REMOTE_ADDR="10.0.0.1", headers={"X-Real-IP": "198.51.100.4"})
    assert readers.client_ip(request) == "10.0.0.1"
    settings.BYLINE_CLIENT_IP_HEADER = "X-Real-IP"
    assert readers.client_ip(request) == "198.51.100.4"
    settings.BYLINE_CLIENT_IP_HEADER = "X-Forwarded-For"
    forwarded = factory.get("/", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.5"})
    assert readers.client_ip(forwarded) == "198.51.100.5"


def test_a_remembered_reader_is_read_back_and_a_forged_one_is_not():
    response = HttpResponse()
    reader = readers.new_reader_id()
    readers.remember_reader(response, reader)
    request = factory.get("/")
    request.COOKIES["byline_reader"] = response.cookies["byline_reader"].value
    assert readers.reader_id(request) == reader
    request.COOKIES["byline_reader"] = reader + ":forged"  # a signature not the app's
    assert readers.reader_id(request) is None
    # A bare id is one nginx minted for a vote it answered (deploy/nginx.conf): that reader.
    request.COOKIES["byline_reader"] = reader
    assert readers.reader_id(request) == reader
    request.COOKIES["byline_reader"] = reader.upper()  # not an id nginx mints
    assert readers.reader_id(request) is None


@pytest.mark.parametrize("secure", [False, True])
def test_the_reader_cookie_header_built_without_a_response_is_django_s(settings, secure):
    """The vote layer's ``Set-Cookie`` (``reader_cookie_header``) is the header
    ``remember_reader`` sets on a response: the same value and attributes, in the same
    order, expiring the same moment (to the second it was built in)."""
    from http.cookies import SimpleCookie

    from django.utils.http import parse_http_date

    settings.SECURE_COOKIES = secure
    for _ in range(20):
        reader = readers.new_reader_id()
        response = HttpResponse()
        readers.remember_reader(response, reader)
        django_s = response.cookies[settings.BYLINE_READER_COOKIE].output(header="").strip()
        ours = readers.reader_cookie_header(reader)
        name = settings.BYLINE_READER_COOKIE
        parsed = [SimpleCookie(header)[name] for header in (ours, django_s)]
        assert parsed[0].value == parsed[1].value == readers.cookie_value(reader)
        assert [dict(morsel, expires="") for morsel in parsed][0] == dict(parsed[1], expires="")
        expiries = [parse_http_date(morsel["expires"]) for morsel in parsed]
        assert 0 <= expiries[0] - expiries[1] <= 1
        assert ours.split("; expires=")[0] == django_s.split("; expires=")[0]
        assert ours.split(" GMT")[1] == django_s.split(" GMT")[1]
        assert ("; Secure" in ours) is secure


def test_a_reader_cookie_survives_a_secret_key_rotation_through_the_fallbacks(settings):
    reader = readers.new_reader_id()
    signed_before = readers.cookie_value(reader)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-" + settings.SECRET_KEY, []
    assert readers.reader_from_cookie(signed_before) is None  # the old key is gone
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY.removeprefix("new-")]
    for _ in range(2):  # every time, not only the first
        assert readers.reader_from_cookie(signed_before) == reader
    assert readers.reader_from_cookie(readers.cookie_value(reader)) == reader


def test_over_limit_counts_every_identity_in_the_window():
    assert not readers.over_limit("test", ["a", "b"], limit=2)
    assert not readers.over_limit("test", ["a", "c"], limit=2)
    assert readers.over_limit("test", ["a"], limit=2)
    assert not readers.over_limit("test", ["b"], limit=2)


def test_hits_counts_each_key_under_its_own_limit_and_says_how_long_to_wait():
    """One attempt under each key (a key left empty is not counted); any key past its own
    limit makes the caller wait for the window's end, and every key is counted all the
    same, as ``over_limit`` counts every identity."""
    first, second = readers.new_reader_id(), readers.new_reader_id()
    assert readers.hits([("test-a", first, 2), ("test-b", second, 1), ("test-c", "", 1)], 60) == 0
    wait = readers.hits([("test-a", first, 2), ("test-b", second, 1)], 60)
    assert 1 <= wait <= 60
    assert readers.hits([("test-a", first, 2)], 60) >= 1  # counted while test-b was over
    assert readers.hits([("test-c", "", 1)], 60) == 0
    assert readers.hits([("test-a", second, 1)], 60) == 0  # the scope is part of the key


@pytest.mark.redis
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="Redis not configured: set REDIS_URL=redis://..."
)
def test_with_redis_hits_takes_one_round_trip_whatever_the_number_of_keys(monkeypatch):
    """A comment's limits (the reader, the e-mail address, the IP) are one request to
    Redis: the acquire scripts go down one pipeline, not one command each."""
    from byline.redisconn import set_up

    found = set_up()
    sends = []
    send = found.connection_class.send_packed_command

    def counted(connection, command, check_health=True):
        sends.append(command)
        return send(connection, command, check_health)

    readers.hits([("test-warm", readers.new_reader_id(), 1)], 60)  # the script is loaded
    monkeypatch.setattr(found.connection_class, "send_packed_command", counted)
    keys = [(f"test-{scope}", readers.new_reader_id(), 3) for scope in ("r", "e", "i")]
    waits = []
    for _ in range(4):
        sends.clear()
        waits.append(readers.hits(keys, 60))
        assert len(sends) == 1
    assert waits[:3] == [0, 0, 0] and waits[3] >= 1  # all three were counted, in Redis
    client = redis_client()
    counters = [k for _, key, _ in keys for k in client.keys(f"byline:ratelimit:*{key}*")]
    assert len(counters) == 3
    client.delete(*counters)


@pytest.mark.redis
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="Redis not configured: set REDIS_URL=redis://..."
)
def test_with_redis_a_round_trip_answers_each_command_in_order_an_error_in_its_place():
    """``redisconn.round_trip`` (the rate limits' one call): the commands go down in one
    send, each reply comes back in its place, a refused command's error among them
    without failing the others, and the connection goes back to the pool."""
    from byline.redisconn import round_trip, set_up

    client, key = redis_client(), f"byline:test:{readers.new_reader_id()}"
    pool = set_up().pool
    replies = round_trip(
        client, [("SET", key, "v"), ("HGET", key, "f"), ("GET", key), ("HGET", key + "x", "f")]
    )
    assert replies[0] in (b"OK", "OK") and replies[2] == b"v" and replies[3] is None
    assert isinstance(replies[1], redis.ResponseError) and "WRONGTYPE" in str(replies[1])
    assert round_trip(client, [("DEL", key)]) == [1]
    assert not pool._in_use_connections


@pytest.mark.redis
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="Redis not configured: set REDIS_URL=redis://..."
)
def test_with_redis_a_round_trip_that_fails_gives_its_connection_back_to_the_pool():
    """A call that fails on the way (here a command that cannot be encoded) raises, and
    its connection still goes back to the pool (none is leaked, one failure at a time,
    until the pool runs dry): the next call, on the same pooled connection, gets its
    own answers."""
    from byline.redisconn import round_trip, set_up

    client, key = redis_client(), f"byline:test:{readers.new_reader_id()}"
    pool = set_up().pool
    with pytest.raises(redis.DataError):
        round_trip(client, [("SET", key, "v"), ("HGET", key, None)])
    assert not pool._in_use_connections
    assert round_trip(client, [("GET", key), ("DEL", key)]) == [None, 0]
    assert not pool._in_use_connections


@pytest.mark.redis
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="Redis not configured: set REDIS_URL=redis://..."
)
def test_with_redis_the_counters_expire_and_a_field_is_read_in_the_same_call():
    client = redis_client()
    identity = readers.new_reader_id()
    client.hset("byline:test:hash", "field", "41")
    over, value = readers.over_limit_and(
        "test", [identity], 1, 30, read=("byline:test:hash", "field")
    )
    assert (over, value) == (False, b"41")
    over, value = readers.over_limit_and(
        "test", [identity], 1, 30, read=("byline:test:hash", "none")
    )
    assert (over, value) == (True, None)
    counters = client.keys(f"byline:ratelimit:*{identity}*")
    assert len(counters) == 1 and 0 < client.pttl(counters[0]) <= 60_000
    client.delete("byline:test:hash", *counters)


def test_production_without_the_proxy_ip_header_warns_at_start_up(settings):
    from byline.engagement.checks import client_ip_behind_a_proxy

    settings.PRODUCTION = True
    settings.BYLINE_CLIENT_IP_HEADER = ""
    assert [w.id for w in client_ip_behind_a_proxy(None)] == ["engagement.W001"]
    settings.BYLINE_CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip_behind_a_proxy(None) == []
