"""Markdown as the site's pages need it: Python-Markdown, set up to read like kramdown.

Jekyll renders Markdown with kramdown; the pages were written for it. Tables, heading
ids and fenced code are Python-Markdown extensions; `_ListAfterParagraph` adds the one
kramdown habit the pages rely on that Python-Markdown lacks.
"""

from __future__ import annotations

import re

import markdown
from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown.preprocessors import Preprocessor

_LIST_ITEM = re.compile(r" {0,3}(?:[*+-]|\d{1,9}[.)])[ \t]+\S")


def new_markdown() -> markdown.Markdown:
    """Python-Markdown with tables and heading ids; raw HTML passes through."""
    return markdown.Markdown(
        # Extension objects, not names: names are looked up through package entry
        # points, which costs ~35 ms per build.
        extensions=[TableExtension(), TocExtension(), FencedCodeExtension(), _JekyllLists()],
        output_format="html",
    )


class _JekyllLists(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.register(_ListAfterParagraph(md), "jekyll_lists", 27)


class _ListAfterParagraph(Preprocessor):
    """kramdown (Jekyll) starts a list on the line right after a paragraph; Python-Markdown
    needs a blank line first, or the items run into the paragraph. Add it (not in code)."""

    def run(self, lines: list[str]) -> list[str]:
        result: list[str] = []
        fence, in_list = "", False
        for line in lines:
            stripped = line.lstrip()
            if stripped.startswith(("```", "~~~")) and (not fence or stripped.startswith(fence)):
                fence = "" if fence else stripped[:3]
            item = not fence and _LIST_ITEM.match(line) is not None
            previous = result[-1] if result else ""
            if item and not in_list and previous.strip() and previous[:1] not in " \t":
                result.append("")
            if not fence and (item or (previous == "" and line[:1] not in " \t" and line)):
                in_list = item
            result.append(line)
        return result
