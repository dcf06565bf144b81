"""Carry a ``PodcastSession``'s psygnal signals (and its player's) into Qt signals.

The player announces turns and sentences from its worker thread, the session
its join states and transcript changes from its own. Each is re-emitted here
as a Qt signal, which Qt queues to the GUI thread. Episode objects are turned
into snapshots on the emitting thread, so the GUI never reads an episode a
worker is changing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.podcast.snapshot import snapshot
from engine.podcast.episode import Episode, EpisodeTurn
from engine.podcast.session import PodcastSession


class PodcastBridge(QObject):
    """Re-emits the signals of ``session`` and ``session.player`` as Qt signals."""

    state_changed = Signal(str)
    """The player's state: playing, paused, buffering, finished or stopped."""
    turn_started = Signal(int)
    """The id of the turn whose first sentence reached the speaker."""
    sentence_started = Signal(int, object, int)
    """``(turn id, the turn's sentences as texts, index of the sentence being heard)``."""
    interlude_finished = Signal()
    """The hosts finished answering; the episode continues."""
    join_state_changed = Signal(str)
    """idle, pausing, listening, transcribing, thinking or answering."""
    transcript_changed = Signal(object)
    """An ``EpisodeSnapshot`` after an interaction was added or grew."""
    error_occurred = Signal(object)
    """An exception to show."""

    def __init__(self, session: PodcastSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        player = session.player
        self._links: list[tuple[Any, Callable[..., None]]] = [
            (player.state_changed, self._on_state),
            (player.turn_started, self._on_turn),
            (player.sentence_started, self._on_sentence),
            (player.interlude_finished, self._on_interlude_finished),
            (player.error_occurred, self._on_error),
            (session.join_state_changed, self._on_join_state),
            (session.transcript_changed, self._on_transcript),
            (session.error_occurred, self._on_error),
        ]
        for signal, slot in self._links:
            signal.connect(slot)

    def detach(self) -> None:
        """Stop relaying (the session may still emit while it closes)."""
        for signal, slot in self._links:
            signal.disconnect(slot)
        self._links = []

    # Each of these runs on the thread that emitted the psygnal signal.
    def _on_state(self, state: str) -> None:
        self.state_changed.emit(state)

    def _on_turn(self, turn: EpisodeTurn) -> None:
        self.turn_started.emit(turn.id)

    def _on_sentence(self, turn: EpisodeTurn, index: int) -> None:
        self.sentence_started.emit(turn.id, tuple(sentence.text for sentence in turn.sentences), index)

    def _on_interlude_finished(self) -> None:
        self.interlude_finished.emit()

    def _on_join_state(self, state: str) -> None:
        self.join_state_changed.emit(state)

    def _on_transcript(self, episode: Episode) -> None:
        self.transcript_changed.emit(snapshot(episode))

    def _on_error(self, error: object) -> None:
        self.error_occurred.emit(error)
