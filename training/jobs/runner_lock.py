"""One runner at a time per jobs folder, across every process that opens the queue.

The GUI and ``nexus-cli train run`` each hold a ``JobQueue`` on the same
folder. Before a queue starts a runner it takes an exclusive ``flock`` on
``runner.lock`` and hands the locked file descriptor to the runner process,
then closes its own copy: the lock lives exactly as long as the runner (and
``accelerate launch``'s launcher) does, even if the app that started it
quits or crashes, and the kernel drops it when the runner dies. Another queue
that finds the lock taken leaves its job queued and tries again later.

Where ``flock`` is missing (Windows) the queue keeps a ``filelock`` lock for as
long as its runner runs; a runner left behind by a closed app is then seen by
its live process id in the job state instead.

Edits of ``queue.json`` (the order of waiting jobs) take a second, short lock so
two processes never lose each other's submissions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

RUNNER_LOCK = "runner.lock"
ORDER_LOCK = ".queue.lock"

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class RunnerSlot:
    """The right to start a runner in one jobs folder; ``acquire`` never blocks."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / RUNNER_LOCK
        self._fd: int | None = None
        self._fallback = FileLock(str(self.path)) if fcntl is None else None

    def acquire(self) -> bool:
        """Take the slot if no runner holds it; returns whether it was taken."""
        if self._fallback is not None:
            try:
                self._fallback.acquire(timeout=0)
            except TimeoutError:
                return False
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    @property
    def inheritable_fd(self) -> tuple[int, ...]:
        """The locked descriptor to pass to the runner (``Popen(pass_fds=...)``); empty on Windows."""
        return (self._fd,) if self._fd is not None else ()

    def handed_over(self) -> None:
        """The runner holds the lock now: close this process's copy (the lock stays with the runner)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def runner_finished(self) -> None:
        """Release what this process still holds once its runner has exited."""
        self.handed_over()
        if self._fallback is not None and self._fallback.is_locked:
            self._fallback.release()


@contextmanager
def order_lock(root: Path) -> Iterator[None]:
    """Hold the short lock that guards ``queue.json`` edits across processes."""
    with FileLock(str(Path(root) / ORDER_LOCK), timeout=30):
        yield
