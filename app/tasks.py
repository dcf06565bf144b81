"""Run work off the Qt thread and post the result back (after Picard's ``run_task``).

``run_task(func, on_done)`` runs ``func()`` in Qt's global thread pool and calls
``on_done(result, error)`` on the GUI thread. Long work never blocks the event loop.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any, BaseException | None], None]


class _Relay(QObject):
    """Lives on the GUI thread; its queued signal carries the result home."""

    finished = Signal(object, object)


class _Task(QRunnable):
    def __init__(self, func: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._func = func
        self._relay = relay

    @Slot()
    def run(self) -> None:
        try:
            result = self._func()
        except BaseException as exc:  # reported to the GUI, never lost in a thread
            log.debug("task failed:\n%s", traceback.format_exc())
            self._deliver(None, exc)
        else:
            self._deliver(result, None)

    def _deliver(self, result: Any, error: BaseException | None) -> None:
        try:
            self._relay.finished.emit(result, error)
        except RuntimeError:
            # The application is quitting and took the relay with it: nobody is left to tell.
            log.debug("a background result arrived after the application quit; dropped")


_alive: set[_Relay] = set()


def run_task(func: Callable[[], Any], on_done: DoneCallback | None = None) -> None:
    """Run ``func`` in the thread pool; ``on_done(result, error)`` runs on the GUI thread."""
    relay = _Relay()
    _alive.add(relay)

    def finish(result: Any, error: BaseException | None) -> None:
        _alive.discard(relay)
        relay.deleteLater()
        if on_done is not None:
            on_done(result, error)

    relay.finished.connect(finish)
    QThreadPool.globalInstance().start(_Task(func, relay))
