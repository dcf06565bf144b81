"""The Podcast tab: make two-host episodes from documents, keep them in a library, listen and join in.

The left column collects sources, says what the episode should be and shows
the library; the right column is the player: chapters, the transcript that
follows the voice, the transport and the controls to join the show. Reading
sources, generating, listing, deleting, exporting and opening or closing the
speaker all run off the Qt thread; the session's events arrive through a
``PodcastBridge`` and the generator's through ``GenerationRunner`` signals,
both queued to the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QHideEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.engine_host import EngineHost, model_state_text
from app.live.indicators import Banner
from app.live.lifetime import while_alive
from app.podcast.bridge import PodcastBridge
from app.podcast.common import clock, muted_label, rule, section_label
from app.podcast.generate_form import GenerateForm
from app.podcast.generation import GenerationRunner
from app.podcast.library import LibraryView
from app.podcast.playback import OpenedSession, PlaybackRunner, build_session
from app.podcast.player_pane import PlayerPane
from app.podcast.snapshot import EpisodeSnapshot, snapshot
from app.podcast.sources_list import SourcesList
from app.podcast.speech import load_host_voices
from app.tasks import run_task
from app.widgets.side_column import SideColumn
from engine import paths
from engine.config import Settings
from engine.podcast.episode import EpisodeStore, load_episode
from engine.podcast.formats import EpisodeSpec
from engine.podcast.outline import Cancelled
from engine.podcast.session import PodcastSession

log = logging.getLogger(__name__)

LEFT_WIDTH = 340
NO_VOICE = "Joining by voice needs a microphone and a Whisper model."


def _types_space(widget: QWidget) -> bool:
    """Whether Space means something else to ``widget``: it types into a text box or presses a button."""
    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QAbstractButton)):
        return True
    return isinstance(widget, QComboBox) and widget.isEditable()


def episodes_dir(settings: Settings) -> Path:
    """The library's folder."""
    return settings.folders.resolved_data_dir() / "episodes"


def read_snapshot(folder: Path) -> EpisodeSnapshot:
    """The snapshot of the episode saved in ``folder`` (worker thread)."""
    return snapshot(load_episode(folder))


