"""indico_sync.sync.indico: the HTTP client, mocked at the HTTP layer with respx.

Bodies are real responses of Indico 3.3.14, copied into tests/fixtures/indico/.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from indico_sync import __version__
from indico_sync.config import Source
from indico_sync.errors import (
    IndicoAuthError,
    IndicoBadResponse,
    IndicoError,
    IndicoHTTPError,
    IndicoUnreachable,
)
from indico_sync.sync.indico import (
    MAX_PAGES,
    MAX_RETRY_AFTER,
    FetchOptions,
    Window,
    check_token,
    fetch_category,
    fetch_sources,
    make_client,
)

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
BASE = "http://127.0.0.1:8000"
URL = f"{BASE}/export/categ/1.json"
SOURCE = Source(url=BASE, category=1)
WINDOW = Window(start=date(2026, 8, 24), end=date(2027, 11, 22))
TOKEN = "indp_" + "Secr3tToken" * 3 + "abcdefghi"
HTML = "text/html; charset=utf-8"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def reply(name: str, status: int = 200, content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(status, content=body(name), headers={"Content-Type": content_type})


def raw(content: bytes, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=content, headers={"Content-Type": "application/json", **headers}
    )


def ids(events: list[dict[str, Any]]) -> list[str]:
    return [event["id"] for event in events]


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=True) as mock:
        yield mock


@pytest.fixture
def anon() -> Iterator[httpx.Client]:
    with make_client(timeout=5.0, token=None) as client:
        yield client


@pytest.fixture
def authed() -> Iterator[httpx.Client]:
    with make_client(timeout=5.0, token=TOKEN) as client:
        yield client


@pytest.fixture
def sleeps() -> list[float]:
    return []


def fetch(client: httpx.Client, sleeps: list[float], **options: Any) -> list[dict[str, Any]]:
    source = options.pop("source", SOURCE)
    return fetch_category(
        client, source, FetchOptions(window=WINDOW, sleep=sleeps.append, **options)
    )


# --- success, parameters, headers -----------------------------------------------------------


def test_returns_the_results_of_a_real_category_export(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """A real category body comes back as its list of event dicts, in order."""
    router.get(URL, params={"offset": "0"}).mock(
        return_value=reply("categ_detail_contributions.json")
    )
    router.get(URL).mock(return_value=reply("categ_offset_past_end.json"))  # every later page
    events = fetch(anon, sleeps)
    assert ids(events) == ["8", "9", "1", "3", "4", "5", "7"]
    assert events[3]["title"] == "GNN ML WG meeting #41"
    assert sleeps == []


def test_sends_the_documented_query_parameters(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """Anonymous requests send detail, order, from, to, tz, limit, offset and no onlyauthed."""
    route = router.get(URL).mock(return_value=reply("categ_offset_past_end.json"))
    fetch(anon, sleeps, zone="Europe/Zurich", page_size=50)
    assert dict(route.calls[0].request.url.params) == {
        "detail": "contributions",
        "order": "start",
        "from": "2026-08-24",
        "to": "2027-11-22",
        "tz": "Europe/Zurich",
        "limit": "50",
        "offset": "0",
    }


def test_authenticated_requests_add_onlyauthed_and_omit_tz_when_none(
    router: respx.MockRouter, authed: httpx.Client, sleeps: list[float]
) -> None:
    """With a token, onlyauthed=yes is sent so a rejected token cannot fall back to public data."""
    route = router.get(URL).mock(return_value=reply("categ_offset_past_end.json"))
    fetch(authed, sleeps, authenticated=True)
    params = route.calls.last.request.url.params
    assert params["onlyauthed"] == "yes"
    assert "tz" not in params
    assert params["limit"] == "500"


def test_sends_bearer_token_and_user_agent(
    router: respx.MockRouter, authed: httpx.Client, sleeps: list[float]
) -> None:
    """The token goes in 'Authorization: Bearer', and the User-Agent names the tool and version."""
    route = router.get(URL).mock(return_value=reply("categ_offset_past_end.json"))
    fetch(authed, sleeps, authenticated=True)
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"].startswith(f"indico_sync/{__version__} (")


def test_anonymous_client_sends_no_authorization(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """Without a token there is no Authorization header at all."""
    route = router.get(URL).mock(return_value=reply("categ_offset_past_end.json"))
    fetch(anon, sleeps)
    assert "Authorization" not in route.calls.last.request.headers


def test_make_client_sets_timeouts_and_follows_redirects() -> None:
    """The client has the configured timeout, a connect timeout of at most 10 s, and redirects."""
    with make_client(timeout=30.0, token=None) as client:
        assert client.timeout == httpx.Timeout(30.0, connect=10.0)
        assert client.follow_redirects
    with make_client(timeout=4.0, token=None) as client:
        assert client.timeout == httpx.Timeout(4.0, connect=4.0)


def test_window_refuses_an_end_before_its_start() -> None:
    """A window that ends before it starts is a programming error."""
    with pytest.raises(ValueError, match="before it starts"):
        Window(start=date(2026, 1, 2), end=date(2026, 1, 1))


# --- paging ---------------------------------------------------------------------------------


def test_paging_goes_past_a_short_page_and_stops_at_an_empty_one(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """Real anonymous pages of 2 hold 2, 1, 2, 2 events: two empty pages end paging."""
    pages = ["categ_page1_limit2.json", "categ_page2_limit2.json", "categ_page3_limit2.json"]
    pages += ["categ_page4_limit2.json", "categ_offset_past_end.json", "categ_offset_past_end.json"]
    routes = [
        router.get(URL, params={"offset": str(2 * n), "limit": "2"}).mock(return_value=reply(page))
        for n, page in enumerate(pages)
    ]
    events = fetch(anon, sleeps, page_size=2)
    assert ids(events) == ["1", "3", "9", "4", "8", "5", "7"]
    assert [route.call_count for route in routes] == [1, 1, 1, 1, 1, 1]


def test_paging_goes_past_a_page_of_events_this_reader_cannot_see(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """Indico pages before its access checks: a page of protected events comes back empty
    though more follow. One empty page is not the end; two in a row are."""
    pages = ["categ_page1_limit2.json", "categ_offset_past_end.json", "categ_page3_limit2.json"]
    pages += ["categ_offset_past_end.json", "categ_offset_past_end.json"]
    for n, page in enumerate(pages):
        router.get(URL, params={"offset": str(2 * n)}).mock(return_value=reply(page))
    assert ids(fetch(anon, sleeps, page_size=2)) == ["1", "3", "4", "8"]


def test_an_event_repeated_across_a_page_boundary_is_kept_once(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """If data shifts mid-sync and a page repeats an event, it appears once, in its first place."""
    page1 = json.loads(body("categ_page1_limit2.json"))
    page2 = json.loads(body("categ_page2_limit2.json"))
    page2["results"] = [page1["results"][1], *page2["results"]]
    router.get(URL, params={"offset": "0"}).mock(return_value=reply("categ_page1_limit2.json"))
    router.get(URL, params={"offset": "2"}).mock(return_value=raw(json.dumps(page2).encode()))
    router.get(URL).mock(return_value=reply("categ_offset_past_end.json"))  # every later page
    assert ids(fetch(anon, sleeps, page_size=2)) == ["1", "3", "9"]


def test_a_server_that_never_returns_an_empty_page_is_stopped(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """Paging stops after MAX_PAGES pages with IndicoBadResponse instead of looping forever."""
    route = router.get(URL).mock(return_value=reply("categ_page1_limit2.json"))
    with pytest.raises(IndicoBadResponse, match=f"after {MAX_PAGES} pages"):
        fetch(anon, sleeps, page_size=2)
    assert route.call_count == MAX_PAGES


def test_an_unknown_category_is_an_empty_list(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """Indico answers an unknown category with 200 and no results: that is [] and not an error."""
    router.get(f"{BASE}/export/categ/99999.json").mock(
        return_value=reply("err_categ_nonexistent.json")
    )
    assert fetch(anon, sleeps, source=Source(url=BASE, category=99999)) == []


# --- HTTP errors ----------------------------------------------------------------------------


def test_400_json_is_an_http_error_with_indicos_message(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """A 400 with Indico's JSON message (bad tz) is IndicoHTTPError quoting it, without retrying."""
    route = router.get(URL).mock(return_value=reply("err_bad_tz.json", 400))
    with pytest.raises(IndicoHTTPError) as caught:
        fetch(anon, sleeps, zone="Mars/Olympus")
    assert str(caught.value) == f"HTTP 400 from {URL}: Bad timezone: ''Mars/Olympus''"
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize("page", ["categ_bad_token.html", "categ_wrong_scope_token.html"])
def test_400_html_with_a_token_is_an_auth_error_about_the_scope(
    router: respx.MockRouter, authed: httpx.Client, sleeps: list[float], page: str
) -> None:
    """Indico's 400 HTML page for a bad/wrong-scope token becomes one line on fixing the token."""
    router.get(URL).mock(return_value=reply(page, 400, HTML))
    with pytest.raises(IndicoAuthError) as caught:
        fetch(authed, sleeps, authenticated=True)
    message = str(caught.value)
    assert message.startswith(f"Indico rejected the token (HTTP 400 from {URL})")
    assert "'Classic API (read only)' scope" in message
    assert f"{BASE}/user/tokens/" in message
    assert "INDICO_TOKEN" in message
    assert "\n" not in message
    assert "<" not in message


