"""The first-run dialog: choose a language model, then download it or point at a folder.

Downloads run on a worker thread through ``app.tasks.run_task``; the manager's
progress callback fires on that thread, so it only emits a queued signal and the
widgets are updated on the GUI thread. Cancel sets the download's event; the
partial files stay on disk and the next download resumes them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.tasks import run_task
from app.widgets.fit import grow_to_fit
from engine.config import Settings
from engine.error_advice import advice
from engine.errors import DownloadCancelled, ModelNotFound, NexusError
from engine.model_check import is_local_path
from engine.models import (
    DEFAULT_PIPER_KEYS,
    DEFAULT_THINKER_KEY,
    DEFAULT_WHISPER_KEY,
    DownloadProgress,
    ModelManager,
    ModelSpec,
    format_bytes,
    get_spec,
    specs,
)


class _ProgressRelay(QObject):
    """Carries progress from the download thread to the GUI thread (queued connection)."""

    progress = Signal(int, int, object)


def _registry_spec(name: str, kind: str, fallback: str) -> ModelSpec:
    """The registry entry for a settings value, or ``fallback`` when the value is unknown."""
    try:
        spec = get_spec(name)
    except NexusError:
        return get_spec(fallback)
    return spec if spec.kind == kind and spec in specs() else get_spec(fallback)


class FirstRunDialog(QDialog):
    """Choose the thinker, then download it (with speech models) or use a local folder.

    The dialog writes the choice into ``settings`` when accepted (the caller
    saves them). ``download_finished`` carries ``None`` on success or the error.
    """

    download_finished = Signal(object)

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        manager: ModelManager | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up Nexus")
        self.setMinimumWidth(560)
        self.settings = settings
        self.manager = manager or ModelManager(settings.folders.resolved_models_dir())
        self._local_path: Path | None = settings.model.local_path
        self._cancel: threading.Event | None = None
        self._close_when_done = False
        self._relay = _ProgressRelay(self)
        self._relay.progress.connect(self._on_progress)

        intro = QLabel(
            "Nexus runs its models on this computer. Download a language model once "
            f"(into {self.manager.models_dir}), or use a folder that already holds one."
        )
        intro.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self._thinker_box())
        layout.addWidget(self._speech_box())
        self.progress_bar = QProgressBar(objectName="progressBar")
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.status_label = QLabel(objectName="statusLabel")
        self.status_label.setWordWrap(True)
        self.error_label = QLabel(objectName="errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self._buttons())
        self._refresh()

    # ----- building ---------------------------------------------------------

    def _thinker_box(self) -> QGroupBox:
        box = QGroupBox("Language model")
        column = QVBoxLayout(box)
        self.thinker_group = QButtonGroup(self)
        current = _registry_spec(self.settings.model.model_id, "thinker", DEFAULT_THINKER_KEY)
        self.thinker_buttons: dict[str, QRadioButton] = {}
        for spec in specs("thinker"):
            button = QRadioButton(objectName=f"thinker:{spec.key}")
            button.setToolTip(spec.description)
            button.setChecked(spec == current)
            button.toggled.connect(lambda _checked: self._refresh())
            self.thinker_group.addButton(button)
            self.thinker_buttons[spec.key] = button
            column.addWidget(button)
        self.thinker_description = QLabel()
        self.thinker_description.setWordWrap(True)
        column.addWidget(self.thinker_description)
        row = QHBoxLayout()
        self.local_button = QPushButton("Use a local folder…", objectName="localFolderButton")
        self.local_button.clicked.connect(self._choose_local_folder)
        self.clear_local_button = QPushButton("Download instead", objectName="clearLocalButton")
        self.clear_local_button.clicked.connect(self.clear_local_folder)
        self.local_label = QLabel(objectName="localFolderLabel")
        self.local_label.setWordWrap(True)
        row.addWidget(self.local_button)
        row.addWidget(self.clear_local_button)
        row.addWidget(self.local_label, 1)
        column.addLayout(row)
        return box

    def _speech_box(self) -> QGroupBox:
        box = QGroupBox("Speech (optional)")
        column = QVBoxLayout(box)
        voices = self.settings.voices
        wanted: list[ModelSpec] = []
        self.local_speech: list[str] = []
        for kind, title, value, fallback in (
            ("whisper", "Speech recognition", voices.whisper_model, DEFAULT_WHISPER_KEY),
            ("piper", "Assistant voice", voices.assistant_voice, DEFAULT_PIPER_KEYS[0]),
            ("piper", "Podcast host A", voices.host_a_voice, DEFAULT_PIPER_KEYS[0]),
            ("piper", "Podcast host B", voices.host_b_voice, DEFAULT_PIPER_KEYS[-1]),
        ):
            if is_local_path(kind, value):  # type: ignore[arg-type]
                # Chosen on disk in Settings → Voices: nothing to download for it.
                self.local_speech.append(f"{title}: {value}")
                continue
            spec = _registry_spec(value, kind, fallback)
            if spec not in wanted:
                wanted.append(spec)
        if self.local_speech:
            note = QLabel("Already on this computer (Settings → Voices):\n" + "\n".join(self.local_speech),
                          objectName="localSpeechLabel")
            note.setWordWrap(True)
            note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            column.addWidget(note)
        self.speech_boxes: dict[str, QCheckBox] = {}
        for spec in wanted:
            check = QCheckBox(objectName=f"speech:{spec.key}")
            check.setToolTip(spec.description)
            column.addWidget(check)
            self.speech_boxes[spec.key] = check
        for key, check in self.speech_boxes.items():
            check.setChecked(not self.manager.is_installed(get_spec(key)))
        return box

    def _buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox()
        self.download_button = QPushButton("Download", objectName="downloadButton")
        self.download_button.setDefault(True)
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button = QPushButton("Cancel download", objectName="cancelButton")
        self.cancel_button.clicked.connect(self.cancel_download)
        self.continue_button = QPushButton("Continue", objectName="continueButton")
        self.later_button = QPushButton("Later", objectName="laterButton")
        buttons.addButton(self.download_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        return buttons

    # ----- state ------------------------------------------------------------

    def selected_thinker(self) -> ModelSpec:
        """The thinker whose radio button is checked."""
        for key, button in self.thinker_buttons.items():
            if button.isChecked():
                return get_spec(key)
        return get_spec(DEFAULT_THINKER_KEY)

    def is_downloading(self) -> bool:
        """Whether a download is running."""
        return self._cancel is not None

    def pending_keys(self) -> list[str]:
        """The models a click on Download would fetch, thinker first."""
        keys = []
        thinker = self.selected_thinker()
        if self._local_path is None and not self.manager.is_installed(thinker):
            keys.append(thinker.key)
        for key, check in self.speech_boxes.items():
            if check.isChecked() and not self.manager.is_installed(get_spec(key)):
                keys.append(key)
        return keys

    def _refresh(self) -> None:
        busy = self.is_downloading()
        for key, button in self.thinker_buttons.items():
            button.setText(self._label(get_spec(key)))
            button.setEnabled(not busy)
        for key, check in self.speech_boxes.items():
            check.setText(self._label(get_spec(key)))
            check.setEnabled(not busy and not self.manager.is_installed(get_spec(key)))
        thinker = self.selected_thinker()
        self.thinker_description.setText(thinker.description)
        if self._local_path is not None:
            self.local_label.setText(f"Using the model in {self._local_path}")
        else:
            self.local_label.setText("")
        self.clear_local_button.setVisible(self._local_path is not None)
        self.fit_contents()
        self.local_button.setEnabled(not busy)
        self.clear_local_button.setEnabled(not busy)
        self.download_button.setEnabled(not busy and bool(self.pending_keys()))
        self.cancel_button.setEnabled(busy)
        ready = self._local_path is not None or self.manager.is_installed(thinker)
        self.continue_button.setEnabled(not busy and ready)
        self.later_button.setEnabled(not busy)

    def _label(self, spec: ModelSpec) -> str:
        installed = self.manager.is_installed(spec)
        return f"{spec.title} — {'installed' if installed else f'about {format_bytes(spec.approx_bytes)}'}"

    def _show_error(self, error: BaseException) -> None:
        message, hint = advice(error)
        text = f"{message}\n{hint}".strip()
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.error_label.setStyleSheet(f"color: {'#f87171' if dark else '#c62828'};")
        self.error_label.setText(text)
        self.error_label.show()
        self.fit_contents()

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()
        self.fit_contents()

    def fit_contents(self) -> None:
        """Grow (or let shrink) the dialog to the height its wrapped texts need at its width."""
        grow_to_fit(self)

    # ----- local folder -----------------------------------------------------

    @Slot()
    def _choose_local_folder(self) -> None:
        start = str(self._local_path or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose the folder that holds the model", start)
        if folder:
            self.use_local_folder(Path(folder))

    def use_local_folder(self, folder: Path) -> bool:
        """Use ``folder`` for the selected thinker if it holds a model; show why not otherwise."""
        try:
            self._local_path = self.manager.resolve(self.selected_thinker().repo_id, local_path=folder)
        except ModelNotFound as exc:
            self._show_error(exc)
            return False
        self._clear_error()
        self._refresh()
        return True

    @Slot()
    def clear_local_folder(self) -> None:
        """Go back to using the downloaded copy of the selected thinker."""
        self._local_path = None
        self._refresh()

    # ----- downloading ------------------------------------------------------

    @Slot()
    def start_download(self) -> None:
        """Download every pending model on a worker thread."""
        keys = self.pending_keys()
        if not keys or self.is_downloading():
            return
        cancel = threading.Event()
        self._cancel = cancel
        self._clear_error()
        self.progress_bar.setValue(0)
        self.status_label.setText("Contacting the model hub…")
        manager, emit = self.manager, self._relay.progress.emit

        def work() -> list[Path]:
            paths = []
            for index, key in enumerate(keys, start=1):
                paths.append(
                    manager.download(
                        key,
                        progress=lambda p, i=index: emit(i, len(keys), p),
                        cancel=cancel,
                    )
                )
            return paths

        run_task(work, self._on_done)
        self._refresh()

    @Slot()
    def cancel_download(self) -> None:
        """Stop the running download after its current chunk; partial files are kept."""
        if self._cancel is not None:
            self._cancel.set()
            self.status_label.setText("Cancelling…")
            self.cancel_button.setEnabled(False)

    @Slot(int, int, object)
    def _on_progress(self, index: int, count: int, progress: DownloadProgress) -> None:
        if not self.is_downloading():
            return
        self.progress_bar.setValue(int(progress.fraction * 100))
        title = get_spec(progress.key).title
        step = f"{index} of {count}: " if count > 1 else ""
        speed = f" · {format_bytes(progress.speed)}/s" if progress.speed > 0 else ""
        self.status_label.setText(
            f"{step}{title} · {format_bytes(progress.bytes_done)} of {format_bytes(progress.bytes_total)}"
            f"{speed}\n{progress.file}"
        )

    def _on_done(self, _result: Any, error: BaseException | None) -> None:
        self._cancel = None
        if error is None:
            self.progress_bar.setValue(100)
            self.status_label.setText("Everything is downloaded. Press Continue to start.")
        elif isinstance(error, DownloadCancelled):
            self.status_label.setText("Download cancelled.")
            self._show_error(error)
        else:
            self.status_label.setText("Download failed.")
            self._show_error(error)
        self._refresh()
        self.fit_contents()
        self.download_finished.emit(error)
        if self._close_when_done:
            super().reject()

    # ----- closing ----------------------------------------------------------

    def accept(self) -> None:
        """Write the chosen model into the settings and close."""
        thinker = self.selected_thinker()
        self.settings.model.model_id = thinker.repo_id
        self.settings.model.local_path = self._local_path
        self.settings.ui.first_run_done = True
        super().accept()

    def reject(self) -> None:
        """Close; a running download is cancelled first and the dialog closes when it stops."""
        if self.is_downloading():
            self._close_when_done = True
            self.cancel_download()
            return
        super().reject()
