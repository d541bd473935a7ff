"""The preview server: serves the built site under baseurl and rebuilds on changes."""

from __future__ import annotations

import shutil
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from helpers import EXAMPLE_SITE, TEMPLATES

from indico_sync.errors import IndicoSyncError, ServeError
from indico_sync.site.serve import snapshot_mtimes, start_preview

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def wait_for(check: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return True
        time.sleep(0.1)
    return False


def example_under_baseurl(tmp_path: Path) -> Path:
    """A copy of the example site with `baseurl: /wg-site`."""
    site = tmp_path / "site_src"
    shutil.copytree(EXAMPLE_SITE, site)
    config = site / "_config.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('baseurl: ""', "baseurl: /wg-site"),
        encoding="utf-8",
    )
    return site


def test_preview_serves_under_baseurl_and_rebuilds(tmp_path: Path) -> None:
    """Home is served at /wg-site/, / redirects there, and an edit shows up after a rebuild."""
    site = example_under_baseurl(tmp_path)
    preview = start_preview(
        site, tmp_path / "_site", templates=TEMPLATES, now=NOW, host="127.0.0.1", port=0
    )
    try:
        assert preview.url.endswith("/wg-site/")
        with httpx.Client(follow_redirects=False) as client:
            assert client.get(preview.url).status_code == 200
            root = client.get(preview.url.removesuffix("wg-site/"))
            assert (root.status_code, root.headers["Location"]) == (302, "/wg-site/")
            about = site / "about.md"
            about.write_text(about.read_text(encoding="utf-8") + "\nFreshly edited.\n")
            assert wait_for(lambda: "Freshly edited." in client.get(preview.url + "about/").text)
    finally:
        preview.close()


def test_mtime_snapshot_sees_new_and_changed_files(tmp_path: Path) -> None:
    """The change detector notices an added file and a modified one."""
    (tmp_path / "a.md").write_text("a")
    before = snapshot_mtimes([tmp_path, tmp_path / "missing"])
    (tmp_path / "b.md").write_text("b")
    assert snapshot_mtimes([tmp_path]) != before
    assert set(snapshot_mtimes([tmp_path])) == {tmp_path / "a.md", tmp_path / "b.md"}


def test_a_busy_port_is_a_one_line_error(tmp_path: Path) -> None:
    """Serving on a port already in use says so and names --port."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match=rf"cannot listen on 127.0.0.1:{port}: .*--port"):
            start_preview(
                EXAMPLE_SITE,
                tmp_path / "_site",
                templates=TEMPLATES,
                now=NOW,
                host="127.0.0.1",
                port=port,
            )


@pytest.mark.parametrize("host", ["::1", "a" * 64 + ".invalid"])
def test_a_bad_host_names_the_host_not_the_port(tmp_path: Path, host: str) -> None:
    """An address of another family, or a name that cannot exist: check --host.

    Neither needs a name server, so no traffic leaves the machine.
    """
    with pytest.raises(ServeError) as caught:
        start_preview(
            EXAMPLE_SITE,
            tmp_path / "_site",
            templates=TEMPLATES,
            now=NOW,
            host=host,
            port=0,
        )
    message = str(caught.value)
    assert message.startswith(f"cannot listen on {host}:0: ")
    assert message.endswith("; check --host (127.0.0.1 is this machine)")
    assert "--port" not in message


def test_a_missing_page_gets_the_sites_404_page(tmp_path: Path) -> None:
    """Status 404 with the site's own 404.html, under baseurl and outside it, as on Pages."""
    site = example_under_baseurl(tmp_path)
    out = tmp_path / "_site"
    preview = start_preview(site, out, templates=TEMPLATES, now=NOW, host="127.0.0.1", port=0)
    page = (out / "404.html").read_bytes()
    assert b'href="/wg-site/' in page
    try:
        with httpx.Client(follow_redirects=False) as client:
            for missing in ("nope/", "nope.html", "../../etc/passwd"):
                answer = client.get(preview.url + missing)
                assert (answer.status_code, answer.content) == (404, page)
                assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
            outside = client.get(preview.url.removesuffix("wg-site/") + "elsewhere/")
            assert (outside.status_code, outside.content) == (404, page)
            head = client.head(preview.url + "nope/")
            assert (head.status_code, head.content) == (404, b"")
            assert head.headers["Content-Length"] == str(len(page))
    finally:
        preview.close()


def test_serve_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    """Previewing into a folder of someone's files is refused before anything is built."""
    out = tmp_path / "scratch"
    out.mkdir()
    (out / "thesis.txt").write_bytes(b"data\n")
    with pytest.raises(IndicoSyncError, match=r"refusing to replace .*scratch: it holds files"):
        start_preview(EXAMPLE_SITE, out, templates=TEMPLATES, now=NOW, host="127.0.0.1", port=0)
    assert [p.name for p in out.iterdir()] == ["thesis.txt"]
    assert (out / "thesis.txt").read_bytes() == b"data\n"