def test_400_json_oauth_error_with_a_token_is_an_auth_error(
    router: respx.MockRouter, authed: httpx.Client, sleeps: list[float]
) -> None:
    """The JSON form of the OAuth 400 (as sent to XHR clients) is also an auth error."""
    router.get(URL).mock(return_value=reply("categ_bad_token_xhr.json", 400))
    with pytest.raises(IndicoAuthError, match="Indico rejected the token"):
        fetch(authed, sleeps, authenticated=True)


def test_400_html_without_a_token_is_an_http_error(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """An HTML 400 for an anonymous request is not blamed on a token."""
    router.get(URL).mock(return_value=reply("categ_bad_token.html", 400, HTML))
    with pytest.raises(IndicoHTTPError) as caught:
        fetch(anon, sleeps)
    assert str(caught.value) == f"HTTP 400 from {URL}"


def test_403_not_authenticated_with_a_token_is_an_auth_error(
    router: respx.MockRouter, authed: httpx.Client, sleeps: list[float]
) -> None:
    """onlyauthed=yes turns an unaccepted token into 403 "Not authenticated": IndicoAuthError."""
    router.get(URL).mock(return_value=reply("categ_onlyauthed_anon.json", 403))
    with pytest.raises(IndicoAuthError) as caught:
        fetch(authed, sleeps, authenticated=True)
    assert str(caught.value).startswith(
        f"Indico did not accept the token (HTTP 403 from {URL}: Not authenticated)"
    )


def test_403_not_authenticated_without_a_token_asks_for_one(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """The same 403 for a request without a token says to set INDICO_TOKEN."""
    router.get(URL).mock(return_value=reply("categ_onlyauthed_anon.json", 403))
    with pytest.raises(IndicoAuthError, match=r"Indico wants a token .*; set INDICO_TOKEN$"):
        fetch(anon, sleeps, authenticated=True)


def test_403_insufficient_scope_is_an_auth_error_about_the_scope(
    router: respx.MockRouter, authed: httpx.Client, sleeps: list[float]
) -> None:
    """A 403 JSON {"error": "insufficient_scope"} names the scope the token needs."""
    router.get(URL).mock(return_value=reply("categ_reader_onlypublic.json", 403))
    with pytest.raises(IndicoAuthError) as caught:
        fetch(authed, sleeps, authenticated=True)
    assert "the token lacks a scope" in str(caught.value)
    assert "'Classic API (read only)'" in str(caught.value)


def test_other_401_is_an_auth_error_with_status_and_message(
    router: respx.MockRouter, authed: httpx.Client, sleeps: list[float]
) -> None:
    """Any other 401/403 names the status, the URL and Indico's message."""
    router.get(URL).mock(return_value=raw(b'{"message": "API key is blocked"}', 401))
    with pytest.raises(IndicoAuthError) as caught:
        fetch(authed, sleeps)
    assert f"HTTP 401 from {URL}: API key is blocked" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "page", "expected"),
    [
        (404, "err_categ_negative.html", f"HTTP 404 from {URL}; is the Indico URL right?"),
        (422, "err_non_integer_limit.html", f"HTTP 422 from {URL}"),
    ],
)
def test_html_error_pages_are_http_errors_without_the_html(
    router: respx.MockRouter,
    anon: httpx.Client,
    sleeps: list[float],
    status: int,
    page: str,
    expected: str,
) -> None:
    """Real HTML 404/422 pages become one short line, never retried, never dumping the page."""
    route = router.get(URL).mock(return_value=reply(page, status, HTML))
    with pytest.raises(IndicoHTTPError) as caught:
        fetch(anon, sleeps)
    assert str(caught.value) == expected
    assert route.call_count == 1


