"""`serve`: build, serve the output on 127.0.0.1 for preview, rebuild on changes.

The output is served under the site's `baseurl`, as GitHub Pages will, so links that
work here work there. A build error while serving is printed and the last good
site stays up.
"""

from __future__ import annotations

import functools
import http.server
import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from indico_sync.build import build
from indico_sync.config import load_config
from indico_sync.errors import IndicoSyncError

log = logging.getLogger(__name__)


def serve(
    source: Path, out: Path, *, templates: Path, now: datetime, host: str, port: int
) -> None:
    """Serve until interrupted; raises IndicoSyncError if the first build fails."""
    rebuild = functools.partial(build, source, out, templates=templates, now=now)
    rebuild()
    baseurl = load_config(source).baseurl
    handler = functools.partial(_Handler, directory=str(out.absolute()), baseurl=baseurl)
    server = http.server.ThreadingHTTPServer((host, port), handler)
    stop = threading.Event()
    watcher = threading.Thread(
        target=_watch, args=([source, templates], rebuild, stop), daemon=True
    )
    watcher.start()
    print(f"serving {out} at http://{host}:{server.server_port}{baseurl}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        stop.set()
        server.server_close()


def snapshot_mtimes(folders: list[Path]) -> dict[Path, float]:
    """Every file's modification time: a cheap, dependency-free change detector."""
    return {
        path: path.stat().st_mtime
        for folder in folders
        if folder.exists()
        for path in folder.rglob("*")
        if path.is_file()
    }


def _watch(folders: list[Path], rebuild: Any, stop: threading.Event) -> None:
    seen = snapshot_mtimes(folders)
    while not stop.wait(0.5):
        current = snapshot_mtimes(folders)
        if current == seen:
            continue
        seen = current
        started = time.perf_counter()
        try:
            rebuild()
        except IndicoSyncError as exc:
            print(f"error: {exc} (still serving the last good site)")
            continue
        print(f"rebuilt in {time.perf_counter() - started:.2f} s")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files under `baseurl`; `/` redirects there."""

    def __init__(self, *args: Any, baseurl: str, **kwargs: Any) -> None:
        self.baseurl = baseurl
        super().__init__(*args, **kwargs)

    def send_head(self) -> Any:
        if self.baseurl and not self.path.startswith(self.baseurl + "/"):
            if self.path in ("/", self.baseurl):
                self.send_response(302)
                self.send_header("Location", self.baseurl + "/")
                self.end_headers()
                return None
            self.send_error(404)
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path(path.removeprefix(self.baseurl))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)
