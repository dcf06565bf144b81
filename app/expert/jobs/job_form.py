"""The job form: every setting of a ``JobSpec`` a person picks, YAML load/save, Validate and Queue.

Settings the form does not show (target modules, warmup, DPO beta, splits…)
are kept from the last loaded YAML, so loading, editing and saving a spec
never loses them. Problems are shown under the buttons, one per line.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDoubleValidator, QPalette, QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.dataset_splits import eval_note
from training.jobs.spec import JobSpec, SpecError, load_spec, save_spec

METHODS = (("LoRA SFT", "lora_sft"), ("DPO", "dpo"))
SCHEDULES = (("Cosine", "cosine"), ("Linear", "linear"), ("Constant", "constant"),
             ("Constant with warmup", "constant_with_warmup"))
DEVICES = (("Automatic", "auto"), ("CUDA GPU", "cuda"), ("CPU", "cpu"))
PAIRED_FIELD_WIDTH = 90
ERROR_COLOR = "#e5484d"
OK_COLOR = "#2eb872"


def _spin(low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


def resolve_relative(value: str, spec_file: Path) -> str:
    """A path from a spec file, made absolute against the file's folder (spec paths may be relative)."""
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (spec_file.parent / path).resolve())


class JobForm(QWidget):
    """Edits one job spec; emits it when Validate or Queue is pressed and it is well-formed."""

    validate_requested = Signal(object)
    """A ``JobSpec`` to check in depth."""
    queue_requested = Signal(object)
    """A ``JobSpec`` to queue."""

    def __init__(self, default_model: Path | None, datasets_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.datasets_dir = datasets_dir
        self._extra: dict[str, Any] = {}
        self.name_edit = QLineEdit("fine-tune")
        self.model_edit = QLineEdit(str(default_model) if default_model else "")
        self.model_edit.setPlaceholderText("Base model folder")
        self.model_edit.setToolTip("The folder with the base model's config.json and weights.")
        self.model_button = QPushButton("Browse…")
        self.model_button.clicked.connect(self._browse_model)
        self.method_combo = QComboBox()
        for text, value in METHODS:
            self.method_combo.addItem(text, value)
        self.dataset_list = QListWidget()
        self.dataset_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.dataset_list.setMaximumHeight(72)
        # The end of a path names the dataset; its start is the same folder for all of them.
        self.dataset_list.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.dataset_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.dataset_list.setToolTip("Dataset folders made by the workbench (or a mixer output with "
                                     "train/val).")
        self.add_dataset_button = QPushButton("Add…")
        self.add_dataset_button.clicked.connect(self._browse_dataset)
        self.remove_dataset_button = QPushButton("Remove")
        self.remove_dataset_button.clicked.connect(self._remove_datasets)

        self.rank_spin = _spin(1, 1024, 16)
        self.alpha_spin = _spin(1, 4096, 32)
        self.dropout_spin = QDoubleSpinBox()
        self.dropout_spin.setRange(0.0, 0.95)
        self.dropout_spin.setSingleStep(0.05)
        self.dropout_spin.setDecimals(2)
        self.dropout_spin.setValue(0.05)
        self.freeze_vision_check = QCheckBox("vision tower")
        self.freeze_vision_check.setChecked(True)
        self.freeze_audio_check = QCheckBox("audio tower")
        self.freeze_audio_check.setChecked(True)

        self.max_length_spin = _spin(32, 131_072, 2048, 256)
        self.batch_spin = _spin(1, 1024, 1)
        self.accumulation_spin = _spin(1, 1024, 8)
        self.lr_edit = QLineEdit("2e-4")
        validator = QDoubleValidator(1e-9, 1.0, 9)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.lr_edit.setValidator(validator)
        self.schedule_combo = QComboBox()
        for text, value in SCHEDULES:
            self.schedule_combo.addItem(text, value)
        self.epochs_spin = QDoubleSpinBox()
        self.epochs_spin.setRange(0.01, 1000.0)
        self.epochs_spin.setDecimals(2)
        self.epochs_spin.setValue(1.0)
        self.max_steps_spin = _spin(0, 10_000_000, 0)
        self.max_steps_spin.setSpecialValueText("use epochs")
        self.max_steps_spin.valueChanged.connect(lambda steps: self.epochs_spin.setEnabled(steps == 0))
        self.eval_spin = _spin(1, 1_000_000, 50)
        self.save_spin = _spin(1, 1_000_000, 50)
        self.seed_spin = _spin(0, 2**31 - 1, 42)
        self.device_combo = QComboBox()
        for text, value in DEVICES:
            self.device_combo.addItem(text, value)
        self.gpus_spin = _spin(1, 64, 1)

        self.load_button = QPushButton("Load YAML…")
        self.load_button.clicked.connect(self._load_yaml)
        self.save_button = QPushButton("Save YAML…")
        self.save_button.clicked.connect(self._save_yaml)
        self.validate_button = QPushButton("Validate")
        self.validate_button.clicked.connect(lambda: self._emit(self.validate_requested))
        self.queue_button = QPushButton("Queue")
        self.queue_button.setDefault(True)
        self.queue_button.clicked.connect(lambda: self._emit(self.queue_requested))
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextFormat(Qt.TextFormat.RichText)
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label.hide()
        self._layout()

    def _layout(self) -> None:
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_edit, 1)
        model_row.addWidget(self.model_button)
        dataset_buttons = QHBoxLayout()
        dataset_buttons.addWidget(self.add_dataset_button)
        dataset_buttons.addWidget(self.remove_dataset_button)
        dataset_buttons.addStretch(1)
        datasets = QVBoxLayout()
        datasets.setSpacing(4)
        datasets.addWidget(self.dataset_list)
        datasets.addLayout(dataset_buttons)
        towers = QHBoxLayout()
        towers.addWidget(self.freeze_vision_check)
        towers.addWidget(self.freeze_audio_check)
        towers.addStretch(1)

        groups = [
            self._group("Job", [
                [("Name", self.name_edit)],
                [("Base model", model_row)],
                [("Method", self.method_combo)],
                [("Datasets", datasets)],
            ]),
            self._group("LoRA", [
                [("Rank", self.rank_spin), ("Alpha", self.alpha_spin)],
                [("Dropout", self.dropout_spin)],
                [("Freeze", towers)],
            ]),
            self._group("Training", [
                [("Batch size", self.batch_spin), ("Grad. accum.", self.accumulation_spin)],
                [("Max length", self.max_length_spin), ("Seed", self.seed_spin)],
                [("Learning rate", self.lr_edit)],
                [("Schedule", self.schedule_combo)],
                [("Epochs", self.epochs_spin), ("Max steps", self.max_steps_spin)],
                [("Eval every", self.eval_spin), ("Save every", self.save_spin)],
            ]),
            self._group("Hardware", [
                [("Device", self.device_combo), ("GPUs", self.gpus_spin)],
            ]),
        ]
        # One label width per column for every group, so the fields line up down the form.
        for column in (0, 1):
            labels = [lb for _box, group in groups for lb in group if lb.property("form_column") == column]
            width = max(label.sizeHint().width() for label in labels)
            for label in labels:
                label.setMinimumWidth(width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        for box, _labels in groups:
            layout.addWidget(box)
        layout.addStretch(1)

        # The buttons stay in view below the scrolling form (the page places ``footer``).
        self.footer = QWidget()
        files = QHBoxLayout()
        files.addWidget(self.load_button)
        files.addWidget(self.save_button)
        actions = QHBoxLayout()
        actions.addWidget(self.validate_button)
        actions.addWidget(self.queue_button)
        footer = QVBoxLayout(self.footer)
        footer.setContentsMargins(0, 4, 4, 0)
        footer.addLayout(files)
        footer.addLayout(actions)
        footer.addWidget(self.problems_label)
        datasets = self.dataset_list.model()
        for signal in (datasets.rowsInserted, datasets.rowsRemoved, datasets.modelReset):
            signal.connect(self._show_eval_state)
        self._show_eval_state()

    @staticmethod
    def _group(title: str, rows: list[list[tuple[str, QWidget | QLayout]]]) -> tuple[QGroupBox, list[QLabel]]:
        """A titled box laying out rows of one or two ``(label, field)`` pairs on a shared grid."""
        box = QGroupBox(title)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        labels: list[QLabel] = []
        for index, pairs in enumerate(rows):
            for column, (text, field) in enumerate(pairs):
                label = QLabel(text)
                labels.append(label)
                # A list with buttons under it is tall; its label belongs at the top.
                tall = isinstance(field, QVBoxLayout)
                vertical = Qt.AlignmentFlag.AlignTop if tall else Qt.AlignmentFlag.AlignVCenter
                label.setAlignment(Qt.AlignmentFlag.AlignRight | vertical)
                label.setProperty("form_column", column)
                grid.addWidget(label, index, column * 2)
                span = 3 if len(pairs) == 1 else 1
                if span == 1 and isinstance(field, QWidget):
                    # Paired fields share their row evenly, whatever their own size hints, so
                    # the second column lines up from group to group.
                    field.setSizePolicy(QSizePolicy.Policy.Ignored, field.sizePolicy().verticalPolicy())
                    field.setMinimumWidth(PAIRED_FIELD_WIDTH)
                if isinstance(field, QLayout):
                    grid.addLayout(field, index, column * 2 + 1, 1, span)
                else:
                    grid.addWidget(field, index, column * 2 + 1, 1, span)
        return box, labels

    # the spec -------------------------------------------------------------------------
    def datasets(self) -> list[str]:
        """The dataset folders, in order."""
        return [self.dataset_list.item(i).text() for i in range(self.dataset_list.count())]

    def set_datasets(self, folders: list[str]) -> None:
        """Replace the dataset folders."""
        self.dataset_list.clear()
        for folder in folders:
            self.dataset_list.addItem(QListWidgetItem(folder))

    def spec(self) -> JobSpec:
        """The spec the form describes (SpecError naming the first wrong field)."""
        if not self.model_edit.text().strip():
            raise SpecError("Choose the base model folder.")
        if not self.datasets():
            raise SpecError("Add at least one dataset folder.")
        try:
            learning_rate = float(self.lr_edit.text().replace(",", "."))
        except ValueError:
            text = self.lr_edit.text()
            raise SpecError(f"The learning rate '{text}' is not a number (e.g. 2e-4).") from None
        lora = dict(self._extra.get("lora", {}))
        lora.update(rank=self.rank_spin.value(), alpha=self.alpha_spin.value(),
                    dropout=self.dropout_spin.value())
        values = {**self._extra}
        values.update(
            name=self.name_edit.text().strip() or "fine-tune",
            base_model=self.model_edit.text().strip(),
            method=self.method_combo.currentData(),
            datasets=self.datasets(),
            lora=lora,
            freeze_vision_tower=self.freeze_vision_check.isChecked(),
            freeze_audio_tower=self.freeze_audio_check.isChecked(),
            max_length=self.max_length_spin.value(),
            batch_size=self.batch_spin.value(),
            gradient_accumulation=self.accumulation_spin.value(),
            learning_rate=learning_rate,
            schedule=self.schedule_combo.currentData(),
            epochs=self.epochs_spin.value(),
            max_steps=self.max_steps_spin.value() or None,
            eval_every=self.eval_spin.value(),
            save_every=self.save_spin.value(),
            seed=self.seed_spin.value(),
            device=self.device_combo.currentData(),
            gpus=self.gpus_spin.value(),
        )
        try:
            return JobSpec.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "spec"
            raise SpecError(f"{where}: {first['msg']}.") from exc

    def set_spec(self, spec: JobSpec) -> None:
        """Show ``spec`` in the form (fields the form lacks are kept for the next ``spec``)."""
        self._extra = spec.model_dump(mode="json")
        self.name_edit.setText(spec.name)
        self.model_edit.setText(spec.base_model)
        _select(self.method_combo, spec.method)
        self.set_datasets(list(spec.datasets))
        self.rank_spin.setValue(spec.lora.rank)
        self.alpha_spin.setValue(spec.lora.alpha)
        self.dropout_spin.setValue(spec.lora.dropout)
        self.freeze_vision_check.setChecked(spec.freeze_vision_tower)
        self.freeze_audio_check.setChecked(spec.freeze_audio_tower)
        self.max_length_spin.setValue(spec.max_length)
        self.batch_spin.setValue(spec.batch_size)
        self.accumulation_spin.setValue(spec.gradient_accumulation)
        self.lr_edit.setText(f"{spec.learning_rate:g}")
        _select(self.schedule_combo, spec.schedule)
        self.epochs_spin.setValue(spec.epochs)
        self.max_steps_spin.setValue(spec.max_steps or 0)
        self.eval_spin.setValue(spec.eval_every)
        self.save_spin.setValue(spec.save_every)
        self.seed_spin.setValue(spec.seed)
        _select(self.device_combo, spec.device)
        self.gpus_spin.setValue(spec.gpus)
        self._show_eval_state()
        self.show_problems([])

    # messages -------------------------------------------------------------------------
    def show_problems(self, problems: list[str]) -> None:
        """List ``problems`` under the buttons (hidden when there are none)."""
        if not problems:
            self.problems_label.hide()
            self.problems_label.clear()
            return
        items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
        self.problems_label.setText(f"<ul style='margin-left:-24px; color:{ERROR_COLOR}'>{items}</ul>")
        self.problems_label.show()

    def show_note(self, text: str, ok: bool = True) -> None:
        """A one-line note under the buttons ("Checking…", "Ready to queue", "Queued as …")."""
        color = OK_COLOR if ok else self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        self.problems_label.setText(f"<span style='color:{color}'>{html.escape(text)}</span>")
        self.problems_label.show()

    def problems_text(self) -> str:
        """The problems or note shown, as plain text."""
        return QTextDocumentFragment.fromHtml(self.problems_label.text()).toPlainText()

    def set_busy(self, busy: bool) -> None:
        """Disable Validate and Queue while a check or submission runs."""
        self.validate_button.setEnabled(not busy)
        self.queue_button.setEnabled(not busy)

    def eval_note(self) -> str:
        """Why "Eval every" would do nothing for the chosen datasets (empty when it evaluates)."""
        split = self._extra.get("eval_split", JobSpec.model_fields["eval_split"].default)
        return eval_note(self.datasets(), split, self.eval_spin.value())

    def _show_eval_state(self) -> None:
        note = self.eval_note()
        self.eval_spin.setEnabled(not note)
        self.eval_spin.setToolTip(note or "Compute the eval loss on the datasets' validation split every N steps.")

    def _emit(self, signal: Any) -> None:
        try:
            spec = self.spec()
        except SpecError as exc:
            self.show_problems([str(exc)])
            return
        signal.emit(spec)

    # files ----------------------------------------------------------------------------
    def replace_default_model(self, old: Path | None, new: Path | None) -> None:
        """Show ``new`` as the base model when the field still shows the old default (or nothing)."""
        shown = self.model_edit.text().strip()
        if not shown or (old is not None and Path(shown) == Path(old)):
            self.model_edit.setText(str(new) if new else "")

    def _browse_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Base model folder", self.model_edit.text())
        if folder:
            self.model_edit.setText(folder)

    def _browse_dataset(self) -> None:
        start = self.datasets_dir if self.datasets_dir.is_dir() else Path.home()
        folder = QFileDialog.getExistingDirectory(self, "Dataset folder", str(start))
        if folder and folder not in self.datasets():
            self.dataset_list.addItem(folder)

    def _remove_datasets(self) -> None:
        for item in self.dataset_list.selectedItems():
            self.dataset_list.takeItem(self.dataset_list.row(item))

    def _load_yaml(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a job spec", str(self.datasets_dir.parent),
                                              "Job specs (*.yaml *.yml)")
        if path:
            self.load_yaml(Path(path))

    def load_yaml(self, path: Path) -> None:
        """Fill the form from a YAML spec (relative paths are taken from the file's folder)."""
        try:
            spec = load_spec(path)
        except SpecError as exc:
            self.show_problems([str(exc)])
            return
        spec = spec.model_copy(update={
            "base_model": resolve_relative(spec.base_model, path),
            "datasets": [resolve_relative(d, path) for d in spec.datasets],
        })
        self.set_spec(spec)
        self.show_note(f"Loaded {path.name}.", ok=False)

    def _save_yaml(self) -> None:
        try:
            spec = self.spec()
        except SpecError as exc:
            self.show_problems([str(exc)])
            return
        default = self.datasets_dir.parent / f"{spec.name}.yaml"
        path, _ = QFileDialog.getSaveFileName(self, "Save the job spec", str(default),
                                              "Job specs (*.yaml *.yml)")
        if path:
            self.save_yaml(Path(path), spec)

    def save_yaml(self, path: Path, spec: JobSpec) -> None:
        """Write ``spec`` to ``path`` and say so (or why not)."""
        try:
            save_spec(spec, path)
        except OSError as exc:
            self.show_problems([f"{path} could not be written: {exc}"])
            return
        self.show_note(f"Saved {path.name}.", ok=False)
