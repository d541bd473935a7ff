"""The commands behind `python -m indico_sync COMMAND`: each takes the parsed arguments and
returns an exit status (see `cli.py`, which parses the arguments and catches the errors).

The stages are imported inside the commands: `build` alone never pays for loading httpx,
and a no-op rebuild never loads Jinja.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from indico_sync.errors import ConfigError, describe

if TYPE_CHECKING:
    from indico_sync.site.build import BuildResult
    from indico_sync.sync import SyncResult

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SYNC_FAILED = 3

log = logging.getLogger("indico_sync")


def cmd_sync(args: argparse.Namespace) -> int:
    _report(_sync(args), file=args.report)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from indico_sync.site.build import build

    now = resolve_now(args.now, os.environ)
    result = build(args.source, args.out, templates=args.templates, now=now, detach=True)
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
        print(f"error: sync failed: {describe(exc, hide=token() or '')}", file=sys.stderr)
        print("warning: building the site from the last good snapshot", file=sys.stderr)
        status = EXIT_SYNC_FAILED
    cmd_build(args)
    return status


def cmd_check(args: argparse.Namespace) -> int:
    from indico_sync.site.build import check

    result = check(args.source, templates=args.templates, now=resolve_now(args.now, os.environ))
    print(f"ok: {_counts(result)}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from indico_sync.site.serve import serve

    now = resolve_now(args.now, os.environ)
    serve(args.source, args.out, templates=args.templates, now=now, host=args.host, port=args.port)
    return EXIT_OK


def _sync(args: argparse.Namespace) -> SyncResult:
    """Imported here: `build` alone never pays for loading httpx."""
    from indico_sync.sync import sync

    secret = token()
    log.info("syncing %s (%s)", args.source, "with token" if secret else "anonymous")
    now = datetime.now(UTC)
    return sync(
        args.source,
        token=secret,
        allow_removals=args.allow_removals,
        today=now.date(),
        now=now,
    )


def token() -> str | None:
    """INDICO_TOKEN, or None: read where it is used, and hidden from every message."""
    return os.environ.get("INDICO_TOKEN", "").strip() or None


def _report(result: SyncResult, *, file: Path | None = None, limit: int = 50) -> None:
    """What changed, one meeting per line (the first `limit`), on stdout; all of it,
    under a commit-message subject line, to `file` when given.

    Every line starts with `+`, `~`, `-`, `...` or `sync:`, and the Indico text in it
    has no control characters (see `report.printable`), so it cannot start a workflow
    command or close the code block the job summary puts it in.
    """
    from indico_sync.sync.report import report_lines

    changes = result.changes
    lines = report_lines(
        changes.added, changes.updated, changes.previous, changes.removed, zone=result.zone
    )
    if lines:
        print("\n".join(_first(lines, limit)))
    state = f"wrote {result.path}" if result.written else f"{result.path} unchanged"
    from indico_sync.untrusted import plural

    print(f"sync: {changes.summary()}; {plural(result.meetings, 'meeting')}; {state}")
    if file is not None:
        _write_report(file, changes.summary() if changes else "no meeting changed", lines)


def _counts(result: BuildResult) -> str:
    from indico_sync.untrusted import plural

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


def resolve_now(value: str | None, environ: Mapping[str, str]) -> datetime:
    """The moment that splits upcoming from past: `--now` (ISO 8601, naive = UTC), else
    SOURCE_DATE_EPOCH (reproducible builds), else the current time."""
    if value:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(
                f"--now: expected an ISO 8601 date-time such as 2026-11-22T12:00:00+01:00, "
                f"got {value!r}"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(
                f"SOURCE_DATE_EPOCH: expected whole seconds since 1970, got {epoch!r}"
            ) from None
    return datetime.now(UTC)
