"""Sync throughput: normalising in-process, and `indico_sync sync` against curl.

The recorded real category answer (`data/indico_category.json`, 8 events) is scaled to
N events: each event is a recorded one with a new id, URL, date and 1-5 talks by
other (unicode) speakers, so every field has the shape Indico really sends. A threaded
`http.server` on 127.0.0.1 serves the pages from precomputed bytes, answering the query
parameters indico_sync sends (`offset`/`limit` select the page; `from`/`to`/`tz`/
`detail`/`order` are accepted and, since every event is inside the window, not needed).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from bench.generate import AFFILIATIONS, FIRST, LAST, TOPICS
from bench.timing import quiet_env, run_alternating
from indico_sync.sync.normalise import normalise_events

RECORDED = Path(__file__).parent / "data" / "indico_category.json"
PARSE_FLOOR = "python: only json.loads of the same pages (read from disk)"
CATEGORY = 1
PAGE_SIZE = 500
EVENT_BASE = "https://indico.example.org"
_EVENT_URL = re.compile(re.escape(EVENT_BASE) + r"/event/(\d+)/")


def scale_events(count: int, *, seed: int) -> list[dict[str, Any]]:
    """`count` events cloned from the recorded ones, deterministic for a seed."""
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))["results"]
    templates = [json.dumps(event) for event in recorded]
    contribution = json.dumps(
        next(c for event in recorded for c in event.get("contributions") or [])
    )
    rng = random.Random(f"{seed}:events:{count}")
    first, span = date(2016, 1, 4), (date(2027, 12, 20) - date(2016, 1, 4)).days
    events = []
    for index in range(count):
        event = json.loads(templates[index % len(templates)])
        event_id = str(10_000 + index)
        day = (first + timedelta(days=index * span // max(count, 1))).isoformat()
        event.update(id=event_id, url=f"{EVENT_BASE}/event/{event_id}/")
        event["title"] = f"{event['title']} ({index + 1})"
        event["startDate"]["date"] = event["endDate"]["date"] = day
        event["contributions"] = [
            _contribution(json.loads(contribution), event_id, position, day, rng)
            for position in range(rng.randint(1, 5))
        ]
        events.append(event)
    return events


def _contribution(
    talk: dict[str, Any], event_id: str, position: int, day: str, rng: random.Random
) -> dict[str, Any]:
    """One talk: its own title, speaker and time (20 minutes after the one before)."""
    talk["id"] = talk["db_id"] = talk["friendly_id"] = position + 1
    talk["url"] = f"{EVENT_BASE}/event/{event_id}/contributions/{position + 1}/"
    talk["title"] = rng.choice(TOPICS)
    if rng.random() < 0.1:
        talk["startDate"] = talk["endDate"] = None
    else:
        start = 16 * 60 + 20 * position + rng.choice((0, 5, 10))  # minutes after midnight
        talk["startDate"].update(date=day, time=f"{start // 60:02d}:{start % 60:02d}:00")
        talk["endDate"].update(
            date=day, time=f"{(start + 20) // 60:02d}:{(start + 20) % 60:02d}:00"
        )
    first, last, affiliation = rng.choice(FIRST), rng.choice(LAST), rng.choice(AFFILIATIONS)
    for person in talk["speakers"] + talk["primaryauthors"]:
        person.update(first_name=first, last_name=last, fullName=f"{last}, {first}")
        person["affiliation"] = affiliation
    return talk


def page_bytes(events: list[dict[str, Any]], *, url: str) -> bytes:
    """One page as Indico sends it without `pretty`: compact, ASCII, `/` escaped."""
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    body = {
        "count": len(events),
        "additionalInfo": recorded["additionalInfo"],
        "ts": recorded["ts"],
        "url": url,
        "results": events,
        "_type": "HTTPAPIResult",
    }
    return json.dumps(body, separators=(",", ":")).replace("/", "\\/").encode()


class IndicoStub(ThreadingHTTPServer):
    """Serves `/export/categ/<CATEGORY>.json` pages from bytes computed up front."""

    daemon_threads = True

    def __init__(self, events: list[dict[str, Any]], *, page_size: int = PAGE_SIZE) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.events = events
        self.requests: list[str] = []
        self.pages = {
            (offset, page_size): page_bytes(events[offset : offset + page_size], url=self.base)
            for offset in range(0, len(events) + 1, page_size)
        }

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def page(self, offset: int, limit: int | None) -> bytes:
        key = (offset, limit if limit is not None else len(self.events))
        if key not in self.pages:
            chunk = self.events[offset : offset + key[1]]
            self.pages[key] = page_bytes(chunk, url=self.base)
        return self.pages[key]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Indico's server and both clients use
    server: IndicoStub

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        if url.path != f"/export/categ/{CATEGORY}.json":
            return self._send(404, b'{"message":"Not found"}')
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query["limit"]) if "limit" in query else None
        except ValueError:
            return self._send(400, b'{"message":"limit and offset must be integers"}')
        self.server.requests.append(self.path)
        return self._send(200, self.server.page(offset, limit))

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(stub: IndicoStub) -> threading.Thread:
    thread = threading.Thread(target=stub.serve_forever, name="indico-stub", daemon=True)
    thread.start()
    return thread


def recorded_events(count: int) -> list[dict[str, Any]]:
    """The 8 recorded events repeated (0.4 talks each), ids and URLs made unique."""
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))["results"]
    return [
        dict(recorded[index % len(recorded)], id=str(index), url=f"{EVENT_BASE}/event/{index}/")
        for index in range(count)
    ]


def talks_per_event(events: list[dict[str, Any]]) -> float:
    return sum(len(event.get("contributions") or []) for event in events) / max(len(events), 1)


def normalise_rates(events: list[dict[str, Any]], *, repeats: int) -> list[float]:
    """Events per second of `normalise_events` over all of `events`, `repeats` times."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        normalise_events(events, source=f"{EVENT_BASE}/category/{CATEGORY}", category_id=None)
        rates.append(len(events) / (time.perf_counter() - start))
    return rates


