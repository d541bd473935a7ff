"""The built site in a real headless Chromium, served under a baseurl like GitHub Pages.

Needs Debian's /usr/bin/chromium and Playwright for Python (no browser download);
without either the tests skip and say why. Screenshots go to tests/artifacts/
(gitignored); with --update-golden the 1280 px Home also goes to docs/screenshot-home.png.
"""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from indico_sync.config import load_config
from indico_sync.meetings import Material, MaterialKind, Minutes
from indico_sync.site.build import build
from indico_sync.site.pages import parse_sources
from indico_sync.site.render import render_site
from indico_sync.site.sources import load_assets, load_site_files, load_templates
from indico_sync.snapshot import load_published

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent.parent
SOURCE = Path(__file__).parent / "golden" / "source"
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
BASEURL = "/wg-site"
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
UPCOMING, PAST = 8, 2  # rows in the fixture snapshot on NOW (one is hidden by an override)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """The output folder under BASEURL, like a GitHub Pages project site."""

    def translate_path(self, path: str) -> str:
        if not path.startswith(BASEURL + "/"):
            return str(Path(self.directory) / "does-not-exist")
        return super().translate_path(path.removeprefix(BASEURL))

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("browser") / "_site"
    build(SOURCE, out, templates=ROOT / "templates", now=NOW)
    with _serve(out) as url:
        yield url


