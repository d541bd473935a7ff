"""The build stage: site source + meeting snapshot -> a finished static site.

`build` reads like its steps: load the config, pages, templates and meetings, render
the whole site in memory (`site.render_site`, pure), then write it in one atomic swap
(`writer.write_site`). Any error before the swap leaves the previous output as it
was. `check` runs the same steps without writing. The loaders here are the only
disk reads of the build.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from indico_sync.cache import (
    Manifest,
    fingerprint,
    is_fresh,
    load_manifest,
    manifest_path,
    now_span,
    output_state,
    render_manifest,
)
from indico_sync.errors import ConfigError, ContentError, RenderError
from indico_sync.writer import write_site, write_text

if TYPE_CHECKING:
    from jinja2 import Environment

    from indico_sync.config import Config
    from indico_sync.meetings import Meeting
    from indico_sync.pages import Page, SiteFiles, SourceFile

# The rendering pipeline (Jinja, Markdown, icalendar, YAML) is imported where it is
# used, not here: a rebuild with nothing to do then costs little more than start-up.

log = logging.getLogger(__name__)

SPLIT_PAGES = 20
"""From this many Markdown files on, half of them are rendered on the second core."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    pages: int  # pages and posts rendered
    meetings: int
    files: int


def build(source: Path, out: Path, *, templates: Path, now: datetime) -> BuildResult:
    """Build the site from `source` into `out`, replacing `out` atomically.

    When no input changed since the last build and no meeting started or ended
    since, the output folder already is the result, and the build stops there.
    """
    print_ = fingerprint([source, templates], skip=out)
    previous = load_manifest(out)
    if is_fresh(previous, print_=print_, now=now, out=out) and previous is not None:
        log.info("%s is up to date", out)
        return BuildResult(
            pages=previous.pages, meetings=previous.meetings, files=len(previous.outputs)
        )
    files, result, span = _in_memory(source, templates=templates, now=now, skip=out)
    write_site(out, files)
    log.debug("wrote %d files to %s", result.files, out)
    manifest = Manifest(
        fingerprint=print_,
        valid_from=span[0],
        valid_until=span[1],
        outputs=output_state(out),
        pages=result.pages,
        meetings=result.meetings,
    )
    write_text(manifest_path(out), render_manifest(manifest), durable=False)  # only a cache
    return result


def check(source: Path, *, templates: Path, now: datetime) -> BuildResult:
    """Everything `build` does except writing: for pull requests and editors."""
    return _in_memory(source, templates=templates, now=now)[1]


def _in_memory(
    source: Path, *, templates: Path, now: datetime, skip: Path | None = None
) -> tuple[dict[str, bytes], BuildResult, tuple[float, float]]:
    """The whole site in memory, and what it holds.

    Two forked children on the machine's second core render the second half of the
    pages and the calendar while this process renders the rest. Each process imports
    the libraries it needs after the fork (Markdown here and in the first child,
    icalendar only in the second, Jinja only here), so those imports run in parallel.
    """
    from indico_sync.config import load_config
    from indico_sync.meetings import apply_overrides
    from indico_sync.snapshot import load_snapshot

    config = load_config(source)
    site_files = load_site_files(source, skip=skip)
    sources = (*site_files.pages, *site_files.posts)
    split = len(sources) // 2 if len(sources) >= SPLIT_PAGES else len(sources)
    more_pages = Background(functools.partial(_pickled_pages, sources[split:], config))
    calendar: Background | None = None
    try:
        meetings = apply_overrides(load_snapshot(source), config.indico.overrides)
        calendar = Background(functools.partial(_calendar, config, meetings))
        pages = _parse_pages(sources[:split], config)
        pages += pickle.loads(more_pages.result())  # noqa: S301  # our own child's bytes

        from indico_sync.site import render_site

        files = render_site(
            config=config,
            pages=pages,
            meetings=meetings,
            static=site_files.static,
            assets=load_assets(templates),
            env=load_templates(templates),
            now=now,
            calendar=calendar.result,
        )
    finally:  # stop children whose result was never asked for (rendering failed first)
        more_pages.cancel()
        if calendar is not None:
            calendar.cancel()
    result = BuildResult(pages=len(pages), meetings=len(meetings), files=len(files))
    return files, result, now_span(meetings, now)


