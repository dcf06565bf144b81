"""Build source: synthetic repetitive-prompt samples, with categories picked by group and section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.bridge import Job, JobContext
from app.expert.datasets.common import ERROR_COLOR, error_text, muted_label, visible_checkboxes
from app.expert.datasets.source_form import stamped
from app.live.lifetime import while_alive
from app.tasks import run_task
from training.datasets.store import DatasetCard
from training.datasets.synthetic import STYLES, CategoryInfo, generate_to_folder, list_categories

GROUP_TITLES = {"base": "Base knowledge", "fullstack": "Fullstack engineering", "recommended": "Recommended"}
NAME_ROLE = Qt.ItemDataRole.UserRole


class SyntheticForm(QWidget):
    """Categories (a tree of group → section → category), samples per category, seed and style mix."""

    title = "Synthetic"
    resumable = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.categories: list[CategoryInfo] = []
        self.tree = QTreeWidget()
        visible_checkboxes(self.tree)
        self.tree.setHeaderLabels(["Category", "Kind"])
        self.tree.setColumnWidth(0, 380)
        self.tree.itemChanged.connect(self._update_total)
        self.all_button = QPushButton("Select all")
        self.none_button = QPushButton("Clear")
        self.all_button.clicked.connect(lambda: self._check_all(True))
        self.none_button.clicked.connect(lambda: self._check_all(False))
        self.per_category = QSpinBox()
        self.per_category.setRange(1, 1_000_000)
        self.per_category.setValue(100)
        self.per_category.setGroupSeparatorShown(True)
        self.per_category.valueChanged.connect(self._update_total)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_147_483_647)
        self.styles: dict[str, QSpinBox] = {}
        # Two styles a row, so the form fits beside the source list in a narrow window.
        style_row = QGridLayout()
        style_row.setContentsMargins(0, 0, 0, 0)
        style_row.setHorizontalSpacing(6)
        for index, style in enumerate(STYLES):
            box = QSpinBox()
            box.setRange(0, 100)
            box.setValue(25)
            box.setSuffix(" %")
            self.styles[style] = box
            row, column = divmod(index, 2)
            style_row.addWidget(QLabel(style), row, column * 2)
            style_row.addWidget(box, row, column * 2 + 1)
        style_row.setColumnStretch(4, 1)
        self.total_label = muted_label()
        self.total_label.setWordWrap(False)
        self.status = muted_label("Loading categories…")
        picks = QHBoxLayout()
        picks.setContentsMargins(0, 0, 0, 0)
        picks.addWidget(self.all_button)
        picks.addWidget(self.none_button)
        picks.addStretch(1)
        picks.addWidget(self.total_label)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Samples per category", self.per_category)
        form.addRow("Seed", self.seed)
        form.addRow("Repetition styles", style_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(picks)
        layout.addWidget(self.status)
        layout.addLayout(form)
        run_task(list_categories, while_alive(self, self._listed))

    @property
    def ready(self) -> bool:
        """Whether the categories are listed."""
        return bool(self.categories)

    def _listed(self, categories: list[CategoryInfo] | None, error: BaseException | None) -> None:
        if error is not None or not categories:
            self.status.setStyleSheet(f"color: {ERROR_COLOR};")
            reason = error_text(error) if error is not None else "no category is registered"
            self.status.setText(f"The synthetic categories could not be listed: {reason}")
            return
        self.status.hide()
        self.categories = list(categories)
        self.tree.blockSignals(True)
        groups: dict[str, QTreeWidgetItem] = {}
        sections: dict[tuple[str, str], QTreeWidgetItem] = {}
        flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        for info in self.categories:
            group = groups.get(info.group)
            if group is None:
                group = QTreeWidgetItem([GROUP_TITLES.get(info.group, info.group), ""])
                group.setFlags(flags | Qt.ItemFlag.ItemIsAutoTristate)
                group.setCheckState(0, Qt.CheckState.Unchecked)
                self.tree.addTopLevelItem(group)
                groups[info.group] = group
            key = (info.group, info.section)
            section = sections.get(key)
            if section is None:
                section = QTreeWidgetItem(group, [info.section.replace("_", " "), ""])
                section.setFlags(flags | Qt.ItemFlag.ItemIsAutoTristate)
                section.setCheckState(0, Qt.CheckState.Unchecked)
                sections[key] = section
            item = QTreeWidgetItem(section, [info.name, info.kind])
            item.setFlags(flags)
            item.setCheckState(0, Qt.CheckState.Unchecked)
            item.setData(0, NAME_ROLE, info.name)
        for section in sections.values():
            section.setText(0, f"{section.text(0)} ({section.childCount()})")
        for group in groups.values():
            group.setExpanded(True)
        self.tree.blockSignals(False)
        self._update_total()

    def _leaves(self) -> list[QTreeWidgetItem]:
        found = []
        iterator = QTreeWidgetItemIterator(self.tree)
        while item := iterator.value():
            if item.data(0, NAME_ROLE):
                found.append(item)
            iterator += 1
        return found

    def checked(self) -> list[str]:
        """The names of the ticked categories, in registry order."""
        checked = Qt.CheckState.Checked
        return [item.data(0, NAME_ROLE) for item in self._leaves() if item.checkState(0) == checked]

    def check_categories(self, names: list[str]) -> None:
        """Tick exactly ``names``."""
        wanted = set(names)
        for item in self._leaves():
            on = item.data(0, NAME_ROLE) in wanted
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _check_all(self, on: bool) -> None:
        state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        for index in range(self.tree.topLevelItemCount()):
            self.tree.topLevelItem(index).setCheckState(0, state)

    def _update_total(self, *_args: object) -> None:
        count = len(self.checked())
        per = self.per_category.value()
        self.total_label.setText(f"{count} categories × {per:,} = {count * per:,} samples")

    def default_name(self) -> str:
        """``synthetic-<time>``."""
        return stamped("synthetic")

    def job(self, dst: Path) -> Job:
        """Generate the ticked categories into ``dst``."""
        categories = self.checked()
        if not categories:
            raise ValueError("Tick at least one synthetic category.")
        styles = {style: float(box.value()) for style, box in self.styles.items()}
        if sum(styles.values()) <= 0:
            raise ValueError("Give at least one repetition style a share above 0 %.")
        per, seed = self.per_category.value(), self.seed.value()

        def work(ctx: JobContext) -> DatasetCard:
            return generate_to_folder(dst, categories, per, seed, styles, name=dst.name,
                                      progress=ctx.count, cancel=ctx.cancelled)

        return Job("Synthetic samples", work, cleanup=dst)

    def summary(self, result: Any) -> str:
        """What was generated."""
        card: DatasetCard = result
        categories = len(card.counts_by_category)
        return f"{card.total:,} synthetic samples in {categories} categories → {card.name}"