@contextmanager
def _serve(out: Path) -> Iterator[str]:
    """`out` served under BASEURL on 127.0.0.1."""
    handler = functools.partial(_Handler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{BASEURL}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page plus every console error, page error, failed request and dialog it saw."""

    def __init__(self, browser: Any, **context: Any) -> None:
        context = {"timezone_id": "Europe/Zurich", "locale": "en-GB", **context}
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)
        self.page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def _failed(self, request: Any) -> None:
        if request.failure != "net::ERR_ABORTED":  # left the page before it loaded
            self.problems.append(f"failed: {request.url} ({request.failure})")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_nav_links_and_meeting_rows_work_under_the_baseurl(
    browser: Any, site_url: str, update_golden: bool
) -> None:
    """Home -> About -> Home through the nav, every row there, no console error at all."""
    watched = Watched(browser, viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = watched.page
    try:
        page.goto(site_url)
        assert page.title() == "Home | GNN ML WG"
        assert page.locator("h1").inner_text().split("\n") == [
            "Global Neutrino Network",
            "Machine Learning",
            "Working Group",
        ]
        upcoming = page.locator("table:has(#upcoming-meetings) tbody tr")
        assert upcoming.count() == UPCOMING
        assert page.locator("table:has(#past-meetings) tbody tr").count() == PAST
        assert "Next" in page.locator("tr.is-next").text_content()
        assert "Cancelled" in page.locator("tr.is-cancelled").text_content()
        home = shot(page, "home-1280-light")
        if update_golden:
            (ROOT / "docs").mkdir(exist_ok=True)
            clip = {"x": 0, "y": 0, "width": 1280, "height": 1800}
            page.screenshot(
                path=str(ROOT / "docs" / "screenshot-home.png"), clip=clip, full_page=True
            )
        page.get_by_role("navigation").get_by_role("link", name="About").click()
        page.wait_for_url(f"{site_url}about/")
        assert page.locator("h1").first.inner_text() == "About"
        assert page.locator("#coordinators").is_visible()
        shot(page, "about-1280-light")
        page.get_by_role("navigation").get_by_role("link", name="Home").click()
        page.wait_for_url(site_url)
        page.get_by_role("link", name="Website now generated from Indico").click()
        page.wait_for_url(f"{site_url}2026/11/22/website-now-generated-from-indico/")
        shot(page, "post-1280-light")
        assert home.exists()
        assert watched.problems == []
    finally:
        watched.close()


def test_every_internal_link_resolves(browser: Any, site_url: str) -> None:
    """Each link and asset under the baseurl on Home, About and a post answers 200."""
    watched = Watched(browser)
    try:
        seen: set[str] = set()
        for path in ("", "about/", "2026/01/19/call-for-speakers-2026/", "404.html"):
            watched.page.goto(site_url + path)
            hrefs = watched.page.eval_on_selector_all(
                "a[href], link[href], script[src]", "els => els.map(e => e.href || e.src)"
            )
            seen.update(h.split("#")[0] for h in hrefs if h.startswith(site_url[:-1]))
        if not MEETING_PAGES:
            seen = {url for url in seen if "/meetings/" not in url}
        assert len(seen) > 8
        for url in sorted(seen):
            assert watched.page.request.get(url).status == 200, url
        assert watched.problems == []
    finally:
        watched.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_nothing_runs_off_a_phone_screen(browser: Any, site_url: str, scheme: str) -> None:
    """At 375 px the page is no wider than the screen, in light and dark mode."""
    watched = Watched(
        browser,
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        color_scheme=scheme,
        is_mobile=True,
        has_touch=True,
    )
    try:
        for name, path in (
            ("home", ""),
            ("about", "about/"),
            ("post", "2026/01/19/call-for-speakers-2026/"),
        ):
            watched.page.goto(site_url + path)
            overflow = watched.page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert overflow[0] <= overflow[1], f"{name}: {overflow}"
            shot(watched.page, f"{name}-375-{scheme}")
        assert watched.problems == []
    finally:
        watched.close()


def test_dark_mode_follows_the_system(browser: Any, site_url: str) -> None:
    """prefers-color-scheme: dark gives a dark background with light text."""
    watched = Watched(browser, viewport={"width": 1280, "height": 900}, color_scheme="dark")
    try:
        watched.page.goto(site_url)
        colours = watched.page.evaluate(
            "(s => [s.backgroundColor, s.color])(getComputedStyle(document.body))"
        )
        assert colours == ["rgb(16, 21, 28)", "rgb(227, 232, 238)"]
        shot(watched.page, "home-1280-dark")
        assert watched.problems == []
    finally:
        watched.close()


def test_meeting_times_also_in_the_readers_zone(browser: Any, site_url: str) -> None:
    """The script adds 'your time' in New York, in the site's 24-hour style whatever the
    locale; a reader in Zurich gets nothing extra."""
    for zone, expected in (("America/New_York", UPCOMING + PAST + 1), ("Europe/Zurich", 0)):
        watched = Watched(browser, timezone_id=zone, locale="en-US")
        try:
            watched.page.goto(site_url)
            notes = watched.page.locator(".your-time")
            assert notes.count() == expected, zone
            if expected:
                assert notes.first.inner_text() == "your time: 09:00 (EST)"
                for text in notes.all_inner_texts():
                    assert re.fullmatch(r"your time: ([^,]+, [^,]+, )?\d\d:\d\d \(\w+\)", text)
            assert watched.problems == []
        finally:
            watched.close()


def test_the_page_is_complete_without_javascript(browser: Any, site_url: str) -> None:
    """With JavaScript off every meeting row and time is still there."""
    watched = Watched(browser, java_script_enabled=False)
    try:
        watched.page.goto(site_url)
        assert watched.page.locator(".meetings-table tbody tr").count() == UPCOMING + PAST
        assert watched.page.locator(".your-time").count() == 0
        assert "15:00 (CET)" in watched.page.locator("tr.is-next").inner_text()
    finally:
        watched.close()


def test_keyboard_users_get_a_skip_link_and_visible_focus(browser: Any, site_url: str) -> None:
    """The first Tab shows the skip link; focused links have an outline."""
    watched = Watched(browser)
    try:
        watched.page.goto(site_url)
        watched.page.keyboard.press("Tab")
        focused = watched.page.evaluate(
            "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.textContent, s.outlineStyle, e.getBoundingClientRect().top >= 0]; })()"
        )
        assert focused == ["Skip to content", "solid", True]
    finally:
        watched.close()


# The golden meeting with slides on two talks (one with a hostile title), a recording in
# a "Recordings" folder, an "other" link and minutes with a list and a link.
ARCHIVED = "1141191"


def test_a_meeting_page_from_its_home_row(browser: Any, site_url: str) -> None:
    """Home -> the meeting's title -> its page: agenda, materials, minutes, JSON-LD."""
    watched = Watched(browser, viewport={"width": 1280, "height": 900})
    page = watched.page
    path = f"meetings/indico-cern-ch-{ARCHIVED}/"
    try:
        page.goto(site_url)
        page.locator(f'.meetings-table a.meeting-title[href="{BASEURL}/{path}"]').click()
        page.wait_for_url(site_url + path)
        assert page.locator("h1").inner_text() == "GNN ML Working Group meeting"
        agenda = page.locator("section:has(#agenda) .talks > li")
        assert agenda.count() == 3
        first = agenda.first
        assert first.locator(".talk-when").inner_text().split() == [
            "15:00",
            "(CEST)",
            "(30",
            "min)",
        ]
        assert first.locator(".talk-title").inner_text() == "Activity overview, IceCube"
        assert first.locator(".speakers").inner_text() == "Thorsten Glüsenkamp"
        # When, title, speakers and materials each on a line of their own, in that order.
        parts = [".talk-when", ".talk-title", ".speakers", ".materials"]
        boxes = [first.locator(part).bounding_box() for part in parts]
        for above, below in itertools.pairwise(boxes):
            assert above["y"] + above["height"] <= below["y"] + 1, (above, below)
        slides = first.get_by_role("link", name=re.compile(r"^Slides ?: IceCube activities "))
        assert slides.get_attribute("href").endswith("/IceCube_GNN_overview.pdf")
        assert slides.locator(".hint").inner_text() == "(PDF, 2.5\u00a0MB)"
        hostile = r'^Slides ?: <script>alert\(1\)<\/script> & "slides" \(PowerPoint, 5.1\sMB\)$'
        assert agenda.nth(1).get_by_role("link", name=re.compile(hostile)).count() == 1
        event = page.locator("section:has(#materials)")
        for name in (r"Slides ?: Agenda and introduction", r"Recording ?: Zoom recording"):
            assert event.get_by_role("link", name=re.compile(f"^{name} ")).count() == 1
        other = event.get_by_role("link", name=re.compile(r"^Link ?: GraphNeT documentation"))
        assert other.get_attribute("href") == "https://graphnet-team.github.io/graphnet/"
        minutes = page.locator("#minutes + div")
        assert "Present: 14 people" in minutes.inner_text()
        assert minutes.locator("li").count() == 2
        assert minutes.get_by_role("link", name="GraphNeT").get_attribute("href") == (
            "https://github.com/graphnet-team/graphnet"
        )
        indico = page.get_by_role("link", name="This meeting on Indico")
        assert indico.get_attribute("href") == "https://indico.cern.ch/event/1141191/"
        ics = page.get_by_role("link", name="Add to calendar").get_attribute("href")
        assert ics == f"{BASEURL}/{path}meeting.ics"
        data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        assert data["@type"] == "Event" and data["name"] == "GNN ML Working Group meeting"
        assert data["startDate"] == "2022-04-08T15:00:00+02:00"
        assert data["url"].endswith(f"{BASEURL}/{path}")
        # The first meeting of the archive: a next meeting, no previous one.
        assert page.locator('a[rel="prev"]').count() == 0
        assert page.locator('a[rel="next"]').count() == 1
        shot(page, "meeting-1280-light")
        assert watched.problems == []
    finally:
        watched.close()
    for scheme in ("light", "dark"):
        phone = Watched(
            browser, viewport={"width": 375, "height": 812}, is_mobile=True, color_scheme=scheme
        )
        try:
            phone.page.goto(site_url + path)
            overflow = phone.page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert overflow[0] <= overflow[1], overflow
            shot(phone.page, f"meeting-375-{scheme}")
            assert phone.problems == []
        finally:
            phone.close()


def test_artifacts_folder_is_ignored_by_git() -> None:
    """Screenshots never end up in a commit."""
    assert "tests/artifacts/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


# The meeting pages (issue 12) come with templates/meeting.html; until then Home's links
# to them have nothing to resolve to.
MEETING_PAGES = (ROOT / "templates" / "meeting.html").exists()


def _with_materials(out: Path) -> None:
    """The golden site, its Home re-rendered with materials on every meeting and talk
    (long titles and hosts included), written to `out`."""
    config = load_config(SOURCE)
    files = load_site_files(SOURCE)
    pages = parse_sources(files.pages, site=config.site, baseurl=config.baseurl, zone=UTC)
    slides = Material(
        title="Slides of the talk, with a very long title that must wrap on a phone screen",
        url="https://indico.cern.ch/event/1/attachments/2/3/Transformers_for_ORCA_final_v3.pdf",
        kind=MaterialKind.SLIDES,
        content_type="application/pdf",
        size=12_345_678,
    )
    recording = Material(
        title="Recording",
        url="https://an-extremely-long-host-name-for-a-video-service.example.org/watch?v=1",
        kind=MaterialKind.RECORDING,
        link=True,
    )
    minutes = Minutes(html="<p>Minutes</p>", url="https://indico.cern.ch/event/1/note/")
    meetings = [
        replace(
            m,
            materials=(recording, slides),
            minutes=minutes,
            talks=tuple(replace(t, materials=(slides, recording, slides)) for t in m.talks),
        )
        for m in load_published(SOURCE, config.indico).meetings
    ]
    rendered = render_site(
        config=config,
        pages=pages,
        meetings=meetings,
        static={},
        assets=load_assets(ROOT / "templates"),
        env=load_templates(ROOT / "templates"),
        now=NOW,
        calendar=lambda: b"",
    )
    for name, content in rendered.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)


