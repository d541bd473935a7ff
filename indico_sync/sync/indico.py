"""The only HTTP code: fetch a category's events from Indico's export API.

One GET per page of `/export/categ/<id>.json`, retried with backoff on transient
failures, each answer checked (status, then Content-Type, then shape: `responses.py`)
before it is trusted. Every failure becomes one typed, one-line `IndicoError` that
never carries the token. Several sources are fetched at once, and the sync fails as a whole if
any of them fails: a partial result would silently drop meetings.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from indico_sync import __version__
from indico_sync.config import DEFAULT_RETRIES, DEFAULT_TIMEOUT, Source
from indico_sync.errors import IndicoAuthError, IndicoBadResponse, IndicoUnreachable
from indico_sync.sync.responses import display_url, parse_results, retryable
from indico_sync.untrusted import is_loopback, one_line

USER_AGENT = f"indico_sync/{__version__} (static site sync; python-httpx/{httpx.__version__})"
PAGE_SIZE = 500
MAX_PAGES = 200
EMPTY_PAGES_AT_END = 2  # one empty page may only hold events this reader cannot see
MAX_RETRY_AFTER = 60.0
MAX_WORKERS = 8
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """The dates to fetch; Indico snaps `start` to 00:00 and `end` to 23:59:59."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchOptions:
    """How to fetch: the same for every source and every page of a sync.

    `zone` is the site's zone name, sent as `tz` (Indico's default otherwise); `sleep`
    and `log` are there for tests. `timeout` is the client's (see `make_client`).
    """

    window: Window
    zone: str | None = None
    authenticated: bool = False
    page_size: int = PAGE_SIZE
    retries: int = DEFAULT_RETRIES
    timeout: float = DEFAULT_TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    log: logging.Logger = _LOG

    def __post_init__(self) -> None:
        if self.page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {self.page_size}")


def check_token(token: str, sources: Sequence[Source]) -> None:
    """Refuse, before any request, a token that cannot be sent safely; never quote it.

    A token is visible ASCII (`indp_` + letters, digits, `-`, `_`). A newline in it
    would otherwise appear, token and all, in httpx's "Illegal header value" message
    at every retry; a pasted no-break space fails deep inside httpx. And a token is
    never sent over plain http:// (in cleartext) except to this machine.
    """
    for position, char in enumerate(token, 1):
        if not "!" <= char <= "~":
            kind = "a control character" if char < " " or char == "\x7f" else "not ASCII"
            what = "a space" if char == " " else f"U+{ord(char):04X}, {kind}"
            raise IndicoAuthError(
                f"INDICO_TOKEN is malformed: character {position} is {what}; copy the "
                "token again (indp_ followed by letters, digits, '-' and '_')"
            )
    for source in sources:
        if urlsplit(source.url).scheme == "http" and not is_loopback(source.url):
            raise IndicoAuthError(
                f"refusing to send INDICO_TOKEN in cleartext to {urlsplit(source.url).hostname} "
                f"({source.url} is plain http://); use https:// in indico.sources, or leave "
                "INDICO_TOKEN unset for public events"
            )


def make_client(*, timeout: float, token: str | None) -> httpx.Client:
    """The one client for a sync: our User-Agent, the timeout, and the token if any."""
    headers = {"User-Agent": USER_AGENT}
    if token:
        check_token(token, ())
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(
        headers=headers,
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        follow_redirects=True,
    )


