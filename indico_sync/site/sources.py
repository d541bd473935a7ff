"""Reading the site folder and the templates: the build's only disk reads.

`load_site_files` gives the pages, posts and files to copy; `load_assets` the theme's
static files; `load_templates` the one Jinja environment, whose loader reads only regular
files inside the templates folder. `walk_files` is the one folder walker: the build, the
build cache and `serve`'s watcher all list files with it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from indico_sync.errors import ContentError, IndicoSyncError, RenderError
from indico_sync.untrusted import load_regular

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment

    from indico_sync.site.pages import SiteFiles

log = logging.getLogger(__name__)


def load_templates(folder: Path) -> Environment:
    """The one Jinja environment: autoescape on, StrictUndefined (a missing value fails).

    Compiled templates are kept between builds as Python keeps bytecode: in Jinja's
    per-user folder in the temporary directory (mode 0700, its owner checked), keyed by
    the template's source, so an edited template is compiled again. Compiling them
    costs a process 0.1 s; loading them, 4 ms.
    """
    from jinja2 import Environment, FileSystemBytecodeCache, StrictUndefined

    if not folder.is_dir():
        raise RenderError(f"{folder}: templates folder not found (use --templates)")
    try:
        compiled: FileSystemBytecodeCache | None = FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no safe folder for it: compile every time
        compiled = None
    return Environment(
        bytecode_cache=compiled,
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
    return {
        p.relative_to(static).as_posix(): _read_bytes(p) for p in walk_files(static, published=True)
    }


def load_site_files(source: Path, *, skip: Path | None = None) -> SiteFiles:
    """Pages, posts and files to copy. `_*` and `.*` entries are not published, and
    `skip` (the output folder, when it lies inside the source) is never read."""
    from indico_sync.site.pages import MARKDOWN_SUFFIXES, POSTS, SiteFiles, SourceFile

    if not source.is_dir():
        raise ContentError(f"{source}: not a folder (is --source the site folder?)")
    pages, static = [], {}
    for path in walk_files(source, skip=skip, published=True):
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
    """The files directly in `_posts/`, sorted, links skipped as in `walk_files`."""
    if _skipped_link(folder) or not folder.is_dir():
        return []
    names = sorted(entry.name for entry in os.scandir(folder) if entry.name[0] != ".")
    return [folder / name for name in names if not _skipped_link(folder / name)]


def walk_files(root: Path, *, skip: Path | None = None, published: bool = False) -> Iterator[Path]:
    """Every file under `root`, sorted, leaving out `.`-names and the folder `skip`.

    `published=True` lists what a site publishes: `_`-names are left out too, and symbolic
    links (to files or folders) are skipped with a warning, as GitHub Pages does: a
    committed link may lead anywhere, such as to `/proc/self/environ`, which holds
    INDICO_TOKEN. Otherwise (the cache, the watcher) links are listed, Python caches not.
    """
    hidden = "._" if published else "."
    skip = skip.absolute() if skip else None
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [
            d
            for d in sorted(dirs)
            if d[0] not in hidden
            and (here / d).absolute() != skip
            and _listed(here / d, published=published)
        ]
        for name in sorted(files):
            if name[0] not in hidden and _listed(here / name, published=published):
                yield here / name


def _listed(path: Path, *, published: bool) -> bool:
    if published:
        return not _skipped_link(path)
    return path.name != "__pycache__" and path.suffix != ".pyc"


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
