"""The command line end to end: `main([...])` with Indico mocked at the HTTP layer."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import respx
from helpers import EXAMPLE_SITE, TEMPLATES

from indico_sync.cli import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_SYNC_FAILED,
    EXIT_USAGE,
    main,
    parse_args,
)
from indico_sync.snapshot import SNAPSHOT_PATH
from indico_sync.writer import MARKER

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
EXPORT = "http://127.0.0.1:8000/export/categ/1.json"
NOW = "2026-11-22T12:00:00+00:00"
TOKEN = "indp_" + "T0k3n" * 8


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the example site, pointed at a local Indico, with the seed snapshot."""
    source = tmp_path / "site_src"
    shutil.copytree(EXAMPLE_SITE, source)
    config = (source / "_config.yml").read_text(encoding="utf-8")
    config = config.replace("url: https://indico.cern.ch", "url: http://127.0.0.1:8000")
    config = config.replace("category: 14703", "category: 1\n      # tests")
    config = config.replace("  past_days: 3650", "  retries: 0\n  past_days: 3650")
    (source / "_config.yml").write_text(config, encoding="utf-8")
    return source


def run(site: Path, *args: str) -> int:
    out = site.parent / "_site"
    return main([*args, "--source", str(site), "--out", str(out), "--templates", str(TEMPLATES)])


def serve_category(name: str = "categ_reader_token_contribs.json") -> respx.Route:
    def answer(request: httpx.Request) -> httpx.Response:
        page = name if request.url.params["offset"] == "0" else "err_categ_nonexistent.json"
        return httpx.Response(
            200,
            content=(FIXTURES / page).read_bytes(),
            headers={"Content-Type": "application/json"},
        )

    return respx.get(EXPORT).mock(side_effect=answer)