def _parse_pages(sources: Sequence[SourceFile], config: Config) -> list[Page]:
    from indico_sync.pages import parse_sources

    zone = config.timezone or UTC
    return parse_sources(sources, site=config.site, baseurl=config.baseurl, zone=zone)


def _pickled_pages(sources: Sequence[SourceFile], config: Config) -> bytes:
    return pickle.dumps(_parse_pages(sources, config))


def _calendar(config: Config, meetings: Sequence[Meeting]) -> bytes:
    from indico_sync.calendar import render_meetings_calendar

    return render_meetings_calendar(config, meetings)


class Background:
    """Bytes made by a forked child process, on the machine's other core."""

    def __init__(self, work: Callable[[], bytes]) -> None:
        self.work = work
        self.pid = 0
        self.reaped = False
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return  # forking a threaded process is unsafe: work() runs in result()
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(read_end)
            gc.disable()  # a short-lived child: collecting would only copy shared pages
            _child(work, write_end)
        os.close(write_end)
        self.pipe = os.fdopen(read_end, "rb")

    def result(self) -> bytes:
        """The bytes; if the child failed, the work is redone here to raise its error."""
        if not self.pid:
            return self.work()
        with self.pipe:
            data = self.pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        return data if status == 0 else self.work()

    def cancel(self) -> None:
        """Stop and reap the child if `result` was never asked for."""
        if self.pid and not self.reaped:
            self.reaped = True
            self.pipe.close()
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


def _child(work: Callable[[], bytes], write_end: int) -> NoReturn:
    status = 1
    try:
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(work())
        status = 0
    finally:
        os._exit(status)  # never return into the parent's code, never run its exit hooks


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


def load_templates(folder: Path) -> Environment:
    """The one Jinja environment: autoescape on, StrictUndefined (a missing value fails)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    if not folder.is_dir():
        raise RenderError(f"{folder}: templates folder not found (use --templates)")
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def load_assets(folder: Path) -> dict[str, bytes]:
    """`templates/static/*`: the stylesheet and friends, published under `assets/`."""
    static = folder / "static"
    if not static.is_dir():
        return {}
    return {p.relative_to(static).as_posix(): _read_bytes(p) for p in _walk(static, skip=None)}


def load_site_files(source: Path, *, skip: Path | None = None) -> SiteFiles:
    """Pages, posts and files to copy. `_*` and `.*` entries are not published, and
    `skip` (the output folder, when it lies inside the source) is never read."""
    from indico_sync.pages import MARKDOWN_SUFFIXES, POSTS, SiteFiles, SourceFile

    if not source.is_dir():
        raise ContentError(f"{source}: not a folder (is --source the site folder?)")
    pages, static = [], {}
    for path in _walk(source, skip=skip.absolute() if skip else None):
        name = path.relative_to(source).as_posix()
        if path.suffix in MARKDOWN_SUFFIXES:
            pages.append(SourceFile(path=path, name=name, text=_read_text(path)))
        else:
            static[name] = _read_bytes(path)
    posts = sorted(p for p in (source / POSTS).glob("*") if p.suffix in MARKDOWN_SUFFIXES)
    return SiteFiles(
        pages=tuple(pages),
        posts=tuple(
            SourceFile(path=p, name=f"{POSTS}/{p.name}", text=_read_text(p)) for p in posts
        ),
        static=static,
    )


def _walk(root: Path, *, skip: Path | None) -> Iterator[Path]:
    """Files to publish, sorted; symlinks are skipped, as GitHub Pages does."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d[0] not in "._" and (here / d).absolute() != skip)
        for name in sorted(files):
            if name[0] not in "._" and not (here / name).is_symlink():
                yield here / name


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _read_text(path: Path) -> str:
    try:
        text = _read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n")
