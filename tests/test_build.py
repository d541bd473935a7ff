"""The build stage end to end: golden output, reproducibility, and every bad input.

The golden site is `tests/golden/source` (copies of the example pages and posts, a small
snapshot with every tricky meeting) built with a fixed "now" into `tests/golden/output`.
Regenerate it only with `pytest --update-golden`, and review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import EXAMPLE_SITE

from indico_sync.commands import resolve_now
from indico_sync.errors import ConfigError, ContentError, RenderError, SnapshotError
from indico_sync.site.build import SPLIT_PAGES, BuildResult, build, check
from indico_sync.site.sources import load_site_files
from indico_sync.site.worker import Background
from indico_sync.writer import MARKER

ROOT = Path(__file__).parent.parent
TEMPLATES = ROOT / "templates"
GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A writable copy of the golden fixture site."""
    copy = tmp_path / "site_src"
    shutil.copytree(GOLDEN / "source", copy)
    return copy


def test_golden_site(tmp_path: Path, update_golden: bool) -> None:
    """The fixture site builds to exactly the reviewed files (pytest --update-golden)."""
    out = tmp_path / "_site"
    result = build(GOLDEN / "source", out, templates=TEMPLATES, now=NOW)
    built = files_of(out)
    if update_golden:
        shutil.rmtree(GOLDEN / "output", ignore_errors=True)
        shutil.copytree(out, GOLDEN / "output")
    expected = files_of(GOLDEN / "output")
    assert sorted(built) == sorted(expected), "files differ: run pytest --update-golden"
    for name, content in built.items():
        assert content == expected[name], f"{name} differs: run pytest --update-golden"
    assert MARKER in built  # the next build may replace this folder
    assert result == BuildResult(pages=4, meetings=10, files=len(built) - 1)


def test_golden_home_has_every_case(tmp_path: Path) -> None:
    """The fixture covers what the issue lists, and the output shows each the right way."""
    build(GOLDEN / "source", tmp_path / "out", templates=TEMPLATES, now=NOW)
    home = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    upcoming, past = home.split('id="past-meetings"')
    assert "8 April 2022" in past and "15:00 (CEST)" in past
    assert "4 December 2026, 15:00 (CET)" in upcoming  # the next one, in winter time
    assert '<tr class="is-cancelled">' in upcoming and ">Cancelled</span>" in upcoming
    assert upcoming.count(">15 January 2027</span>") == 2  # two on the same day
    assert '5 February 2027</span>\n<time datetime="2027-02-05T01:00+01:00">01:00 (CET)' in home
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in past
    assert "<script>alert" not in home and "javascript:" not in home and "<img" not in home
    assert "alert(2)" not in home and 'alert("desc")' not in home
    assert "Bring your <strong>questions</strong>" in home  # no talks: the description
    assert "Hidden by an override" not in home and ">In person <span" in home
    assert 'href="/wg-site/about/#coordinators"' in home
    assert "14–16 June 2027" in home and "(login required)" in home


