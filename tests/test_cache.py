"""The build cache: a rebuild with nothing changed does nothing, any change rebuilds."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import EXAMPLE_SITE, TEMPLATES, retitle

from indico_sync.site.build import build
from indico_sync.site.cache import load_manifest, manifest_path, now_span
from indico_sync.snapshot import load_snapshot

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE_SITE, tmp_path / "site_src")
    return tmp_path / "site_src"


def stamp(out: Path) -> int:
    return (out / "index.html").stat().st_mtime_ns


def test_unchanged_rebuild_leaves_the_output_alone(site: Path, tmp_path: Path) -> None:
    """Same inputs, same "now" span: the second build writes nothing."""
    out = tmp_path / "_site"
    first = build(site, out, templates=TEMPLATES, now=NOW)
    before = stamp(out)
    again = build(site, out, templates=TEMPLATES, now=NOW + timedelta(hours=1))
    assert again == first and stamp(out) == before
    assert load_manifest(out) is not None


@pytest.mark.parametrize("change", ["page", "output", "now"])
def test_any_change_rebuilds(site: Path, tmp_path: Path, change: str) -> None:
    """An edited page, a damaged output folder or a meeting that started: a real build."""
    out = tmp_path / "_site"
    build(site, out, templates=TEMPLATES, now=NOW)
    before = stamp(out)
    now = NOW
    if change == "page":
        (site / "about.md").write_text("---\nlayout: page\ntitle: About\n---\nNew text\n")
    elif change == "output":
        (out / "about" / "index.html").unlink()
    else:
        now = datetime(2021, 1, 5, tzinfo=UTC)  # before the seed meeting: it is upcoming
    build(site, out, templates=TEMPLATES, now=now)
    assert stamp(out) != before
    assert (out / "about" / "index.html").exists()


@pytest.mark.parametrize(
    "change",
    ["file in a meeting folder", "folder", "hidden file", "page made a link", "folder made a file"],
)
def test_anything_added_or_replaced_in_the_output_is_seen_without_listing_it(
    tmp_path: Path, change: str
) -> None:
    """The output is checked by the recorded files' and folders' states, looked up by path
    (`cache.untouched`): a file or folder added anywhere, even a hidden one, or a file or
    folder replaced by another kind, makes the next build with the same inputs a real one,
    which gives exactly what a cold build gives."""
    source, out = tmp_path / "src", tmp_path / "_site"
    shutil.copytree(GOLDEN_SOURCE, source)
    build(source, out, templates=TEMPLATES, now=NOW)
    manifest = load_manifest(out)
    assert manifest is not None and "" in manifest.folders and "meetings" in manifest.folders
    meeting = next(p for p in (out / "meetings").iterdir() if p.is_dir())
    if change == "file in a meeting folder":
        (meeting / "notes.html").write_text("added by hand")
    elif change == "folder":
        (out / "drafts").mkdir()
    elif change == "hidden file":
        (meeting / ".hidden").write_text("added by hand")
    elif change == "page made a link":
        page = meeting / "index.html"
        target = tmp_path / "elsewhere.html"
        target.write_bytes(page.read_bytes())
        page.unlink()
        page.symlink_to(target)
        folder = meeting.relative_to(out).as_posix()
        os.utime(meeting, ns=(0, manifest.folders[folder]))  # only the page tells it now
    else:
        about = out / "about"
        shutil.rmtree(about)
        about.write_text("a file now")
    again = build(source, out, templates=TEMPLATES, now=NOW)
    assert not again.fresh
    cold = tmp_path / "cold"
    build(source, cold, templates=TEMPLATES, now=NOW)
    assert contents(out) == contents(cold)


def contents(folder: Path) -> dict[str, bytes]:
    """Every entry under `folder` by path: a file's bytes, or its kind."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() and not p.is_symlink()
        else b"link" if p.is_symlink() else b"folder"
        for p in sorted(folder.rglob("*"))
    }  # fmt: skip


