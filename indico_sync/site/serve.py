"""`serve`: build, serve the output on 127.0.0.1 for preview, rebuild on changes.

The output is served under the site's `baseurl`, as GitHub Pages will, so links that
work here work there. A build error while serving is printed and the last good
site stays up.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import http.server
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from indico_sync.config import load_config
from indico_sync.errors import IndicoSyncError, ServeError
from indico_sync.site.build import build
from indico_sync.site.sources import walk_files

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Preview:
    """A running preview: the HTTP server and the watcher that rebuilds."""

    server: http.server.ThreadingHTTPServer
    stop: threading.Event
    url: str

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def serve(source: Path, out: Path, *, templates: Path, now: datetime, host: str, port: int) -> None:
    """Serve until interrupted; raises the build's error if the first build fails, and
    ServeError if nothing can listen on `host`:`port`."""
    preview = start_preview(source, out, templates=templates, now=now, host=host, port=port)
    print(f"serving {out} at {preview.url} (Ctrl-C stops)")
    try:
        preview.stop.wait()
    finally:
        preview.close()


def start_preview(
    source: Path, out: Path, *, templates: Path, now: datetime, host: str, port: int
) -> Preview:
    """Build once, then serve and watch in background threads."""
    rebuild = functools.partial(build, source, out, templates=templates, now=now)
    rebuild()
    baseurl = load_config(source).baseurl
    handler = functools.partial(_Handler, directory=str(out.absolute()), baseurl=baseurl)
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except (OSError, UnicodeError) as exc:  # UnicodeError: a host name IDNA cannot encode
        raise ServeError(_listen_error(host, port, exc)) from exc
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    watched = functools.partial(snapshot_mtimes, [source, templates], skip=out)
    watcher = threading.Thread(target=_watch, args=(watched, rebuild, stop))
    watcher.daemon = True
    watcher.start()
    return Preview(server=server, stop=stop, url=f"http://{host}:{server.server_port}{baseurl}/")


def _listen_error(host: str, port: int, exc: OSError | UnicodeError) -> str:
    """Whose fault: the port (taken, privileged) or the host (unknown, not this machine's)."""
    where = f"cannot listen on {host}:{port}"
    if isinstance(exc, OSError) and exc.errno in (errno.EADDRINUSE, errno.EACCES):
        return f"{where}: {exc.strerror}; choose another --port"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return f"{where}: {reason}; check --host (127.0.0.1 is this machine)"


def snapshot_mtimes(folders: list[Path], *, skip: Path | None = None) -> dict[Path, int]:
    """Every file's modification time: a cheap, dependency-free change detector."""
    mtimes = {}
    for folder in folders:
        for path in walk_files(folder, skip=skip):
            with contextlib.suppress(OSError):  # gone since it was listed: not seen
                mtimes[path] = path.lstat().st_mtime_ns
    return mtimes


def _watch(
    watched: Callable[[], dict[Path, int]], rebuild: Callable[[], Any], stop: threading.Event
) -> None:
    seen = watched()
    while not stop.wait(0.3):
        current = watched()
        if current == seen:
            continue
        seen = current
        started = time.perf_counter()
        try:
            rebuild()
        except IndicoSyncError as exc:
            print(f"error: {exc} (still serving the last good site)", flush=True)
            continue
        print(f"rebuilt in {time.perf_counter() - started:.2f} s", flush=True)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files under `baseurl`; `/` redirects there; 404s show the site's 404.html."""

    def __init__(self, *args: Any, baseurl: str, **kwargs: Any) -> None:
        self.baseurl = baseurl
        super().__init__(*args, **kwargs)

    def send_head(self) -> Any:
        if self.baseurl and not self.path.startswith(self.baseurl + "/"):
            if self.path.split("?")[0] in ("/", self.baseurl):
                self.send_response(302)
                self.send_header("Location", self.baseurl + "/")
                self.end_headers()
                return None
            self.send_error(404)
            return None
        return super().send_head()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A missing page gets the site's own 404.html, with status 404, as on GitHub Pages."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def translate_path(self, path: str) -> str:
        return super().translate_path(path.removeprefix(self.baseurl))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)
