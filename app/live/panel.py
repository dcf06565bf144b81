"""The Live tab: share a screen or camera, talk or type, and watch the conversation.

The left column chooses what is shared and how the user talks, and shows the
conversation's state and the microphone level. The right column is the
transcript with a text box. Everything slow (listing monitors, grabbing a
preview, loading speech models, opening and closing devices) runs off the Qt
thread; session events arrive through a ``LiveBridge`` as queued Qt signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.engine_host import EngineHost, model_state_text
from app.live.bridge import LiveBridge
from app.live.indicators import Banner, CaptureIndicator, LevelMeter, StatePill, problem_text
from app.live.lifetime import while_alive
from app.live.model_view import ModelView
from app.live.session_runner import SessionRunner
from app.live.sessions_dialog import SessionsDialog
from app.live.sources import PreviewView, grab_still, image_from_array, source_kind
from app.live.transcript_view import TranscriptView
from app.live.window_sources import ShareCombo
from app.tasks import run_task
from app.widgets.card_list import mix
from app.widgets.labels import section_label
from app.widgets.side_column import SideColumn
from engine.config import LiveSettings, Settings
from engine.live.factory import build_live_parts, load_speech_models
from engine.live.recorder import SessionRecorder
from engine.live.session import LiveParts, LiveSession
from engine.live.states import LiveState, StateChange
from engine.live.transcript import TranscriptEntry
from engine.media.frames import Frame
from engine.omni.base import Engine

log = logging.getLogger(__name__)

PartsFactory = Callable[[], LiveParts]

MODES = (
    ("hands_free", "Hands-free", "Nexus listens all the time and answers when you pause."),
    ("push_to_talk", "Push-to-talk", "Hold the button (or Space) while you talk."),
    ("text_only", "Text only", "The microphone stays off; type your questions."),
)
LEFT_WIDTH = 340
PREVIEW_MIN_HEIGHT = 96
LABEL_WIDTH = 64
PREVIEW_NOTE = "Preview · nothing is shared until you press Start"
CAMERA_NOTE = "The camera turns on when you press Start."
PAUSED_NOTE = "Capture paused · F8 resumes"
STOPPED_NOTE = "Stopped · nothing is shared"



def _grid() -> QGridLayout:
    """Label and field columns that line up across the left column's sections."""
    grid = QGridLayout()
    grid.setHorizontalSpacing(10)
    grid.setVerticalSpacing(10)
    grid.setColumnMinimumWidth(0, LABEL_WIDTH)
    grid.setColumnStretch(1, 1)
    return grid


def _rule() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Plain)
    line.setForegroundRole(QPalette.ColorRole.Midlight)
    return line


def _is_text_entry(widget: QWidget | None) -> bool:
    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)):
        return True
    return isinstance(widget, QComboBox) and widget.isEditable()


