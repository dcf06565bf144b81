"""The dataset library: every dataset folder with its name, size, kinds and date; open or delete one.

Folders are read in a worker (a card is small, but a library can hold many
and sit on a slow disk). A mix writes ``train``/``val``/``test`` datasets into
one folder, so datasets one level down are listed too, as ``mix/train``. A
folder without a card is an unfinished build (a Hub download to resume, a
crash): it is listed so it can be deleted, but it cannot be previewed.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.expert.datasets.common import error_text, muted_label, section_label
from app.live.lifetime import while_alive
from app.tasks import run_task
from training.datasets.store import CARD_NAME, DatasetCard, DatasetError, read_card

COLUMNS = ("Name", "Total", "Kinds", "Created")
MAX_RECIPE_LINES = 6


@dataclass(frozen=True)
class LibraryEntry:
    """A dataset folder of the library; ``card`` is None for an unfinished or unreadable one."""

    path: Path
    name: str
    card: DatasetCard | None = None
    problem: str = ""

    @property
    def usable(self) -> bool:
        """Whether the folder holds a finished dataset."""
        return self.card is not None

    def kinds_text(self) -> str:
        """``text 4, multimodal 8`` (or why the folder is not a dataset)."""
        if self.card is None:
            return self.problem
        return ", ".join(f"{kind} {count:,}" for kind, count in self.card.counts_by_kind.items()) or "empty"

    def created_text(self) -> str:
        """The card's date as ``YYYY-MM-DD HH:MM``."""
        if self.card is None or not self.card.created:
            return ""
        return self.card.created.replace("T", " ")[:16]


