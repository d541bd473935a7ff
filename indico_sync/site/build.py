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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from indico_sync.errors import ConfigError, ContentError, IndicoSyncError, RenderError
from indico_sync.site.cache import (
    Manifest,
    fingerprint,
    is_fresh,
    load_manifest,
    manifest_path,
    now_span,
    output_state,
    render_manifest,
)
from indico_sync.untrusted import load_regular
from indico_sync.writer import check_output_folder, write_site, write_text

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment

    from indico_sync.config import Config
    from indico_sync.meetings import Meeting
    from indico_sync.site.pages import Page, SiteFiles, SourceFile

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
    fresh: bool = field(default=False, compare=False)  # nothing to do: the output was current


def build(source: Path, out: Path, *, templates: Path, now: datetime) -> BuildResult:
    """Build the site from `source` into `out`, replacing `out` atomically.

    When no input changed since the last build and no meeting started or ended
    since, the output folder already is the result, and the build stops there.
    A folder that is not a previous output is refused before anything is rendered.
    """
    print_ = fingerprint([source, templates], skip=out)
    previous = load_manifest(out)
    if is_fresh(previous, print_=print_, now=now, out=out) and previous is not None:
        log.debug("%s is up to date", out)
        return BuildResult(
            pages=previous.pages,
            meetings=previous.meetings,
            files=len(previous.outputs),
            fresh=True,
        )
    protect = {"the site source": source, "the templates folder": templates}
    known = previous.outputs if previous else ()
    check_output_folder(out, protect=protect, known=known)
    files, result, span = _in_memory(source, templates=templates, now=now, skip=out)
    write_site(out, files, protect=protect, known=known)
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


def check_output(source: Path, out: Path, *, templates: Path) -> None:
    """Raise OutputRefused now if a build could not replace `out` (before a sync)."""
    previous = load_manifest(out)
    check_output_folder(
        out,
        protect={"the site source": source, "the templates folder": templates},
        known=previous.outputs if previous else (),
    )


def check(source: Path, *, templates: Path, now: datetime) -> BuildResult:
    """Everything `build` does except writing: for pull requests and editors."""
    return _in_memory(source, templates=templates, now=now)[1]


def _in_memory(
    source: Path, *, templates: Path, now: datetime, skip: Path | None = None
) -> tuple[dict[str, bytes], BuildResult, tuple[float, float]]:
    """The whole site in memory, and what it holds.

    A forked child on the machine's second core renders the second half of the pages,
    then the calendar, while this process renders the rest. Each process imports the
    libraries it needs after the fork (Markdown in both, icalendar only in the child,
    Jinja only here), so those imports also run in parallel.
    """
    from indico_sync.config import load_config
    from indico_sync.snapshot import load_published

    config = load_config(source)
    site_files = load_site_files(source, skip=skip)
    snapshot = load_published(source, config.indico)
    meetings = snapshot.meetings
    sources = (*site_files.pages, *site_files.posts)
    split = len(sources) // 2 if len(sources) >= SPLIT_PAGES else len(sources)
    helper = Background(
        [
            functools.partial(_pickled_pages, sources[split:], config),
            functools.partial(_calendar, config, meetings),
        ]
    )
    try:
        pages = _parse_pages(sources[:split], config)
        pages += pickle.loads(helper.next())  # noqa: S301  # our own child's bytes

        from indico_sync.site.render import render_site

        files = render_site(
            config=config,
            pages=pages,
            meetings=meetings,
            static=site_files.static,
            assets=load_assets(templates),
            env=load_templates(templates),
            now=now,
            calendar=helper.next,
            updated=snapshot.updated,
        )
    finally:
        helper.cancel()  # only does something when rendering failed first
    result = BuildResult(pages=len(pages), meetings=len(meetings), files=len(files))
    return files, result, now_span(meetings, now)


def _parse_pages(sources: Sequence[SourceFile], config: Config) -> list[Page]:
    from indico_sync.site.pages import parse_sources

    zone = config.timezone or UTC
    return parse_sources(sources, site=config.site, baseurl=config.baseurl, zone=zone)


def _pickled_pages(sources: Sequence[SourceFile], config: Config) -> bytes:
    return pickle.dumps(_parse_pages(sources, config))


def _calendar(config: Config, meetings: Sequence[Meeting]) -> bytes:
    from indico_sync.site.calendar import render_meetings_calendar

    return render_meetings_calendar(config, meetings)


class Background:
    """Bytes made one after another by a forked child process, on the other core.

    `next()` gives the works' results in order, each as soon as the child has sent
    it. When the child fails, the works it did not deliver are done here instead, so
    their error is raised in this process. Without fork (or with other threads
    running, when forking is unsafe) every work is simply done in `next()`.
    """

    def __init__(self, works: Sequence[Callable[[], bytes]]) -> None:
        self.works = list(works)
        self.delivered = 0
        self.pid = 0
        self.reaped = False
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(read_end)
            gc.disable()  # a short-lived child: collecting would only copy shared pages
            _child(self.works, write_end)
        os.close(write_end)
        self.pipe = os.fdopen(read_end, "rb")

    def next(self) -> bytes:
        work = self.works[self.delivered]
        self.delivered += 1
        if self.pid and not self.reaped:
            data = self._receive()
            if self.delivered == len(self.works) or data is None:
                self._reap()
            if data is not None:
                return data
        return work()

    def cancel(self) -> None:
        """Stop and reap the child if it has results nobody asked for."""
        if self.pid and not self.reaped:
            os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _receive(self) -> bytes | None:
        """The next result from the pipe, or None if the child failed before sending it."""
        header = self.pipe.read(_SIZE)
        if len(header) < _SIZE:
            return None
        size = int.from_bytes(header, "big")
        data = self.pipe.read(size)
        return data if len(data) == size else None

    def _reap(self) -> None:
        self.reaped = True
        self.pipe.close()
        os.waitpid(self.pid, 0)


