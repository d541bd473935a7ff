"""Stage 1, Indico -> snapshot: the HTTP client, the normaliser, the sync's rules and
the change report, run in order by `run.sync`."""

from indico_sync.sync.run import SyncResult, sync

__all__ = ["SyncResult", "sync"]
