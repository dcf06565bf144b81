"""Open, start and close one ``PodcastSession`` at a time without blocking the Qt thread.

Opening loads the hosts' voices and Whisper and opens the speaker and the
microphone; closing joins the session's threads and saves the episode. Each
step runs with ``run_task``. The bridge is made on the GUI thread between
building and starting, so the first turn of the episode is already relayed.
A microphone that cannot be opened does not stop the episode: it plays, and
the listener joins by typing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, Signal

from app.live.lifetime import while_alive
from app.podcast.bridge import PodcastBridge
from app.podcast.snapshot import EpisodeSnapshot, snapshot
from app.podcast.speech import HostEngine, load_host_voices, spec_of, whisper
from app.tasks import run_task
from engine.config import Settings
from engine.errors import AudioDeviceError, NexusError
from engine.media.player import Player
from engine.omni.base import Engine
from engine.omni.turn import AUDIO_RATE
from engine.podcast.episode import Episode, EpisodeStore, load_episode
from engine.podcast.session import PodcastSession, VoiceJoin, open_voice_join

log = logging.getLogger(__name__)

Phase = Literal["idle", "opening", "playing", "closing"]
SessionHook = Callable[[PodcastSession], None]


@dataclass
class OpenedSession:
    """A session ready to start, what it plays, and why joining by voice is unavailable (empty when it is)."""

    session: PodcastSession
    snapshot: EpisodeSnapshot
    notice: str = ""


def build_session(
    episode: Episode | Path,
    settings: Settings,
    engine: Callable[[], Engine | None],
    *,
    voice_join: bool = False,
    speed: float = 1.0,
) -> OpenedSession:
    """A session over ``episode`` (an episode being written, or a library folder), with the devices of ``settings``.

    Runs in a worker thread. The voices must load; Whisper and the microphone
    are optional (the notice says why joining by voice is off).
    """
    if isinstance(episode, Path):
        episode = load_episode(episode)
    if episode.folder is None:
        raise NexusError("This episode has no folder to play from.")
    hosts = load_host_voices(settings.voices, spec_of(episode.spec))
    player = Player(settings.audio.output_device, sample_rate=AUDIO_RATE)
    notice = ""
    asr = None
    voice: VoiceJoin | None = None
    try:
        asr = whisper(
            settings.voices.whisper_model, settings.voices.whisper_device, settings.voices.whisper_compute_type
        )
        notice = asr.device_note
        live = settings.live
        voice = open_voice_join(player, input_device=settings.audio.input_device, vad_engine=live.vad_engine,
                                echo=live.echo)
    except NexusError as exc:
        notice = f"Joining by voice is off: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - a broken speech stack must not keep the episode from playing
        log.warning("voice join unavailable: %s", exc)
        notice = f"Joining by voice is off: {exc}"
    session = PodcastSession(episode, EpisodeStore(episode.folder.parent), hosts, HostEngine(engine), player,
                             asr=asr, voice=voice, voice_join=voice_join, speed=speed)
    return OpenedSession(session, snapshot(episode), notice)


def start_session(session: PodcastSession, from_turn: int | None) -> str:
    """Start playing; when only the microphone fails, play without it. Returns a notice (worker thread)."""
    try:
        session.start(from_turn)
    except AudioDeviceError as exc:
        voice = session.voice
        if voice is None:
            raise
        # PodcastSession.start opens the speaker before the microphone, and Player.start is idempotent:
        # dropping the microphone and starting again plays the episode with joining by typing only.
        voice.microphone.block_ready.disconnect(voice.listener.on_block)
        voice.microphone.close()
        session.voice = None
        session.set_voice_join(False)
        session.start(from_turn)
        return f"The microphone could not be opened ({exc.message}); join by typing instead."
    return ""


def start_or_close(opened: OpenedSession, from_turn: int | None, before_start: SessionHook | None) -> OpenedSession:
    """``before_start``, then start; on failure close the session and re-raise (worker thread)."""
    session = opened.session
    try:
        if before_start is not None:
            before_start(session)
        notice = start_session(session, from_turn)
    except BaseException:
        session.close()
        raise
    return replace(opened, notice=notice or opened.notice)


def close_session(session: PodcastSession, after_close: SessionHook | None) -> None:
    """Close ``session`` (the episode is saved), then ``after_close`` (worker thread)."""
    try:
        session.close()
    finally:
        if after_close is not None:
            after_close(session)


@dataclass
class _Request:
    build: Callable[[], OpenedSession]
    from_turn: int | None
    before_start: SessionHook | None
    after_close: SessionHook | None


class PlaybackRunner(QObject):
    """Owns the current ``PodcastSession`` and its ``PodcastBridge``; moves them through their phases.

    Opening another episode while one plays closes the first, then opens
    the second.
    """

    bridge_ready = Signal(object)
    """A new ``PodcastBridge``, before its session starts: connect to it now."""
    started = Signal(object)
    """The ``OpenedSession`` that plays now; its notice says what is unavailable, if anything."""
    stopped = Signal()
    """The session was closed."""
    failed = Signal(object)
    """The exception that kept a session from opening or closing cleanly."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phase: Phase = "idle"
        self.session: PodcastSession | None = None
        self.bridge: PodcastBridge | None = None
        self._request: _Request | None = None
        self._next: _Request | None = None
        self._close_requested = False
        self._closing = threading.Event()

    @property
    def playing(self) -> bool:
        """Whether a session is open (playing or paused)."""
        return self.phase == "playing"

    def open(
        self,
        build: Callable[[], OpenedSession],
        from_turn: int | None = None,
        *,
        before_start: SessionHook | None = None,
        after_close: SessionHook | None = None,
    ) -> None:
        """Build (in a worker) and start a session, closing the current one first."""
        if self._closing.is_set():
            return
        request = _Request(build, from_turn, before_start, after_close)
        if self.phase != "idle":
            self._next = request
            self.close()
            return
        self.phase = "opening"
        self._close_requested = False
        self._request = request
        run_task(build, while_alive(self, self._built))

    def adopt(self, opened: OpenedSession, after_close: SessionHook | None = None) -> PodcastBridge:
        """Take over a session that was built (and perhaps started) elsewhere; tests drive the tab this way."""
        if self.phase != "idle":
            raise RuntimeError("a podcast session is already open")
        self._request = _Request(lambda: opened, None, None, after_close)
        self.session = opened.session
        self.bridge = PodcastBridge(opened.session, parent=self)
        self.bridge_ready.emit(self.bridge)
        self.phase = "playing"
        self.started.emit(opened)
        return self.bridge

    def close(self) -> None:
        """Close the session in the background (an opening one closes once it has started)."""
        if self.phase == "opening":
            self._close_requested = True
            return
        if self.phase != "playing" or self.session is None:
            return
        self.phase = "closing"
        session = self.session
        after = self._request.after_close if self._request is not None else None
        if self.bridge is not None:
            self.bridge.detach()
        run_task(lambda: close_session(session, after), while_alive(self, self._closed))

    def shutdown(self) -> None:
        """Close for good (the window closes), waiting for the devices; nothing opens afterwards."""
        self._closing.set()
        self._next = None
        if self.bridge is not None:
            self.bridge.detach()
        if self.session is not None and self.phase == "playing":
            after = self._request.after_close if self._request is not None else None
            close_session(self.session, after)
        self.phase = "idle"

    def _built(self, opened: OpenedSession | None, error: BaseException | None) -> None:
        if self._closing.is_set():
            if opened is not None:
                run_task(opened.session.close)
            return
        if error is not None or opened is None or self._request is None:
            self.phase = "idle"
            self.failed.emit(error or RuntimeError("no session was built"))
            self._open_next()
            return
        if self.bridge is not None:
            self.bridge.deleteLater()
        self.session = opened.session
        self.bridge = PodcastBridge(opened.session, parent=self)
        self.bridge_ready.emit(self.bridge)
        request = self._request
        run_task(
            lambda: start_or_close(opened, request.from_turn, request.before_start),
            while_alive(self, self._started),
        )

    def _started(self, opened: OpenedSession | None, error: BaseException | None) -> None:
        if self._closing.is_set():
            if error is None and self.session is not None:
                session, after = self.session, self._request.after_close if self._request else None
                run_task(lambda: close_session(session, after))
            return
        if error is not None or opened is None:
            if self.bridge is not None:
                self.bridge.detach()
            self.phase = "idle"
            if self._request is not None and self._request.after_close is not None and self.session is not None:
                session, after = self.session, self._request.after_close
                run_task(lambda: after(session))
            self.failed.emit(error or RuntimeError("the session did not start"))
            self._open_next()
            return
        self.phase = "playing"
        self.started.emit(opened)
        if self._close_requested or self._next is not None:
            self.close()

    def _closed(self, _result: object, error: BaseException | None) -> None:
        self.phase = "idle"
        # The next episode starts opening first, so listeners of ``stopped`` see the phase it is in.
        self._open_next()
        self.stopped.emit()
        if error is not None:
            self.failed.emit(error)

    def _open_next(self) -> None:
        request, self._next = self._next, None
        if request is not None and not self._closing.is_set():
            self.open(request.build, request.from_turn, before_start=request.before_start,
                      after_close=request.after_close)
