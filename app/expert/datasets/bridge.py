"""Run one dataset job at a time off the Qt thread, with progress and cancel carried as Qt signals.

The training functions report progress in two shapes (a ``Progress`` object,
or ``done, total`` counts from the synthetic generator) and poll a
``cancel()`` callable; ``JobContext`` offers both, thins the reports out to a
dozen a second (an import reports every row) and emits them through the
runner, a QObject of the GUI thread, so Qt queues them to the GUI. Each API
says "cancelled" differently (an exception, a ``None`` result, a report flag);
``JobRunner`` folds them into one ``JobOutcome``.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.expert.datasets.common import error_text
from app.live.lifetime import while_alive
from app.tasks import run_task
from training.datasets.progress import Progress

log = logging.getLogger(__name__)

# The bar needs no more than this many updates a second; more only costs GUI time.
MIN_REPORT_INTERVAL_S = 0.08


@dataclass
class Job:
    """A unit of work for the runner.

    ``work`` runs in a worker thread and gets a ``JobContext``. ``cleanup`` is
    a folder the job creates: removed (in the worker) when the job fails or is
    cancelled, so an unfinished dataset never lingers in the library.
    """

    label: str
    work: Callable[["JobContext"], Any]
    cleanup: Path | None = None


@dataclass
class JobOutcome:
    """How a job ended: its result, the error, or cancelled."""

    job: Job
    result: Any = None
    error: BaseException | None = None
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True when the job ran to its end."""
        return self.error is None and not self.cancelled


def describe_progress(progress: Progress) -> str:
    """One line for a ``Progress`` report."""
    text = f"{progress.label}: {progress.written:,}"
    if progress.limit:
        text += f" of {progress.limit:,}"
    text += " written"
    if progress.rows != progress.written:
        text += f" ({progress.rows:,} rows read)"
    return text


class JobContext:
    """What a job's work sees: progress reporters and the cancel check (thread-safe)."""

    def __init__(self, label: str, emit: Callable[[object, str], None],
                 cancel_event: threading.Event) -> None:
        self.label = label
        self._emit = emit
        self._cancel = cancel_event
        self._last = 0.0

    def cancelled(self) -> bool:
        """Whether the user pressed Cancel."""
        return self._cancel.is_set()

    def report(self, progress: Progress) -> None:
        """A ``Progress`` from the training functions."""
        self._send(progress.fraction, describe_progress(progress))

    def count(self, done: int, total: int) -> None:
        """``done`` of ``total`` items (the synthetic generator's report)."""
        fraction = done / total if total else None
        self._send(fraction, f"{self.label}: {done:,} of {total:,}", force=done >= total)

    def _send(self, fraction: float | None, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < MIN_REPORT_INTERVAL_S:
            return
        self._last = now
        self._emit(fraction, text)


def _looks_cancelled(result: Any) -> bool:
    return bool(getattr(result, "cancelled", False))


class JobRunner(QObject):
    """Runs ``Job``s one at a time in the thread pool; progress and the end arrive as Qt signals."""

    started = Signal(str)
    """The label of the job that started."""
    progressed = Signal(object, str)
    """``(fraction in [0, 1] or None when unknown, text)``."""
    ended = Signal(object)
    """The ``JobOutcome``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._job: Job | None = None
        app = QCoreApplication.instance()
        if app is not None:
            # The thread pool is drained on exit; a cancelled job ends within moments.
            app.aboutToQuit.connect(self.cancel)

    @property
    def busy(self) -> bool:
        """Whether a job is running."""
        return self._job is not None

    @property
    def label(self) -> str:
        """The running job's label (empty when idle)."""
        return self._job.label if self._job else ""

    def start(self, job: Job, on_done: Callable[[JobOutcome], None] | None = None) -> bool:
        """Start ``job``; False (and nothing started) while another job runs."""
        if self._job is not None:
            return False
        self._job = job
        self._cancel = threading.Event()
        cancel = self._cancel
        context = JobContext(job.label, self.progressed.emit, cancel)

        def work() -> JobOutcome:
            # Runs in the worker: the cleanup of a failed job must not block the GUI either.
            try:
                result = job.work(context)
            except BaseException:
                _remove(job.cleanup)
                if cancel.is_set():
                    return JobOutcome(job, cancelled=True)
                raise
            cancelled = _looks_cancelled(result) or (result is None and cancel.is_set())
            if cancelled:
                _remove(job.cleanup)
            return JobOutcome(job, result=result, cancelled=cancelled)

        def done(outcome: JobOutcome | None, error: BaseException | None) -> None:
            self._job = None
            if outcome is None:
                outcome = JobOutcome(job, error=error)
                log.info("%s failed: %s", job.label, error_text(error) if error else "")
            self.ended.emit(outcome)
            if on_done is not None:
                on_done(outcome)

        self.started.emit(job.label)
        run_task(work, while_alive(self, done))
        return True

    def cancel(self) -> None:
        """Ask the running job to stop (it stops at its next check)."""
        self._cancel.set()


def _remove(folder: Path | None) -> None:
    if folder is not None and folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
