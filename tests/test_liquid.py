"""Liquid in page bodies: line numbers in errors, and text without Liquid left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from indico_sync.errors import ContentError
from indico_sync.site.liquid import fill_liquid


def test_fill_liquid_counts_lines_across_multi_line_tags() -> None:
    """Line numbers stay right after a tag that spans lines."""
    with pytest.raises(ContentError, match=r"x\.md:12: "):
        fill_liquid(
            "{{ site.a\n}}\n{{ site.b }}\n", {"site": {"a": 1}}, where=Path("x.md"), first_line=10
        )


def test_text_without_liquid_is_returned_as_is() -> None:
    """Fast path: no braces, no work."""
    text = "plain {text} only\n"
    assert fill_liquid(text, {}, where=Path("x.md"), first_line=1) is text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Welcome to {{ site.title\n",
            r"^x\.md:10: '\{\{ site\.title' is not closed: expected \}\}",
        ),
        (
            "{{ site.a }}\n\nsee {% include meetings.html",
            r"^x\.md:12: '\{% include meetings\.html' is not closed: expected %\}",
        ),
        ("{{ site.a }} and {{ site.a\n}} then\n{{", r"^x\.md:12: '\{\{' is not closed"),
        ("a\n{{ " + "x" * 60, r"^x\.md:11: '\{\{ x{37}\.\.\.' is not closed"),
    ],
)
def test_an_unclosed_tag_is_an_error_with_file_and_line(body: str, expected: str) -> None:
    """An unclosed `{{` or `{%` is not copied into the page: it names the file and line."""
    with pytest.raises(ContentError, match=expected):
        fill_liquid(body, {"site": {"a": 1}}, where=Path("x.md"), first_line=10)


def test_braces_that_are_not_liquid_are_left_alone() -> None:
    """Single braces and a closed tag are fine; only `{{`/`{%` must close."""
    body = "{a} { b } }} %} {{ site.a }}\n"
    assert fill_liquid(body, {"site": {"a": 1}}, where=Path("x.md"), first_line=1) == (
        "{a} { b } }} %} 1\n"
    )