_SIZE = 8  # bytes of the length that precedes each result in the pipe


def _child(works: Sequence[Callable[[], bytes]], write_end: int) -> NoReturn:
    status = 1
    try:
        with os.fdopen(write_end, "wb") as pipe:
            for work in works:
                data = work()
                pipe.write(len(data).to_bytes(_SIZE, "big"))
                pipe.write(data)
                pipe.flush()
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
    from jinja2 import Environment, StrictUndefined

    if not folder.is_dir():
        raise RenderError(f"{folder}: templates folder not found (use --templates)")
    return Environment(
        loader=_template_loader(folder),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def _template_loader(folder: Path) -> BaseLoader:
    """Templates from `folder`, read as the site's files are (see `load_template_source`)."""
    from jinja2 import BaseLoader

    class Loader(BaseLoader):
        def __init__(self) -> None:
            self.searchpath = [str(folder)]  # named in "template not found" messages

        def get_source(
            self, environment: Environment, template: str
        ) -> tuple[str, str, Callable[[], bool]]:
            path, text = load_template_source(folder, template)
            return text, str(path), lambda: True

    return Loader()


def load_template_source(folder: Path, name: str) -> tuple[Path, str]:
    """One template's path and text. Jinja's own FileSystemLoader follows any link: a
    committed `templates/404.html -> /proc/self/environ` would publish INDICO_TOKEN.
    Here a link is followed only when it stays inside the templates folder, and only
    a regular file is read."""
    from jinja2 import TemplateNotFound
    from jinja2.loaders import split_template_path

    path = folder.joinpath(*split_template_path(name))  # refuses '..'
    real = path.resolve()
    if not real.is_relative_to(folder.resolve()):
        raise RenderError(
            f"{path}: a symbolic link leading out of {folder}; not read "
            "(a template may only link to another file in the templates folder)"
        )
    if not real.exists():
        raise TemplateNotFound(name)
    return path, _read_text(real, error=RenderError, shown=path)


def load_assets(folder: Path) -> dict[str, bytes]:
    """`templates/static/*`: the stylesheet and friends, published under `assets/`."""
    static = folder / "static"
    if not static.is_dir():
        return {}
    return {p.relative_to(static).as_posix(): _read_bytes(p) for p in _walk(static, skip=None)}


def load_site_files(source: Path, *, skip: Path | None = None) -> SiteFiles:
    """Pages, posts and files to copy. `_*` and `.*` entries are not published, and
    `skip` (the output folder, when it lies inside the source) is never read."""
    from indico_sync.site.pages import MARKDOWN_SUFFIXES, POSTS, SiteFiles, SourceFile

    if not source.is_dir():
        raise ContentError(f"{source}: not a folder (is --source the site folder?)")
    pages, static = [], {}
    for path in _walk(source, skip=skip.absolute() if skip else None):
        name = path.relative_to(source).as_posix()
        if path.suffix in MARKDOWN_SUFFIXES:
            pages.append(SourceFile(path=path, name=name, text=_read_text(path)))
        else:
            static[name] = _read_bytes(path)
    posts = [p for p in _posts(source / POSTS) if p.suffix in MARKDOWN_SUFFIXES]
    return SiteFiles(
        pages=tuple(pages),
        posts=tuple(
            SourceFile(path=p, name=f"{POSTS}/{p.name}", text=_read_text(p)) for p in posts
        ),
        static=static,
    )


def _posts(folder: Path) -> list[Path]:
    """The files directly in `_posts/`, sorted, symlinks skipped as in `_walk`."""
    if _skipped_link(folder) or not folder.is_dir():
        return []
    names = sorted(entry.name for entry in os.scandir(folder) if entry.name[0] != ".")
    return [folder / name for name in names if not _skipped_link(folder / name)]


def _walk(root: Path, *, skip: Path | None) -> Iterator[Path]:
    """Files to publish, sorted. Symbolic links (to files or folders) are skipped with a
    warning, as GitHub Pages does: a committed link may lead anywhere, such as to
    `/proc/self/environ`, which holds INDICO_TOKEN."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [
            d
            for d in sorted(dirs)
            if d[0] not in "._" and (here / d).absolute() != skip and not _skipped_link(here / d)
        ]
        for name in sorted(files):
            if name[0] not in "._" and not _skipped_link(here / name):
                yield here / name


def _skipped_link(path: Path) -> bool:
    if not path.is_symlink():
        return False
    log.warning("%s: a symbolic link; not read or published (only regular files are)", path)
    return True


def _read_bytes(
    path: Path, *, error: type[IndicoSyncError] = ContentError, shown: Path | None = None
) -> bytes:
    """A regular file's bytes; a FIFO, device or link is an `error` naming the path."""
    try:
        return load_regular(path)
    except ValueError as exc:
        raise error(f"{shown or path}: {exc}") from exc
    except OSError as exc:
        raise error(f"{shown or path}: cannot read: {exc.strerror or exc}") from exc


def _read_text(
    path: Path, *, error: type[IndicoSyncError] = ContentError, shown: Path | None = None
) -> str:
    try:
        text = _read_bytes(path, error=error, shown=shown).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{shown or path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n")