# --- retries --------------------------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """A 429 with Retry-After: 7 sleeps 7 s, then the retry's answer is used."""
    router.get(URL, params={"offset": "0"}).mock(
        side_effect=[
            raw(b"slow down", 429, **{"Retry-After": "7", "Content-Type": "text/plain"}),
            reply("categ_page1_limit2.json"),
        ]
    )
    router.get(URL).mock(return_value=reply("categ_offset_past_end.json"))  # every later page
    assert ids(fetch(anon, sleeps, page_size=2)) == ["1", "3"]
    assert sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured_and_capped(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """Retry-After may be an HTTP date; a wait longer than MAX_RETRY_AFTER is capped."""
    later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    router.get(URL).mock(
        side_effect=[
            raw(b"", 503, **{"Retry-After": later}),
            *[reply("categ_offset_past_end.json")] * 2,
        ]
    )
    assert fetch(anon, sleeps) == []
    assert sleeps == [MAX_RETRY_AFTER]


def test_500_then_success_retries_after_backoff(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """One 500 is retried after a 1 s backoff and the sync goes on."""
    route = router.get(URL).mock(
        side_effect=[
            reply("err_categ_negative.html", 500, HTML),
            reply("categ_offset_past_end.json"),
            reply("categ_offset_past_end.json"),
        ]
    )
    assert fetch(anon, sleeps) == []
    assert route.call_count == 3  # the failed page, its retry, the confirming empty page
    assert sleeps == [1.0]


def test_500_forever_is_an_http_error_after_the_retries(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """A server that keeps failing gets 1 + 3 attempts, 1, 2, 4 s apart, then IndicoHTTPError."""
    route = router.get(URL).mock(return_value=reply("err_categ_negative.html", 500, HTML))
    with pytest.raises(IndicoHTTPError) as caught:
        fetch(anon, sleeps, retries=3)
    assert str(caught.value) == f"HTTP 500 from {URL}; Indico kept failing, try again later"
    assert route.call_count == 4
    assert sleeps == [1.0, 2.0, 4.0]


def test_timeout_is_unreachable_after_the_retries(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """A read timeout on every attempt is IndicoUnreachable naming the URL and the attempts."""
    route = router.get(URL).mock(side_effect=httpx.ReadTimeout)
    with pytest.raises(IndicoUnreachable) as caught:
        fetch(anon, sleeps, retries=2)
    assert str(caught.value).startswith(f"cannot reach {URL}: ReadTimeout")
    assert str(caught.value).endswith("(after 3 attempts)")
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert route.call_count == 3
    assert sleeps == [1.0, 2.0]


def test_connection_refused_is_unreachable(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """A refused connection is retried, then reported as IndicoUnreachable with its cause."""
    router.get(URL).mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(IndicoUnreachable) as caught:
        fetch(anon, sleeps, retries=1)
    assert str(caught.value) == (
        f"cannot reach {URL}: ConnectError: [Errno 111] Connection refused (after 2 attempts)"
    )


def test_a_connect_error_then_success_recovers(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """A transient connection failure is retried transparently."""
    router.get(URL).mock(
        side_effect=[httpx.ConnectError("refused"), *[reply("categ_offset_past_end.json")] * 2]
    )
    assert fetch(anon, sleeps) == []
    assert sleeps == [1.0]


# --- bad 2xx bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (raw(b'{"results": ['), "not valid JSON"),
        (raw(b'{"count": 0}'), "expected a JSON object with a 'results' list"),
        (raw(b"[]"), "expected a JSON object with a 'results' list"),
        (raw(b'{"results": {"id": "1"}}'), "expected a JSON object with a 'results' list"),
        (raw(b'{"results": [1, 2]}'), "expected every item of 'results' to be an object"),
        (raw(b'{"results": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"), "nested too deeply"),
        (
            httpx.Response(200, text="<html>login</html>", headers={"Content-Type": HTML}),
            "expected application/json, got text/html",
        ),
    ],
    ids=[
        "malformed",
        "no-results",
        "array",
        "results-object",
        "items-not-objects",
        "nested",
        "html",
    ],
)
def test_a_2xx_that_is_not_the_expected_json_is_a_bad_response(
    router: respx.MockRouter,
    anon: httpx.Client,
    sleeps: list[float],
    response: httpx.Response,
    expected: str,
) -> None:
    """A 200 that is not an object with a list of objects under 'results' is IndicoBadResponse."""
    router.get(URL).mock(return_value=response)
    with pytest.raises(IndicoBadResponse, match=expected) as caught:
        fetch(anon, sleeps)
    assert "\n" not in str(caught.value)


# --- secrets and logging --------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        reply("categ_bad_token.html", 400, HTML),
        reply("categ_onlyauthed_anon.json", 403),
        reply("err_categ_negative.html", 404, HTML),
        reply("err_categ_negative.html", 500, HTML),
        httpx.ConnectError("[Errno 111] Connection refused"),
    ],
    ids=["400-html", "403", "404", "500", "connect"],
)
def test_the_token_never_appears_in_errors_or_logs(
    router: respx.MockRouter,
    authed: httpx.Client,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
    answer: httpx.Response | Exception,
) -> None:
    """No error message or log record (at any level) carries the token."""
    caplog.set_level(logging.DEBUG)
    if isinstance(answer, Exception):
        router.get(URL).mock(side_effect=answer)
    else:
        router.get(URL).mock(return_value=answer)
    with pytest.raises(IndicoError) as caught:
        fetch(authed, sleeps, authenticated=True, retries=1)
    assert TOKEN not in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caplog.records
    assert TOKEN not in caplog.text
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("indp_x\nindp_y", r"character 7 is U\+000A, a control character"),
        ("indp_abc\u00a0def", r"character 9 is U\+00A0, not ASCII"),
        ("indp_abc def", "character 9 is a space"),
        ("indp_abc\x7f", r"character 9 is U\+007F, a control character"),
    ],
)
def test_a_malformed_token_is_refused_without_quoting_it(token: str, what: str) -> None:
    """A newline would put the token into httpx's "Illegal header value" message at every
    retry; a non-ASCII character crashed deep in httpx. Both are refused up front."""
    message = rf"^INDICO_TOKEN is malformed: {what}; copy the token again"
    with pytest.raises(IndicoAuthError, match=message) as caught:
        check_token(token, [SOURCE])
    assert "abc" not in str(caught.value) and "indp_x" not in str(caught.value)
    with pytest.raises(IndicoAuthError, match=message):
        make_client(timeout=5.0, token=token)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://indico.example.org", True),
        ("http://10.1.2.3:8080", True),
        ("https://indico.example.org", False),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://[::1]:8000", False),
    ],
)
def test_a_token_is_never_sent_over_plain_http_except_to_this_machine(
    url: str, refused: bool
) -> None:
    """The Bearer token would travel in cleartext: refused, naming the host only."""
    sources = [SOURCE, Source(url=url, category=2)]
    if not refused:
        check_token(TOKEN, sources)
        return
    host = url.removeprefix("http://").partition(":")[0]
    with pytest.raises(IndicoAuthError, match=rf"in cleartext to {re.escape(host)} ") as caught:
        check_token(TOKEN, sources)
    assert TOKEN not in str(caught.value)


