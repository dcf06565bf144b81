"""Joining the show: the Join button, voice join, a typed question, and the join state."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.podcast.common import JOIN_COLORS, JOIN_TEXT, Pill

JOIN_TIP = "Pause at the end of the sentence and listen for your question."
VOICE_TIP = "Just start talking: the hosts stop at once and listen (uses the microphone)."


class JoinBar(QWidget):
    """Join (or Cancel while listening), the voice-join switch and the state pill; below, a question box with Ask."""

    join_requested = Signal()
    cancel_requested = Signal()
    voice_join_toggled = Signal(bool)
    ask_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.join_button = QPushButton("Join")
        self.join_button.setToolTip(JOIN_TIP)
        self.join_button.setMinimumHeight(32)
        self.voice_box = QCheckBox("Voice join")
        self.voice_box.setToolTip(VOICE_TIP)
        self.question_edit = QLineEdit()
        self.question_edit.setClearButtonEnabled(True)
        self.question_edit.setMinimumHeight(32)
        self.question_edit.setPlaceholderText("Type a question for the hosts and press Enter")
        self.ask_button = QPushButton("Ask")
        self.ask_button.setMinimumHeight(32)
        self.ask_button.setMinimumWidth(72)
        self.state_pill = Pill()
        self.state_pill.setToolTip("What the hosts are doing with your question.")
        # Two rows, so the question box keeps a usable width in a narrow window.
        joining = QHBoxLayout()
        joining.setSpacing(8)
        joining.addWidget(self.join_button)
        joining.addWidget(self.voice_box)
        joining.addStretch(1)
        joining.addWidget(self.state_pill)
        asking = QHBoxLayout()
        asking.setSpacing(8)
        asking.addWidget(self.question_edit, 1)
        asking.addWidget(self.ask_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(joining)
        layout.addLayout(asking)
        self.join_button.clicked.connect(self._join_clicked)
        self.voice_box.toggled.connect(self.voice_join_toggled)
        self.question_edit.returnPressed.connect(self._ask)
        self.ask_button.clicked.connect(self._ask)
        self._state = "idle"
        self._voice_reason = ""
        self.set_join_state("idle")
        self.set_available(False, "")

    @property
    def join_state(self) -> str:
        """The state shown."""
        return self._state

    def set_join_state(self, state: str) -> None:
        """Show the session's join state; Join becomes Cancel while the hosts wait for a question."""
        self._state = state
        self.state_pill.show_text(JOIN_TEXT.get(state, state.capitalize()), JOIN_COLORS.get(state, "#6b7280"))
        waiting = state in ("pausing", "listening")
        self.join_button.setText("Cancel" if waiting else "Join")
        self.join_button.setToolTip("Stop waiting and resume the episode." if waiting else JOIN_TIP)

    def set_available(self, playing: bool, voice_reason: str) -> None:
        """Enable the controls while an episode plays; ``voice_reason`` says why voice is off (empty: on)."""
        self._voice_reason = voice_reason
        voice = playing and not voice_reason
        self.join_button.setEnabled(voice)
        self.voice_box.setEnabled(voice)
        self.question_edit.setEnabled(playing)
        self.ask_button.setEnabled(playing)
        self.join_button.setToolTip(voice_reason or JOIN_TIP)
        self.voice_box.setToolTip(voice_reason or VOICE_TIP)
        self.question_edit.setPlaceholderText(
            "Type a question for the hosts and press Enter" if playing else "Play an episode to ask the hosts"
        )

    def _join_clicked(self) -> None:
        if self._state in ("pausing", "listening"):
            self.cancel_requested.emit()
        else:
            self.join_requested.emit()

    def _ask(self) -> None:
        text = self.question_edit.text().strip()
        if text and self.ask_button.isEnabled():
            self.ask_requested.emit(text)
            self.question_edit.clear()
