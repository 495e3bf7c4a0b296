"""The process the parser workers are forked from: forked once at the start of a run, it forks a
worker whenever the writer asks for one.

Why: a forked process starts with every page of the process it is forked from. Forked from the
writer, a worker that replaced a retired one started with all the writer had grown to by then
(DuckDB's cache, the batches in flight): at 1,600 packets a parser's peak RSS was 2.5 times that at
800, of pages it never used. The zygote holds what the writer held at the start of the run (the
warm parsers), so every worker of a run starts the same, however long the run.

It dies with the writer (PR_SET_PDEATHSIG, and when the writer closes its end), and its workers die
with it. A worker's exit status is the zygote's to collect; the writer asks for it (`wait`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe
from multiprocessing.reduction import recv_handle, send_handle

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Killed when the process that forked this one dies; exits now if it is already gone."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


class Zygote:
    """The writer's handle on its zygote. `serve(conn)` is what a worker runs, on its end of a pipe
    to the writer; it is called in the worker, forked from the zygote."""

    def __init__(self, serve: Callable[[Connection], None], warm: Callable[[], None] | None = None) -> None:
        """Forks the zygote, which first runs `warm` (filling the caches its workers will share) while
        the writer goes on."""
        ours, theirs = Pipe(duplex=True)
        writer = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                ours.close()
                die_with_parent(writer)
                if warm is not None:
                    warm()
                _loop(theirs, serve)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        self.pid = pid
        self._conn = ours
        self._spawned = False

    def spawn(self) -> tuple[int, Connection]:
        """A new worker: its pid, and the writer's end of its pipe."""
        self._spawned = True
        self._conn.send(("spawn",))
        pid = int(self._conn.recv())
        return pid, Connection(recv_handle(self._conn))

    def wait(self, pid: int, timeout: float) -> int | None:
        """The worker's exit status once it has exited (waiting up to `timeout` s), else None."""
        self._conn.send(("wait", pid, timeout))
        code = self._conn.recv()
        return None if code is None else int(code)

    def close(self) -> None:
        """The zygote exits when its pipe closes; its workers die with it. One that never forked a
        worker (a run with nothing to parse) may still be warming up: it is killed, not waited for."""
        self._conn.close()
        if not self._spawned:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _loop(conn: Connection, serve: Callable[[Connection], None]) -> None:
    me = os.getpid()
    exited: dict[int, int] = {}
    forked: set[int] = set()

    def reap() -> None:
        while True:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            exited[pid] = os.waitstatus_to_exitcode(code)  # as multiprocessing: -signal if killed
            forked.discard(pid)

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            # The writer is done (or gone): what is left goes with the zygote, and is waited for, so
            # that its CPU time and memory count in the writer's resource usage.
            for pid in forked:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            for pid in list(forked):
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            return
        reap()
        if request[0] == "spawn":
            mine, theirs = Pipe(duplex=True)
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    conn.close()
                    mine.close()
                    die_with_parent(me)
                    serve(theirs)
                    code = 0
                finally:
                    os._exit(code)
            theirs.close()
            forked.add(pid)
            conn.send(pid)
            send_handle(conn, mine.fileno(), 0)
            mine.close()
        elif request[0] == "wait":
            _, pid, timeout = request
            deadline = time.monotonic() + timeout
            while pid not in exited and time.monotonic() < deadline:
                time.sleep(0.005)
                reap()
            conn.send(exited.pop(pid, None))