def fetch_category(
    client: httpx.Client, source: Source, options: FetchOptions
) -> list[dict[str, Any]]:
    """Every event of `source` (subcategories included) in the window, in start order.

    Pages until Indico returns two empty pages in a row. It applies limit/offset before
    its access checks, so a short page is not the last one, and a page of events this
    reader may not see comes back empty even though more follow (a big tree of
    protected meetings): one more page is asked for before stopping.
    """
    log, name, window = options.log, f"{source.url} category {source.category}", options.window
    url, shown = f"{source.url}/export/categ/{source.category}.json", display_url(source.url)
    params, page_size = _params(options), options.page_size
    log.info("fetching %s from %s to %s", name, window.start, window.end)
    events: dict[str, dict[str, Any]] = {}
    empty = 0  # empty pages in a row
    for page in range(MAX_PAGES):
        params["offset"] = str(page * page_size)
        response = _get(client, url, params, options)
        results = parse_results(response, shown=display_url(url), base=shown)
        log.info("%s: page %d: %d event%s", name, page + 1, len(results), "s" * (len(results) != 1))
        if not results:
            empty += 1
            if empty == EMPTY_PAGES_AT_END:
                return list(events.values())
            continue
        if empty:
            log.info("%s: page %d was empty, page %d was not: carrying on", name, page, page + 1)
        empty = 0
        for event in results:
            # A page boundary repeats an event if data changed mid-sync: the later copy wins.
            event_id = event.get("id")
            events[f"id:{event_id}" if event_id is not None else f"#{len(events)}"] = event
    raise IndicoBadResponse(
        f"{display_url(url)}: still returning events after {MAX_PAGES} pages of {page_size}; "
        "expected empty pages at the end"
    )


def fetch_sources(
    client: httpx.Client, sources: Sequence[Source], options: FetchOptions
) -> dict[str, list[dict[str, Any]]]:
    """`fetch_category` for every source at once, keyed by `source.key`.

    If any source fails, the first failure in config order is raised: never a partial result.
    """
    fetch = functools.partial(fetch_category, client, options=options)
    with ThreadPoolExecutor(max_workers=max(1, min(len(sources), MAX_WORKERS))) as pool:
        futures = [pool.submit(fetch, source) for source in sources]
        try:
            return {
                source.key: future.result() for source, future in zip(sources, futures, strict=True)
            }
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _params(options: FetchOptions) -> dict[str, str]:
    params = {"detail": "contributions", "order": "start"}
    params |= {"from": options.window.start.isoformat(), "to": options.window.end.isoformat()}
    if options.zone:
        params["tz"] = options.zone
    params |= {"limit": str(options.page_size), "offset": "0"}
    if options.authenticated:
        params["onlyauthed"] = "yes"
    return params


def _get(
    client: httpx.Client, url: str, params: dict[str, str], options: FetchOptions
) -> httpx.Response:
    """GET with up to `options.retries` more attempts on transport errors, 429 and 5xx."""
    shown = display_url(url)
    retries = options.retries
    attempt = 0
    while True:
        attempt += 1
        try:
            response = client.get(url, params=params)
        except httpx.TransportError as exc:
            if attempt > retries:
                raise IndicoUnreachable(
                    f"cannot reach {shown}: {_cause(exc, client)} (after {attempt} attempts)"
                ) from exc
            delay, why = _backoff(attempt), _cause(exc, client)
        except (httpx.TooManyRedirects, httpx.DecodingError) as exc:
            raise IndicoBadResponse(f"{shown}: {_cause(exc, client)}") from exc
        else:
            if attempt > retries or not retryable(response.status_code):
                return response
            after = _retry_after(response)
            delay = _backoff(attempt) if after is None else after
            why = f"HTTP {response.status_code}"
        options.log.warning("%s: %s; retrying in %g s (attempt %d)", shown, why, delay, attempt + 1)
        options.sleep(delay)


def _backoff(attempt: int) -> float:
    return float(2 ** (attempt - 1))


def _retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header (seconds or an HTTP date) in seconds, capped; None if absent."""
    value = str(response.headers.get("Retry-After", "")).strip()
    try:
        when = None if value.isdigit() else email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return min(float(value), MAX_RETRY_AFTER)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER)


def _cause(exc: httpx.RequestError, client: httpx.Client) -> str:
    text = _without_token(one_line(exc), client)
    cause = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        cause += f" (timeout {client.timeout.read:g} s; raise indico.timeout if Indico is slow)"
    return cause


def _without_token(text: str, client: httpx.Client) -> str:
    """`text` with the client's token (as sent, or as Python would quote it) cut out:
    a second guard behind `check_token`, for an exception that quotes the header."""
    credentials = client.headers.get("Authorization", "").partition(" ")[2]
    if not credentials:
        return text
    for form in {credentials, repr(credentials)[1:-1], repr(credentials.encode())[2:-1]}:
        text = text.replace(form, "***")
    return text