def test_same_input_same_bytes(tmp_path: Path) -> None:
    """Two builds with the same input and 'now' are byte-identical."""
    build(GOLDEN / "source", tmp_path / "a", templates=TEMPLATES, now=NOW)
    build(GOLDEN / "source", tmp_path / "b", templates=TEMPLATES, now=NOW)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_now_splits_upcoming_from_past(tmp_path: Path) -> None:
    """A later 'now' moves meetings from the upcoming table to the past one."""
    build(
        GOLDEN / "source",
        tmp_path / "out",
        templates=TEMPLATES,
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    home = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "No upcoming meetings scheduled yet." in home and "Next meeting" not in home


def test_the_example_site_builds(tmp_path: Path) -> None:
    """The example site (site_src as shipped), with its demo posts, builds and links its pages."""
    result = build(EXAMPLE_SITE, tmp_path / "out", templates=TEMPLATES, now=NOW)
    assert result.pages >= 4 and result.meetings >= 1
    home = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert '<a href="/about/">About</a>' in home
    assert "Website now generated from Indico" in home
    assert (tmp_path / "out" / "about" / "index.html").exists()
    assert b"<entry>" in (tmp_path / "out" / "feed.xml").read_bytes()


def test_static_files_are_copied_and_private_ones_are_not(source: Path, tmp_path: Path) -> None:
    """Images and such are copied; `_*`, `.*`, symlinks and the output folder are not."""
    (source / ".secret").write_text("x")
    (source / "_drafts").mkdir()
    (source / "_drafts" / "idea.md").write_text("---\n---\nx\n")
    (source / "images" / "_private.png").write_bytes(b"x")
    (source / "link.txt").symlink_to(ROOT / "pyproject.toml")
    out = source / "public"
    build(source, out, templates=TEMPLATES, now=NOW)
    build(source, out, templates=TEMPLATES, now=NOW)  # the first output is not copied in
    names = set(files_of(out))
    assert "images/graph.svg" in names and "assets/style.css" in names
    assert not {n for n in names if "secret" in n or "_" in n.split("/")[-1][:1]}
    assert "link.txt" not in names and not any(n.startswith("public/") for n in names)
    assert (out / "images" / "graph.svg").read_bytes() == (source / "images/graph.svg").read_bytes()


def test_load_site_files_sorts_pages_and_posts(source: Path) -> None:
    """Pages and posts in a stable order; text is UTF-8 with `\\n` line ends, no BOM."""
    (source / "crlf.md").write_bytes(b"\xef\xbb\xbf---\r\ntitle: X\r\n---\r\nA\r\n")
    files = load_site_files(source)
    assert [f.name for f in files.pages] == ["about.md", "crlf.md", "index.md"]
    assert [f.name for f in files.posts] == [
        "_posts/2026-01-19-call-for-speakers-2026.md",
        "_posts/2026-11-22-website-now-generated-from-indico.md",
    ]
    assert files.pages[1].text == "---\ntitle: X\n---\nA\n"
    assert list(files.static) == ["images/graph.svg"]


def test_check_writes_nothing(source: Path, tmp_path: Path) -> None:
    """`check` renders everything and returns the counts, but writes no file."""
    before = sorted(tmp_path.rglob("*"))
    assert check(source, templates=TEMPLATES, now=NOW).meetings == 10
    assert sorted(tmp_path.rglob("*")) == before


BAD_INPUTS = [
    (
        "about.md",
        "---\ntitle: [oops\n---\n",
        ContentError,
        r"about\.md:3: front matter is not valid",
    ),
    ("about.md", "---\nlayout: fancy\n---\n", ContentError, r"about\.md:2: layout: unknown"),
    ("about.md", "---\npermalink: ../../x\n---\n", ContentError, r"about\.md:2: permalink"),
    ("about.md", "---\n---\n{{ site.nope }}\n", ContentError, r"about\.md:3: \{\{ site\.nope \}\}"),
    (
        "about.md",
        "---\n---\n{% include menu.html %}\n",
        ContentError,
        r"about\.md:3: unknown include",
    ),
    ("news.md", b"\xff\xfe", ContentError, r"news\.md: not UTF-8 text"),
    ("_posts/hello.md", "---\n---\nx\n", ContentError, r"hello\.md: expected a post name"),
    ("_data/meetings.yml", "meetings: [1]\n", SnapshotError, r"meetings\.yml: meetings\[0\]"),
    ("_data/meetings.yml", "meetings: [\n", SnapshotError, r"meetings\.yml:2: not valid YAML"),
    ("_config.yml", "title: [\n", ConfigError, r"_config\.yml:2: not valid YAML"),
    ("index.html", "<p>clash</p>", ContentError, r"index\.html and .*index\.md would both"),
]


@pytest.mark.parametrize(("name", "content", "error", "message"), BAD_INPUTS)
def test_bad_input_is_one_clear_error_and_the_old_site_stays(
    source: Path,
    tmp_path: Path,
    name: str,
    content: str | bytes,
    error: type[Exception],
    message: str,
) -> None:
    """Each bad input raises one error naming the file; the previous output is untouched."""
    out = tmp_path / "_site"
    build(source, out, templates=TEMPLATES, now=NOW)
    before = files_of(out)
    path = source / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(error, match=message) as caught:
        build(source, out, templates=TEMPLATES, now=NOW)
    assert "\n" not in str(caught.value)
    assert files_of(out) == before
    cache = (".manifest.json", ".rows", ".calendar", ".events")  # the cache beside _site
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(cache))
    assert left == ["_site", "site_src"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base.html": None}, r"templates/base\.html: template not found"),
        ({"page.html": "{% extends 'base.html' %}{% block main %}{{ nope }}{% endblock %}"},
         r"page\.html:1: 'nope' is undefined"),
        ({"home.html": "{% for %}"}, r"home\.html:1: "),
        ({"page.html": "{% extends 'base.html' %}{% block main %}\n"
                       "{{ site.title + 1 }}{% endblock %}"},
         r"templates/page\.html:2: TypeError: can only concatenate str \(not \"int\"\) to str$"),
    ],
)  # fmt: skip
def test_template_problems_are_render_errors(
    source: Path, tmp_path: Path, change: dict[str, str | None], message: str
) -> None:
    """A missing template or an undefined value fails the build; nothing is written."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    for name, text in change.items():
        if text is None:
            (templates / name).unlink()
        else:
            (templates / name).write_text(text, encoding="utf-8")
    with pytest.raises(RenderError, match=message):
        build(source, tmp_path / "_site", templates=templates, now=NOW)
    assert not (tmp_path / "_site").exists()


def test_an_error_in_the_streamed_meetings_table_leaves_nothing(
    source: Path, tmp_path: Path
) -> None:
    """Home's meetings tables are written piece by piece; an error half-way is still one
    RenderError naming the template line, and no file or hidden folder is left."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    table = templates / "partials" / "meetings.html"
    table.write_text(table.read_text() + "\n{{ agenda.zone_note + 1 }}\n", encoding="utf-8")
    line = table.read_text().count("\n")
    with pytest.raises(RenderError, match=rf"partials/meetings\.html:{line}: TypeError"):
        build(source, tmp_path / "out" / "_site", templates=templates, now=NOW)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_layout_showing_the_content_twice_gets_the_tables_twice(
    source: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    home = templates / "home.html"
    home.write_text(home.read_text().replace("{{ page.content }}", "{{ page.content }}" * 2))
    build(source, tmp_path / "_site", templates=templates, now=NOW)
    build(source, tmp_path / "plain", templates=TEMPLATES, now=NOW)
    twice = (tmp_path / "_site" / "index.html").read_text()
    once = (tmp_path / "plain" / "index.html").read_text()
    tables = re.findall(r'<section class="meetings".*?</section>', once, re.S)
    assert len(tables) == 1 and twice.count(tables[0]) == 2


def test_missing_folders_are_clear_errors(source: Path, tmp_path: Path) -> None:
    """A wrong --templates or --source says which folder and what to do."""
    with pytest.raises(RenderError, match=r"nowhere: templates folder not found \(use --templates"):
        build(source, tmp_path / "out", templates=tmp_path / "nowhere", now=NOW)
    with pytest.raises(ConfigError, match=r"not found \(is --source the site folder"):
        build(tmp_path / "none", tmp_path / "out", templates=TEMPLATES, now=NOW)


@pytest.mark.parametrize(
    ("value", "environ", "expected"),
    [
        ("2026-11-22T12:00:00+01:00", {}, datetime(2026, 11, 22, 11, tzinfo=UTC)),
        ("2026-11-22T12:00:00Z", {"SOURCE_DATE_EPOCH": "0"}, NOW),
        ("2026-11-22 12:00", {}, NOW),  # naive is UTC
        ("2026-11-22", {}, datetime(2026, 11, 22, tzinfo=UTC)),
        (None, {"SOURCE_DATE_EPOCH": "1795348800"}, NOW),
        ("", {"SOURCE_DATE_EPOCH": " 1795348800 "}, NOW),
    ],
)
def test_resolve_now(value: str | None, environ: dict[str, str], expected: datetime) -> None:
    """--now beats SOURCE_DATE_EPOCH; both give an aware time."""
    now = resolve_now(value, environ)
    assert now == expected and now.utcoffset() is not None


def test_resolve_now_keeps_the_given_offset_and_defaults_to_the_clock() -> None:
    """An offset given stays; with nothing given, it is the current time in UTC."""
    given = resolve_now("2026-11-22T12:00:00+01:00", {})
    assert given.tzinfo == timezone(timedelta(hours=1))
    assert abs(resolve_now(None, {}) - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("value", "environ", "message"),
    [
        ("yesterday", {}, r"--now: expected an ISO 8601 date-time .* got 'yesterday'"),
        (None, {"SOURCE_DATE_EPOCH": "soon"}, r"SOURCE_DATE_EPOCH: expected whole seconds"),
        (None, {"SOURCE_DATE_EPOCH": "1e400"}, r"SOURCE_DATE_EPOCH: "),
    ],
)
def test_resolve_now_rejects_bad_input(
    value: str | None, environ: dict[str, str], message: str
) -> None:
    """A bad --now or SOURCE_DATE_EPOCH is one clear error the CLI prints."""
    with pytest.raises(ConfigError, match=message):
        resolve_now(value, environ)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_an_unreadable_file_is_a_content_error(source: Path, tmp_path: Path) -> None:
    """Permissions problems name the file instead of showing a traceback."""
    (source / "images" / "graph.svg").chmod(0)
    with pytest.raises(ContentError, match=r"graph\.svg: cannot read"):
        build(source, tmp_path / "out", templates=TEMPLATES, now=NOW)


def test_background_work_comes_back_whole_and_in_order() -> None:
    """The forked child's results (more than a pipe buffer each) reach the parent intact."""
    first, second = bytes(range(256)) * 1000, b"second" * 100_000
    job = Background([lambda: first, lambda: second])
    assert job.pid != 0
    assert job.next() == first
    assert job.next() == second
    with pytest.raises(ChildProcessError):  # reaped after the last result
        os.waitpid(job.pid, 0)


def test_background_failure_raises_in_the_parent() -> None:
    """A failing child is redone in the parent, so the real error surfaces."""

    def fail() -> bytes:
        raise RenderError("calendar broke")

    with pytest.raises(RenderError, match="calendar broke"):
        Background([fail]).next()


def test_background_failure_in_a_later_work_keeps_the_earlier_results(tmp_path: Path) -> None:
    """Results sent before the failure are used; only the failed work is redone here."""
    runs = tmp_path / "runs"

    def first() -> bytes:
        with runs.open("a") as log:  # appends from whichever process runs it
            log.write(f"{os.getpid()}\n")
        return b"pages"

    def second() -> bytes:
        raise RenderError("calendar broke")

    job = Background([first, second])
    assert job.next() == b"pages"
    with pytest.raises(RenderError, match="calendar broke"):
        job.next()
    assert runs.read_text().split() == [str(job.pid)]  # made once, by the child


def test_background_is_cancelled_and_reaped() -> None:
    """cancel() kills and reaps the child: no zombie is left behind."""
    job = Background([lambda: b"x" * 1_000_000, lambda: b"y"])
    job.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, 0)


