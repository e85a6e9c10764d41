"""Whatever the autosave endpoint and the article form are sent, the answer is never a
5xx, a writer's article never becomes public, and the stored text is what was sent
(or nothing changes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byline.articles.models import Article
from tests.factory import make_article
from tests.newsroom.conftest import change_url, form_data

pytestmark = pytest.mark.django_db
NAUGHTY = json.loads(
    (Path(__file__).parents[1] / "data" / "naughty" / "blns.json").read_text(encoding="utf-8")
)
texts = st.one_of(st.sampled_from(NAUGHTY), st.text(max_size=300))
versions = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str), st.sampled_from(NAUGHTY), texts
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    headline=texts, body=texts, version=versions, status=st.sampled_from(NAUGHTY + ["published"])
)
def test_autosave_of_any_input_is_never_a_server_error_and_never_publishes(
    writer, writer_client, headline, body, version, status
):
    draft = make_article("Draft", status=Article.Status.DRAFT, created_by=writer)
    url = f"/admin/articles/article/{draft.pk}/autosave/"
    for loaded in (version, str(draft.version)):
        response = writer_client.post(
            url, {"loaded_version": loaded, "headline": headline, "body": body, "status": status}
        )
        assert response.status_code < 500
        assert "error" in response.json() or response.json()["status"] == "saved"
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT and draft.published_at is None


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=texts, version=versions, status=st.sampled_from(NAUGHTY + ["published", "scheduled"]))
def test_the_article_form_with_any_input_is_never_a_server_error(
    writer, writer_client, body, version, status
):
    draft = make_article("Draft", status=Article.Status.DRAFT, created_by=writer)
    data = form_data(draft, body=body, loaded_version=version, status=status)
    response = writer_client.post(change_url(draft), data)
    assert response.status_code < 500
    draft.refresh_from_db()
    assert draft.status in (Article.Status.DRAFT, Article.Status.REVIEW)


def test_autosave_stores_a_pasted_headline_as_pages_show_it(writer, writer_client):
    """Autosave cleans a headline as saving does (one line, no terminal escape or
    direction override); one with nothing a reader can see is refused, the draft kept."""
    draft = make_article("Draft", status=Article.Status.DRAFT, created_by=writer)
    url = f"/admin/articles/article/{draft.pk}/autosave/"
    pasted = "Storm\x0bwarning \x1b[31m for\u202e the quay\n"
    response = writer_client.post(url, {"loaded_version": draft.version, "headline": pasted})
    assert response.json()["status"] == "saved"
    draft.refresh_from_db()
    assert draft.headline == "Storm warning for the quay"
    response = writer_client.post(
        url, {"loaded_version": draft.version, "headline": "\x1b[31m\u2067\u200d"}
    )
    assert response.status_code == 400
    assert "headline is needed" in response.json()["error"]["message"]
    draft.refresh_from_db()
    assert draft.headline == "Storm warning for the quay"