def test_an_output_recorded_by_an_earlier_version_is_still_found_untouched(
    site: Path, tmp_path: Path
) -> None:
    """A manifest without the folders' times (written before they were recorded) has the
    output walked instead: unchanged, the rebuild still writes nothing."""
    out = tmp_path / "_site"
    build(site, out, templates=TEMPLATES, now=NOW)
    path = manifest_path(out)
    data = json.loads(path.read_text())
    del data["folders"]
    path.write_text(json.dumps(data))
    before = stamp(out)
    assert build(site, out, templates=TEMPLATES, now=NOW).fresh and stamp(out) == before
    (out / "drafts.html").write_text("added by hand")  # (an empty folder the walk missed)
    assert not build(site, out, templates=TEMPLATES, now=NOW).fresh


def test_now_span_is_bounded_by_the_nearest_meeting_edges() -> None:
    """The output stays valid from the last start/end before now to the next one."""
    (meeting,) = load_snapshot(EXAMPLE_SITE)
    during = meeting.start + timedelta(minutes=10)
    assert now_span([meeting], during) == (meeting.start.timestamp(), meeting.end.timestamp())
    start, end = now_span([meeting], NOW)
    assert start == datetime(2026, 1, 2, tzinfo=UTC).timestamp()
    assert end == datetime(2026, 12, 31, tzinfo=UTC).timestamp()


def test_fingerprint_never_follows_a_link_or_reads_a_special_file(tmp_path: Path) -> None:
    """/dev/zero as site_src/zero.bin made the cache read until MemoryError; a FIFO would
    block. A link counts by its target's name, a FIFO by its type."""
    from indico_sync.site.cache import fingerprint

    folder = tmp_path / "site_src"
    folder.mkdir()
    (folder / "zero.bin").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe")
    first = fingerprint([folder], skip=None)
    (folder / "zero.bin").unlink()
    (folder / "zero.bin").symlink_to("/dev/null")
    assert fingerprint([folder], skip=None) != first


def test_converted_pages_are_reused_only_for_the_same_text_and_config(
    site: Path, tmp_path: Path
) -> None:
    """A rebuild takes each page's converted Markdown from the last build when its text,
    the config and the code are the same; a change to any of them converts it again."""
    out = tmp_path / "_site"
    page = site / "notes.md"
    page.write_text("---\ntitle: Notes\n---\nWelcome to *{{ site.title }}*.\n")
    build(site, out, templates=TEMPLATES, now=NOW)
    manifest = load_manifest(out)
    assert manifest is not None and len(manifest.converted) >= 3  # index, about, notes
    html = (out / "notes" / "index.html").read_text()
    assert "Welcome to <em>GNN ML WG</em>" in html
    config = site / "_config.yml"
    config.write_text(config.read_text().replace("title: GNN ML WG", "title: ML WG"))
    build(site, out, templates=TEMPLATES, now=NOW)
    assert "Welcome to <em>ML WG</em>" in (out / "notes" / "index.html").read_text()
    page.write_text("---\ntitle: Notes\n---\nGoodbye.\n")
    build(site, out, templates=TEMPLATES, now=NOW)
    assert "<p>Goodbye.</p>" in (out / "notes" / "index.html").read_text()
    cold = tmp_path / "cold"
    build(site, cold, templates=TEMPLATES, now=NOW)
    assert (cold / "notes" / "index.html").read_bytes() == (out / "notes/index.html").read_bytes()


GOLDEN_SOURCE = Path(__file__).parent / "golden" / "source"


def mark_entries(path: Path, mark: Callable[[str], str]) -> dict[str, str]:
    """A cache file's entries (`cache.RowFile`) as the build wrote them; the file rewritten
    with each one marked, to see which the next build takes."""
    from indico_sync.site.cache import RowFile, row_entry

    entries = dict(RowFile(path))
    path.write_bytes(b"".join(row_entry(key, mark(text)) for key, text in entries.items()))
    return entries


