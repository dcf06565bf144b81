"""Carry a ``JobQueue``'s news from its scheduler thread into Qt signals.

The queue emits ``job_changed`` and calls ``on_finished`` on its scheduler
thread (and ``job_changed`` on whichever thread submitted or cancelled).
Each is re-emitted here as a Qt signal, which Qt queues to the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Signal

from training.jobs.queue import JobQueue
from training.jobs.state import JobState


class QueueBridge(QObject):
    """Re-emits the queue's ``job_changed`` and ``on_finished`` as Qt signals."""

    job_changed = Signal(object)
    """The ``Path`` of a job whose state may have changed."""
    job_finished = Signal(object, object)
    """``(job Path, final JobState)`` when a job's process has ended."""

    def __init__(self, queue: JobQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        queue.job_changed.connect(self._on_changed)
        queue.on_finished = self._on_finished

    def detach(self) -> None:
        """Stop relaying (call after the scheduler stopped, before this object goes)."""
        self.queue.job_changed.disconnect(self._on_changed)
        self.queue.on_finished = lambda path, state: None

    # These run on the thread that emitted; a deleted bridge must not take the scheduler down.
    def _on_changed(self, path: object) -> None:
        if shiboken6.isValid(self):
            self.job_changed.emit(Path(str(path)))

    def _on_finished(self, path: Path, state: JobState) -> None:
        if shiboken6.isValid(self):
            self.job_finished.emit(Path(path), state)
