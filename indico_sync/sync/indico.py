"""The only HTTP code: fetch a category's events from Indico's export API.

One GET per page of `/export/categ/<id>.json`, retried with backoff on transient
failures, each answer checked (status, then Content-Type, then shape) before it is
trusted. Every failure becomes one typed, one-line `IndicoError` that never carries
the token. Several sources are fetched at once, and the sync fails as a whole if
any of them fails: a partial result would silently drop meetings.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from indico_sync import __version__
from indico_sync.config import DEFAULT_RETRIES, DEFAULT_TIMEOUT, Source
from indico_sync.errors import (
    IndicoAuthError,
    IndicoBadResponse,
    IndicoHTTPError,
    IndicoUnreachable,
)
from indico_sync.untrusted import is_loopback, one_line

USER_AGENT = f"indico_sync/{__version__} (static site sync; python-httpx/{httpx.__version__})"
PAGE_SIZE = 500
MAX_PAGES = 200
EMPTY_PAGES_AT_END = 2  # one empty page may only hold events this reader cannot see
MAX_RETRY_AFTER = 60.0
MAX_WORKERS = 8
_SECRET_PARAMS = frozenset({"ak", "apikey", "signature", "token", "user_token", "access_token"})
_SCOPE = "'Classic API (read only)'"
_LONE_SURROGATE_ESCAPE = re.compile(  # a high half not followed by a low one, or vice versa
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
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
    url, shown = f"{source.url}/export/categ/{source.category}.json", _display_url(source.url)
    params, page_size = _params(options), options.page_size
    log.info("fetching %s from %s to %s", name, window.start, window.end)
    events: dict[str, dict[str, Any]] = {}
    empty = 0  # empty pages in a row
    for page in range(MAX_PAGES):
        params["offset"] = str(page * page_size)
        response = _get(client, url, params, options)
        results = _parse_results(response, shown=_display_url(url), base=shown)
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
        f"{_display_url(url)}: still returning events after {MAX_PAGES} pages of {page_size}; "
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
    shown = _display_url(url)
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
            if attempt > retries or not _retryable(response.status_code):
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


def _parse_results(response: httpx.Response, *, shown: str, base: str) -> list[dict[str, Any]]:
    """The `results` of a page, after checking status, Content-Type and shape."""
    _raise_for_status(response, shown=shown, base=base)
    media = _media_type(response)
    if media != "application/json":
        raise IndicoBadResponse(
            f"HTTP {response.status_code} from {shown}: expected application/json, "
            f"got {media or 'no Content-Type'}; is the Indico URL right?"
        )
    try:
        data = response.json()
    except ValueError as exc:
        raise IndicoBadResponse(f"{shown}: not valid JSON: {one_line(exc)}") from exc
    except RecursionError as exc:
        raise IndicoBadResponse(f"{shown}: not valid JSON: nested too deeply") from exc
    if _LONE_SURROGATE_ESCAPE.search(response.content):  # emoji come as whole pairs
        _replace_lone_surrogates(data)
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        got = (
            f"'results': {type(results).__name__}"
            if isinstance(data, dict)
            else type(data).__name__
        )
        raise IndicoBadResponse(f"{shown}: expected a JSON object with a 'results' list, got {got}")
    if not all(isinstance(item, dict) for item in results):
        raise IndicoBadResponse(f"{shown}: expected every item of 'results' to be an object")
    return results


def _replace_lone_surrogates(data: object) -> None:
    """JSON may escape half a UTF-16 pair (`"\\ud800"`): a string no UTF-8 file can hold.
    Each such character becomes U+FFFD, in place (pairs were already joined by the parser)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            item[:] = [_surrogates_replaced(value, stack) for value in item]
        elif isinstance(item, dict):
            fixed = {
                _surrogates_replaced(key, stack): _surrogates_replaced(value, stack)
                for key, value in item.items()
            }
            item.clear()
            item.update(fixed)


def _surrogates_replaced(value: object, stack: list[object]) -> object:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict | list):
        stack.append(value)
    return value


def _raise_for_status(response: httpx.Response, *, shown: str, base: str) -> None:
    """Raise the typed error for a non-2xx answer; HTML bodies are never shown."""
    status = response.status_code
    if 200 <= status < 300:
        return
    where = f"HTTP {status} from {shown}"
    is_json, error, message = _error_details(response)
    bearer = response.request.headers.get("Authorization", "").lower().startswith("bearer ")
    if status == 400 and bearer and (not is_json or message.startswith("OAuth error")):
        raise IndicoAuthError(
            f"Indico rejected the token ({where}): it is invalid, revoked, or lacks the "
            f"{_SCOPE} scope; {_new_token(base)}"
        )
    if status in (401, 403):
        if error == "insufficient_scope":
            text = f"the token lacks a scope ({where}): it needs {_SCOPE}; {_new_token(base)}"
        elif message == "Not authenticated" and bearer:
            text = f"Indico did not accept the token ({where}: {message}); {_new_token(base)}"
        elif message == "Not authenticated":
            text = f"Indico wants a token ({where}: {message}); set INDICO_TOKEN"
        else:
            text = f"Indico refused access ({where}{_colon(message)}); check INDICO_TOKEN"
        raise IndicoAuthError(text)
    hint = "; is the Indico URL right?" if status == 404 else ""
    hint = "; Indico kept failing, try again later" if _retryable(status) else hint
    raise IndicoHTTPError(f"{where}{_colon(message)}{hint}")


def _error_details(response: httpx.Response) -> tuple[bool, str, str]:
    """(is the body JSON, Indico's error code, Indico's one-line message) of an error answer."""
    try:
        body = response.json() if _media_type(response) == "application/json" else None
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        return body is not None, "", ""
    message, error = body.get("message"), body.get("error")
    if isinstance(error, dict):
        message, error = error.get("message"), error.get("title")
    elif isinstance(error, str):
        message = f"{error}: {body.get('error_description') or ''}".rstrip(": ")
    text = one_line(message)[:300] if isinstance(message, str) else ""
    return True, str(error or ""), text


def _new_token(base: str) -> str:
    return f"create a new one at {base}/user/tokens/ and set INDICO_TOKEN"


def _colon(message: str) -> str:
    return f": {message}" if message else ""


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _media_type(response: httpx.Response) -> str:
    return str(response.headers.get("Content-Type", "")).partition(";")[0].strip().lower()


def _display_url(url: str) -> str:
    """`url` without user info, fragment or any secret-looking query parameter."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, value) for key, value in pairs if key.lower() not in _SECRET_PARAMS]
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))


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
