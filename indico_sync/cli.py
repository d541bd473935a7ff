"""Command line: `python -m indico_sync [run|sync|build|check|serve]`.

Exit status (documented in README.md):
    0  done
    1  error: nothing was synced or built (bad config or pages, build failed, sync failed)
    2  usage error (unknown command or option)
    3  `run` only: the sync failed, but the site was built from the last good snapshot
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from indico_sync import __version__
from indico_sync.errors import describe

if TYPE_CHECKING:
    from indico_sync.site.build import BuildResult
    from indico_sync.sync import SyncResult

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SYNC_FAILED = 3
COMMANDS = ("run", "sync", "build", "check", "serve")

log = logging.getLogger("indico_sync")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure becomes one `error: ...` line and an exit status."""
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    _setup_logging(args.verbose, args.quiet)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the boundary: no traceback unless -v
        log.debug("traceback", exc_info=True)
        print(f"error: {describe(exc, hide=_token() or '')}", file=sys.stderr)
        return EXIT_ERROR


VALUE_OPTIONS = ("--source", "--templates", "--now", "--out", "--port", "--host")
"""Options that take a value: `--out build` names a folder, not the command."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """`run` is the default command: `python -m indico_sync --strict` works.

    The command is the first argument that is neither an option nor an option's value,
    wherever it stands; it is moved to the front for argparse.
    """
    parser = argparse.ArgumentParser(
        prog="python -m indico_sync",
        description="Keep a working group's website in step with its Indico category.",
    )
    parser.add_argument("--version", action="version", version=f"indico_sync {__version__}")
    common = _common_options()
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, handler, help_text in (
        ("run", cmd_run, "sync from Indico, then build the site (the default)"),
        ("sync", cmd_sync, "update site_src/_data/meetings.yml from Indico"),
        ("build", cmd_build, "build the site from the pages and the stored meetings"),
        ("check", cmd_check, "validate config, pages and snapshot; write nothing"),
        ("serve", cmd_serve, "build, serve on 127.0.0.1 and rebuild on changes"),
    ):
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        _command_options(sub, name)
        sub.set_defaults(handler=handler)
    position = _command_position(argv)
    if position is None:
        if not {"-h", "--help", "--version"} & set(argv):
            argv = ["run", *argv]
    elif argv[position] not in COMMANDS:
        parser.error(f"unknown command {argv[position]!r} (choose from {', '.join(COMMANDS)})")
    else:
        argv = [argv[position], *argv[:position], *argv[position + 1 :]]
    args = parser.parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    return args


def _command_position(argv: list[str]) -> int | None:
    """Index of the first argument that is not an option or an option's value."""
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == "--":
            return index + 1 if index + 1 < len(argv) else None
        elif arg.startswith("-") and arg != "-":
            # argparse also takes unambiguous prefixes, such as --ou for --out
            matches = {o for o in _LONG_OPTIONS if o.startswith(arg)} if "=" not in arg else set()
            skip = bool(matches) and matches <= set(VALUE_OPTIONS)
        else:
            return index
    return None


_LONG_OPTIONS = (*VALUE_OPTIONS, "--allow-removals", "--strict", "--verbose", "--quiet", "--help")


