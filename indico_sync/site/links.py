"""Site URLs and HTML snippets: where a URL is written, links under the baseurl, excerpts.

Pure string functions shared by the pages (`pages.py`) and the site (`render.py`).
"""

from __future__ import annotations

import html
import re

from indico_sync.untrusted import one_line

_ROOT_LINK = re.compile(r"""(\s(?:href|src)=["'])/(?!/)""")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
_TAG = re.compile(r"<[^>]*>")


def url_to_path(url: str) -> str:
    """The output file for a site URL: `/about/` -> `about/index.html`."""
    return url[1:] + "index.html" if url.endswith("/") else url[1:]


def prefix_root_links(html_text: str, baseurl: str) -> str:
    """`href="/about/"` -> `href="/wg-site/about/"`; `//host` and relative links stay."""
    if not baseurl:
        return html_text
    return _ROOT_LINK.sub(lambda match: f"{match[1]}{baseurl}/", html_text)


def excerpt(html_text: str, *, limit: int = 300) -> str:
    """Plain text of the first paragraph, for summaries and meta descriptions."""
    match = _FIRST_PARAGRAPH.search(html_text)
    text = one_line(html.unescape(_TAG.sub("", match[1]))) if match else ""
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
