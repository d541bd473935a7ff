"""Atomic writes of single files and whole sites."""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from pathlib import Path

import pytest

from indico_sync.errors import OutputRefused, RenderError
from indico_sync.writer import (
    MARKER,
    Kept,
    check_output_folder,
    safe_join,
    write_site,
    write_text,
)


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
    assert files == [MARKER, "about/index.html", "index.html"]
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


def tree(folder: Path) -> dict[str, bytes | str | None]:
    """Everything under `folder`: file bytes, link targets, folders as None."""
    found: dict[str, bytes | str | None] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = str(path.readlink())
        elif path.is_dir():
            found[name] = None
        else:
            found[name] = path.read_bytes()
    return found


def test_the_marker_says_what_the_folder_is(tmp_path: Path) -> None:
    """Every written site holds the marker that lets the next build replace it."""
    write_site(tmp_path / "out", {"index.html": b"x"})
    assert "indico_sync" in (tmp_path / "out" / MARKER).read_text(encoding="utf-8")
    write_site(tmp_path / "out", {"index.html": b"y"})
    assert (tmp_path / "out" / "index.html").read_bytes() == b"y"


@pytest.mark.parametrize("setup", ["missing", "empty"])
def test_a_missing_or_empty_folder_is_used(tmp_path: Path, setup: str) -> None:
    out = tmp_path / "out"
    if setup == "empty":
        out.mkdir()
    write_site(out, {"index.html": b"x"})
    assert (out / "index.html").read_bytes() == b"x"


def test_a_folder_of_other_files_is_refused_untouched(tmp_path: Path) -> None:
    """A thesis in the output folder: refused, every byte as before, no temp folder left."""
    out = tmp_path / "scratch"
    (out / "sub").mkdir(parents=True)
    (out / "thesis.txt").write_text("data\n")
    (out / "sub" / "notes.md").write_text("notes\n")
    before = tree(tmp_path)
    with pytest.raises(OutputRefused) as caught:
        write_site(out, {"index.html": b"x"})
    assert str(caught.value) == (
        f"refusing to replace {out}: it holds files indico_sync did not write "
        "(sub, thesis.txt); move them away or choose another --out"
    )
    assert tree(tmp_path) == before


def test_a_folder_with_only_an_empty_subfolder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out" / "keep").mkdir(parents=True)
    with pytest.raises(OutputRefused, match=r"did not write \(keep\)"):
        write_site(tmp_path / "out", {"index.html": b"x"})
    assert (tmp_path / "out" / "keep").is_dir()


def test_an_output_from_before_the_marker_is_replaced(tmp_path: Path) -> None:
    """Upgrading: a folder holding only files the last build recorded is ours."""
    out = tmp_path / "_site"
    (out / "about").mkdir(parents=True)
    (out / "index.html").write_text("old")
    (out / "about" / "index.html").write_text("old")
    known = {"index.html", "about/index.html", "feed.xml"}
    write_site(out, {"index.html": b"new"}, known=known)
    assert tree(out) == {MARKER: tree(out)[MARKER], "index.html": b"new"}


def test_an_old_output_with_a_file_added_by_hand_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    (out / "about").mkdir(parents=True)
    (out / "index.html").write_text("old")
    (out / "about" / "mine.txt").write_text("mine")
    before = tree(tmp_path)
    with pytest.raises(OutputRefused, match=r"did not write \(about\)"):
        write_site(out, {"index.html": b"new"}, known={"index.html"})
    assert tree(tmp_path) == before


def test_a_file_as_output_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputRefused, match=r"notes\.txt: it is a file, not a folder"):
        write_site(tmp_path / "notes.txt", {"index.html": b"x"})
    assert tree(tmp_path) == {"notes.txt": b"mine"}


