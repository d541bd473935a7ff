"""The second core: a forked child makes some of the build's bytes while this process makes more.

Fork, not spawn: the child starts with the parent's loaded config, pages and meetings, so
nothing is pickled on the way in; only the results (bytes) come back through a pipe.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import NoReturn


class Background:
    """Bytes made one after another by a forked child process, on the other core.

    `next()` gives the works' results in order, each as soon as the child has sent
    it. When the child fails, the works it did not deliver are done here instead, so
    their error is raised in this process. Without fork (or with other threads
    running, when forking is unsafe) every work is simply done in `next()`.
    """

    def __init__(self, works: Sequence[Callable[[], bytes]]) -> None:
        self.works = list(works)
        self.delivered = 0
        self.pid = 0
        self.reaped = False
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(read_end)
            gc.disable()  # a short-lived child: collecting would only copy shared pages
            _child(self.works, write_end)
        os.close(write_end)
        self.pipe = os.fdopen(read_end, "rb")

    def next(self) -> bytes:
        work = self.works[self.delivered]
        self.delivered += 1
        if self.pid and not self.reaped:
            data = self._receive()
            if self.delivered == len(self.works) or data is None:
                self._reap()
            if data is not None:
                return data
        return work()

    def cancel(self) -> None:
        """Stop and reap the child if it has results nobody asked for."""
        if self.pid and not self.reaped:
            os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _receive(self) -> bytes | None:
        """The next result from the pipe, or None if the child failed before sending it."""
        header = self.pipe.read(_SIZE)
        if len(header) < _SIZE:
            return None
        size = int.from_bytes(header, "big")
        data = self.pipe.read(size)
        return data if len(data) == size else None

    def _reap(self) -> None:
        self.reaped = True
        self.pipe.close()
        os.waitpid(self.pid, 0)


_SIZE = 8  # bytes of the length that precedes each result in the pipe


def _child(works: Sequence[Callable[[], bytes]], write_end: int) -> NoReturn:
    status = 1
    try:
        with os.fdopen(write_end, "wb") as pipe:
            for work in works:
                data = work()
                pipe.write(len(data).to_bytes(_SIZE, "big"))
                pipe.write(data)
                pipe.flush()
        status = 0
    finally:
        os._exit(status)  # never return into the parent's code, never run its exit hooks