def test_background_never_forks_a_threaded_process() -> None:
    """With other threads running, the work runs in-process instead."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        job = Background([lambda: b"inline", lambda: b"again"])
        assert job.pid == 0 and job.next() == b"inline" and job.next() == b"again"
    finally:
        stop.set()
        thread.join()


def many_posts(source: Path, count: int) -> None:
    posts = source / "_posts"
    posts.mkdir(exist_ok=True)
    for n in range(count):
        (posts / f"2024-01-{n % 28 + 1:02d}-post-{n:03d}.md").write_text(
            f"---\ntitle: Post {n}\n---\nNews number **{n}**.\n", encoding="utf-8"
        )


def test_pages_rendered_on_two_cores_match_one_core(source: Path, tmp_path: Path) -> None:
    """With enough pages, half are rendered by a forked child; the site is the same."""
    many_posts(source, 2 * SPLIT_PAGES)
    build(source, tmp_path / "two", templates=TEMPLATES, now=NOW)
    threading.Thread(target=threading.Event().wait, args=(2,), daemon=True).start()
    build(source, tmp_path / "one", templates=TEMPLATES, now=NOW)  # a thread: no fork
    assert files_of(tmp_path / "two") == files_of(tmp_path / "one")
    assert (
        b"News number <strong>39</strong>"
        in (tmp_path / "two/2024/01/12/post-039/index.html").read_bytes()
    )


def test_an_error_in_the_childs_half_names_the_file(source: Path, tmp_path: Path) -> None:
    """A bad post among those the child renders is the same one-line error."""
    many_posts(source, 2 * SPLIT_PAGES)
    bad = sorted((source / "_posts").glob("*.md"))[-1]
    bad.write_text("---\ntitle: [unclosed\n---\nText\n", encoding="utf-8")
    with pytest.raises(ContentError, match=rf"{bad.name}:\d+: front matter is not valid YAML"):
        build(source, tmp_path / "out", templates=TEMPLATES, now=NOW)
    assert not (tmp_path / "out").exists()


# --- only the repository's own regular files are read -----------------------------------

SECRET = "INDICO_TOKEN=indp_" + "L3ak" * 8


@pytest.fixture
def environ(tmp_path: Path) -> Path:
    """Stands in for /proc/self/environ: a file outside the repository holding the token."""
    path = tmp_path / "outside" / "environ"
    path.parent.mkdir()
    path.write_text(f"---\n---\n{SECRET}\n")
    return path


def test_symlinks_in_the_site_folder_are_not_read(
    source: Path, tmp_path: Path, environ: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Links to a post, page, file or folder (inside or out) publish nothing; each is named."""
    posts = source / "_posts"
    (posts / "2026-01-02-notes.md").symlink_to(os.path.relpath(environ, posts))
    (source / "leak.md").symlink_to(environ)
    (source / "images" / "leak.txt").symlink_to(environ)
    (source / "inside.md").symlink_to("about.md")
    (source / "linked").symlink_to(environ.parent, target_is_directory=True)
    (source / "zero.bin").symlink_to("/dev/zero")  # the build cache once read it for ever
    out = tmp_path / "_site"
    result = build(source, out, templates=TEMPLATES, now=NOW)
    built = files_of(out)
    assert result.pages == 4 and "about/index.html" in built
    assert not [name for name in built if any(w in name for w in ("notes", "leak", "inside"))]
    assert not [name for name in built if name.startswith("linked") or "zero" in name]
    assert not [name for name, data in built.items() if b"L3ak" in data]
    for name in ("2026-01-02-notes.md", "leak.md", "leak.txt", "inside.md", "linked", "zero.bin"):
        assert f"{name}: a symbolic link; not read or published" in caplog.text


