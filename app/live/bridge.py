"""Carry a ``LiveSession``'s psygnal signals into Qt signals.

The session, its capture and its microphone emit from their own threads.
Each psygnal signal is connected to a method here that emits a Qt signal of
the same meaning; Qt queues a cross-thread emission to the receiver's thread,
so slots of GUI objects always run on the GUI thread. Frames arrive at the
capture rate but the preview only needs a few per second, so they are
thinned out before they cross.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.live.session import LiveSession
from engine.media.frames import Frame

# A preview wants at most a few pictures a second; more only costs GUI time.
DEFAULT_FRAME_INTERVAL_S = 0.25


class LiveBridge(QObject):
    """Re-emits every signal of ``session`` (and of its capture and microphone) as a Qt signal."""

    state_changed = Signal(object)
    """A ``StateChange``."""
    transcript_updated = Signal(object)
    """A ``TranscriptEntry`` added or changed."""
    turn_started = Signal(object)
    """The ``Turn`` sent to the engine."""
    turn_finished = Signal(object)
    """The engine's ``TurnStats``."""
    interruption = Signal(str, float)
    """``(kind, seconds since the speech began)``."""
    level_changed = Signal(float)
    """Microphone level 0–1."""
    error_occurred = Signal(object)
    """An exception to show."""
    frame_captured = Signal(object)
    """A captured ``Frame``, at most one per ``frame_interval_s``."""
    capture_state_changed = Signal(str)
    """The capture's state: running, paused, error, ended, stopped."""
    microphone_state_changed = Signal(str)
    """The microphone's state: starting, running, error, stopped."""

    def __init__(
        self,
        session: LiveSession,
        frame_interval_s: float = DEFAULT_FRAME_INTERVAL_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.frame_interval_s = frame_interval_s
        self._frame_lock = threading.Lock()
        self._last_frame_at = float("-inf")
        parts = session.parts
        links: list[tuple[Any, Callable[..., None]]] = [
            (session.state_changed, self._on_state),
            (session.transcript_updated, self._on_transcript),
            (session.turn_started, self._on_turn_started),
            (session.turn_finished, self._on_turn_finished),
            (session.interruption, self._on_interruption),
            (session.level_changed, self._on_level),
            (session.error_occurred, self._on_error),
        ]
        if parts.capture is not None:
            links += [
                (parts.capture.frame_captured, self._on_frame),
                (parts.capture.state_changed, self._on_capture_state),
                (parts.capture.error_occurred, self._on_error),
            ]
        if parts.microphone is not None:
            links.append((parts.microphone.state_changed, self._on_microphone_state))
        self._links = links
        for signal, slot in links:
            signal.connect(slot)

    def detach(self) -> None:
        """Stop relaying (the session's objects may live on; this bridge goes quiet)."""
        for signal, slot in self._links:
            signal.disconnect(slot)
        self._links = []

    # Each of these runs on the thread that emitted the psygnal signal.
    def _on_state(self, change: object) -> None:
        self.state_changed.emit(change)

    def _on_transcript(self, entry: object) -> None:
        self.transcript_updated.emit(entry)

    def _on_turn_started(self, turn: object) -> None:
        self.turn_started.emit(turn)

    def _on_turn_finished(self, stats: object) -> None:
        self.turn_finished.emit(stats)

    def _on_interruption(self, kind: str, seconds: float) -> None:
        self.interruption.emit(kind, seconds)

    def _on_level(self, level: float) -> None:
        self.level_changed.emit(level)

    def _on_error(self, error: object) -> None:
        self.error_occurred.emit(error)

    def _on_frame(self, frame: Frame) -> None:
        now = time.monotonic()
        with self._frame_lock:
            if now - self._last_frame_at < self.frame_interval_s:
                return
            self._last_frame_at = now
        self.frame_captured.emit(frame)

    def _on_capture_state(self, state: str) -> None:
        self.capture_state_changed.emit(state)

    def _on_microphone_state(self, state: str) -> None:
        self.microphone_state_changed.emit(state)
