"""``url_for`` and ``{% load links %}``: the addresses ``reverse()`` and ``{% url %}`` give,
reversing each URL name once."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from byline.links import url_for


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("articles:detail", "a-plain-slug_2"),
        ("articles:detail", "ünïcode-slug"),  # quoted by reverse(), as before
        ("articles:detail", "a slug with spaces?"),
        ("articles:section", 12),
        ("articles:tag", "x"),
        ("engagement:counts", 42),
        ("discussion:comment", 0),
        ("articles:home", None),
        ("articles:search", None),
    ],
)
def test_the_same_address_as_reverse(name, value):
    expected = reverse(name) if value is None else reverse(name, args=[value])
    assert url_for(name, value) == expected
    assert url_for(name, value) == expected  # and again, from what it kept


def test_the_same_errors_as_reverse():
    with pytest.raises(NoReverseMatch):
        url_for("engagement:counts", "not-a-number")  # an int converter
    with pytest.raises(NoReverseMatch):
        url_for("articles:detail", "")
    with pytest.raises(NoReverseMatch):
        url_for("articles:detail", "a/b")
    with pytest.raises(NoReverseMatch):
        url_for("articles:home", 3)


def test_each_script_prefix_has_its_own_addresses():
    plain = url_for("articles:detail", "story")
    set_script_prefix("/news/")
    try:
        assert url_for("articles:detail", "story") == "/news" + plain
    finally:
        set_script_prefix("/")
    assert url_for("articles:detail", "story") == plain


@pytest.mark.parametrize(
    "tag",
    [
        "{% url 'articles:detail' value %}",
        "{% url 'articles:detail' slug=value %}",
        "{% url 'articles:home' %}",
        "{% url 'engagement:counts' number %}",
        "{% url 'articles:detail' value as link %}[{{ link }}]",
        "{% url 'engagement:counts' value as link %}[{{ link }}]",  # no match: empty
        "{% url 'articles:detail' odd %}",
    ],
)
def test_the_url_tag_writes_what_djangos_writes(tag):
    context = {"value": "a-story", "number": 7, "odd": "a&b c"}
    ours = Template("{% load links %}" + tag).render(Context(context))
    djangos = Template(tag).render(Context(context))
    assert ours == djangos
