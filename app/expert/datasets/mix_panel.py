"""Mix datasets into train/val/test with a real-vs-synthetic ratio, a seed and a target size."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.bridge import Job, JobContext, JobOutcome, JobRunner
from app.expert.datasets.common import muted_label, new_dataset_folder, visible_checkboxes
from app.expert.datasets.library import LibraryEntry
from app.expert.datasets.source_form import stamped
from training.datasets.mixer import MixConfig, MixResult, MixSource, mix_datasets

PATH_ROLE = Qt.ItemDataRole.UserRole


def _percent_box(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, 100.0)
    box.setDecimals(1)
    box.setSingleStep(0.5)
    box.setSuffix(" %")
    box.setValue(value)
    return box


class MixPanel(QWidget):
    """Tick datasets, set the mix, and write ``<name>/train``, ``/val`` and ``/test``."""

    wrote = Signal(object)
    """The train split's folder."""
    finished_text = Signal(str)
    """The mix's summary line."""
    problem = Signal(str)
    """A problem to show."""

    def __init__(self, root: Path, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self.runner = runner
        self.datasets = QListWidget()
        visible_checkboxes(self.datasets)
        self.real_fraction = _percent_box(30.0)
        self.train = _percent_box(95.0)
        self.val = _percent_box(2.5)
        self.test = _percent_box(2.5)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_147_483_647)
        self.target = QSpinBox()
        self.target.setRange(0, 100_000_000)
        self.target.setGroupSeparatorShown(True)
        self.target.setSpecialValueText("as many as the ratio allows")
        self.name_edit = QLineEdit(stamped("mix"))
        self.mix_button = QPushButton("Mix")
        self.mix_button.clicked.connect(self.mix)
        split = QHBoxLayout()
        split.setContentsMargins(0, 0, 0, 0)
        for text, box in (("train", self.train), ("val", self.val), ("test", self.test)):
            split.addWidget(QLabel(text))
            split.addWidget(box)
        split.addStretch(1)
        form = QFormLayout()
        form.addRow("Real (not synthetic) share", self.real_fraction)
        form.addRow("Split", split)
        form.addRow("Seed", self.seed)
        form.addRow("Target size", self.target)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(QLabel("New mix"))
        bottom.addWidget(self.name_edit, 1)
        bottom.addWidget(self.mix_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(muted_label("Records whose source starts with “nexus-” count as synthetic. "
                                     "Tick the datasets to mix:"))
        layout.addWidget(self.datasets, 1)
        layout.addLayout(form)
        layout.addLayout(bottom)
        runner.started.connect(lambda _label: self.mix_button.setEnabled(False))
        runner.ended.connect(lambda _outcome: self.mix_button.setEnabled(True))

    def set_entries(self, entries: list[LibraryEntry]) -> None:
        """List the finished datasets, keeping the ticks of those still there."""
        ticked = set(self.checked())
        self.datasets.clear()
        for entry in entries:
            if not entry.usable or entry.card is None:
                continue
            item = QListWidgetItem(f"{entry.name} — {entry.card.total:,} records")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if entry.path in ticked else Qt.CheckState.Unchecked)
            item.setData(PATH_ROLE, str(entry.path))
            self.datasets.addItem(item)

    def checked(self) -> list[Path]:
        """The ticked datasets."""
        return [Path(self.datasets.item(i).data(PATH_ROLE)) for i in range(self.datasets.count())
                if self.datasets.item(i).checkState() == Qt.CheckState.Checked]

    def config(self) -> MixConfig:
        """The settings as a ``MixConfig`` (ValueError when the split does not add up to 100 %)."""
        parts = (self.train.value(), self.val.value(), self.test.value())
        if abs(sum(parts) - 100.0) > 0.01:
            raise ValueError(f"The split adds up to {sum(parts):g} %; "
                             "make train, val and test add up to 100 %.")
        train, val = parts[0] / 100.0, parts[1] / 100.0
        # test takes the remainder, so the three shares sum to exactly 1 whatever the rounding.
        config = MixConfig(real_fraction=self.real_fraction.value() / 100.0,
                           split=(train, val, 1.0 - train - val),
                           seed=self.seed.value(), target_total=self.target.value() or None)
        config.check()
        return config

    def mix(self) -> None:
        """Start the mixer."""
        sources = [MixSource(path, name=path.name) for path in self.checked()]
        try:
            if not sources:
                raise ValueError("Tick at least one dataset to mix.")
            config = self.config()
            dst = new_dataset_folder(self.root, self.name_edit.text())
        except ValueError as exc:
            self.problem.emit(str(exc))
            return

        def work(ctx: JobContext) -> MixResult:
            return mix_datasets(sources, dst, config, progress=ctx.report, cancel=ctx.cancelled)

        if not self.runner.start(Job("Mix", work, cleanup=dst), lambda outcome: self._ended(outcome, dst)):
            self.problem.emit(f"Wait until “{self.runner.label}” ends, or cancel it.")

    def _ended(self, outcome: JobOutcome, dst: Path) -> None:
        if not outcome.ok:
            return
        result: MixResult = outcome.result
        self.finished_text.emit(f"{result.summary()} → {dst.name}")
        self.name_edit.setText(stamped("mix"))
        self.wrote.emit(dst / "train")
