"""The Settings dialog: model (in this app or on a server), devices, voices, folders and appearance.

It edits a copy of the settings; OK validates, saves atomically and hands the
new settings back. Nothing is lost when a value is invalid: the dialog stays
open and says which field is wrong.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.model_fields import ModelField
from app.server_settings import ServerSettingsForm
from app.tasks import run_task
from app.widgets.fit import grow_dialog_of
from app.widgets.labels import muted_label
from engine import system_info
from engine.config import Settings, save_settings, settings_from_values
from engine.errors import NexusError
from engine.models import specs
from engine.remote.openai_chat import normalize_base_url

SYSTEM_DEFAULT = "System default"
FOLDERS_NOTE = ("A new models folder applies at once (a loaded model is loaded again from it). Episodes "
                "come from a new data folder at once; datasets and fine-tune jobs move to it when Nexus "
                "next starts.")


class FolderField(QWidget):
    """A line edit with a Browse… button; empty means the default folder."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def path(self) -> Path | None:
        """The chosen folder, or ``None`` for the default."""
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_path(self, path: Path | None) -> None:
        """Show ``path`` (empty for the default)."""
        self.edit.setText(str(path) if path else "")

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder", self.edit.text())
        if folder:
            self.edit.setText(folder)


class SettingsDialog(QDialog):
    """Edit and persist the user's settings."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Nexus Settings")
        self.setMinimumWidth(560)
        self._original = settings
        self.result_settings: Settings | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self._model_page(settings), "Model")
        self.tabs.addTab(self._devices_page(settings), "Devices")
        self.tabs.addTab(self._voices_page(settings), "Voices")
        self.tabs.addTab(self._folders_page(settings), "Folders")
        self.tabs.addTab(self._appearance_page(settings), "Appearance")
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d9534f;")
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        # Each page needs its own height (its check lines wrap): fit the one shown.
        self.tabs.currentChanged.connect(lambda _index: grow_dialog_of(self))
        run_task(system_info.audio_devices, self._fill_audio_devices)

    # pages -----------------------------------------------------------------
    def _model_page(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.model_form = form
        self.backend_combo = QComboBox()
        self.backend_combo.addItem("In this app (the thinker runs on this computer)", "local")
        self.backend_combo.addItem("OpenAI-compatible server (llama-server, vLLM)", "server")
        self.backend_combo.setCurrentIndex(self.backend_combo.findData(s.model.backend))
        self.server_form = ServerSettingsForm(s.model)
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        for spec in specs("thinker"):
            self.model_combo.addItem(spec.title, spec.repo_id)
        index = self.model_combo.findData(s.model.model_id)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)
        else:
            self.model_combo.setEditText(s.model.model_id)
        self.local_model = ModelField("thinker", str(s.model.local_path or ""), self._models_dir,
                                      "Empty: use the downloaded model")
        self.local_model.check()
        self.device_combo = QComboBox()
        for value, label in (("auto", "Automatic (CUDA when present)"), ("cuda", "CUDA GPU"), ("cpu", "CPU")):
            self.device_combo.addItem(label, value)
        self.device_combo.setCurrentIndex(self.device_combo.findData(s.model.device))
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 8192)
        self.max_tokens.setValue(s.model.max_new_tokens)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setValue(s.model.temperature)
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(s.model.top_p)
        form.addRow("Engine", self.backend_combo)
        form.addRow("Model", self.model_combo)
        form.addRow("Local folder", self.local_model)
        form.addRow("Run on", self.device_combo)
        form.addRow(self.server_form)
        form.addRow("Longest answer (tokens)", self.max_tokens)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-p", self.top_p)
        self.backend_combo.currentIndexChanged.connect(self._show_backend_fields)
        self._show_backend_fields()
        return page

    def _show_backend_fields(self) -> None:
        """Show the local model's fields or the server's, as the engine choice says."""
        server = self.backend_combo.currentData() == "server"
        for widget in (self.model_combo, self.local_model, self.device_combo):
            self.model_form.setRowVisible(widget, not server)
        self.model_form.setRowVisible(self.server_form, server)

    def _devices_page(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.input_combo = QComboBox()
        self.output_combo = QComboBox()
        for combo, current in ((self.input_combo, s.audio.input_device), (self.output_combo, s.audio.output_device)):
            combo.addItem(SYSTEM_DEFAULT, None)
            if current:
                combo.addItem(current, current)
                combo.setCurrentIndex(1)
        self.devices_note = QLabel("Looking for audio devices…")
        self.devices_note.setWordWrap(True)
        form.addRow("Microphone", self.input_combo)
        form.addRow("Speaker", self.output_combo)
        form.addRow("", self.devices_note)
        return page

    def _voices_page(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.whisper_field = ModelField("whisper", s.voices.whisper_model, self._models_dir)
        self.whisper_combo = self.whisper_field.combo
        self.whisper_device = QComboBox()
        for value, label in (
            ("auto", "Automatic (GPU when cuBLAS 12 is installed)"),
            ("cuda", "CUDA GPU"),
            ("cpu", "CPU"),
        ):
            self.whisper_device.addItem(label, value)
        self.whisper_device.setCurrentIndex(self.whisper_device.findData(s.voices.whisper_device))
        self.whisper_compute = QComboBox()
        for value, label in (
            ("auto", "Automatic (float16 on a GPU, int8 on the CPU)"),
            ("int8", "int8"),
            ("int8_float16", "int8 weights, float16 maths (GPU)"),
            ("float16", "float16 (GPU)"),
            ("float32", "float32"),
        ):
            self.whisper_compute.addItem(label, value)
        self.whisper_compute.setCurrentIndex(self.whisper_compute.findData(s.voices.whisper_compute_type))
        self.assistant_field = ModelField("piper", s.voices.assistant_voice, self._models_dir)
        self.host_a_field = ModelField("piper", s.voices.host_a_voice, self._models_dir)
        self.host_b_field = ModelField("piper", s.voices.host_b_voice, self._models_dir)
        self.assistant_voice = self.assistant_field.combo
        self.host_a_voice = self.host_a_field.combo
        self.host_b_voice = self.host_b_field.combo
        for field in (self.whisper_field, self.assistant_field, self.host_a_field, self.host_b_field):
            field.check()
        self.speech_rate = QDoubleSpinBox()
        self.speech_rate.setRange(0.5, 2.0)
        self.speech_rate.setSingleStep(0.05)
        self.speech_rate.setValue(s.voices.speech_rate)
        form.addRow("Speech recognition", self.whisper_field)
        form.addRow("Recognition runs on", self.whisper_device)
        form.addRow("Recognition precision", self.whisper_compute)
        form.addRow("Assistant voice", self.assistant_field)
        form.addRow("Podcast host A", self.host_a_field)
        form.addRow("Podcast host B", self.host_b_field)
        form.addRow("Speaking rate", self.speech_rate)
        return page

    def _folders_page(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.models_dir = FolderField(str(s.folders.resolved_models_dir()))
        self.models_dir.set_path(s.folders.models_dir)
        self.data_dir = FolderField(str(s.folders.resolved_data_dir()))
        self.data_dir.set_path(s.folders.data_dir)
        self.models_dir.edit.editingFinished.connect(self._models_dir_changed)
        self.folders_note = muted_label(FOLDERS_NOTE)
        form.addRow("Models", self.models_dir)
        form.addRow("Episodes, datasets, jobs", self.data_dir)
        form.addRow("", self.folders_note)
        return page

    def _appearance_page(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.theme_combo = QComboBox()
        for value, label in (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
            self.theme_combo.addItem(label, value)
        self.theme_combo.setCurrentIndex(self.theme_combo.findData(s.ui.theme))
        form.addRow("Theme", self.theme_combo)
        return page

    def _fill_audio_devices(self, report: system_info.AudioReport | None, error: BaseException | None) -> None:
        if error is not None or report is None or report.error:
            self.devices_note.setText(f"Audio devices could not be listed: {error or report.error if report else ''}")
            return
        for combo, devices in ((self.input_combo, report.inputs), (self.output_combo, report.outputs)):
            for device in devices:
                if combo.findData(device.name) < 0:
                    combo.addItem(device.name, device.name)
        self.devices_note.setText(f"{len(report.inputs)} inputs and {len(report.outputs)} outputs found.")

    # results ---------------------------------------------------------------
    @staticmethod
    def _combo_value(combo: QComboBox) -> str:
        """The item's data when the text is an item, else the typed text."""
        index = combo.findText(combo.currentText())
        data = combo.itemData(index) if index >= 0 else None
        return str(data) if data is not None else combo.currentText().strip()

    def collect(self) -> Settings:
        """Build new settings from the fields; raises ``ValidationError`` when invalid."""
        data = self._original.model_dump()
        data["model"].update(
            backend=self.backend_combo.currentData(),
            server_url=self.server_form.server_url(),
            server_model=self.server_form.server_model(),
            model_id=self._combo_value(self.model_combo),
            local_path=Path(self.local_model.value()).expanduser() if self.local_model.value() else None,
            device=self.device_combo.currentData(),
            max_new_tokens=self.max_tokens.value(),
            temperature=self.temperature.value(),
            top_p=self.top_p.value(),
        )
        data["audio"].update(input_device=self.input_combo.currentData(), output_device=self.output_combo.currentData())
        data["voices"].update(
            whisper_model=self.whisper_field.value(),
            whisper_device=self.whisper_device.currentData(),
            whisper_compute_type=self.whisper_compute.currentData(),
            assistant_voice=self.assistant_field.value(),
            host_a_voice=self.host_a_field.value(),
            host_b_voice=self.host_b_field.value(),
            speech_rate=self.speech_rate.value(),
        )
        data["folders"].update(models_dir=self.models_dir.path(), data_dir=self.data_dir.path())
        data["ui"].update(theme=self.theme_combo.currentData())
        return settings_from_values(data)

    def accept(self) -> None:
        """Validate and save; keep the dialog open with a message on failure."""
        try:
            settings = self.collect()
            if not settings.model.model_id:
                raise NexusError("Choose a model.", "Pick one from the list or type a Hugging Face repository id.")
            if settings.model.backend == "server":
                if not settings.model.server_url:
                    raise NexusError(
                        "Enter the server's address.", "For example http://127.0.0.1:8080/v1 for a local llama-server."
                    )
                normalize_base_url(settings.model.server_url)
                self.server_form.store_key()
            else:
                self._check_model_paths()
            save_settings(settings)
        except ValidationError as exc:
            first = exc.errors()[0]
            self._show_error(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
            return
        except NexusError as exc:
            self._show_error(f"{exc.message} {exc.hint}")
            return
        except OSError as exc:
            QMessageBox.warning(self, "Settings not saved", f"The settings file could not be written: {exc}")
            return
        self.result_settings = settings
        super().accept()

    def _models_dir(self) -> Path:
        """The models folder the Folders page shows (the default when empty)."""
        chosen = self.models_dir.path() if hasattr(self, "models_dir") else None
        return chosen or self._original.folders.resolved_models_dir()

    def _models_dir_changed(self) -> None:
        for field in (self.whisper_field, self.assistant_field, self.host_a_field, self.host_b_field):
            if not field.is_path():
                field.check()

    def _check_model_paths(self) -> None:
        """Refuse a local folder or speech model path that holds no such model (NexusError naming the field)."""
        for field, title, page in (
            (self.local_model, "Local folder", 0),
            (self.whisper_field, "Speech recognition", 2),
            (self.assistant_field, "Assistant voice", 2),
            (self.host_a_field, "Podcast host A", 2),
            (self.host_b_field, "Podcast host B", 2),
        ):
            problem = field.problem()
            if problem is not None:
                self.tabs.setCurrentIndex(page)
                field.status.show_result(f"{problem.message} {problem.hint}".strip(), False)
                raise NexusError(f"{title}: {problem.message}", problem.hint)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        grow_dialog_of(self)