@pytest.mark.parametrize("damage", ["none", "rows file", "output"])
def test_home_rows_are_taken_from_the_last_build_only_beside_its_untouched_output(
    tmp_path: Path, damage: str
) -> None:
    """A rebuild takes each unchanged meeting's row on Home from `.<out>.rows` (shown by
    a row edited there), makes the changed meeting's row anew, and gives exactly what a
    cold build gives when the file is as written. A damaged rows file is ignored, and so
    is the file when the output folder was changed by hand."""
    from indico_sync.site.cache import rows_path

    source, out = tmp_path / "src", tmp_path / "_site"
    shutil.copytree(GOLDEN_SOURCE, source)
    build(source, out, templates=TEMPLATES, now=NOW)
    rows = rows_path(out)
    entries = mark_entries(rows, lambda html: html.replace("<tr", "<tr data-kept", 1))
    assert len(entries) >= 5 and all(html.startswith("<tr") for html in entries.values())
    if damage == "rows file":
        rows.write_bytes(b"not a row\n" + rows.read_bytes())
    elif damage == "output":
        (out / "about" / "index.html").write_text("edited by hand")
    retitle(source, "GNN ML WG meeting #42", "GNN ML WG meeting #42 (moved)")
    build(source, out, templates=TEMPLATES, now=NOW)
    home = (out / "index.html").read_text()
    kept = home.count("<tr data-kept")
    if damage == "none":
        assert kept == len(entries) - 3  # the retitled one and its neighbours (their page keys)
        assert "meeting #42 (moved)" in home
    else:
        assert kept == 0
        cold = tmp_path / "cold"
        build(source, cold, templates=TEMPLATES, now=NOW)
        assert home == (cold / "index.html").read_text()


def test_the_rows_file_gives_back_what_was_written_and_nothing_damaged(tmp_path: Path) -> None:
    """Rows with line breaks and any text come back as written; a row whose bytes were
    changed or cut off since is missing (made again), and a file in another format is
    not read at all."""
    from indico_sync.site.cache import RowFile, load_rows, row_entry, rows_path

    out = tmp_path / "_site"
    path = rows_path(out)
    rows = {"a1": "<tr>\n<td>Søgaard</td>\n</tr>", "c3": "", "b2+next": "<tr> 7 \n\n</tr>"}
    path.write_bytes(b"".join(row_entry(key, html) for key, html in rows.items()))
    assert dict(RowFile(path)) == rows
    data = path.read_bytes()
    path.write_bytes(data.replace(b"b2+next", b"b2+nexx"))
    assert "b2+next" not in load_rows(out)
    path.write_bytes(data[:-3])  # cut off in the last row
    assert set(load_rows(out)) == {"a1", "b2+next", "c3"}
    assert load_rows(out)["c3"] == ""
    with pytest.raises(KeyError):
        load_rows(out)["b2+next"]
    path.write_bytes(b'["a1","<tr></tr>"]\n')  # the JSON lines of earlier versions
    assert load_rows(out) == {}


@pytest.mark.parametrize("change", [False, True])
def test_an_output_with_a_git_repository_inside_is_refused_on_rebuild(
    site: Path, tmp_path: Path, change: bool
) -> None:
    """A git repository put anywhere inside the output is found by the rebuild's one walk
    of it (with or without a change to build), refused, and left as it is."""
    from indico_sync.errors import OutputRefused

    out = tmp_path / "_site"
    build(site, out, templates=TEMPLATES, now=NOW)
    head = out / "about" / ".git" / "HEAD"
    head.parent.mkdir()
    head.write_text("ref: refs/heads/main\n")
    if change:
        (site / "about.md").write_text("---\nlayout: page\ntitle: About\n---\nNew text\n")
    with pytest.raises(OutputRefused, match="holds a git repository"):
        build(site, out, templates=TEMPLATES, now=NOW)
    assert head.read_text() == "ref: refs/heads/main\n"


