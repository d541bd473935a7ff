"""The repository as a template: set up for another group, its own test suite stays green.

A group copies the repository and replaces the example with its own Indico, category,
`baseurl`, snapshot and pages. The tests build fixtures (`tests/fixtures/site`,
`tests/golden/source`), never `site_src/`, so none of that may turn them red: this test
copies the files git knows, sets the copy up as a group would, and runs the suite there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import REPO, meeting

from indico_sync.site.build import build
from indico_sync.snapshot import render_snapshot

INDICO = "http://127.0.0.1:8000"
GROUP_CONFIG = f"""\
title: Flavour Physics WG
description: Another working group, set up from the template.
url: https://flavour-wg.github.io
baseurl: /flavour-site
timezone: America/Chicago
github_username: flavour-wg
indico:
  sources:
    - url: {INDICO}
      category: 27
      subcategories: true
"""
HOME = """\
---
layout: home
title: Home
order: 1
---
We study flavour. See [who we are](/about/).

{% include meetings.html %}
"""
ABOUT = "---\nlayout: page\ntitle: About\npermalink: /about/\norder: 2\n---\n# Contact\nUs.\n"
POST = "---\ntitle: Our site is live\n---\nHello from {{ site.title }}.\n"
# What the nested run leaves out: the browser and live tests, the workflow checks (none
# reads the site, and together they take most of the suite's time) and this file itself.
SUBSET = [
    "-m",
    "not browser and not live",
    "--ignore=tests/test_workflows.py",
    "--ignore=tests/test_template.py",
]


def copy_repository(dest: Path) -> Path:
    """The files git tracks (plus new, unignored ones), as `Use this template` would copy them."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"needs a git work tree of the repository: {exc}")
    for name in listed.decode("utf-8").split("\0"):
        if name and (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


def set_up_for_group(root: Path) -> None:
    """Another Indico and category, a baseurl, a new snapshot, new pages and posts."""
    source = root / "site_src"
    (source / "_config.yml").write_text(GROUP_CONFIG, encoding="utf-8")
    (source / "index.md").write_text(HOME, encoding="utf-8")
    (source / "about.md").write_text(ABOUT, encoding="utf-8")
    shutil.rmtree(source / "_posts")
    (source / "_posts").mkdir()
    (source / "_posts" / "2026-12-01-live.md").write_text(POST, encoding="utf-8")
    zone = ZoneInfo("America/Chicago")
    meetings = [
        meeting(
            event,
            start,
            source=f"{INDICO}/category/27",
            url=f"{INDICO}/event/{event}/",
            category_id=27,
        )
        for event, start in [
            (101, datetime(2026, 3, 5, 10, tzinfo=zone)),
            (102, datetime(2026, 3, 5, 14, tzinfo=zone)),
            (103, datetime(2027, 1, 5, 9, tzinfo=zone)),
        ]
    ]
    (source / "_data" / "meetings.yml").write_text(render_snapshot(meetings), encoding="utf-8")


def test_a_copy_set_up_for_another_group_passes_its_tests(tmp_path: Path) -> None:
    """Another group's config, baseurl, snapshot and pages: the copy's suite still passes."""
    root = copy_repository(tmp_path / "repo")
    set_up_for_group(root)
    out = tmp_path / "group_site"
    result = build(
        root / "site_src", out, templates=root / "templates", now=datetime(2026, 12, 2, tzinfo=UTC)
    )
    assert result.meetings == 3  # the group's own site is valid and is not the example
    assert '<a href="/flavour-site/about/">About</a>' in (out / "index.html").read_text("utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("INDICO_", "PYTEST_"))}
    env["PYTHONPATH"] = str(root)  # the copy's own indico_sync, not the installed one
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUBSET]
    command.append(f"--basetemp={tmp_path / 'nested'}")
    nested = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    report = nested.stdout[-3000:] + nested.stderr[-2000:]
    assert nested.returncode == 0, report
    passed = re.search(r"(\d+) passed", nested.stdout)
    assert passed is not None and int(passed.group(1)) > 100, report