class LivePanel(QWidget):
    """The Live tab over ``host``'s engine, configured by ``settings`` (whose Live choices it updates)."""

    def __init__(self, settings: Settings, host: EngineHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        self.runner = SessionRunner(self)
        self._start_when_ready = False
        self._capture_state = "stopped"
        self._mic_state = "stopped"
        self._preview_token = 0
        self._ptt_held = False
        self._filtering_keys = False
        self._transcript_stale = False
        self._build()
        self._connect()
        self._load_choices(settings.live)
        self._sync_controls()
        self._show_model_state(host.state)

    # construction -------------------------------------------------------------------
    def _build(self) -> None:
        self.banner = Banner()
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        for index, part in enumerate((self._build_share(), self._build_talk(), self._build_status())):
            if index:
                column.addSpacing(4)
                column.addWidget(_rule())
            column.addLayout(part)
        column.addStretch(1)
        self.left_column = SideColumn(left, LEFT_WIDTH, shrinkable=[self.preview])
        body = QHBoxLayout()
        body.setSpacing(6)
        body.addWidget(self.left_column)
        body.addLayout(self._build_conversation(), 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 14, 16, 14)
        outer.setSpacing(10)
        outer.addWidget(self.banner)
        outer.addLayout(body, 1)

    def _build_share(self) -> QVBoxLayout:
        self.source_combo = ShareCombo(self.settings.live.source)
        self.source_combo.setToolTip("What Nexus sees: a monitor, a window, a camera or a video file.")
        self.preview = PreviewView()
        # 16:10 at the column's width when there is room; smaller in a short window.
        self.preview.setMinimumHeight(PREVIEW_MIN_HEIGHT)
        self.preview.setMaximumHeight(LEFT_WIDTH * 10 // 16)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.capture_indicator = CaptureIndicator()
        # Its line stays reserved while hidden, so Start/Stop and the rows below never jump when it shows.
        keep = self.capture_indicator.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.capture_indicator.setSizePolicy(keep)
        self.start_button = QPushButton("Start")
        self.start_button.setMinimumHeight(34)
        self.start_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.pause_button = QPushButton("Pause capture")
        self.pause_button.setCheckable(True)
        self.pause_button.setMinimumHeight(34)
        self.pause_button.setToolTip("Stop taking pictures at once (F8); the conversation goes on.")
        self.pause_action = QAction("Pause capture", self)
        self.pause_action.setShortcut(QKeySequence(Qt.Key.Key_F8))
        self.pause_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addAction(self.pause_action)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.model_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        source = _grid()
        source.addWidget(QLabel("Source"), 0, 0)
        source.addWidget(self.source_combo, 0, 1)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.start_button, 3)
        buttons.addWidget(self.pause_button, 2)
        part = QVBoxLayout()
        part.setSpacing(8)
        part.addWidget(section_label("Share"))
        part.addLayout(source)
        part.addWidget(self.preview)
        part.addWidget(self.capture_indicator)
        part.addLayout(buttons)
        part.addWidget(self.model_label)
        self.model_view = ModelView()
        part.addWidget(self.model_view)
        return part

    def _build_talk(self) -> QVBoxLayout:
        self.mode_combo = QComboBox()
        for value, title, tip in MODES:
            self.mode_combo.addItem(title, value)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.hold_button = QPushButton("Hold to talk  (Space)")
        self.hold_button.setMinimumHeight(34)
        self.hold_button.setToolTip("Hold while you talk; release when you are done. Space does the same.")
        self.hold_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mute_box = QCheckBox("Mute assistant voice")
        self.mute_box.setToolTip("Answers appear as text only. Applies when the session starts.")
        self.record_box = QCheckBox("Record session")
        self.record_box.setToolTip(
            "Keep the transcript, the frames and your utterances on this computer, for review and training."
        )
        self.proactive_box = QCheckBox("Comment on screen changes")
        self.proactive_box.setToolTip(
            "When you have been quiet for a while and the screen changes, Nexus may offer a brief remark."
        )
        mode = _grid()
        mode.addWidget(QLabel("Mode"), 0, 0)
        mode.addWidget(self.mode_combo, 0, 1)
        part = QVBoxLayout()
        part.setSpacing(8)
        part.addWidget(section_label("Talk"))
        part.addLayout(mode)
        part.addWidget(self.hold_button)
        part.addWidget(self.mute_box)
        part.addWidget(self.record_box)
        part.addWidget(self.proactive_box)
        return part

    def _build_status(self) -> QVBoxLayout:
        self.state_label = StatePill()
        self.level_meter = LevelMeter()
        self.mic_label = QLabel("Mic")
        grid = _grid()
        grid.addWidget(QLabel("State"), 0, 0)
        grid.addWidget(self.state_label, 0, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.mic_label, 1, 0)
        grid.addWidget(self.level_meter, 1, 1)
        part = QVBoxLayout()
        part.setSpacing(8)
        part.addWidget(section_label("Status"))
        part.addLayout(grid)
        return part

    def _build_conversation(self) -> QVBoxLayout:
        self.sessions_button = QPushButton("Sessions…")
        self.sessions_button.setToolTip("Recorded sessions: review or delete them.")
        header = QHBoxLayout()
        header.addWidget(section_label("Conversation"))
        header.addStretch(1)
        header.addWidget(self.sessions_button)
        self.transcript_view = TranscriptView()
        self.transcript_view.setFrameShape(QFrame.Shape.StyledPanel)
        self.text_input = QLineEdit()
        self.text_input.setClearButtonEnabled(True)
        self.text_input.setMinimumHeight(32)
        self.send_button = QPushButton("Send")
        self.send_button.setMinimumHeight(32)
        self.send_button.setMinimumWidth(84)
        entry = QHBoxLayout()
        entry.setSpacing(8)
        entry.addWidget(self.text_input, 1)
        entry.addWidget(self.send_button)
        part = QVBoxLayout()
        part.setSpacing(8)
        part.addLayout(header)
        part.addWidget(self.transcript_view, 1)
        part.addLayout(entry)
        return part

    def _connect(self) -> None:
        self.start_button.clicked.connect(self._start_or_stop)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.pause_action.triggered.connect(self._pause_shortcut)
        self.hold_button.pressed.connect(lambda: self._set_push_to_talk(True))
        self.hold_button.released.connect(lambda: self._set_push_to_talk(False))
        self.source_combo.source_changed.connect(self._source_changed)
        self.source_combo.screens_listed.connect(self._screens_listed)
        self.mode_combo.currentIndexChanged.connect(self._choices_changed)
        self.mute_box.toggled.connect(self._choices_changed)
        self.record_box.toggled.connect(self._choices_changed)
        self.proactive_box.toggled.connect(self._choices_changed)
        self.text_input.returnPressed.connect(self.send_text)
        self.send_button.clicked.connect(self.send_text)
        self.sessions_button.clicked.connect(self.open_sessions)
        self.host.state_changed.connect(self._show_model_state)
        self.host.ready.connect(self._engine_ready)
        self.host.failed.connect(self._engine_failed)
        self.runner.bridge_ready.connect(self._attach)
        self.runner.started.connect(self._session_started)
        self.runner.stopped.connect(self._session_stopped)
        self.runner.failed.connect(self._session_failed)

    def _load_choices(self, live: LiveSettings) -> None:
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(live.mode)))
        self.mute_box.setChecked(live.mute_voice)
        self.record_box.setChecked(live.record_sessions)
        self.proactive_box.setChecked(live.proactive_comments)

    # public API ---------------------------------------------------------------------
    @property
    def session(self) -> LiveSession | None:
        """The running session, or the last one (its transcript stays readable after Stop)."""
        return self.runner.session

    @property
    def bridge(self) -> LiveBridge | None:
        """The bridge of the current session."""
        return self.runner.bridge

    def live_settings(self) -> LiveSettings:
        """The Live settings with the choices made in this tab."""
        return self.settings.live.model_copy(
            update={
                "source": self.source_combo.source,
                "mode": self.mode_combo.currentData(),
                "mute_voice": self.mute_box.isChecked(),
                "record_sessions": self.record_box.isChecked(),
                "proactive_comments": self.proactive_box.isChecked(),
            }
        )

    def set_settings(self, settings: Settings) -> None:
        """Adopt new settings (after the Settings dialog); a running session keeps its own."""
        self.settings = settings
        if self.runner.phase == "idle":
            self._load_choices(settings.live)
            self.source_combo.set_source(settings.live.source)

    def start_session(self, parts_factory: PartsFactory | None = None) -> None:
        """Start a session; ``parts_factory`` (run off the Qt thread) replaces building parts from settings.

        Without a factory the host's engine answers; when it is not loaded
        yet, it is loaded first and the session starts once it is ready.
        """
        if self.runner.phase != "idle":
            return
        self.banner.hide()
        live = self.live_settings()
        if parts_factory is None:
            engine = self.host.engine
            if engine is None:
                self._start_when_ready = True
                if not self.host.loading:
                    self.host.load(self.settings)
                self._sync_controls()
                return
            parts_factory = self._parts_from_settings(engine, live)
        self._start_when_ready = False
        data_dir = self.settings.folders.resolved_data_dir()
        factory = parts_factory

        def build() -> LiveSession:
            parts = factory()
            recorder = SessionRecorder(data_dir) if live.record_sessions else None
            return LiveSession(parts, live, recorder=recorder)

        self.runner.start(build)
        self._sync_controls()

    def stop_session(self) -> None:
        """Stop the session in the background; the transcript stays."""
        self._start_when_ready = False
        self._release_push_to_talk()
        self.runner.stop()
        self._sync_controls()

    def send_text(self) -> None:
        """Send the typed question (Enter or Send)."""
        text = self.text_input.text().strip()
        session = self.session
        if not text or session is None or not self.runner.running:
            return
        session.submit_text(text)
        self.text_input.clear()

    def open_sessions(self) -> SessionsDialog:
        """Show the recorded sessions."""
        dialog = SessionsDialog(self.settings.folders.resolved_data_dir(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def refresh_preview(self) -> None:
        """Grab one still of the selected source in the background (not while a session runs)."""
        if self.runner.phase != "idle":
            return
        self._preview_token += 1
        token = self._preview_token
        source = self.source_combo.source
        if source_kind(source) == "camera":
            self.preview.set_image(None, CAMERA_NOTE)
            return
        if self.preview.image is None:
            self.preview.set_note("Taking a preview…")
        show = while_alive(self, lambda image, error: self._show_still(token, image, error))
        run_task(lambda: grab_still(source), show)

    def shutdown(self) -> None:
        """Stop a running session at once, waiting for its devices to close (call when the window closes)."""
        self._start_when_ready = False
        self._remove_key_filter()
        self.model_view.detach()
        self.runner.shutdown()

    # session lifecycle --------------------------------------------------------------
    def _parts_from_settings(self, engine: Engine, live: LiveSettings) -> PartsFactory:
        voices, audio = self.settings.voices, self.settings.audio
        whisper = None if live.mode == "text_only" else voices.whisper_model
        voice = None if live.mute_voice else voices.assistant_voice
        return lambda: build_live_parts(
            engine,
            live,
            whisper=whisper,
            voice=voice,
            input_device=audio.input_device,
            output_device=audio.output_device,
            speech_rate=voices.speech_rate,
            whisper_device=voices.whisper_device,
            whisper_compute_type=voices.whisper_compute_type,
        )

    def _start_or_stop(self) -> None:
        if self._start_when_ready:
            # The model goes on loading for next time; only the pending start is dropped.
            self._start_when_ready = False
            self._sync_controls()
        elif self.runner.phase == "idle":
            self.start_session()
        elif self.runner.phase in ("starting", "running"):
            self.stop_session()

    def _engine_ready(self, _engine: object) -> None:
        if self._start_when_ready:
            self._start_when_ready = False
            self.start_session()

    def _engine_failed(self, message: str, hint: str) -> None:
        if self._start_when_ready:
            self._start_when_ready = False
            self.banner.show_problem(message, hint)
            self._sync_controls()

    def _attach(self, bridge: LiveBridge) -> None:
        # The last conversation stays until the new session has started (or says something):
        # a start that fails must not wipe it.
        self._transcript_stale = True
        self._capture_state = "stopped"
        self._mic_state = "stopped"
        self.model_view.attach(bridge.session)
        bridge.state_changed.connect(self._on_state)
        bridge.transcript_updated.connect(self._on_transcript)
        bridge.level_changed.connect(self._on_level)
        bridge.error_occurred.connect(self._on_error)
        bridge.frame_captured.connect(self._on_frame)
        bridge.capture_state_changed.connect(self._on_capture_state)
        bridge.microphone_state_changed.connect(self._on_microphone_state)

    def _clear_stale_transcript(self) -> None:
        if self._transcript_stale:
            self._transcript_stale = False
            self.transcript_view.clear()

    def _session_started(self, session: LiveSession) -> None:
        self._clear_stale_transcript()
        parts = session.parts
        if parts.capture is not None:
            self._capture_state = parts.capture.state
        if parts.microphone is not None:
            self._mic_state = parts.microphone.state
        if parts.capture is None:
            self.preview.set_image(None, "No pictures are shared in this session.")
        if session.settings.mode == "push_to_talk":
            self._install_key_filter()
        self.state_label.show_state(session.state)
        self._sync_controls()
        self.text_input.setFocus()

    def _session_stopped(self, _session: LiveSession | None) -> None:
        self._remove_key_filter()
        self._capture_state = "stopped"
        self._mic_state = "stopped"
        self.level_meter.setValue(0)
        self.pause_button.setChecked(False)
        self.preview.set_note(STOPPED_NOTE if self.preview.image is not None else "", dimmed=False)
        self.state_label.show_state(LiveState.IDLE)
        self._sync_controls()

    def _session_failed(self, error: BaseException) -> None:
        log.error("live session failed: %s", error)
        self._transcript_stale = False  # the session never started: what is shown is still the last one
        self.banner.show_error(error)
        if self.runner.phase == "idle":
            self._capture_state = "stopped"
            self._mic_state = "stopped"
            self.state_label.show_state(LiveState.IDLE)
        self._sync_controls()

    # session events (queued from the bridge) -----------------------------------------
    def _on_state(self, change: StateChange) -> None:
        if self.runner.phase in ("starting", "running"):
            self.state_label.show_state(change.new)

    def _on_transcript(self, entry: TranscriptEntry) -> None:
        self._clear_stale_transcript()
        self.transcript_view.add_or_update(entry)

    def _on_level(self, level: float) -> None:
        self.level_meter.show_level(level)

    def _on_error(self, error: BaseException) -> None:
        self.banner.show_error(error)

    def _on_frame(self, frame: Frame) -> None:
        if self.runner.phase in ("starting", "running") and not self.pause_button.isChecked():
            self.preview.set_image(image_from_array(frame.image), "")

    def _on_capture_state(self, state: str) -> None:
        self._capture_state = state
        if state == "paused":
            self.preview.set_note(PAUSED_NOTE, dimmed=True)
        elif state == "running":
            self.preview.set_note("", dimmed=False)
        elif state == "ended":
            self.preview.set_note("The video has ended.", dimmed=True)
        self._update_indicator()

    def _on_microphone_state(self, state: str) -> None:
        self._mic_state = state
        self._update_indicator()

    # user actions -----------------------------------------------------------------
    def _pause_toggled(self, paused: bool) -> None:
        session = self.session
        if session is not None and self.runner.running:
            # CaptureSource.pause only takes a lock the capture thread holds while it publishes one frame.
            session.pause_capture(paused)
        self.pause_button.setText("Resume capture" if paused else "Pause capture")

    def _pause_shortcut(self) -> None:
        if self.pause_button.isEnabled():
            self.pause_button.toggle()

    def _set_push_to_talk(self, pressed: bool) -> None:
        session = self.session
        if session is None or not self.runner.running or pressed == self._ptt_held:
            return
        self._ptt_held = pressed
        session.push_to_talk(pressed)
        self.hold_button.setDown(pressed)

    def _release_push_to_talk(self) -> None:
        if self._ptt_held:
            self._set_push_to_talk(False)

    def _source_changed(self, source: str) -> None:
        self.settings.live.source = source
        self.preview.set_image(None, "")
        self.refresh_preview()

    def _screens_listed(self, error: str) -> None:
        if error:
            self.preview.set_image(None, f"No screen to capture: {error}")
            return
        self.refresh_preview()

    def _choices_changed(self) -> None:
        live = self.settings.live
        live.mode = self.mode_combo.currentData()
        live.mute_voice = self.mute_box.isChecked()
        live.record_sessions = self.record_box.isChecked()
        live.proactive_comments = self.proactive_box.isChecked()
        self._sync_controls()

    def _show_still(self, token: int, image: object, error: BaseException | None) -> None:
        if token != self._preview_token or self.runner.phase != "idle":
            return
        if error is not None:
            message, _hint = problem_text(error)
            self.preview.set_image(None, message)
            return
        self.preview.set_image(image, PREVIEW_NOTE)  # type: ignore[arg-type]

    def _show_model_state(self, state: str) -> None:
        self.model_label.setText(model_state_text(state, "Start"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Recolour the Start button when the theme changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._sync_controls()

    # keyboard ---------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Make F8 work anywhere in the window, and take a preview the first time the tab is seen."""
        super().showEvent(event)
        window = self.window()
        if window is not self and self.pause_action not in window.actions():
            window.addAction(self.pause_action)
        if self.preview.image is None and self.runner.phase == "idle" and not self.source_combo.listing:
            self.refresh_preview()
            self._preload_speech()

    def _preload_speech(self) -> None:
        """Load Whisper and the voice in the background before Start (a missing model is reported at Start)."""
        voices = self.settings.voices
        run_task(
            lambda: load_speech_models(
                voices.whisper_model,
                voices.assistant_voice,
                whisper_device=voices.whisper_device,
                whisper_compute_type=voices.whisper_compute_type,
            ),
            lambda _r, _e: None,
        )

    def _install_key_filter(self) -> None:
        app = QApplication.instance()
        if app is not None and not self._filtering_keys:
            app.installEventFilter(self)
            self._filtering_keys = True

    def _remove_key_filter(self) -> None:
        app = QApplication.instance()
        if app is not None and self._filtering_keys:
            app.removeEventFilter(self)
            self._filtering_keys = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Space is push-to-talk while this tab is visible and no text box has the focus."""
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or not isinstance(event, QKeyEvent):
            return False
        if event.key() != Qt.Key.Key_Space or not self.isVisible():
            return False
        # The window sees a key before its focus widget does; widgets are judged by themselves.
        target = watched if isinstance(watched, QWidget) else QApplication.focusWidget()
        if target is None or target.window() is not self.window() or _is_text_entry(target):
            return False
        if event.isAutoRepeat():
            return True
        self._set_push_to_talk(kind == QEvent.Type.KeyPress)
        return True

    # presentation -------------------------------------------------------------------
    def _update_indicator(self) -> None:
        inputs: list[str] = []
        if self.runner.phase in ("starting", "running"):
            if self._capture_state == "running":
                inputs.append(source_kind(self.source_combo.source))
            if self._mic_state in ("starting", "running"):
                inputs.append("mic")
        self.capture_indicator.show_inputs(inputs)

    def _sync_controls(self) -> None:
        phase = self.runner.phase
        idle = phase == "idle"
        running = phase == "running"
        waiting = self._start_when_ready and idle
        mode = self.mode_combo.currentData()
        if waiting:
            self.start_button.setText("Cancel")
        else:
            self.start_button.setText(
                {"idle": "Start", "starting": "Stop", "running": "Stop", "stopping": "Stopping…"}[phase]
            )
        self.start_button.setEnabled(phase != "stopping")
        self._style_start_button(idle and not waiting)
        if phase == "starting":
            self.state_label.show_busy("Starting…")
        elif phase == "stopping":
            self.state_label.show_busy("Stopping…")
        elif waiting:
            self.state_label.show_busy("Loading model…")
        elif idle:
            self.state_label.show_state(LiveState.IDLE)
        for widget in (self.source_combo, self.mode_combo, self.mute_box, self.record_box, self.proactive_box):
            widget.setEnabled(idle and not waiting)
        session = self.session
        self.pause_button.setEnabled(running and session is not None and session.parts.capture is not None)
        self.hold_button.setVisible(mode == "push_to_talk")
        self.hold_button.setEnabled(running)
        mic_on = running and mode != "text_only"
        self.level_meter.setEnabled(mic_on)
        self.mic_label.setText("Mic" if mode != "text_only" else "Mic (off)")
        self.text_input.setEnabled(running)
        self.send_button.setEnabled(running)
        self.text_input.setPlaceholderText(
            "Type a question and press Enter" if running else "Press Start to type or talk"
        )
        self._update_indicator()

    def _style_start_button(self, start: bool) -> None:
        color = self.palette().color(QPalette.ColorRole.Highlight) if start else None
        if color is None:
            # The same box as Start (border, radius, padding), so the button keeps its size and place.
            self.start_button.setStyleSheet(
                "QPushButton { font-weight: 600; color: #e11d48; background: palette(button);"
                " border: 1px solid palette(mid); border-radius: 5px; padding: 4px 14px; }"
                "QPushButton:pressed { background: palette(midlight); }"
                "QPushButton:disabled { color: palette(mid); }"
            )
            return
        pressed = mix(color, self.palette().color(QPalette.ColorRole.Shadow), 0.25).name()
        self.start_button.setStyleSheet(
            f"QPushButton {{ background: {color.name()}; color: white; font-weight: 600;"
            f" border: 1px solid {color.name()}; border-radius: 5px; padding: 4px 14px; }}"
            f"QPushButton:pressed {{ background: {pressed}; }}"
            f"QPushButton:disabled {{ background: palette(mid); color: palette(window); }}"
        )
