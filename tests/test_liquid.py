"""Liquid in page bodies: line numbers in errors, and text without Liquid left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from indico_sync.errors import ContentError
from indico_sync.liquid import fill_liquid


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