def write_sync_site(site: Path, *, base_url: str) -> Path:
    """The repository's `_config.yml` pointed at the stub, with a window holding every event."""
    shutil.rmtree(site, ignore_errors=True)
    (site / "_data").mkdir(parents=True)
    config = yaml.safe_load((Path(__file__).parent.parent / "site_src" / "_config.yml").read_text())
    config["indico"].update(
        sources=[{"url": base_url, "category": CATEGORY, "subcategories": True}],
        past_days=36500,
        future_days=3650,
    )
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    (site / "_config.yml").write_text(text, encoding="utf-8")
    return site


def measure_sync(
    events: list[dict[str, Any]], work: Path, *, runs: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Whole `python -m indico_sync sync` runs (fresh and unchanged snapshot) vs curl."""
    stub = IndicoStub(events)
    serve(stub)
    try:
        site = write_sync_site(work / "site", base_url=stub.base)
        snapshot = site / "_data" / "meetings.yml"
        sync = (sys.executable, "-m", "indico_sync", "sync", "--source", str(site))
        env = quiet_env()
        run_alternating(
            {"warm-up": (sync, lambda: snapshot.unlink(missing_ok=True))}, runs=1, env=env
        )
        urls = [stub.base + path for path in stub.requests]
        curl = _curl_command(urls, work / "curl")
        run_alternating({"pages": (_curl_command(urls, work / "pages"), _nothing)}, runs=1)
        progress(f"  sync sends {len(urls)} requests; curl fetches the same URLs")
        samples = run_alternating(
            {
                "sync (no snapshot yet)": (sync, lambda: snapshot.unlink(missing_ok=True)),
                "sync (snapshot unchanged)": (sync, lambda: None),
                "curl": (curl, lambda: shutil.rmtree(work / "curl", ignore_errors=True)),
                PARSE_FLOOR: (_parse_command(sorted((work / "pages").glob("*.json"))), _nothing),
            },
            runs=runs,
            env=env,
        )
    finally:
        stub.shutdown()
        stub.server_close()
    return {
        "urls": urls,
        "bytes": sum(len(stub.page(*_page_key(u))) for u in urls),
        "meetings": len(set(_EVENT_URL.findall(snapshot.read_text(encoding="utf-8")))),
        "samples": samples,
    }


def _nothing() -> None:
    return None


def _parse_command(pages: list[Path]) -> tuple[str, ...]:
    """A Python process that only parses the pages: the floor for any Python client."""
    script = "import json, sys\nfor name in sys.argv[1:]:\n    json.loads(open(name, 'rb').read())"
    return (sys.executable, "-c", script, *map(str, pages))


def _page_key(url: str) -> tuple[int, int | None]:
    query = dict(parse_qsl(urlsplit(url).query))
    return int(query.get("offset", "0")), int(query["limit"]) if "limit" in query else None


def _curl_command(urls: list[str], out: Path) -> tuple[str, ...]:
    """One curl process fetching `urls` one after another on one connection, to files."""
    command = ["curl", "--silent", "--show-error", "--fail", "--noproxy", "*", "--create-dirs"]
    for number, url in enumerate(urls):
        command += ["-o", str(out / f"page-{number:02d}.json"), url]
    return tuple(command)


def rate_summary(rates: list[float]) -> dict[str, float]:
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def curl_available() -> bool:
    return shutil.which("curl") is not None
