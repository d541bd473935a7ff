"""Checking Indico's answers before anything trusts them: status, then Content-Type,
then shape. Every failure is one typed, one-line `IndicoError` naming the URL as
shown to people (`display_url`: no user info, no secret-looking parameter); an HTML
error page is never quoted. Pure: no request is made here (that is `indico.py`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from indico_sync.errors import IndicoAuthError, IndicoBadResponse, IndicoHTTPError
from indico_sync.untrusted import one_line

_SECRET_PARAMS = frozenset({"ak", "apikey", "signature", "token", "user_token", "access_token"})
_SCOPE = "'Classic API (read only)'"
_LONE_SURROGATE_ESCAPE = re.compile(  # a high half not followed by a low one, or vice versa
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_results(response: httpx.Response, *, shown: str, base: str) -> list[dict[str, Any]]:
    """The `results` of a page, after checking status, Content-Type and shape."""
    raise_for_status(response, shown=shown, base=base)
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


def raise_for_status(response: httpx.Response, *, shown: str, base: str) -> None:
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
    hint = "; Indico kept failing, try again later" if retryable(status) else hint
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


def retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _media_type(response: httpx.Response) -> str:
    return str(response.headers.get("Content-Type", "")).partition(";")[0].strip().lower()


def display_url(url: str) -> str:
    """`url` without user info, fragment or any secret-looking query parameter."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, value) for key, value in pairs if key.lower() not in _SECRET_PARAMS]
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