def test_a_symlink_as_output_is_refused(tmp_path: Path) -> None:
    """Replacing a link would swap the link for a folder; refused, target untouched."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputRefused, match="link: it is a symbolic link"):
        write_site(tmp_path / "link", {"index.html": b"x"})
    assert tree(tmp_path) == {"link": str(tmp_path / "real"), "real": None}


def test_a_folder_holding_a_git_repository_is_refused_even_when_marked(tmp_path: Path) -> None:
    """`git init` inside an old output (to push it by hand): its history is not ours."""
    out = tmp_path / "_site"
    write_site(out, {"index.html": b"x"})
    (out / "deep" / ".git").mkdir(parents=True)
    (out / "deep" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = tree(tmp_path)
    with pytest.raises(OutputRefused, match=r"it holds a git repository \(.*deep/\.git\)"):
        write_site(out, {"index.html": b"y"})
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        (".", "it is the current directory"),
        ("..", "it contains the current directory"),
        ("site_src", "it is the site source"),
        ("site_src/..", "it is the current directory"),
        ("templates", "it is the templates folder"),
    ],
)
def test_sources_and_the_current_directory_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, reason: str
) -> None:
    """Even an empty source folder, or one that carries the marker, is never replaced."""
    work = tmp_path / "clone"
    (work / "site_src").mkdir(parents=True)
    (work / "templates").mkdir()
    (work / "site_src" / MARKER).write_text("planted")
    monkeypatch.chdir(work)
    before = tree(tmp_path)
    protect = {"the site source": Path("site_src"), "the templates folder": Path("templates")}
    with pytest.raises(OutputRefused, match=re.escape(f"refusing to replace {out}: {reason}")):
        write_site(Path(out), {"index.html": b"x"}, protect=protect)
    assert tree(tmp_path) == before


def test_home_and_root_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    with pytest.raises(OutputRefused, match="it is your home folder"):
        check_output_folder(tmp_path / "home")
    with pytest.raises(OutputRefused, match="it contains the current directory"):
        check_output_folder(Path("/"))


def test_an_unwritable_place_is_one_error(tmp_path: Path) -> None:
    """/proc refuses new folders: a RenderError naming the folder, not an OSError."""
    with pytest.raises(RenderError, match="cannot write the site to /proc/nope: "):
        write_site(Path("/proc/nope"), {"index.html": b"x"})


def test_a_folder_holding_only_an_unreadable_folder_is_refused(tmp_path: Path) -> None:
    """What cannot be listed cannot be known to be ours: refused."""
    if os.geteuid() == 0:
        pytest.skip("root can read anything")
    locked = tmp_path / "out" / "locked"
    locked.mkdir(parents=True)
    (locked / "mine.txt").write_text("mine")
    locked.chmod(0)
    try:
        with pytest.raises(OutputRefused, match=r"did not write \(locked\)"):
            write_site(tmp_path / "out", {"index.html": b"x"})
    finally:
        locked.chmod(0o755)
    assert (locked / "mine.txt").read_text() == "mine"


def test_a_kept_file_is_linked_from_the_old_output(tmp_path: Path) -> None:
    """`Kept` files are hard links to the previous output's, not rewritten; the returned
    state is each file's size and time as it now is in the output."""
    out = tmp_path / "out"
    write_site(out, {"meetings/a/index.html": b"page a", "index.html": b"old"})
    before = (out / "meetings/a/index.html").stat()
    files = {"meetings/a/index.html": Kept(out / "meetings/a/index.html"), "index.html": b"new"}
    state = write_site(out, files)
    after = (out / "meetings/a/index.html").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (out / "meetings/a/index.html").read_bytes() == b"page a"
    assert (out / "index.html").read_bytes() == b"new"
    assert state == {
        name: ((out / name).stat().st_size, (out / name).stat().st_mtime_ns) for name in files
    }