@respx.mock
def test_run_syncs_then_builds(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No command = sync + build: the snapshot and the HTML hold Indico's meetings."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    serve_category()
    assert run(site, "--allow-removals", "--now", NOW) == EXIT_OK
    out = capsys.readouterr()
    assert "+ 2026-11-01 16:00 CET  GNN ML WG meeting #41" in out.out
    assert "- 2022-04-08 15:00 CEST" in out.out  # the example meeting made way
    assert "sync: 6 added, 0 updated, 1 removed; 6 meetings" in out.out
    home = (site.parent / "_site" / "index.html").read_text(encoding="utf-8")
    assert "GNN ML WG meeting #44 (Zoom, US-friendly time)" in home
    assert "http://127.0.0.1:8000/event/3/" in home
    assert "<script>alert" not in home and "&lt;script&gt;alert" in home
    assert "Zoë Ó Briain-Müller" in home
    everything = out.out + out.err + home
    assert TOKEN not in everything
    assert TOKEN not in (site / SNAPSHOT_PATH).read_text(encoding="utf-8")


@respx.mock
def test_failed_sync_still_builds_from_the_last_snapshot(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indico rejecting the token: a warning, the old meetings published, exit status 3."""
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    before = (site / SNAPSHOT_PATH).read_bytes()
    respx.get(EXPORT).mock(
        return_value=httpx.Response(
            400,
            content=(FIXTURES / "categ_bad_token.html").read_bytes(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
    )
    assert run(site, "--now", NOW) == EXIT_SYNC_FAILED
    err = capsys.readouterr().err
    assert "error: sync failed:" in err and "Classic API" in err
    assert "warning: building the site from the last good snapshot" in err
    assert TOKEN not in err
    assert (site / SNAPSHOT_PATH).read_bytes() == before
    home = (site.parent / "_site" / "index.html").read_text(encoding="utf-8")
    assert "https://indico.cern.ch/event/1141191/" in home


@respx.mock
def test_unreachable_indico_with_strict_builds_nothing(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--strict makes a failed sync fatal: exit 1 and no site."""
    respx.get(EXPORT).mock(side_effect=httpx.ConnectError("Connection refused"))
    assert run(site, "--strict", "--now", NOW) == EXIT_ERROR
    assert (
        "error: cannot reach http://127.0.0.1:8000/export/categ/1.json" in capsys.readouterr().err
    )
    assert not (site.parent / "_site").exists()


@respx.mock
def test_guard_refusal_is_a_failed_sync(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty answer would wipe the seed meeting: refused, site built, exit 3."""
    serve_category("err_categ_nonexistent.json")
    assert run(site, "--now", NOW) == EXIT_SYNC_FAILED
    assert "refusing to remove 1 of 1 stored meeting (more than half)" in capsys.readouterr().err
    assert (site.parent / "_site" / "index.html").exists()


def test_sync_command_reports_errors_in_one_line(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken config: exit 1, one 'error:' line naming the file and key, no traceback."""
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + "timezone: Nowhere/Land\n")
    assert main(["sync", "--source", str(site)]) == EXIT_ERROR
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and err.endswith(errors[0] + "\n")
    assert "_config.yml" in err and "timezone" in err and "Traceback" not in err


def test_build_command_works_offline(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`build` needs no network: the committed snapshot is enough."""
    assert (
        main(
            [
                "build",
                "--source",
                str(site),
                "--out",
                str(site.parent / "out"),
                "--templates",
                str(TEMPLATES),
                "--now",
                NOW,
            ]
        )
        == EXIT_OK
    )
    assert "built" in capsys.readouterr().out
    assert (site.parent / "out" / "meetings.ics").exists()


def test_check_writes_nothing(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`check` validates everything and leaves no output folder behind."""
    before = sorted(p.name for p in site.parent.iterdir())
    assert main(["check", "--source", str(site), "--templates", str(TEMPLATES)]) == 0
    assert re.fullmatch(r"ok: \d+ pages, 1 meeting, \d+ files\n", capsys.readouterr().out)
    assert sorted(p.name for p in site.parent.iterdir()) == before
    (site / "about.md").write_text("---\nlayout: nope\n---\nx\n", encoding="utf-8")
    assert main(["check", "--source", str(site), "--templates", str(TEMPLATES)]) == 1
    assert "about.md" in capsys.readouterr().err


def test_usage_errors_exit_2() -> None:
    """An unknown option is a usage error (argparse's status 2)."""
    with pytest.raises(SystemExit) as caught:
        main(["build", "--frobnicate"])
    assert caught.value.code == 2


def test_verbose_shows_the_traceback(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-v adds the traceback to the one-line error."""
    (site / "_config.yml").write_text("indico: 3\n", encoding="utf-8")
    assert main(["sync", "-v", "--source", str(site)]) == EXIT_ERROR
    assert "Traceback" in capsys.readouterr().err


# --- hostile answers and tokens: a failed sync with the site built, never a crash ---------


def serve_json(content: bytes) -> respx.Route:
    """Indico answers `content` at offset 0, then empty pages."""

    def answer(request: httpx.Request) -> httpx.Response:
        page = content if request.url.params["offset"] == "0" else b'{"results": []}'
        return httpx.Response(200, content=page, headers={"Content-Type": "application/json"})

    return respx.get(EXPORT).mock(side_effect=answer)


def with_first_event(**changes: object) -> bytes:
    data = json.loads((FIXTURES / "categ_reader_token_contribs.json").read_bytes())
    data["results"][0].update(changes)
    return json.dumps(data).encode()


HOSTILE = {
    "nested": (b'{"results": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "nested too deeply"),
    "year-1": (
        with_first_event(
            startDate={"date": "0001-01-01", "time": "00:00:00", "tz": "UTC"},
            timezone="Pacific/Kiritimati",
        ),
        r"event http://127\.0\.0\.1:8000/event/1/: expected \{date, time, tz\} from 1900",
    ),
}


@respx.mock
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_json_is_a_failed_sync_and_the_site_is_built(
    site: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """Deep nesting (RecursionError) and year 1 at +14:00 (OverflowError) crashed the job."""
    content, message = HOSTILE[case]
    before = (site / SNAPSHOT_PATH).read_bytes()
    serve_json(content)
    assert run(site, "--allow-removals", "--now", NOW) == EXIT_SYNC_FAILED
    err = capsys.readouterr().err
    assert re.search(f"^error: sync failed: .*{message}", err, re.M), err
    assert "Traceback" not in err
    assert (site / SNAPSHOT_PATH).read_bytes() == before
    assert (site.parent / "_site" / "index.html").exists()


@respx.mock
def test_a_lone_surrogate_in_a_title_is_replaced_not_a_crash(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`"\\ud800"` in a title crashed writing the snapshot; it is shown as U+FFFD instead."""
    content = with_first_event(title="GNN ML WG meeting \ud800 #40")  # json escapes it
    assert b"\\ud800" in content
    serve_json(content)
    assert run(site, "--allow-removals", "--now", NOW) == EXIT_OK
    assert "GNN ML WG meeting \ufffd #40" in (site / SNAPSHOT_PATH).read_text(encoding="utf-8")
    home = (site.parent / "_site" / "index.html").read_text(encoding="utf-8")
    assert "GNN ML WG meeting \ufffd #40" in home
    assert "Traceback" not in capsys.readouterr().err


@respx.mock
@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("indp_abc\u00a0def", r"INDICO_TOKEN is malformed: character 9 is U\+00A0, not ASCII"),
        ("indp_x\nindp_y", r"INDICO_TOKEN is malformed: character 7 is U\+000A"),
    ],
    ids=["no-break-space", "newline"],
)
def test_a_malformed_token_is_a_rejected_token(
    site: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    token: str,
    message: str,
) -> None:
    """A pasted no-break space crashed with UnicodeEncodeError and built nothing; a newline
    was printed, token and all, in every retry warning. Now: exit 3, site built, no token."""
    monkeypatch.setenv("INDICO_TOKEN", token)
    route = serve_category()
    assert run(site, "--now", NOW) == EXIT_SYNC_FAILED
    out = capsys.readouterr()
    assert re.search(f"^error: sync failed: {message}", out.err, re.M)
    assert not route.called
    assert "abc" not in out.err + out.out and "indp_x" not in out.err + out.out
    assert (site.parent / "_site" / "index.html").exists()


@respx.mock
def test_a_token_is_not_sent_in_cleartext_to_another_host(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """http:// to a host other than this machine, with a token: refused before any request."""
    config = (site / "_config.yml").read_text(encoding="utf-8")
    config = config.replace("http://127.0.0.1:8000", "http://indico.example.org")
    (site / "_config.yml").write_text(config, encoding="utf-8")
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    route = respx.get("http://indico.example.org/export/categ/1.json")
    assert run(site, "--now", NOW) == EXIT_SYNC_FAILED
    err = capsys.readouterr().err
    expected = (
        "error: sync failed: refusing to send INDICO_TOKEN in cleartext to indico.example.org"
    )
    assert expected in err and TOKEN not in err
    assert not route.called
    assert (site.parent / "_site" / "index.html").exists()


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every folder (None) under `folder`, `.git` included."""
    return {
        p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def one_error_line(err: str) -> str:
    """The only stderr line starting with 'error: ' (and no traceback)."""
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    return errors[0]


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch clone (git init, the site, templates, an uncommitted page), as cwd."""
    work = tmp_path / "clone"
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    shutil.copytree(EXAMPLE_SITE, work / "site_src")
    shutil.copytree(TEMPLATES, work / "templates")
    (work / "site_src" / "draft.md").write_text("---\ntitle: Draft\n---\nUnsaved work\n")
    (work / "scratch" / "sub").mkdir(parents=True)
    (work / "scratch" / "thesis.txt").write_text("data\n")
    (work / "scratch" / "sub" / "figure.svg").write_bytes(b"<svg/>")
    (work / "notes.txt").write_text("mine\n")
    monkeypatch.chdir(work)
    return work


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        (".", "it is the current directory; choose another --out, such as _site"),
        ("site_src", "it is the site source; choose another --out, such as _site"),
        ("templates", "it is the templates folder; choose another --out, such as _site"),
        (
            "scratch",
            "it holds files indico_sync did not write (sub, thesis.txt); "
            "move them away or choose another --out",
        ),
        ("notes.txt", "it is a file, not a folder; choose another --out"),
    ],
)
@pytest.mark.parametrize("command", ["build", "run", "serve"])
def test_an_output_folder_that_is_not_ours_is_refused_untouched(
    clone: Path, capsys: pytest.CaptureFixture[str], command: str, out: str, reason: str
) -> None:
    """Nothing in the clone changes, byte for byte, `.git` included; no sync is attempted."""
    before = tree(clone.parent)
    with respx.mock(assert_all_called=False) as indico:
        anything = indico.route().mock(return_value=httpx.Response(500))
        assert main([command, "--out", out, "--now", NOW]) == EXIT_ERROR
    assert one_error_line(capsys.readouterr().err) == f"error: refusing to replace {out}: {reason}"
    assert tree(clone.parent) == before
    assert not anything.called


def test_out_above_the_clone_is_refused(clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(clone.parent)
    assert main(["build", "--out", "..", "--now", NOW]) == EXIT_ERROR
    assert "error: refusing to replace ..: it contains the current directory" in (
        capsys.readouterr().err
    )
    assert tree(clone.parent) == before


def test_a_git_repository_as_output_is_refused(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (clone / "pages").mkdir()
    subprocess.run(["git", "init", "-q", str(clone / "pages")], check=True)
    before = tree(clone.parent)
    assert main(["build", "--out", "pages", "--now", NOW]) == EXIT_ERROR
    assert one_error_line(capsys.readouterr().err) == (
        "error: refusing to replace pages: it holds a git repository (pages/.git); "
        "choose another --out"
    )
    assert tree(clone.parent) == before


def test_rebuilds_into_site_keep_working_across_the_upgrade(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty _site, then our own _site, then one from before the marker (manifest only)."""
    (clone / "_site").mkdir()
    assert main(["build", "--now", NOW]) == EXIT_OK
    assert (clone / "_site" / MARKER).is_file()
    (clone / "_site" / MARKER).unlink()  # as the previous version left it
    (clone / "site_src" / "draft.md").write_text("---\ntitle: Draft\n---\nSecond take\n")
    assert main(["build", "--now", NOW]) == EXIT_OK
    assert "Second take" in (clone / "_site" / "draft" / "index.html").read_text()
    assert (clone / "_site" / MARKER).is_file()
    assert (clone / "notes.txt").read_text() == "mine\n"


def test_a_no_op_build_prints_one_line(clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--now", NOW]) == EXIT_OK
    assert re.fullmatch(r"built _site: 5 pages, 1 meetings?, 15 files\n", capsys.readouterr().out)
    assert main(["build", "--now", NOW]) == EXIT_OK
    out = capsys.readouterr()
    assert re.fullmatch(r"_site is up to date: 5 pages, 1 meetings?, 15 files\n", out.out)
    assert out.err == ""


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_unwritable_output_is_one_line(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """/proc refuses the temporary folder: one line naming the output, no traceback."""
    assert main(["build", "--source", str(site), "--out", "/proc/nope", "--now", NOW]) == 1
    assert one_error_line(capsys.readouterr().err).startswith(
        "error: cannot write the site to /proc/nope: No such file or directory: /proc/.nope.new-"
    )


def test_a_template_runtime_error_names_the_template_and_line(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    page = templates / "page.html"
    page.write_text(
        page.read_text().replace("{% block main %}", "{% block main %}\n{{ site.title + 1 }}")
    )
    line = 1 + page.read_text().splitlines().index("{{ site.title + 1 }}")
    args = ["build", "--source", str(site), "--templates", str(templates), "--now", NOW]
    assert main([*args, "--out", str(tmp_path / "out")]) == EXIT_ERROR
    assert one_error_line(capsys.readouterr().err) == (
        f'error: {page}:{line}: TypeError: can only concatenate str (not "int") to str'
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_bad_port_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--port", port])
    assert caught.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert (
        "error: argument --port: expected a port number from 1 to 65535 (or 0 for any free port), "
        f"got {port!r}" in err
    )
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "command", "out"),
    [
        (["--out", "build", "--strict"], "run", "build"),
        (["--ou", "build"], "run", "build"),
        (["--out=build"], "run", "build"),
        (["--source", "x", "build"], "build", "_site"),
        (["--out", "sync", "build", "-v"], "build", "sync"),
        (["serve", "--host", "build", "--port", "0"], "serve", "_site"),
    ],
)
def test_the_command_is_the_first_word_that_is_no_options_value(
    argv: list[str], command: str, out: str
) -> None:
    """`build` as the value of --out names a folder (build/ is in .gitignore)."""
    args = parse_args(argv)
    assert (args.command, args.out) == (command, Path(out))


def test_an_unknown_command_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["biuld", "--out", "x"])
    assert caught.value.code == EXIT_USAGE
    assert capsys.readouterr().err.endswith(
        "error: unknown command 'biuld' (choose from run, sync, build, check, serve)\n"
    )


@respx.mock
def test_a_corrupted_snapshot_is_one_error_under_run(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing can be built from it: exit 1, one line naming the file, no fallback build."""
    snapshot = site / SNAPSHOT_PATH
    snapshot.write_text('{"meetings": [\n')
    assert run(site, "--now", NOW) == EXIT_ERROR
    err = capsys.readouterr().err
    line = one_error_line(err)
    assert line.startswith(f"error: {snapshot}:") and "sync failed" not in err
    assert "last good snapshot" not in err
    assert not (site.parent / "_site").exists()
    assert snapshot.read_text() == '{"meetings": [\n'


@respx.mock
def test_any_failure_inside_the_sync_still_builds_the_last_good_site(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever the sync raises (here a RecursionError from 200,000 nested `[`), `run`
    still publishes the last snapshot and exits 3."""
    body = b"[" * 200_000
    before = (site / SNAPSHOT_PATH).read_bytes()
    empty = (FIXTURES / "err_categ_nonexistent.json").read_bytes()

    def answer(request: httpx.Request) -> httpx.Response:
        first = request.url.params["offset"] == "0"
        return httpx.Response(
            200, content=body if first else empty, headers={"Content-Type": "application/json"}
        )

    respx.get(EXPORT).mock(side_effect=answer)
    assert run(site, "--allow-removals", "--now", NOW) == EXIT_SYNC_FAILED
    err = capsys.readouterr().err
    assert one_error_line(err).startswith("error: sync failed: ")
    assert "warning: building the site from the last good snapshot" in err
    assert (site / SNAPSHOT_PATH).read_bytes() == before
    assert "https://indico.cern.ch/event/1141191/" in (site.parent / "_site/index.html").read_text()


@pytest.mark.parametrize("verbose", [[], ["-v"]])
@respx.mock
def test_a_foreign_exception_is_one_line_and_v_adds_its_traceback(
    site: Path, capsys: pytest.CaptureFixture[str], verbose: list[str]
) -> None:
    """Whatever reaches the CLI boundary is one `error:` line; -v adds the traceback."""
    respx.get(EXPORT).mock(return_value=httpx.Response(200, content=b"[" * 200_000))
    assert main(["sync", *verbose, "--source", str(site)]) == EXIT_ERROR
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and err.endswith(errors[0] + "\n")
    assert ("Traceback" in err) == bool(verbose)
