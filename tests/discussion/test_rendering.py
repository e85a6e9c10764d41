"""Comment bodies: paragraphs, autolinks and a little markup, sanitized with nh3."""

from byline.discussion.markup import render_body


def test_paragraphs_and_line_breaks():
    """A blank line starts a paragraph; a single newline is a line break."""
    assert render_body("One\ntwo\n\nThree") == "<p>One<br>two</p><p>Three</p>"


def test_urls_are_linked_with_nofollow_ugc():
    """Bare http(s) URLs become links; trailing punctuation stays outside."""
    html = render_body("See https://example.org/a?b=1&c=2.")
    assert html == (
        '<p>See <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
        "https://example.org/a?b=1&amp;c=2</a>.</p>"
    )


def test_a_little_markup_is_kept_and_the_rest_stripped():
    """em, strong, code and blockquote stay; i/b are mapped; anything else goes."""
    html = render_body(
        "<i>a</i> <b>b</b> <code>c</code> <blockquote>q</blockquote> <img src=x onerror=alert(1)>"
        ' <a href="javascript:alert(1)">link</a> <script>alert(1)</script>'
    )
    assert "<em>a</em>" in html and "<strong>b</strong>" in html
    assert "<code>c</code>" in html and "<blockquote>q</blockquote>" in html
    for bad in ("<img", "onerror", "javascript:", "<script", "alert(1)</"):
        assert bad not in html


def test_javascript_urls_are_never_linked():
    """Only http and https are autolinked."""
    assert "<a" not in render_body("javascript:alert(1) data:text/html,x")


def test_control_characters_are_removed():
    """Terminal escapes (each sequence whole) and other control characters do not reach
    the page."""
    assert render_body("a\x1b[31mred\x07") == "<p>ared</p>"


def test_an_address_in_angle_brackets_is_kept():
    """Plain-text writing puts a web or e-mail address in angle brackets: the address is
    what the reader meant to share, so it stays (linked, for a web address), never
    dropped as if it were an HTML tag."""
    html = render_body(
        "Sources: <https://example.org/report?id=7&x=1>, write to <desk@paper.example>."
    )
    assert html == (
        '<p>Sources: &lt;<a href="https://example.org/report?id=7&amp;x=1" '
        'rel="nofollow ugc noopener">https://example.org/report?id=7&amp;x=1</a>&gt;, '
        "write to &lt;desk@paper.example&gt;.</p>"
    )