@pytest.mark.parametrize("manifest", ["as written", "from an earlier version"])
def test_a_rebuild_knows_unchanged_files_by_the_hashes_the_last_build_recorded(
    tmp_path: Path, manifest: str
) -> None:
    """The manifest records a hash of each file written from bytes (not the meeting
    pages, staged or linked). A rebuild beside an untouched output trusts them as it
    trusts the files' sizes and times: a page with the recorded hash is not read again
    (shown by a page changed behind the manifest's back, its size and time kept). A
    manifest without hashes has the files compared; either way the rebuild leaves each
    unchanged file as it was and gives what a cold build gives."""
    import hashlib

    source, out = tmp_path / "src", tmp_path / "_site"
    shutil.copytree(GOLDEN_SOURCE, source)
    build(source, out, templates=TEMPLATES, now=NOW)
    found = load_manifest(out)
    assert found is not None
    for name in ("404.html", "about/index.html", "feed.xml", "sitemap.xml"):
        data = (out / name).read_bytes()
        assert found.digests[name] == hashlib.blake2b(data, digest_size=16).hexdigest()
    assert not [name for name in found.digests if name.startswith("meetings/")]
    if manifest == "from an earlier version":
        path = manifest_path(out)
        data = json.loads(path.read_text())
        del data["digests"]
        path.write_text(json.dumps(data))
    page = out / "404.html"
    info = page.stat()
    page.write_bytes(b"-" * info.st_size)
    os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))
    about = (out / "about" / "index.html").stat()
    retitle(source, "GNN ML WG meeting #42", "GNN ML WG meeting #42 (moved)")
    build(source, out, templates=TEMPLATES, now=NOW)
    trusted = page.read_bytes() == b"-" * info.st_size
    assert trusted == (manifest == "as written")
    after = (out / "about" / "index.html").stat()
    assert (after.st_ino, after.st_mtime_ns) == (about.st_ino, about.st_mtime_ns)
    cold = tmp_path / "cold"
    build(source, cold, templates=TEMPLATES, now=NOW)
    for path in cold.rglob("*"):
        if path.is_file() and path.name != "404.html":
            assert (out / path.relative_to(cold)).read_bytes() == path.read_bytes(), path


@pytest.mark.parametrize("damage", ["none", "events file", "output"])
def test_calendar_events_are_taken_from_the_last_build_only_beside_its_untouched_output(
    tmp_path: Path, damage: str
) -> None:
    """A rebuild takes each unchanged meeting's VEVENT from `.<out>.events` (shown by an
    event edited there) without reading the meeting's talks, writes the changed meeting's
    anew, and gives exactly a cold build's calendar when the file is as written. A damaged
    file is ignored, and so is the file when the output folder was changed by hand."""
    from indico_sync.site.cache import events_path

    source, out = tmp_path / "src", tmp_path / "_site"
    shutil.copytree(GOLDEN_SOURCE, source)
    build(source, out, templates=TEMPLATES, now=NOW)
    events = events_path(out)
    entries = mark_entries(events, lambda event: event.replace("\r\n", "\r\nX-KEPT:1\r\n", 1))
    assert len(entries) >= 5 and all(e.startswith("BEGIN:VEVENT\r\n") for e in entries.values())
    if damage == "events file":
        events.write_bytes(b"not an event\n" + events.read_bytes())
    elif damage == "output":
        (out / "about" / "index.html").write_text("edited by hand")
    retitle(source, "GNN ML WG meeting #42", "GNN ML WG meeting #42 (moved)")
    build(source, out, templates=TEMPLATES, now=NOW)
    calendar = (out / "meetings.ics").read_bytes().decode()
    cold = tmp_path / "cold"
    build(source, cold, templates=TEMPLATES, now=NOW)
    expected = (cold / "meetings.ics").read_bytes().decode()
    if damage == "none":
        assert calendar.count("X-KEPT:1") == len(entries) - 1  # all but the retitled one
        assert calendar.replace("X-KEPT:1\r\n", "") == expected
        assert "meeting #42 (moved)" in calendar
    else:
        assert "X-KEPT" not in calendar
        assert calendar == expected


def test_a_rebuild_reads_a_changed_meeting_whole_and_a_bad_one_fails_it(tmp_path: Path) -> None:
    """After a build, a meeting whose bytes changed is read whole at once: a bad value in its
    talks is one error naming the file and the meeting, and the previous site stays."""
    from indico_sync.errors import SnapshotError

    source, out = tmp_path / "src", tmp_path / "_site"
    shutil.copytree(GOLDEN_SOURCE, source)
    build(source, out, templates=TEMPLATES, now=NOW)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    snapshot = source / "_data" / "meetings.yml"
    text = snapshot.read_text()
    blocks = text.split("\n    {")
    index = next(i for i, block in enumerate(blocks[1:]) if '"speakers": [{' in block)
    blocks[index + 1] = blocks[index + 1].replace('"speakers": [', '"speakers": 5, "x": [', 1)
    snapshot.write_text("\n    {".join(blocks))
    with pytest.raises(SnapshotError) as caught:
        build(source, out, templates=TEMPLATES, now=NOW)
    assert str(caught.value).endswith(
        f"meetings.yml: meetings[{index}]: speakers: expected list, got 5"
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
