"""The OpenAPI description lists every JSON endpoint, and answers match its shapes."""

import json
from pathlib import Path

import pytest

from tests.engagement.factory import rate, react, reader_client
from tests.factory import make_article

SPEC = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())


def api_routes() -> set[str]:
    from byline.engagement import urls

    return {
        "/" + str(pattern.pattern).replace("<int:article_id>", "{article_id}")
        for pattern in urls.urlpatterns
        if str(pattern.pattern).startswith("api/")
    }


def test_every_engagement_api_url_is_described():
    routes = api_routes()
    assert len(routes) == 5
    assert routes <= set(SPEC["paths"])


def check(schema: dict, value) -> None:
    """A small structural check of ``value`` against an OpenAPI schema (what we use of it)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return check(SPEC["components"]["schemas"][name], value)
    types = schema.get("type")
    if types:
        allowed = types if isinstance(types, list) else [types]
        python = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
            "null": type(None),
        }
        assert any(isinstance(value, python[t]) for t in allowed), (schema, value)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, key
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                check(sub, value[key])
    if isinstance(value, list) and "items" in schema:
        for item in value:
            check(schema["items"], item)


@pytest.mark.django_db
def test_answers_have_the_documented_shapes():
    article = make_article()
    client = reader_client()
    check({"$ref": "#/components/schemas/VoteAnswer"}, react(client, article.pk, "happy").json())
    check({"$ref": "#/components/schemas/VoteAnswer"}, rate(client, article.pk, 4).json())
    counts = client.get(f"/api/articles/{article.pk}/engagement/").json()
    check({"$ref": "#/components/schemas/Counts"}, counts)
    mine = client.get(f"/api/articles/{article.pk}/engagement/mine/").json()
    check({"$ref": "#/components/schemas/Mine"}, mine)
    check({"$ref": "#/components/schemas/Error"}, rate(client, article.pk, 9).json())
