"""The second core: a forked child makes some of the build's bytes while this process makes more.

Fork, not spawn: the child starts with the parent's loaded config, pages and meetings, so
nothing is pickled on the way in; only the results (bytes) come back, through a
`multiprocessing` pipe. `multiprocessing` is imported only when a child is started.
"""

from __future__ import annotations

import gc
import os
import pickle
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkProcess

Work = Callable[[], bytes]


class Background:
    """Bytes made one after another by a forked child process, on the other core.

    `next()` gives the works' results in order, each as soon as the child has sent
    it. When the child fails, the works it did not deliver are done here instead, so
    their error is raised in this process. Without fork (or with other threads
    running, when forking is unsafe) every work is simply done in `next()`.
    """

    def __init__(self, works: Sequence[Work]) -> None:
        self.works = list(works)
        self.delivered = 0
        self.pid = 0
        self.child: ForkProcess | None = None
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.pipe, sending = context.Pipe(duplex=False)
        self.child = context.Process(target=_make, args=(self.works, sending), daemon=True)
        self.child.start()
        self.pid = self.child.pid or 0
        sending.close()

    def next(self) -> bytes:
        work = self.works[self.delivered]
        self.delivered += 1
        if self.child is not None:
            data = self._receive()
            if self.delivered == len(self.works) or data is None:
                self._reap()
            if data is not None:
                return data
        return work()

    def cancel(self) -> None:
        """Stop and reap the child if it has results nobody asked for."""
        if self.child is not None:
            self.child.kill()
            self._reap()

    def _receive(self) -> bytes | None:
        """The next result, or None if the child failed before sending it."""
        try:
            return self.pipe.recv_bytes()
        except EOFError:
            return None

    def _reap(self) -> None:
        assert self.child is not None
        self.pipe.close()
        self.child.join()
        self.child = None


class Deferred(Mapping[str, Sequence[bytes]]):
    """`known`, plus the entries a child sends (a pickled dict, from `fetch`), waited for
    only when one of the `later` keys is first looked up."""

    def __init__(self, known: Mapping[str, Sequence[bytes]], later: set[str], fetch: Work) -> None:
        self.known, self.later, self.fetch = dict(known), later, fetch

    def __getitem__(self, key: str) -> Sequence[bytes]:
        if key in self.later:
            self.known.update(pickle.loads(self.fetch()))  # noqa: S301  # our own child's
            self.later = set()
        return self.known[key]

    def __iter__(self) -> Iterator[str]:
        return iter([*self.known, *self.later])

    def __len__(self) -> int:
        return len(self.known) + len(self.later)


def _make(works: Sequence[Work], pipe: Connection) -> None:
    """The child: send each result until one fails; the parent redoes that one and raises."""
    gc.disable()  # a short-lived child: collecting would only copy shared pages
    try:
        for work in works:
            pipe.send_bytes(work())
    except Exception:  # not lost: the parent runs this work again and raises the error
        raise SystemExit(1) from None  # an exit status, not a traceback on stderr