def _port(value: str) -> int:
    """A TCP port: 1-65535, or 0 for any free one."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port number from 1 to 65535 (or 0 for any free port), got {value!r}"
        )
    return port


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--source", type=Path, default=Path("site_src"), help="site folder")
    noise = common.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="debug output, tracebacks")
    noise.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    return common


def _command_options(sub: argparse.ArgumentParser, name: str) -> None:
    if name in ("run", "sync"):
        sub.add_argument(
            "--allow-removals",
            action="store_true",
            help="let the sync drop more than half of the stored meetings",
        )
        sub.add_argument(
            "--report", type=Path, metavar="FILE", help="also write what changed to FILE"
        )
    if name == "run":
        sub.add_argument("--strict", action="store_true", help="a failed sync is fatal")
    if name in ("run", "build", "check", "serve"):
        sub.add_argument("--templates", type=Path, default=Path("templates"))
        sub.add_argument(
            "--now", help="ISO date-time that splits upcoming from past (or SOURCE_DATE_EPOCH)"
        )
    if name in ("run", "build", "serve"):
        sub.add_argument("--out", type=Path, default=Path("_site"), help="output folder")
    if name == "serve":
        sub.add_argument("--port", type=_port, default=4000, help="default 4000, as Jekyll")
        sub.add_argument("--host", default="127.0.0.1")


def cmd_sync(args: argparse.Namespace) -> int:
    _report(_sync(args), file=args.report)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from indico_sync.site.build import build, resolve_now

    now = resolve_now(args.now, os.environ)
    result = build(args.source, args.out, templates=args.templates, now=now)
    done = f"{args.out} is up to date" if result.fresh else f"built {args.out}"
    print(f"{done}: {_counts(result)}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Sync, then build. A failed sync still builds from the last good snapshot.

    Checked first, so a sync never runs for nothing: the config and the output folder
    (both exit 1). A snapshot the sync cannot read cannot be built from either: exit 1.
    """
    from indico_sync.config import load_config
    from indico_sync.errors import SnapshotError
    from indico_sync.site.build import check_output

    load_config(args.source)
    check_output(args.source, args.out, templates=args.templates)
    status = EXIT_OK
    try:
        _report(_sync(args), file=args.report)
    except SnapshotError:
        raise
    except Exception as exc:  # any failed sync, even a bug in it: the last good site
        if args.strict:
            raise
        log.debug("traceback", exc_info=True)
        print(f"error: sync failed: {describe(exc, hide=_token() or '')}", file=sys.stderr)
        print("warning: building the site from the last good snapshot", file=sys.stderr)
        status = EXIT_SYNC_FAILED
    cmd_build(args)
    return status


def cmd_check(args: argparse.Namespace) -> int:
    from indico_sync.site.build import check, resolve_now

    result = check(args.source, templates=args.templates, now=resolve_now(args.now, os.environ))
    print(f"ok: {_counts(result)}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from indico_sync.site.build import resolve_now
    from indico_sync.site.serve import serve

    now = resolve_now(args.now, os.environ)
    serve(args.source, args.out, templates=args.templates, now=now, host=args.host, port=args.port)
    return EXIT_OK


def _sync(args: argparse.Namespace) -> SyncResult:
    """Imported here: `build` alone never pays for loading httpx."""
    from indico_sync.sync import sync

    token = _token()
    log.info("syncing %s (%s)", args.source, "with token" if token else "anonymous")
    now = datetime.now(UTC)
    return sync(
        args.source,
        token=token,
        allow_removals=args.allow_removals,
        today=now.date(),
        now=now,
    )


def _token() -> str | None:
    return os.environ.get("INDICO_TOKEN", "").strip() or None


def _report(result: SyncResult, *, file: Path | None = None, limit: int = 50) -> None:
    """What changed, one meeting per line (the first `limit`), on stdout; all of it,
    under a commit-message subject line, to `file` when given.

    Every line starts with `+`, `~`, `-`, `...` or `sync:`, and the Indico text in it
    has no control characters (see `report.printable`), so it cannot start a workflow
    command or close the code block the job summary puts it in.
    """
    from indico_sync.report import report_lines

    changes = result.changes
    lines = report_lines(
        changes.added, changes.updated, changes.previous, changes.removed, zone=result.zone
    )
    if lines:
        print("\n".join(_first(lines, limit)))
    state = f"wrote {result.path}" if result.written else f"{result.path} unchanged"
    from indico_sync.snapshot import plural

    print(f"sync: {changes.summary()}; {plural(result.meetings, 'meeting')}; {state}")
    if file is not None:
        _write_report(file, changes.summary() if changes else "no meeting changed", lines)


def _counts(result: BuildResult) -> str:
    from indico_sync.snapshot import plural

    return ", ".join(
        plural(n, noun)
        for n, noun in (
            (result.pages, "page"),
            (result.meetings, "meeting"),
            (result.files, "file"),
        )
    )


def _first(lines: list[str], limit: int) -> list[str]:
    return lines if len(lines) <= limit else [*lines[:limit], f"... and {len(lines) - limit} more"]


def _write_report(file: Path, summary: str, lines: list[str]) -> None:
    """The report as a commit message: a subject line, a blank line, the changes."""
    from indico_sync.writer import write_text

    text = f"Sync meetings from Indico: {summary}\n"
    if lines:
        text += "\n" + "\n".join(_first(lines, REPORT_LIMIT)) + "\n"
    try:
        write_text(file, text, durable=False)
    except OSError as exc:
        print(f"warning: cannot write the report {file}: {exc.strerror or exc}", file=sys.stderr)


REPORT_LIMIT = 500
"""Most meetings a report file lists (a first sync of a big category lists them all)."""


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("indico_sync")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