def test_a_kept_file_is_copied_when_it_cannot_be_linked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Across file systems (EXDEV) the kept file is copied: the same bytes, a new file."""
    out = tmp_path / "out"
    write_site(out, {"page.html": b"kept bytes"})
    before = (out / "page.html").stat()

    def cannot_link(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cannot_link)
    write_site(out, {"page.html": Kept(out / "page.html")})
    assert (out / "page.html").read_bytes() == b"kept bytes"
    assert (out / "page.html").stat().st_ino != before.st_ino


def test_a_kept_link_is_never_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept file swapped for a symbolic link since is not copied through: the build
    fails and the previous output stays."""
    out = tmp_path / "out"
    (tmp_path / "secret").write_text("token")
    write_site(out, {"page.html": b"x"})
    (out / "page.html").unlink()
    (out / "page.html").symlink_to(tmp_path / "secret")

    def cannot_link(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cannot_link)
    with pytest.raises(RenderError, match="cannot write the site"):
        write_site(out, {"page.html": Kept(out / "page.html")})
    assert (out / "page.html").is_symlink()


def test_a_detached_removal_deletes_the_old_output(tmp_path: Path) -> None:
    """With `detach`, the replaced folder is deleted by another process, soon."""
    out = tmp_path / "out"
    write_site(out, {"a/index.html": b"1"})
    write_site(out, {"a/index.html": b"2"}, detach=True)
    assert (out / "a/index.html").read_bytes() == b"2"
    deadline = time.monotonic() + 10
    while len(list(tmp_path.iterdir())) > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def kept_site(out: Path, count: int = 4) -> dict[str, bytes]:
    """`count` pages of the previous output, kept as they are."""
    return {f"p{n}/index.html": Kept(out / f"p{n}/index.html") for n in range(count)}


def test_a_mostly_kept_site_is_updated_in_place(tmp_path: Path) -> None:
    """When most files are kept, only the changed ones are moved into the old output: the
    folder and every kept file stay the same files; a file no longer built is deleted,
    with its folder; the returned state is the folder's."""
    out = tmp_path / "out"
    pages = {f"p{n}/index.html": f"page {n}".encode() for n in range(4)}
    first = write_site(out, {**pages, "index.html": b"old", "gone/index.html": b"g"})
    folder, kept = out.stat().st_ino, (out / "p1/index.html").stat().st_ino
    files = {**kept_site(out), "index.html": b"new", "new/deep/index.html": b"n"}
    state = write_site(out, files, previous=first)
    assert out.stat().st_ino == folder and (out / "p1/index.html").stat().st_ino == kept
    assert (out / "index.html").read_bytes() == b"new"
    assert (out / "new/deep/index.html").read_bytes() == b"n"
    assert not (out / "gone").exists() and (out / MARKER).is_file()
    on_disk = {
        str(p.relative_to(out)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in out.rglob("*")
        if p.is_file() and p.name != MARKER
    }
    assert state == on_disk and sorted(tmp_path.iterdir()) == [out]


def test_unchanged_bytes_are_not_rewritten_in_place(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = write_site(out, {**{k: b"x" for k in kept_site(out)}, "feed.xml": b"same"})
    before = (out / "feed.xml").stat()
    write_site(out, {**kept_site(out), "feed.xml": b"same"}, previous=first)
    after = (out / "feed.xml").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_failed_update_in_place_puts_everything_back(tmp_path: Path) -> None:
    """A step that fails half-way (a file where a folder must go) undoes the files
    already moved: the old output is byte for byte as it was, nothing is left over."""
    out = tmp_path / "out"
    old = {**{k: b"x" for k in kept_site(out)}, "index.html": b"old", "a.html": b"a"}
    first = write_site(out, old)
    files = {"index.html": b"new", "fresh/page.html": b"f", **kept_site(out)}
    files["a.html/b.html"] = b"needs a.html to be a folder"
    with pytest.raises(RenderError, match="cannot write the site"):
        write_site(out, files, previous=first)
    on_disk = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert on_disk == {**old, MARKER: (out / MARKER).read_bytes()}
    assert not (out / "fresh").exists() and sorted(tmp_path.iterdir()) == [out]


def test_a_site_with_few_kept_files_is_swapped_in_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = write_site(out, {"a.html": b"1", "b.html": b"2", "c.html": b"3"})
    folder = out.stat().st_ino
    files = {"a.html": Kept(out / "a.html"), "b.html": b"longer", "c.html": b"too"}
    write_site(out, files, previous=first)
    assert out.stat().st_ino != folder and (out / "b.html").read_bytes() == b"longer"
