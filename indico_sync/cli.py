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
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from indico_sync import __version__
from indico_sync.commands import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_SYNC_FAILED,
    EXIT_USAGE,
    cmd_build,
    cmd_check,
    cmd_run,
    cmd_serve,
    cmd_sync,
    token,
)
from indico_sync.errors import describe

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_SYNC_FAILED", "EXIT_USAGE", "main", "parse_args"]
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
        print(f"error: {describe(exc, hide=token() or '')}", file=sys.stderr)
        return EXIT_ERROR


VALUE_OPTIONS = ("--source", "--templates", "--now", "--out", "--port", "--host")
"""Options that take a value: `--out build` names a folder, not the command."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """`run` is the default command: `python -m indico_sync --strict` works.

    The command is the first argument that is neither an option nor an option's value,
    wherever it stands; it is moved to the front for argparse.
    """
    parser = _Parser(
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


class _Parser(argparse.ArgumentParser):
    """argparse, exiting with EXIT_USAGE on a usage error (the subcommands' parsers too)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


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


def _common_options() -> _Parser:
    common = _Parser(add_help=False)
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
