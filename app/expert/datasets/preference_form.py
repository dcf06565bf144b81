"""Build source: synthetic preference pairs (chosen/rejected) for DPO."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QSpinBox, QVBoxLayout, QWidget

from app.expert.datasets.bridge import Job, JobContext
from app.expert.datasets.common import muted_label
from app.expert.datasets.source_form import stamped
from training.datasets.preference import generate_pairs_to_folder, pair_categories
from training.datasets.store import DatasetCard

MODES = {"censored": "Censored (all 20 categories, with safety)", "uncensored": "Uncensored (15 categories)"}


class PreferenceForm(QWidget):
    """Training mode, pairs per category and seed."""

    title = "Preference pairs"
    resumable = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = QComboBox()
        for mode, text in MODES.items():
            self.mode.addItem(text, mode)
        self.mode.currentIndexChanged.connect(self._describe)
        self.per_category = QSpinBox()
        self.per_category.setRange(1, 100_000)
        self.per_category.setValue(100)
        self.per_category.setGroupSeparatorShown(True)
        self.per_category.valueChanged.connect(self._describe)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_147_483_647)
        self.categories_label = muted_label()
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Mode", self.mode)
        form.addRow("Pairs per category", self.per_category)
        form.addRow("Seed", self.seed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.categories_label)
        layout.addStretch(1)
        self._describe()

    def selected_mode(self) -> str:
        """``censored`` or ``uncensored``."""
        return str(self.mode.currentData())

    def _describe(self, *_args: object) -> None:
        names = pair_categories(self.selected_mode())  # type: ignore[arg-type]
        total = len(names) * self.per_category.value()
        listed = ", ".join(n.replace("_", " ") for n in names)
        self.categories_label.setText(f"Up to {total:,} pairs from: {listed}. "
                                      "Each pair differs in one point; the figures are computed.")

    def default_name(self) -> str:
        """``pairs-<time>``."""
        return stamped("pairs")

    def job(self, dst: Path) -> Job:
        """Generate the pairs of the chosen mode into ``dst``."""
        mode, per, seed = self.selected_mode(), self.per_category.value(), self.seed.value()

        def work(ctx: JobContext) -> DatasetCard | None:
            return generate_pairs_to_folder(
                dst, None, per, seed, mode, name=dst.name,  # type: ignore[arg-type]
                progress=ctx.report, cancel=ctx.cancelled)

        return Job("Preference pairs", work, cleanup=dst)

    def summary(self, result: Any) -> str:
        """What was generated."""
        card: DatasetCard = result
        return f"{card.total:,} preference pairs in {len(card.counts_by_category)} categories → {card.name}"