def test_a_symlinked_posts_folder_is_not_read(source: Path, tmp_path: Path, environ: Path) -> None:
    """`_posts` itself as a link out of the repository: no posts, nothing leaked."""
    shutil.rmtree(source / "_posts")
    (environ.parent / "2026-01-02-notes.md").write_text(environ.read_text())
    (source / "_posts").symlink_to(environ.parent, target_is_directory=True)
    result = build(source, tmp_path / "_site", templates=TEMPLATES, now=NOW)
    assert result.pages == 2
    assert not [data for data in files_of(tmp_path / "_site").values() if b"L3ak" in data]


def copied_templates(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    return templates


@pytest.mark.parametrize("name", ["404.html", "partials/meetings.html", "static/style.css"])
def test_a_template_linking_out_of_the_templates_folder_is_refused(
    source: Path, tmp_path: Path, environ: Path, name: str
) -> None:
    """Jinja's own loader followed links: templates/404.html -> environ published the token.
    A template link is refused, a stylesheet link skipped; either way nothing leaks."""
    templates = copied_templates(tmp_path)
    (templates / name).unlink()
    (templates / name).symlink_to(environ)
    out = tmp_path / "_site"
    if name.startswith("static/"):
        build(source, out, templates=templates, now=NOW)
        assert "assets/style.css" not in files_of(out)
    else:
        with pytest.raises(RenderError, match=rf"{name}: a symbolic link leading out of \S+"):
            build(source, out, templates=templates, now=NOW)
        assert not out.exists()


def test_a_template_may_link_to_another_template(source: Path, tmp_path: Path) -> None:
    """A link that stays inside the templates folder is followed: one layout, two names."""
    templates = copied_templates(tmp_path)
    (templates / "mine.html").write_text("LINKED {{ page.title }}\n", encoding="utf-8")
    (templates / "post.html").unlink()
    (templates / "post.html").symlink_to("mine.html")
    build(source, tmp_path / "_site", templates=templates, now=NOW)
    post = tmp_path / "_site" / "2026" / "11" / "22" / "website-now-generated-from-indico"
    assert (post / "index.html").read_text(encoding="utf-8").startswith("LINKED ")


@pytest.mark.parametrize(
    ("where", "error", "message"),
    [
        ("site_src/pipe.bin", ContentError, r"pipe\.bin: a FIFO, not a regular file"),
        ("site_src/_posts/2026-01-02-pipe.md", ContentError, r"pipe\.md: a FIFO"),
        ("templates/page.html", RenderError, r"page\.html: a FIFO, not a regular file"),
        ("site_src/_config.yml", ConfigError, r"_config\.yml: a FIFO, not a regular file"),
        ("site_src/_data/meetings.yml", SnapshotError, r"meetings\.yml: cannot read: a FIFO"),
    ],
)
def test_a_fifo_is_one_error_not_a_hang(
    source: Path, tmp_path: Path, where: str, error: type[Exception], message: str
) -> None:
    """Reading a FIFO blocks for ever: refused at once (the build cache skips it too)."""
    copied_templates(tmp_path)
    path = tmp_path / where
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    with pytest.raises(error, match=message):
        build(source, tmp_path / "_site", templates=tmp_path / "templates", now=NOW)


@pytest.mark.parametrize("name", ["_config.yml", "_data/meetings.yml"])
def test_config_and_snapshot_are_never_read_through_a_link(
    source: Path, tmp_path: Path, name: str
) -> None:
    """Even a link to a valid copy is refused: the file may hold anything it points at."""
    copy = tmp_path / "copy.yml"
    shutil.move(source / name, copy)
    (source / name).symlink_to(copy)
    with pytest.raises((ConfigError, SnapshotError), match="a symbolic link, not a regular file"):
        build(source, tmp_path / "_site", templates=TEMPLATES, now=NOW)