def _recipe_lines(recipe: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in list(recipe.items())[:MAX_RECIPE_LINES]:
        if isinstance(value, (list, tuple)):
            shown = ", ".join(str(v) for v in value[:3]) + (f" … ({len(value)})" if len(value) > 3 else "")
        elif isinstance(value, dict):
            plain = [(k, v) for k, v in value.items() if not isinstance(v, (dict, list))]
            shown = ", ".join(f"{k} {v}" for k, v in plain[:3])
            shown = shown or f"{len(value)} fields"
        else:
            shown = str(value)
        lines.append(f"{key}: {shown}")
    return lines


def _breakable(text: str) -> str:
    # Long paths have no spaces; a zero-width space after each separator lets the label wrap them.
    return html.escape(text).replace("/", "/\u200b").replace("_", "_\u200b")


def details_html(entry: LibraryEntry | None) -> str:
    """A few lines about ``entry``: where it is, when and how it was made, its sources."""
    if entry is None:
        return ""
    parts = [f"<b>{_breakable(entry.name)}</b>", _breakable(str(entry.path))]
    card = entry.card
    if card is None:
        parts.append(_breakable(entry.problem))
        return "<br>".join(parts)
    parts.append(f"{card.total:,} records · created {html.escape(entry.created_text())}")
    sources = ", ".join(f"{name} ({count:,})" for name, count in list(card.counts_by_source.items())[:4])
    if len(card.counts_by_source) > 4:
        sources += f" and {len(card.counts_by_source) - 4} more"
    parts.append(f"Sources: {_breakable(sources or 'none')}")
    parts += [_breakable(line) for line in _recipe_lines(card.recipe)]
    if card.content_sha256:
        parts.append(f"SHA-256 {card.content_sha256[:16]}…")
    return "<br>".join(parts)


def _entry(path: Path, name: str) -> LibraryEntry:
    try:
        return LibraryEntry(path, name, read_card(path))
    except DatasetError as exc:
        return LibraryEntry(path, name, None, str(exc))


def scan_library(root: Path) -> list[LibraryEntry]:
    """The datasets under ``root`` by name (worker thread)."""
    root = Path(root)
    if not root.is_dir():
        return []
    entries: list[LibraryEntry] = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name.lower()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        if (folder / CARD_NAME).is_file():
            entries.append(_entry(folder, folder.name))
            continue
        inner = sorted(child for child in folder.iterdir()
                       if child.is_dir() and (child / CARD_NAME).is_file())
        if inner:
            entries.extend(_entry(child, f"{folder.name}/{child.name}") for child in inner)
        else:
            entries.append(LibraryEntry(folder, folder.name, None, "unfinished (no dataset.json)"))
    return entries


def delete_folder(path: Path) -> None:
    """Remove a dataset folder (worker thread)."""
    shutil.rmtree(path)


class LibraryView(QWidget):
    """The list of datasets with Refresh, Open folder and Delete."""

    selection_changed = Signal(object)
    """The selected ``LibraryEntry``, or None."""
    entries_changed = Signal(object)
    """The new list of ``LibraryEntry`` after a refresh."""
    problem = Signal(str)
    """A message to show (a delete that failed)."""

    def __init__(self, root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self.entries: list[LibraryEntry] = []
        self.loading = False
        self._reselect: Path | None = None
        self._refresh_again = False
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Cut long names in the middle: "my-import-2025…-clean" stays apart from "my-import-2025…".
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemSelectionChanged.connect(self._selected)
        self.empty_label = muted_label("No datasets yet: make one in the Build tab (generate, download, import or collect).")
        self.details = muted_label()
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details_title = section_label("Selected dataset")
        self.refresh_button = QPushButton("Refresh")
        self.open_button = QPushButton("Open folder")
        self.delete_button = QPushButton("Delete…")
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)
        layout.addSpacing(8)
        layout.addWidget(self.details_title)
        layout.addWidget(self.details)
        self._sync_selection()

    def current(self) -> LibraryEntry | None:
        """The selected entry."""
        items = self.tree.selectedItems()
        if not items:
            return None
        index = self.tree.indexOfTopLevelItem(items[0])
        return self.entries[index] if 0 <= index < len(self.entries) else None

    def refresh(self, select: Path | None = None) -> None:
        """Re-read the library in a worker; ``select`` picks a folder once it is listed."""
        if select is not None:
            self._reselect = Path(select)
        elif self._reselect is None and (entry := self.current()) is not None:
            self._reselect = entry.path
        if self.loading:
            self._refresh_again = True
            return
        self.loading = True
        root = self.root
        run_task(lambda: scan_library(root), while_alive(self, self._listed))

    def _listed(self, entries: list[LibraryEntry] | None, error: BaseException | None) -> None:
        self.loading = False
        if error is not None:
            self.problem.emit(f"The dataset library could not be read: {error_text(error)}")
            entries = []
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()
            return
        wanted, self._reselect = self._reselect, None
        self.tree.blockSignals(True)
        self.tree.clear()
        self.entries = list(entries or [])
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        chosen: QTreeWidgetItem | None = None
        for entry in self.entries:
            total = f"{entry.card.total:,}" if entry.card else "—"
            item = QTreeWidgetItem([entry.name, total, entry.kinds_text(), entry.created_text()])
            item.setToolTip(0, str(entry.path))
            item.setToolTip(2, entry.kinds_text())
            if not entry.usable:
                for column in range(len(COLUMNS)):
                    item.setForeground(column, muted)
            self.tree.addTopLevelItem(item)
            if wanted is not None and entry.path == wanted:
                chosen = item
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        self.tree.blockSignals(False)
        self.empty_label.setVisible(not self.entries)
        self._sync_selection()
        self.entries_changed.emit(list(self.entries))
        self.selection_changed.emit(self.current())

    def select(self, path: Path) -> bool:
        """Select the dataset at ``path``; False when it is not listed."""
        for index, entry in enumerate(self.entries):
            if entry.path == Path(path):
                self.tree.setCurrentItem(self.tree.topLevelItem(index))
                return True
        return False

    def _selected(self) -> None:
        self._sync_selection()
        self.selection_changed.emit(self.current())

    def _sync_selection(self) -> None:
        entry = self.current()
        self.details.setText(details_html(entry))
        self.details_title.setVisible(entry is not None)
        self.details.setVisible(entry is not None)
        has = entry is not None
        self.open_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def open_selected(self) -> None:
        """Show the selected folder in the file manager."""
        entry = self.current()
        if entry is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.path)))

    def delete_selected(self) -> None:
        """Ask, then delete the selected folder in a worker."""
        entry = self.current()
        if entry is None:
            return
        size = f" ({entry.card.total:,} records)" if entry.card else ""
        answer = QMessageBox.question(
            self, "Delete dataset?",
            f"Delete '{entry.name}'{size} and its media? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.delete_button.setEnabled(False)
        path = entry.path

        def deleted(_result: object, error: BaseException | None) -> None:
            if error is not None:
                self.problem.emit(f"'{entry.name}' could not be deleted: {error_text(error)}")
            self.refresh()

        run_task(lambda: delete_folder(path), while_alive(self, deleted))
