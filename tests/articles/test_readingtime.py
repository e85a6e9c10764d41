"""Reading time is a pure function of the rendered text."""

import pytest

from byline.articles.readingtime import (
    humanize,
    image_seconds,
    iso_duration,
    reading_seconds,
    text_stats,
)


def words(n: int) -> str:
    return " ".join(["word"] * n)


def test_prose_is_read_at_238_words_a_minute_by_default():
    """238 words take one minute."""
    assert reading_seconds(f"<p>{words(238)}</p>") == 60
    assert reading_seconds(f"<p>{words(119)}</p>") == 30


def test_the_rate_is_configurable():
    assert reading_seconds(f"<p>{words(200)}</p>", words_per_minute=200) == 60


def test_markup_is_not_counted_as_words():
    """Tags, attributes and entity names add nothing; only the text counts."""
    html = (
        '<p class="lots of words here">'
        '<a href="/x/y/z" title="more words">one</a> two&nbsp;three</p>'
    )
    assert text_stats(html).words == 3


def test_adjacent_blocks_do_not_merge_words():
    assert text_stats("<p>one</p><p>two</p><li>three</li>").words == 3


def test_scripts_and_styles_are_not_read():
    assert text_stats("<p>one</p><script>var a = 1;</script><style>p{}</style>").words == 1


def test_images_add_twelve_seconds_then_one_less_each_down_to_three():
    """Medium's rule: 12, 11, 10, ... 3, and 3 for every image after the tenth."""
    assert image_seconds(0) == 0
    assert image_seconds(1) == 12
    assert image_seconds(2) == 12 + 11
    assert image_seconds(10) == sum(range(3, 13))
    assert image_seconds(12) == sum(range(3, 13)) + 3 + 3
    assert reading_seconds('<p><img src="a.png" alt="a"><img src="b.png" alt="b"></p>') == 23


def test_cjk_text_is_read_at_500_characters_a_minute():
    """Chinese, Japanese and Korean are counted by character, not by word."""
    assert reading_seconds("<p>" + "漢" * 500 + "</p>") == 60
    assert reading_seconds("<p>" + "あ" * 250 + "</p>") == 30
    assert reading_seconds("<p>" + "한" * 500 + "</p>", cjk_chars_per_minute=250) == 120


def test_mixed_scripts_add_up():
    html = f"<p>{words(238)} " + "中" * 500 + "</p>"
    assert reading_seconds(html) == 120


def test_durations_are_written_for_people_and_for_machines():
    assert humanize(275) == "4 minutes, 35 seconds"
    assert humanize(61) == "1 minute, 1 second"
    assert humanize(45) == "45 seconds"
    assert iso_duration(275) == "PT4M35S"
    assert iso_duration(45) == "PT45S"
    assert iso_duration(3725) == "PT1H2M5S"


@pytest.mark.django_db
def test_the_seed_article_reads_in_4_minutes_38_seconds(demo_article):
    """The demo article: 1,104 words at 238 a minute, no images."""
    assert demo_article.word_count == 1104
    assert demo_article.reading_seconds == 278
    assert demo_article.reading_time_text == "4 minutes, 38 seconds"
