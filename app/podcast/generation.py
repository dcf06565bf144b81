"""Generate an episode on a thread of its own and report notes, outline, script and audio as Qt signals.

Writing an episode takes minutes, so it gets a dedicated thread rather than
a slot of Qt's small thread pool (which the tab's quick jobs need). The
builder's callbacks run on that thread; their Qt signals are queued to the
GUI thread, carrying frozen snapshots of the episode, never the episode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.podcast.audio_stage import AudioStage
from app.podcast.snapshot import snapshot
from app.podcast.speech import load_host_voices
from engine.config import VoiceSettings
from engine.omni.base import Engine
from engine.omni.turn import CancelToken
from engine.podcast.builder import EpisodeBuilder
from engine.podcast.document import Source
from engine.podcast.episode import Episode, EpisodeStore
from engine.podcast.formats import EpisodeSpec
from engine.podcast.outline import Cancelled, NotesCache

log = logging.getLogger(__name__)


class GenerationRunner(QObject):
    """Makes one episode at a time; ``episode`` is the live object while it is being written."""

    progress = Signal(str, int, int)
    """``(stage, done, total)``; stages are notes, outline, script and audio."""
    chapter_ready = Signal(object)
    """An ``EpisodeSnapshot`` after each written chapter (the first one can be played)."""
    finished = Signal(object)
    """The ``EpisodeSnapshot`` of the finished episode."""
    failed = Signal(object)
    """The exception that stopped it (``Cancelled`` when the user cancelled)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._cancel = CancelToken()
        self._builder: EpisodeBuilder | None = None
        self._stage: AudioStage | None = None
        self.running = False

    @property
    def episode(self) -> Episode | None:
        """The episode being written (shared with the builder's thread), once it exists."""
        builder = self._builder
        return builder.episode if builder is not None and self.running else None

    @property
    def audio_stage(self) -> AudioStage | None:
        """The stage that makes the audio after the script (to lend it a session's synthesizer)."""
        return self._stage if self.running else None

    def start(self, engine: Engine, sources: Sequence[Source], spec: EpisodeSpec, voices: VoiceSettings,
              episodes_dir: Path, notes_dir: Path) -> bool:
        """Start generating; ``False`` while another episode is being made."""
        if self.running:
            return False
        self.running = True
        self._cancel = CancelToken()
        self._builder = None
        self._stage = None
        args = (engine, list(sources), spec, voices.model_copy(), episodes_dir, notes_dir, self._cancel)
        self._thread = threading.Thread(target=self._work, args=args, name="nexus-podcast-generate", daemon=True)
        self._thread.start()
        return True

    def cancel(self) -> None:
        """Stop after the current model call or turn; what was written stays in the library."""
        self._cancel.cancel()

    def wait(self, timeout_s: float) -> bool:
        """Block until the generating thread has ended (after ``cancel``); ``False`` on timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        return thread is None or not thread.is_alive()

    def settle(self) -> None:
        """Forget the finished job (call when ``finished`` or ``failed`` arrives)."""
        self.running = False

    def _work(self, engine: Engine, sources: list[Source], spec: EpisodeSpec, voices: VoiceSettings,
              episodes_dir: Path, notes_dir: Path, cancel: CancelToken) -> None:
        try:
            hosts = load_host_voices(voices, spec)
            if cancel.cancelled:
                # Nothing was written yet: leave no empty episode in the library.
                raise Cancelled("Episode generation was cancelled.")
            # The builder only reports notes for long sources; say what comes next either way.
            self._progress("notes", 0, 0)
            self._stage = AudioStage(hosts)
            self._builder = EpisodeBuilder(
                engine, EpisodeStore(episodes_dir), NotesCache(notes_dir), hosts,
                model_key=engine.describe().get("model", "model"), progress=self._progress, cancel=cancel,
                on_chapter=lambda episode: self._emit(self.chapter_ready, snapshot(episode)),
            )
            episode = self._builder.build(sources, spec)
            self._stage.run(episode, self._progress, cancel)
            self._builder.store.save(episode)
        except BaseException as exc:  # shown in the tab; the thread must not die silently
            if self._stage is not None:
                self._stage.close()
            log.info("episode generation stopped: %s", exc)
            self._emit(self.failed, exc)
            return
        self._emit(self.finished, snapshot(episode))

    def _progress(self, stage: str, done: int, total: int) -> None:
        self._emit(self.progress, stage, done, total)

    def _emit(self, signal: Any, *args: object) -> None:
        # The tab may be gone by the time a long generation reports.
        if shiboken6.isValid(self):
            signal.emit(*args)