class PodcastPanel(QWidget):
    """The Podcast tab over ``host``'s engine, with the voices, devices and folders of ``settings``."""

    def __init__(self, settings: Settings, host: EngineHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        self.generation = GenerationRunner(self)
        self.playback = PlaybackRunner(self)
        self._shown_folder: Path | None = None
        self._generating_id: str | None = None
        self._pending_spec: EpisodeSpec | None = None
        self._after_load: list[Callable[[], None]] = []
        self._player_state = "closed"
        self._voice_reason = NO_VOICE
        self._preview_token = 0
        self._shown_once = False
        self._watching_window = False
        self._watching_keys = False
        self._closed = False
        self._build()
        self._connect()
        self._sync_generate()
        self._show_model_state(host.state)
        self.library.refresh()

    # construction -------------------------------------------------------------------
    def _build(self) -> None:
        self.banner = Banner()
        self.sources_list = SourcesList()
        self.sources_list.list.setMinimumHeight(52)
        self.form = GenerateForm()
        self.model_label = muted_label()
        self.library = LibraryView(EpisodeStore(episodes_dir(self.settings)))
        self.library.tree.setMinimumHeight(72)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(section_label("Sources"))
        column.addWidget(self.sources_list, 1)
        column.addSpacing(2)
        column.addWidget(rule())
        column.addWidget(section_label("New episode"))
        column.addWidget(self.form)
        column.addWidget(self.model_label)
        column.addSpacing(2)
        column.addWidget(rule())
        column.addWidget(section_label("Library"))
        column.addWidget(self.library, 2)
        self.left_column = SideColumn(left, LEFT_WIDTH, shrinkable=[self.sources_list.list, self.library.tree])
        self.player = PlayerPane()
        body = QHBoxLayout()
        body.setSpacing(6)
        body.addWidget(self.left_column)
        body.addWidget(self.player, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 14, 16, 14)
        outer.setSpacing(10)
        outer.addWidget(self.banner)
        outer.addLayout(body, 1)

    def _connect(self) -> None:
        self.sources_list.changed.connect(self._sync_generate)
        self.form.generate_requested.connect(self.generate)
        self.form.cancel_requested.connect(self.cancel_generation)
        self.generation.progress.connect(self._on_progress)
        self.generation.chapter_ready.connect(self._on_chapter)
        self.generation.finished.connect(self._on_generated)
        self.generation.failed.connect(self._on_generation_failed)
        self.library.play_requested.connect(lambda episode_id, folder: self.play(episode_id, folder))
        self.library.selected.connect(self._library_selected)
        self.library.deleted.connect(self._episode_deleted)
        bar, join = self.player.player_bar, self.player.join_bar
        bar.toggle_requested.connect(self.toggle)
        bar.previous_requested.connect(lambda: self._skip(-1))
        bar.next_requested.connect(lambda: self._skip(1))
        bar.stop_requested.connect(self.stop)
        bar.speed_changed.connect(self._speed_changed)
        bar.seek_requested.connect(self.play_from)
        self.player.chapter_list.chapter_clicked.connect(self.play_from)
        self.player.transcript_view.seek_requested.connect(self.play_from)
        join.join_requested.connect(lambda: self._with_model(self._join))
        join.cancel_requested.connect(self._cancel_join)
        join.voice_join_toggled.connect(self._voice_join_toggled)
        join.ask_requested.connect(self.ask)
        self.playback.bridge_ready.connect(self._attach)
        self.playback.started.connect(self._playback_started)
        self.playback.stopped.connect(self._playback_stopped)
        self.playback.failed.connect(self._playback_failed)
        self.host.state_changed.connect(self._show_model_state)
        self.host.ready.connect(self._engine_ready)
        self.host.failed.connect(self._engine_failed)

    # public API ---------------------------------------------------------------------
    @property
    def shown(self) -> EpisodeSnapshot | None:
        """The episode shown in the player column."""
        return self.player.shown

    @property
    def session(self) -> PodcastSession | None:
        """The open session (playing or paused), if any."""
        return self.playback.session if self.playback.playing else None

    def set_settings(self, settings: Settings) -> None:
        """Adopt new settings (after the Settings dialog); an open session keeps its own."""
        self.settings = settings
        if self.library.store.root != episodes_dir(settings):
            self.library.store = EpisodeStore(episodes_dir(settings))
            self.library.refresh()

    def generate(self, spec: EpisodeSpec | None = None) -> None:
        """Make an episode of the read sources (loading the model first when needed)."""
        spec = spec or self.form.spec()
        sources = self.sources_list.sources()
        if self.generation.running or self._pending_spec is not None or not sources:
            return
        self.banner.hide()
        engine = self.host.engine
        if engine is None:
            self._pending_spec = spec
            if not self.host.loading:
                self.host.load(self.settings)
            self.form.set_busy(True, "Loading the model…")
            return
        self.form.set_busy(True, "Loading the hosts' voices…")
        self.generation.start(engine, sources, spec, self.settings.voices, episodes_dir(self.settings),
                              paths.cache_dir() / "podcast-notes")
        self._sync_generate()

    def cancel_generation(self) -> None:
        """Stop generating (or stop waiting for the model to load)."""
        if self._pending_spec is not None:
            self._pending_spec = None
            self.form.set_busy(False, "Cancelled.")
            self._sync_generate()
            return
        self.generation.cancel()

    def show_episode(self, folder: Path) -> None:
        """Show the episode saved in ``folder`` (read in the background) without playing it."""
        self._preview_token += 1
        token = self._preview_token
        run_task(lambda: read_snapshot(folder),
                 while_alive(self, lambda r, e: self._previewed(token, folder, r, e)))

    def play(self, episode_id: str, folder: Path | None, from_turn: int | None = None) -> None:
        """Play an episode of the library (or the one being generated), closing the one playing."""
        live = self.generation.episode
        if live is not None and live.id != episode_id:
            live = None
        target = live if live is not None else folder
        if target is None:
            return
        self.banner.hide()
        settings, speed = self.settings, self.player.player_bar.speed
        voice_join = self.player.join_bar.voice_box.isChecked()
        engine = self.host

        def build() -> OpenedSession:
            return build_session(target, settings, lambda: engine.engine, voice_join=voice_join, speed=speed)

        before = after = None
        if live is not None:
            runner = self.generation

            def before(session: PodcastSession) -> None:
                stage = runner.audio_stage
                if stage is not None:
                    stage.lend(session.synth)

            def after(session: PodcastSession) -> None:
                stage = runner.audio_stage
                if stage is not None:
                    stage.reclaim(session.synth)

        self._shown_folder = folder if folder is not None else self._shown_folder
        self._set_player_state("opening")
        self.library.set_playing(episode_id)
        self.playback.open(build, from_turn, before_start=before, after_close=after)

    def play_from(self, turn_index: int) -> None:
        """Play from script turn ``turn_index`` of the shown episode (opening it when needed)."""
        session = self.session
        if session is not None:
            session.player.play(turn_index)
        elif self.shown is not None and self.playback.phase == "idle":
            self.play(self.shown.id, self._shown_folder, turn_index)

    def toggle(self) -> None:
        """Play/pause: pause or resume the open episode, or start the shown one."""
        session = self.session
        if session is None:
            if self.shown is not None and self.playback.phase == "idle":
                self.play(self.shown.id, self._shown_folder)
            return
        if self._player_state == "finished":
            session.player.play(0)
        else:
            session.player.toggle()

    def stop(self) -> None:
        """Close the speaker; the transcript stays."""
        if self.playback.phase in ("opening", "playing"):
            self._set_player_state("closing")
        self.playback.close()

    def ask(self, question: str) -> None:
        """Ask the hosts a typed question (they pause at the end of the sentence, answer, then resume)."""
        self._with_model(lambda: self.session.ask(question) if self.session is not None else None)

    def shutdown(self) -> None:
        """Stop generating and close the speaker, waiting for it (the window closes)."""
        self._pending_spec = None
        self._after_load.clear()
        self.generation.cancel()
        self.playback.shutdown()

    # generation ---------------------------------------------------------------------
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        if self.generation.running:
            self.form.show_progress(stage, done, total)

    def _on_chapter(self, snap: EpisodeSnapshot) -> None:
        first = self._generating_id != snap.id
        self._generating_id = self.player.generating_id = snap.id
        if first:
            self.library.set_generating(snap.id)
            self.library.refresh(select=snap.id if self.playback.phase == "idle" else None)
        if self.shown is None or self.shown.id == snap.id or (first and self.playback.phase == "idle"):
            self._show(snap, episodes_dir(self.settings) / snap.id)

    def _on_generated(self, snap: EpisodeSnapshot) -> None:
        self.generation.settle()
        self._writing_finished()
        self._generating_id = self.player.generating_id = None
        self.library.set_generating(None)
        self.library.refresh(select=snap.id if self.playback.phase == "idle" else None)
        self.form.set_busy(False, f"Ready: “{snap.title}”, {clock(snap.duration_s)}. Press Play to listen.")
        if self.shown is None or self.shown.id == snap.id:
            self._show(snap, episodes_dir(self.settings) / snap.id)
        self._sync_generate()

    def _on_generation_failed(self, error: BaseException) -> None:
        self.generation.settle()
        self._writing_finished()
        self._generating_id = self.player.generating_id = None
        self.library.set_generating(None)
        self.library.refresh()
        if isinstance(error, Cancelled):
            self.form.set_busy(False, "Cancelled. What was written so far is kept in the library.")
        else:
            log.error("episode generation failed: %s", error)
            self.form.set_busy(False, "Generation stopped.")
            self.banner.show_error(error)
        self._sync_generate()

    def _writing_finished(self) -> None:
        session = self.session
        if session is not None and self._generating_id is not None and session.episode.id == self._generating_id:
            session.player.writing_finished()

    def _sync_generate(self) -> None:
        entries = self.sources_list.entries()
        readable = len(self.sources_list.sources())
        if self.generation.running or self._pending_spec is not None:
            self.form.set_ready(False, "An episode is being made.")
        elif not entries:
            self.form.set_ready(False, "Add a source first.")
        elif self.sources_list.reading:
            self.form.set_ready(False, "Wait until every source has been read.")
        elif not readable:
            self.form.set_ready(False, "None of the sources could be read.")
        else:
            skipped = len(entries) - readable
            note = f" ({skipped} unreadable source{'s' if skipped != 1 else ''} left out)" if skipped else ""
            self.form.set_ready(True, f"Make an episode from {readable} source{'s' if readable != 1 else ''}{note}.")

    # model --------------------------------------------------------------------------
    def _with_model(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or once the model has loaded."""
        if self.host.engine is not None:
            action()
            return
        self._after_load.append(action)
        if not self.host.loading:
            self.host.load(self.settings)
        self.player.show_notice("Loading the model to answer your question…")

    def _engine_ready(self, _engine: object) -> None:
        spec, self._pending_spec = self._pending_spec, None
        if spec is not None:
            self.form.set_busy(False)
            self.generate(spec)
        actions, self._after_load = self._after_load, []
        for action in actions:
            action()
        self.player.show_notice("")

    def _engine_failed(self, message: str, hint: str) -> None:
        waiting = self._pending_spec is not None or bool(self._after_load)
        if self._pending_spec is not None:
            self._pending_spec = None
            self.form.set_busy(False, "The model is not loaded.")
        self._after_load.clear()
        if waiting:
            self.banner.show_problem(message, hint)
            self.player.show_notice("")
        self._sync_generate()

    def _show_model_state(self, state: str) -> None:
        self.model_label.setText(model_state_text(state, "Generate"))

    # library ------------------------------------------------------------------------
    def _library_selected(self, episode_id: str, folder: object) -> None:
        if episode_id and isinstance(folder, Path) and self.playback.phase == "idle":
            if self.shown is None or self.shown.id != episode_id:
                self.show_episode(folder)

    def _previewed(self, token: int, folder: Path, snap: EpisodeSnapshot | None, error: BaseException | None) -> None:
        if token != self._preview_token or self.playback.phase != "idle":
            return
        if error is not None or snap is None:
            self.banner.show_error(error or RuntimeError("the episode could not be read"))
            return
        self._show(snap, folder)

    def _episode_deleted(self, episode_id: str) -> None:
        if self.shown is not None and self.shown.id == episode_id and self.playback.phase == "idle":
            self._shown_folder = None
            self.player.clear()
            self._set_player_state("closed")

    # player -------------------------------------------------------------------------
    def _show(self, snap: EpisodeSnapshot, folder: Path | None) -> None:
        """Show ``snap`` in the player column (``folder``: where it is saved, when known)."""
        if folder is not None:
            self._shown_folder = folder
        self.player.show_episode(snap)
        self._set_player_state(self._player_state)

    def _attach(self, bridge: PodcastBridge) -> None:
        bridge.state_changed.connect(self._on_player_state)
        bridge.turn_started.connect(self.player.show_turn)
        bridge.sentence_started.connect(self.player.show_sentence)
        bridge.join_state_changed.connect(self.player.join_bar.set_join_state)
        bridge.transcript_changed.connect(self._on_transcript)
        bridge.error_occurred.connect(self.banner.show_error)

    def _playback_started(self, opened: OpenedSession) -> None:
        session = opened.session
        self._show(opened.snapshot, session.episode.folder)
        voice = session.voice is not None and session.asr is not None
        self._voice_reason = "" if voice else (opened.notice or NO_VOICE)
        join = self.player.join_bar
        join.voice_box.setChecked(session.voice_join)
        join.set_join_state(session.join_state)
        self.library.set_playing(opened.snapshot.id)
        self.player.set_session_notice(opened.notice)
        state = session.player.state
        self._set_player_state(state if state != "stopped" else "opening")

    def _playback_stopped(self) -> None:
        self.player.set_session_notice("")
        self.player.join_bar.set_join_state("idle")
        self.player.show_turn(None)
        if self.playback.phase == "idle":
            self.library.set_playing(None)
            self._set_player_state("closed")
        # Playing made audio (lengths) and perhaps interactions: show the library as it is now.
        self.library.refresh()

    def _playback_failed(self, error: BaseException) -> None:
        log.error("podcast playback failed: %s", error)
        self.banner.show_error(error)
        if self.playback.phase == "idle":
            self.library.set_playing(None)
            self._set_player_state("closed")

    def _on_player_state(self, state: str) -> None:
        if self.playback.phase == "playing":
            self._set_player_state(state)

    def _on_transcript(self, snap: EpisodeSnapshot) -> None:
        if self.shown is not None and self.shown.id == snap.id:
            self._show(snap, None)

    def _set_player_state(self, state: str) -> None:
        self._player_state = state
        self.player.show_state(state, self.playback.phase == "playing", self._voice_reason)

    def _skip(self, delta: int) -> None:
        session = self.session
        if session is not None:
            session.player.skip(delta)

    def _speed_changed(self, speed: float) -> None:
        session = self.session
        if session is not None:
            session.player.set_speed(speed)

    def _join(self) -> None:
        session = self.session
        if session is not None:
            session.join()

    def _cancel_join(self) -> None:
        session = self.session
        if session is not None:
            session.cancel_join()

    def _voice_join_toggled(self, enabled: bool) -> None:
        session = self.session
        if session is not None:
            session.set_voice_join(enabled)

    # window -------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Load the hosts' voices in the background the first time the tab is seen; watch the window close."""
        super().showEvent(event)
        self._closed = False
        self._watch_keys(True)
        window = self.window()
        if window is not self and not self._watching_window:
            window.installEventFilter(self)
            self._watching_window = True
        if not self._shown_once:
            self._shown_once = True
            voices = self.settings.voices.model_copy()
            run_task(lambda: load_host_voices(voices, EpisodeSpec()), lambda _r, _e: None)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt override)
        """Space belongs to the other tabs again."""
        super().hideEvent(event)
        self._watch_keys(False)

    def _watch_keys(self, on: bool) -> None:
        app = QApplication.instance()
        if app is None or on == self._watching_keys:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
        self._watching_keys = on

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Space plays and pauses while this tab is shown; the speaker closes when the window closes."""
        kind = event.type()
        if kind == QEvent.Type.Close:
            # Seen twice while this tab is shown (by the application's filter and the window's): act once.
            if watched is self.window() and not self._closed:
                self._closed = True
                self.shutdown()
            return False
        if kind != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent) or event.key() != Qt.Key.Key_Space:
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier or not self.isVisible():
            return False
        # The window sees a key before its focus widget does; widgets are judged by themselves.
        target = watched if isinstance(watched, QWidget) else QApplication.focusWidget()
        if target is None or target.window() is not self.window() or _types_space(target):
            return False
        if not event.isAutoRepeat() and self.player.player_bar.play_button.isEnabled():
            self.toggle()
        return True

