"""Every error indico_sync raises on purpose, as one small tree.

    IndicoSyncError                 anything the CLI turns into one "error: ..." line
    ├── ConfigError                 _config.yml is missing, unreadable or invalid
    ├── IndicoError                 talking to Indico failed
    │   ├── IndicoUnreachable       connection refused, DNS, timeout (after retries)
    │   ├── IndicoAuthError         the token was rejected
    │   ├── IndicoHTTPError         any other non-2xx status
    │   └── IndicoBadResponse       a 2xx that is not the JSON we expect
    ├── SnapshotError               the stored meetings file is not valid
    ├── SyncRefused                 the sync would drop too many stored meetings
    ├── ContentError                a page or post is malformed
    ├── RenderError                 a template or the output folder failed
    │   └── OutputRefused           the output folder is not indico_sync's to replace
    └── ServeError                  `serve` cannot listen on the given host and port

Messages are one line and say what failed, where, and what to do. No message ever
carries the Indico token. `describe` turns any exception, ours or not, into such a line.
"""


class IndicoSyncError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class ConfigError(IndicoSyncError):
    """The configuration file is missing, unreadable or invalid."""


class IndicoError(IndicoSyncError):
    """Fetching from Indico failed."""


class IndicoUnreachable(IndicoError):
    """No HTTP answer at all: connection refused, name lookup, timeout."""


class IndicoAuthError(IndicoError):
    """Indico rejected the token (or the request needed one)."""


class IndicoHTTPError(IndicoError):
    """Indico answered with a non-2xx status that is not an auth problem."""


class IndicoBadResponse(IndicoError):
    """Indico answered 2xx, but not with the JSON envelope we expect."""


class SnapshotError(IndicoSyncError):
    """The meeting snapshot file cannot be read or is not valid."""


class SyncRefused(IndicoSyncError):
    """The sync would remove too many stored meetings; nothing was written."""


class ContentError(IndicoSyncError):
    """A page or post in the site source is malformed."""


class RenderError(IndicoSyncError):
    """Rendering or writing the site failed."""


class OutputRefused(RenderError):
    """The output folder holds files indico_sync did not write, or sources; untouched."""


class ServeError(IndicoSyncError):
    """The preview server cannot start: the port is taken or the host is not this machine's."""


EXPECTED = (OSError, UnicodeError, ValueError, RecursionError, MemoryError)
"""Raised by bad files, input or network that no stage turned into an IndicoSyncError."""


def describe(exc: BaseException, *, hide: str = "") -> str:
    """One line for any exception, for the CLI's `error: ...`: ours as they are, others
    named by class, anything outside `EXPECTED` and foreign libraries as unexpected (a
    bug: -v shows its traceback). `hide` (the token) never appears in it."""
    if isinstance(exc, IndicoSyncError):
        return _one_line(str(exc), hide=hide, limit=None)  # ours: bounded where raised
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror}"
    elif isinstance(exc, RecursionError):
        text = "input nested too deeply (RecursionError; run with -v for the traceback)"
    elif isinstance(exc, MemoryError):
        text = "out of memory (run with -v for the traceback)"
    elif isinstance(exc, EXPECTED) or _foreign(exc):
        text = f"{type(exc).__name__}: {exc} (run with -v for the traceback)"
    else:
        text = f"unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)"
    return _one_line(text, hide=hide)


def _foreign(exc: BaseException) -> bool:
    """An error class of the libraries that read user files (Jinja, YAML, Markdown...)."""
    return not type(exc).__module__.startswith(("builtins", "indico_sync"))


def _one_line(text: str, *, hide: str, limit: int | None = 1000) -> str:
    """Control characters as spaces, `hide` hidden, at most `limit` characters."""
    if hide:
        text = text.replace(hide, "[INDICO_TOKEN]")
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."