def test_an_exception_quoting_the_token_is_cut_out_of_the_message(
    router: respx.MockRouter,
    authed: httpx.Client,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Behind `check_token`: whatever httpx puts in an error, the token is not repeated."""
    quoted = f"Illegal header value {f'Bearer {TOKEN}'.encode()!r}"
    router.get(URL).mock(side_effect=httpx.LocalProtocolError(quoted))
    with pytest.raises(IndicoUnreachable, match=r"Illegal header value b'Bearer \*\*\*'"):
        fetch(authed, sleeps, authenticated=True, retries=1)
    assert "Bearer ***" in caplog.text and TOKEN not in caplog.text


def test_lone_surrogates_become_replacement_characters(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """`"\\ud800"` decodes to half a UTF-16 pair, which no UTF-8 file can hold (writing the
    snapshot crashed); whole pairs stay the characters they encode."""
    page = rb'{"results": [{"id": "1", "title": "a\ud800b", "talks": [{"t": "\uDFFF"}],'
    page += rb' "\ud800": 1, "emoji": "\ud83d\ude00"}]}'
    router.get(URL).mock(side_effect=[raw(page), raw(b'{"results": []}'), raw(b'{"results": []}')])
    [event] = fetch(anon, sleeps)
    assert event == {
        "id": "1",
        "title": "a\ufffdb",
        "talks": [{"t": "\ufffd"}],
        "\ufffd": 1,
        "emoji": "\U0001f600",
    }


def test_logs_the_source_and_each_page_at_info(
    router: respx.MockRouter,
    authed: httpx.Client,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """INFO names the source URL and category, then each page number with its event count."""
    caplog.set_level(logging.INFO, logger="indico_sync")
    router.get(URL, params={"offset": "0"}).mock(return_value=reply("categ_page1_limit2.json"))
    router.get(URL).mock(return_value=reply("categ_offset_past_end.json"))  # every later page
    fetch(authed, sleeps, page_size=2, authenticated=True)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("indico_sync")]
    assert messages == [
        f"fetching {BASE} category 1 from 2026-08-24 to 2027-11-22",
        f"{BASE} category 1: page 1: 2 events",
        f"{BASE} category 1: page 2: 0 events",
        f"{BASE} category 1: page 3: 0 events",
    ]


# --- several sources ------------------------------------------------------------------------

SOURCE_A = Source(url="http://indico-a.test", category=1)
SOURCE_B = Source(url="http://indico-b.test", category=2)
URL_A = "http://indico-a.test/export/categ/1.json"
URL_B = "http://indico-b.test/export/categ/2.json"


def test_sources_are_fetched_concurrently_and_keyed_by_source(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """Both first requests are in flight at once (a 2-party barrier); results keyed by source."""
    barrier = threading.Barrier(2, timeout=5)

    def together(name: str) -> Any:
        def answer(request: httpx.Request) -> httpx.Response:
            barrier.wait()
            return reply(name)

        return answer

    router.get(URL_A, params={"offset": "0"}).mock(side_effect=together("categ_page1_limit2.json"))
    router.get(URL_B, params={"offset": "0"}).mock(side_effect=together("categ_page3_limit2.json"))
    router.get(URL_A).mock(return_value=reply("categ_offset_past_end.json"))  # every later page
    router.get(URL_B).mock(return_value=reply("categ_offset_past_end.json"))  # every later page
    result = fetch_sources(anon, [SOURCE_A, SOURCE_B], FetchOptions(window=WINDOW, page_size=2))
    assert list(result) == [SOURCE_A.key, SOURCE_B.key]
    assert ids(result[SOURCE_A.key]) == ["1", "3"]
    assert ids(result[SOURCE_B.key]) == ["4", "8"]


def test_one_failing_source_fails_the_whole_fetch(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """If any source fails, fetch_sources raises instead of returning a partial result."""
    router.get(URL_A).mock(return_value=reply("categ_offset_past_end.json"))
    router.get(URL_B).mock(return_value=reply("err_categ_negative.html", 404, HTML))
    with pytest.raises(IndicoHTTPError, match=re.escape(f"HTTP 404 from {URL_B}")):
        fetch_sources(anon, [SOURCE_A, SOURCE_B], FetchOptions(window=WINDOW))


def test_the_first_failure_in_config_order_is_raised(
    router: respx.MockRouter, anon: httpx.Client, sleeps: list[float]
) -> None:
    """When several sources fail, the first in config order wins, even if it failed last."""
    b_failed = threading.Event()

    def fail_b(request: httpx.Request) -> httpx.Response:
        b_failed.set()
        return reply("err_categ_negative.html", 404, HTML)

    def fail_a_later(request: httpx.Request) -> httpx.Response:
        assert b_failed.wait(timeout=5)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    router.get(URL_A).mock(side_effect=fail_a_later)
    router.get(URL_B).mock(side_effect=fail_b)
    with pytest.raises(IndicoUnreachable, match=re.escape(f"cannot reach {URL_A}")):
        fetch_sources(anon, [SOURCE_A, SOURCE_B], FetchOptions(window=WINDOW, retries=0))


def test_no_sources_is_an_empty_mapping(anon: httpx.Client) -> None:
    """An empty source list fetches nothing."""
    assert fetch_sources(anon, [], FetchOptions(window=WINDOW)) == {}