@pytest.mark.parametrize("width", [375, 1280])
def test_materials_links_on_home_fit_a_phone(browser: Any, tmp_path: Path, width: int) -> None:
    """Every material is a link named by its title with its hint; nothing runs off 375 px."""
    _with_materials(tmp_path)
    watched = Watched(browser, viewport={"width": width, "height": 812}, color_scheme="light")
    try:
        with _serve(tmp_path) as url:
            watched.page.goto(url)
            # Chromium puts a space before the visually hidden part: "Slides 1 : ...".
            name = r"^Slides 1 ?: Slides of the talk, with a very long title .* \(PDF, 12\sMB\)$"
            links = watched.page.get_by_role("link", name=re.compile(name))
            talks = watched.page.locator(".talks > li").count()
            assert talks > 5
            assert links.count() == talks
            assert links.first.locator(".hint").inner_text() == "(PDF, 12\u00a0MB)"
            assert links.first.locator(".visually-hidden").bounding_box()["width"] <= 1
            minutes = watched.page.get_by_role(
                "link", name=re.compile(r"^Minutes ?: GNN ML WG meeting #43$")
            )
            assert (
                minutes.get_attribute("href")
                == f"{BASEURL}/meetings/indico-cern-ch-1500004/#minutes"
            )
            width_now = watched.page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            assert width_now[0] <= width_now[1], width_now
            shot(watched.page, f"home-materials-{width}")
        if not MEETING_PAGES:
            watched.problems = [p for p in watched.problems if "/meetings/" not in p]
        assert watched.problems == []
    finally:
        watched.close()
