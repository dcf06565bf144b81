"""Start and stop one Live session at a time without ever blocking the Qt thread.

Building the parts loads Whisper and Piper (seconds), and starting and
stopping open and close audio and capture devices, so each step runs with
``run_task``. The bridge is made on the GUI thread between building and
starting, so the first state change of the session is already relayed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import QObject, Signal

from app.live.bridge import LiveBridge
from app.live.lifetime import while_alive
from app.tasks import run_task
from engine.live.recorder import delete_session
from engine.live.session import LiveSession

log = logging.getLogger(__name__)

Phase = Literal["idle", "starting", "running", "stopping"]


def start_or_clean_up(session: LiveSession, closing: threading.Event) -> bool:
    """Start ``session``; on failure close whatever it had opened and re-raise (worker thread).

    When the window closed meanwhile, nobody is left to stop the session, so it
    is stopped here; returns whether that happened.
    """
    try:
        session.start()
    except BaseException:
        session.stop()
        tidy_recording(session)
        raise
    if closing.is_set():
        stop_and_tidy(session)
        return True
    return False


def stop_and_tidy(session: LiveSession) -> None:
    """Stop ``session`` and drop its recording when no turn was recorded (worker thread)."""
    session.stop()
    tidy_recording(session)


def tidy_recording(session: LiveSession) -> None:
    """Close the session's recording and delete its folder when no turn was written (worker thread)."""
    recorder = session.recorder
    if recorder is None:
        return
    recorder.close()
    transcript = recorder.path / "transcript.jsonl"
    if transcript.is_file() and transcript.stat().st_size == 0:
        delete_session(recorder.path)
        log.info("removed the empty recording %s", recorder.path)


class SessionRunner(QObject):
    """Owns the current ``LiveSession`` and its ``LiveBridge``; moves them through their phases."""

    bridge_ready = Signal(object)
    """A new ``LiveBridge``, before its session starts: connect to it now."""
    started = Signal(object)
    """The ``LiveSession`` that is now running."""
    stopped = Signal(object)
    """The ``LiveSession`` that was stopped (its transcript stays readable)."""
    failed = Signal(object)
    """The exception that kept a session from being built, started or stopped cleanly."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phase: Phase = "idle"
        self.session: LiveSession | None = None
        self.bridge: LiveBridge | None = None
        self._stop_requested = False
        self._closing = threading.Event()
        self._previous: LiveSession | None = None

    @property
    def running(self) -> bool:
        """Whether a session is running (not starting or stopping)."""
        return self.phase == "running"

    def start(self, build: Callable[[], LiveSession]) -> bool:
        """Build (``build`` runs in a worker) and start a session; ``False`` when one is active."""
        if self.phase != "idle" or self._closing.is_set():
            return False
        self.phase = "starting"
        self._stop_requested = False
        run_task(build, while_alive(self, self._built))
        return True

    def stop(self) -> None:
        """Stop the running session in the background (a starting one stops once it has started)."""
        if self.phase == "starting":
            self._stop_requested = True
            return
        if self.phase != "running" or self.session is None:
            return
        self.phase = "stopping"
        session = self.session
        run_task(lambda: stop_and_tidy(session), while_alive(self, self._stopped))

    def shutdown(self) -> None:
        """Stop for good (the window closes): a running session is stopped now, waiting for its devices.

        A session still starting is stopped by its worker once it has started;
        nothing can be started afterwards.
        """
        self._closing.set()
        if self.session is not None and self.phase == "running":
            stop_and_tidy(self.session)
        if self.bridge is not None:
            self.bridge.detach()
        self.phase = "idle"

    def _built(self, session: LiveSession | None, error: BaseException | None) -> None:
        if self._closing.is_set():
            if session is not None:
                run_task(lambda: tidy_recording(session))
            return
        if error is not None or session is None:
            self.phase = "idle"
            self.failed.emit(error or RuntimeError("no session was built"))
            return
        if self.bridge is not None:
            self.bridge.deleteLater()
        self._previous = self.session
        self.session = session
        self.bridge = LiveBridge(session, parent=self)
        self.bridge_ready.emit(self.bridge)
        closing = self._closing
        run_task(lambda: start_or_clean_up(session, closing), while_alive(self, self._started))

    def _started(self, stopped_already: bool | None, error: BaseException | None) -> None:
        if self._closing.is_set():
            session = self.session
            if error is None and not stopped_already and session is not None:
                run_task(lambda: stop_and_tidy(session))
            return
        if error is not None:
            if self.bridge is not None:
                self.bridge.detach()
            # The session that never started has nothing to read: the last one stays the session shown.
            self.session = self._previous
            self.phase = "idle"
            self.failed.emit(error)
            return
        self._previous = None
        self.phase = "running"
        self.started.emit(self.session)
        if self._stop_requested:
            self.stop()

    def _stopped(self, _result: object, error: BaseException | None) -> None:
        if self._closing.is_set():
            return
        if self.bridge is not None:
            self.bridge.detach()
        self.phase = "idle"
        self.stopped.emit(self.session)
        if error is not None:
            self.failed.emit(error)
