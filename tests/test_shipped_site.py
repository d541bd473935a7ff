"""The shipped example content builds with each optional config key left out.

The README's configuration table is the list of keys: every key whose default is not
"required" is removed in turn from a copy of the example site's `_config.yml` (and all
of them at once), and its pages, posts and snapshot are built from the copy in a
temporary folder. The example is `tests/fixtures/site`, a copy of the shipped
`site_src/`: a group's own site may rely on any key it sets.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import EXAMPLE_SITE

from indico_sync.site.build import build

ROOT = Path(__file__).parent.parent
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def optional_keys() -> list[str]:
    """`indico.timeout`, `indico.sources[].subcategories`, ...: the README's optional keys."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1]
    table = next(block for block in section.split("\n\n") if block.startswith("| key |"))
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", table, re.MULTILINE)
    return [key for key, default in rows if default.strip() != "required"]


def without(data: Any, dotted: str) -> Any:
    """`data` with the key at `dotted` removed; `name[]` means every item of that list."""
    head, _, rest = dotted.partition(".")
    if not isinstance(data, dict):
        return data
    if head.endswith("[]"):
        items = data.get(head[:-2])
        if isinstance(items, list):
            return {**data, head[:-2]: [without(item, rest) for item in items]}
        return data
    if not rest:
        return {key: value for key, value in data.items() if key != head}
    return {**data, head: without(data[head], rest)} if head in data else data


def test_the_readme_lists_the_optional_keys() -> None:
    """The table is found and holds the keys the shipped content could depend on."""
    keys = optional_keys()
    assert {"timezone", "url", "baseurl", "indico.default_type"} <= set(keys)
    assert "indico.sources" not in keys


@pytest.mark.parametrize("key", [*optional_keys(), "all"])
def test_the_shipped_content_builds_without_an_optional_key(tmp_path: Path, key: str) -> None:
    """Removing an optional key from _config.yml never breaks the example pages."""
    source = tmp_path / "site_src"
    shutil.copytree(EXAMPLE_SITE, source)
    config = yaml.safe_load((source / "_config.yml").read_text(encoding="utf-8"))
    for dotted in optional_keys() if key == "all" else [key]:
        config = without(config, dotted)
    (source / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = build(source, tmp_path / "_site", templates=ROOT / "templates", now=NOW)
    assert result.pages >= 4
    assert (tmp_path / "_site" / "index.html").is_file()


def test_the_shipped_pages_link_to_the_configured_category(tmp_path: Path) -> None:
    """Another Indico and category, set once in indico.sources, is where Home links."""
    source = tmp_path / "site_src"
    shutil.copytree(EXAMPLE_SITE, source)
    config = yaml.safe_load((source / "_config.yml").read_text(encoding="utf-8"))
    config["indico"]["sources"] = [{"url": "http://127.0.0.1:8000/", "category": 5}]
    (source / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (source / "ids.md").write_text("---\ntitle: Ids\n---\nid {{ site.indico_category_id }}\n")
    build(source, tmp_path / "_site", templates=ROOT / "templates", now=NOW)
    home = (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")
    assert '<a href="http://127.0.0.1:8000/category/5/">Indico category</a>' in home
    assert "indico.cern.ch/category" not in home
    assert "<p>id 5</p>" in (tmp_path / "_site" / "ids" / "index.html").read_text("utf-8")
