"""Reactions: one per reader per article; another moves it, the same again changes nothing,
DELETE or null withdraws it."""

import pytest

from byline.engagement.stats import figures_for
from tests.engagement.factory import react, reaction_counts, reader_client
from tests.factory import make_article

pytestmark = pytest.mark.django_db


def test_a_reaction_is_counted_with_its_share_of_all_reactions():
    article = make_article()
    ada, bob, cy = reader_client("203.0.113.1"), reader_client("203.0.113.2"), reader_client()
    for client, choice in [(ada, "happy"), (bob, "happy"), (cy, "sad")]:
        assert react(client, article.pk, choice).status_code == 200
    shown = reaction_counts(ada, article.pk)
    assert shown["happy"] == (2, 67)
    assert shown["sad"] == (1, 33)
    assert shown["angry"] == (0, 0)


def react_twice(first: str, then: str):
    """One reader reacts ``first``, then ``then``: the article and the second answer."""
    article = make_article()
    client = reader_client()
    react(client, article.pk, first)
    return article, react(client, article.pk, then).json()


def test_choosing_another_reaction_moves_it():
    _, answer = react_twice("happy", "angry")
    assert answer["mine"]["reaction"] == "angry"
    shown = {r["key"]: r["count"] for r in answer["counts"]["reactions"]}
    assert shown["happy"] == 0
    assert shown["angry"] == 1


def test_sending_the_same_reaction_again_keeps_it_so_a_retry_is_harmless():
    """A vote states the reader's choice, never a toggle: a retried POST changes nothing."""
    article, answer = react_twice("excited", "excited")
    assert answer["mine"]["reaction"] == "excited"
    assert figures_for(article.pk).reaction_total == 1


def test_a_null_reaction_withdraws_it_and_is_harmless_to_repeat():
    article = make_article()
    client = reader_client()
    react(client, article.pk, "sad")
    for _ in range(2):
        response = client.post(
            f"/api/articles/{article.pk}/reaction/",
            {"reaction": None},
            content_type="application/json",
        )
        assert response.status_code == 200
        assert response.json()["mine"]["reaction"] is None
    assert figures_for(article.pk).reaction_total == 0


def test_delete_withdraws_the_readers_reaction():
    article = make_article()
    client = reader_client()
    react(client, article.pk, "sleepy")
    response = client.delete(f"/api/articles/{article.pk}/reaction/")
    assert response.status_code == 200
    assert response.json()["mine"]["reaction"] is None
    assert figures_for(article.pk).reaction_total == 0


def test_percentages_are_whole_numbers_that_add_up_to_100():
    article = make_article()
    for i, choice in enumerate(["happy", "sad", "excited", "happy", "sad", "angry", "surprise"]):
        react(reader_client(f"198.51.100.{i}"), article.pk, choice)
    percents = [percent for _, percent in reaction_counts(reader_client(), article.pk).values()]
    assert sum(percents) == 100


def test_every_default_reaction_has_an_emoji_and_a_label_as_its_accessible_name(
    client, demo_article
):
    html = client.get(demo_article.get_absolute_url()).content.decode()
    for emoji, label in [
        ("😀", "Happy"),
        ("😢", "Sad"),
        ("🤩", "Excited"),
        ("😴", "Sleepy"),
        ("😠", "Angry"),
        ("😲", "Surprise"),
    ]:
        assert (
            f'<span class="emoji" aria-hidden="true">{emoji}</span> '
            f'<span class="reaction-label">{label}</span></button>'
        ) in html


def test_the_reactions_are_configurable(settings):
    from byline.engagement.conf import parse_reactions

    settings.BYLINE_REACTIONS = parse_reactions("love:❤️:Love,meh:😐:Meh")
    article = make_article()
    assert react(reader_client(), article.pk, "love").status_code == 200
    assert react(reader_client("192.0.2.9"), article.pk, "happy").status_code == 400
    assert [r.label for r in figures_for(article.pk).reactions] == ["Love", "Meh"]


@pytest.mark.parametrize(
    "value", ["wow", "", 3, ["happy"], {"key": "happy"}, "x" * 5000, "ｈａｐｐｙ"]
)
def test_an_unknown_reaction_is_a_clear_400(value):
    article = make_article()
    response = react(reader_client(), article.pk, value)
    assert response.status_code == 400
    assert "happy" in response.json()["error"]["message"]
