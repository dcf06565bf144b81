"""What the next episode should be (format, length, language, steer) and the Generate progress.

The length choices show their minutes for the chosen format, since a short
Brief is one minute and a short Deep Dive five. While an episode is made,
the stage (notes, outline, script, audio) and its progress replace the
Generate button's neighbourhood, with a Cancel button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.podcast.common import muted_label
from engine.podcast.formats import FORMATS, EpisodeSpec

LENGTHS = (("short", "Short"), ("default", "Default"), ("long", "Long"))
LANGUAGES = ("English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Chinese", "Japanese")
STAGES = {
    "voices": "Loading the hosts' voices…",
    "model": "Loading the model…",
    "notes": "Reading the sources and taking notes",
    "outline": "Planning the chapters",
    "script": "Writing the script",
    "audio": "Recording the hosts",
}
STEER_HINT = "Optional: what to focus on, who it is for, the tone… e.g. “for beginners, skip the maths”"
LABEL_WIDTH = 64


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def stage_text(stage: str, done: int, total: int) -> str:
    """A sentence for a builder progress report."""
    text = STAGES.get(stage, stage.capitalize())
    if stage == "notes" and total:
        return f"{text} ({done} of {_plural(total, 'part')})"
    if stage == "script" and total:
        return f"{text}: chapter {min(done + 1, total)} of {total}" if done < total else f"{text}: done"
    if stage == "audio" and total:
        return f"{text}: turn {min(done + 1, total)} of {total}" if done < total else f"{text}: done"
    if stage == "outline" and done > 1:
        return f"{text} (attempt {done})"
    return text


class GenerateForm(QWidget):
    """Format, length, language and steering text, the Generate button and its progress."""

    generate_requested = Signal(object)
    """The ``EpisodeSpec`` to make."""
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.format_combo = QComboBox()
        for name, fmt in FORMATS.items():
            self.format_combo.addItem(fmt.title, name)
            tip = fmt.instructions
            self.format_combo.setItemData(self.format_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.length_combo = QComboBox()
        for value, _title in LENGTHS:
            self.length_combo.addItem("", value)
        self.length_combo.setCurrentIndex(1)
        self.language_combo = QComboBox()
        self.language_combo.setEditable(True)
        self.language_combo.addItems(LANGUAGES)
        self.language_combo.setToolTip("The language the hosts speak (pick a voice for it in Settings).")
        self.steer_edit = QPlainTextEdit()
        self.steer_edit.setPlaceholderText(STEER_HINT)
        self.steer_edit.setFixedHeight(56)
        self.steer_edit.setTabChangesFocus(True)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setMinimumHeight(32)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setMinimumHeight(32)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.progress.hide()
        self.stage_label = muted_label()
        self.stage_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.setColumnMinimumWidth(0, LABEL_WIDTH)
        grid.setColumnStretch(1, 1)
        grid.addWidget(QLabel("Format"), 0, 0)
        grid.addWidget(self.format_combo, 0, 1)
        grid.addWidget(QLabel("Length"), 1, 0)
        grid.addWidget(self.length_combo, 1, 1)
        grid.addWidget(QLabel("Language"), 2, 0)
        grid.addWidget(self.language_combo, 2, 1)
        steer_label = QLabel("Steer")
        steer_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        grid.addWidget(steer_label, 3, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.steer_edit, 3, 1)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage_label)
        self.format_combo.currentIndexChanged.connect(self._show_minutes)
        self.generate_button.clicked.connect(lambda: self.generate_requested.emit(self.spec()))
        self.cancel_button.clicked.connect(self._cancel)
        self._show_minutes()
        self.set_busy(False)

    def spec(self) -> EpisodeSpec:
        """The episode asked for."""
        return EpisodeSpec(
            format=self.format_combo.currentData(),
            length=self.length_combo.currentData(),
            language=self.language_combo.currentText().strip() or "English",
            steer=self.steer_edit.toPlainText().strip(),
        )

    def set_busy(self, busy: bool, text: str = "") -> None:
        """Show Cancel and the progress while an episode is made; Generate otherwise."""
        self.generate_button.setVisible(not busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
        for widget in (self.format_combo, self.length_combo, self.language_combo, self.steer_edit):
            widget.setEnabled(not busy)
        self.stage_label.setText(text)
        self.stage_label.setVisible(bool(text))

    def set_ready(self, ready: bool, reason: str) -> None:
        """Enable Generate, or disable it saying why (no sources yet, still reading…)."""
        self.generate_button.setEnabled(ready)
        self.generate_button.setToolTip(reason)

    def show_progress(self, stage: str, done: int, total: int) -> None:
        """Show a builder progress report."""
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)
        self.stage_label.setText(stage_text(stage, done, total))
        self.stage_label.show()

    def show_note(self, text: str) -> None:
        """Show a line under the button (the outcome of the last generation)."""
        self.stage_label.setText(text)
        self.stage_label.setVisible(bool(text))

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.cancel_requested.emit()

    def _show_minutes(self) -> None:
        fmt = FORMATS[self.format_combo.currentData()]
        for index, (value, title) in enumerate(LENGTHS):
            minutes = fmt.minutes_for(value)  # type: ignore[arg-type]
            self.length_combo.setItemText(index, f"{title} · {minutes:g} min")
