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
    └── RenderError                 a template or the output folder failed
        └── OutputRefused           the output folder is not indico_sync's to replace

Messages are one line and say what failed, where, and what to do. No message ever
carries the Indico token.
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
