"""The second core: a forked child makes some of the build's bytes while this process makes more.

Fork, not spawn: the child starts with the parent's loaded config, pages and meetings, so
nothing is pickled on the way in; only the results (bytes) come back, each as its length
and its bytes through a pipe. Plain `os.fork`, not `multiprocessing`: importing that (with
`socket`, `selectors` and `subprocess`) took 19-28 ms of every build's start.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import BinaryIO, NoReturn

Work = Callable[[], bytes]
_SIZE = 8  # bytes of the length before each result


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
        self.pipe: BinaryIO | None = None
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        receiving, sending = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # or the child would write their buffers too
            stream.flush()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(receiving)
            _make(self.works, sending)
        os.close(sending)
        self.pipe = os.fdopen(receiving, "rb")

    def next(self) -> bytes:
        work = self.works[self.delivered]
        self.delivered += 1
        if self.pipe is not None:
            data = self._receive(self.pipe)
            if self.delivered == len(self.works) or data is None:
                self._reap()
            if data is not None:
                return data
        return work()

    def cancel(self) -> None:
        """Stop and reap the child if it has results nobody asked for."""
        if self.pipe is not None:
            import signal

            os.kill(self.pid, signal.SIGKILL)
            self._reap()

    @staticmethod
    def _receive(pipe: BinaryIO) -> bytes | None:
        """The next result, or None if the child failed before sending it."""
        head = pipe.read(_SIZE)
        if len(head) < _SIZE:
            return None
        size = int.from_bytes(head, "little")
        data = pipe.read(size)
        return data if len(data) == size else None

    def _reap(self) -> None:
        assert self.pipe is not None
        self.pipe.close()
        self.pipe = None
        os.waitpid(self.pid, 0)


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


def _make(works: Sequence[Work], sending: int) -> NoReturn:
    """The child: send each result until one fails (the parent then redoes that one and
    raises its error), then exit without running the parent's exit handlers."""
    gc.disable()  # a short-lived child: collecting would only copy shared pages
    status = 1
    try:
        with os.fdopen(sending, "wb") as pipe:
            for work in works:
                data = work()
                pipe.write(len(data).to_bytes(_SIZE, "little"))
                pipe.write(data)
                pipe.flush()
        status = 0
    except BaseException:  # noqa: S110  # not lost: the parent runs this work again
        pass
    finally:
        try:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
        finally:
            os._exit(status)
