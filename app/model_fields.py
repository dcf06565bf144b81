"""Settings fields that choose a model on disk: the thinker's local folder, Whisper models and Piper voices.

Each field has a Browse… button and a line under it that says whether the
choice loads: a quick look at the files right away, and for a speech model
the user picked on disk a real load in the background (``engine.model_check``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.live.lifetime import while_alive
from app.tasks import run_task
from app.widgets.fit import grow_dialog_of
from engine.errors import NexusError
from engine.model_check import Kind, is_local_path, is_registry_key, load_check, quick_check
from engine.models import ModelManager, specs

OK_COLOR = {"light": "#15803d", "dark": "#4ade80"}
BAD_COLOR = {"light": "#b91c1c", "dark": "#f87171"}


def _tone(widget: QWidget) -> str:
    return "dark" if widget.palette().color(QPalette.ColorRole.Window).lightness() < 128 else "light"


class CheckLabel(QLabel):
    """One line under a field: checking…, what loaded (green) or what is wrong and what to do (red)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ok: bool | None = None

    def show_checking(self) -> None:
        """Say that the check runs."""
        self.ok = None
        self._paint("Checking…", None)

    def show_result(self, text: str, ok: bool) -> None:
        """Show the outcome of a check."""
        self.ok = ok
        self._paint(("✓ " if ok else "✗ ") + text, OK_COLOR if ok else BAD_COLOR)

    def clear_result(self) -> None:
        """Show nothing."""
        self.ok = None
        self.clear()
        grow_dialog_of(self)

    def _paint(self, text: str, colors: dict[str, str] | None) -> None:
        palette = self.palette()
        color = QColor(colors[_tone(self)]) if colors else palette.color(QPalette.ColorRole.PlaceholderText)
        palette.setColor(QPalette.ColorRole.WindowText, color)
        self.setPalette(palette)
        self.setText(text)
        grow_dialog_of(self)


class ModelField(QWidget):
    """A model choice (registry entries and/or a path), a Browse… button and a check line.

    ``kind`` is ``thinker`` (a folder; empty means the downloaded model),
    ``whisper`` (a folder or a registry key) or ``piper`` (a ``.onnx`` file or a
    registry key). ``models_dir`` gives the folder downloads are looked up in.
    """

    checked = Signal(bool)
    """A check finished: whether the choice is usable."""

    def __init__(self, kind: Kind, current: str, models_dir: Callable[[], Path], placeholder: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._models_dir = models_dir
        self._token = 0
        self.combo: QComboBox | None = None
        if kind == "thinker":
            self.edit = QLineEdit(current)
            self.edit.setPlaceholderText(placeholder)
            self.edit.setClearButtonEnabled(True)
        else:
            self.combo = QComboBox()
            self.combo.setEditable(True)
            self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            for spec in specs(kind):
                self.combo.addItem(spec.title, spec.key)
            index = self.combo.findData(current)
            if index >= 0:
                self.combo.setCurrentIndex(index)
            else:
                self.combo.setEditText(current)
            self.edit = self.combo.lineEdit()
            self.combo.activated.connect(lambda _i: self.check(load=True))
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setToolTip(
            {"thinker": "Choose the folder that holds config.json and the weights.",
             "whisper": "Choose the folder of a faster-whisper model (it holds model.bin).",
             "piper": "Choose a Piper voice: the .onnx file (its .onnx.json must lie next to it)."}[kind])
        self.browse_button.clicked.connect(self.browse)
        self.edit.editingFinished.connect(self._edited)
        self.status = CheckLabel()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo if self.combo is not None else self.edit, 1)
        row.addWidget(self.browse_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self._last_checked = self.value()

    def value(self) -> str:
        """The registry key of the chosen entry, or the typed text (a path; empty for none)."""
        if self.combo is not None:
            text = self.combo.currentText().strip()
            index = self.combo.findText(text)
            data = self.combo.itemData(index) if index >= 0 else None
            return str(data) if data is not None else text
        return self.edit.text().strip()

    def set_value(self, value: str | Path) -> None:
        """Show ``value`` (a registry key or a path) and check it."""
        value = str(value)
        if self.combo is not None:
            index = self.combo.findData(value)
            if index >= 0:
                self.combo.setCurrentIndex(index)
            else:
                self.combo.setEditText(value)
        else:
            self.edit.setText(value)
        self.check(load=True)

    def is_path(self) -> bool:
        """Whether the choice is a path on disk rather than a registry entry (a thinker folder always is)."""
        value = self.value()
        if self.kind == "thinker":
            return bool(value)
        return is_local_path(self.kind, value)

    def manager(self) -> ModelManager:
        """The model manager over the models folder the dialog shows."""
        return ModelManager(self._models_dir())

    def browse(self) -> None:
        """Ask for a folder (thinker, Whisper) or a ``.onnx`` file (Piper), then check it."""
        start = self.value() if self.is_path() else str(Path.home())
        if self.kind == "piper":
            chosen, _filter = QFileDialog.getOpenFileName(self, "Choose a Piper voice", start,
                                                          "Piper voices (*.onnx)")
        else:
            title = "Choose the model folder" if self.kind == "thinker" else "Choose a faster-whisper model folder"
            chosen = QFileDialog.getExistingDirectory(self, title, start)
        if chosen:
            self.set_value(chosen)

    def problem(self) -> NexusError | None:
        """Why the choice cannot be used (a path that holds no such model), or ``None``; answers at once."""
        value = self.value()
        if not value or not self.is_path():
            return None
        try:
            quick_check(self.kind, value, self.manager())
        except NexusError as exc:
            return exc
        return None

    def check(self, load: bool = False) -> None:
        """Check the choice in the background; ``load`` really loads a speech model picked on disk."""
        self._token += 1
        token = self._token
        value = self.value()
        self._last_checked = value
        if not value:
            if self.kind == "thinker":
                self.status.show_result("The downloaded model is used (File → Models… downloads it).", True)
            else:
                self.status.clear_result()
            return
        kind, manager = self.kind, self.manager()
        really = load and self.is_path() and self.kind != "thinker"
        self.status.show_checking()
        work = (lambda: load_check(kind, value, manager)) if really else (lambda: quick_check(kind, value, manager))
        run_task(work, while_alive(self, lambda text, error: self._checked(token, text, error)))

    def _edited(self) -> None:
        if self.value() != self._last_checked:
            self.check(load=True)

    def _checked(self, token: int, text: str | None, error: BaseException | None) -> None:
        if token != self._token:
            return
        if error is None:
            self.status.show_result(text or "", True)
        elif isinstance(error, NexusError):
            if self.kind != "thinker" and is_registry_key(self.kind, self.value()):
                self.status.show_result(f"{error.message} File → Models… downloads it.", False)
            else:
                self.status.show_result(f"{error.message} {error.hint}".strip(), False)
        else:
            self.status.show_result(f"It does not load: {error}. Choose another model.", False)
        self.checked.emit(error is None)
