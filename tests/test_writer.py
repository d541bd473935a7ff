"""Atomic writes of single files and whole sites."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from indico_sync.errors import RenderError
from indico_sync.writer import safe_join, write_site, write_text


def test_write_text_replaces_atomically(tmp_path: Path) -> None:
    """The file holds the new text and no temporary file is left behind."""
    target = tmp_path / "data" / "meetings.yml"
    write_text(target, "one\n")
    write_text(target, "two ø\n")
    assert target.read_bytes() == "two ø\n".encode()
    assert sorted(p.name for p in target.parent.iterdir()) == ["meetings.yml"]


def test_write_site_replaces_the_whole_folder(tmp_path: Path) -> None:
    """Stale files from the previous build disappear; new ones appear."""
    out = tmp_path / "_site"
    write_site(out, {"index.html": b"old", "old/page.html": b"x"})
    write_site(out, {"index.html": b"new", "about/index.html": b"a"})
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["about/index.html", "index.html"]
    assert (out / "index.html").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


@pytest.mark.parametrize("name", ["../x.html", "/etc/passwd", "a/../../b", "", "a\\..\\b"])
def test_paths_outside_the_output_are_refused(tmp_path: Path, name: str) -> None:
    """A hostile permalink cannot write outside the output folder."""
    out = tmp_path / "_site"
    write_site(out, {"index.html": b"previous"})
    with pytest.raises(RenderError, match="outside the output folder"):
        write_site(out, {"index.html": b"new", name: b"evil"})
    assert (out / "index.html").read_bytes() == b"previous"
    with pytest.raises(RenderError):
        safe_join(out, name)


def test_failed_write_leaves_previous_site(tmp_path: Path) -> None:
    """A write that fails half-way (a file where a folder must go) keeps the old site."""
    out = tmp_path / "_site"
    write_site(out, {"index.html": b"previous"})
    with pytest.raises(RenderError, match="cannot write the site"):
        write_site(out, {"a": b"file", "a/b.html": b"needs a to be a folder"})
    assert (out / "index.html").read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """Not the private modes of temporary files: a web server must read the site."""
    old = os.umask(0o022)
    try:
        write_site(tmp_path / "out", {"index.html": b"x", "about/index.html": b"y"})
        write_text(tmp_path / "meetings.yml", "new\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "out/about").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "out/index.html").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "meetings.yml").stat().st_mode) == 0o644


def test_write_text_keeps_the_files_permissions(tmp_path: Path) -> None:
    path = tmp_path / "meetings.yml"
    path.write_text("old\n")
    path.chmod(0o640)
    write_text(path, "new\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "new\n"
