"""The sources of the next episode: files and web pages, each read off the Qt thread.

A source shows "Reading…" while a worker reads it, then its title, number of
sections and characters, or, when it cannot be read, the reason in red with
the next step as its tooltip. Unreadable sources stay listed until removed,
so the user sees what was wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.live.lifetime import while_alive
from app.podcast.common import ERROR_COLOR
from app.tasks import run_task
from engine.error_advice import advice
from engine.errors import NexusError
from engine.podcast.document import Source
from engine.podcast.sources import load_source

FILE_FILTER = "Documents (*.pdf *.docx *.md *.markdown *.txt *.text *.html *.htm *.xhtml);;All files (*)"
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY_HINT = "Add PDF, Word, Markdown, text or HTML files, or a web address."


@dataclass
class SourceEntry:
    """One listed source: what was added and how reading it went."""

    id: int
    target: str
    source: Source | None = None
    error: str = ""
    hint: str = ""

    @property
    def reading(self) -> bool:
        """Whether a worker is still reading it."""
        return self.source is None and not self.error


def describe(source: Source) -> str:
    """``N sections · M characters``."""
    count = len(source.sections)
    return f"{count} section{'s' if count != 1 else ''} · {source.chars:,} characters"


def _name(target: str) -> str:
    return target if target.lower().startswith(("http://", "https://")) else Path(target).name


def normalise_address(text: str) -> str:
    """A web address as typed, with ``https://`` added when no scheme was given."""
    text = text.strip()
    if text and "://" not in text:
        text = f"https://{text}"
    return text


class SourcesList(QWidget):
    """The list of sources with Add files…, Add web address… and Remove."""

    changed = Signal()
    """A source was added, read, failed or removed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count()
        self._entries: list[SourceEntry] = []
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setIconSize(QSize(18, 18))
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setToolTip(EMPTY_HINT)
        self.list.setAccessibleName("Sources")
        self.add_files_button = QPushButton("Add files…")
        self.add_url_button = QPushButton("Add web address…")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_url_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.setAcceptDrops(True)
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_url_button.clicked.connect(self.ask_address)
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.list.selectedItems()))
        )

    # queries ------------------------------------------------------------------------
    def entries(self) -> list[SourceEntry]:
        """Every listed source, in order."""
        return list(self._entries)

    def sources(self) -> list[Source]:
        """The sources that were read, in order."""
        return [entry.source for entry in self._entries if entry.source is not None]

    @property
    def reading(self) -> bool:
        """Whether any source is still being read."""
        return any(entry.reading for entry in self._entries)

    # actions ------------------------------------------------------------------------
    def add(self, targets: Iterable[str | Path]) -> None:
        """List files or addresses and read each in the background (one already listed is skipped)."""
        listed = {entry.target for entry in self._entries}
        for target in (str(t) for t in targets):
            if not target or target in listed:
                continue
            listed.add(target)
            entry = SourceEntry(next(self._ids), target)
            self._entries.append(entry)
            item = QListWidgetItem()
            item.setData(ENTRY_ROLE, entry.id)
            self.list.addItem(item)
            self._show(entry)
            run_task(lambda t=target: load_source(t), while_alive(self, lambda r, e, i=entry.id: self._read(i, r, e)))
        self.changed.emit()

    def choose_files(self) -> None:
        """Ask for files to add."""
        paths, _filter = QFileDialog.getOpenFileNames(self, "Add sources", str(Path.home()), FILE_FILTER)
        self.add(paths)

    def ask_address(self) -> None:
        """Ask for a web address to add."""
        text, ok = QInputDialog.getText(self, "Add web address", "Address of the page or PDF (https://…):")
        if ok and normalise_address(text):
            self.add([normalise_address(text)])

    def remove_selected(self) -> None:
        """Remove the selected sources."""
        chosen = {item.data(ENTRY_ROLE) for item in self.list.selectedItems()}
        self._entries = [entry for entry in self._entries if entry.id not in chosen]
        for row in reversed(range(self.list.count())):
            if self.list.item(row).data(ENTRY_ROLE) in chosen:
                self.list.takeItem(row)
        self.changed.emit()

    def clear(self) -> None:
        """Remove every source."""
        self._entries.clear()
        self.list.clear()
        self.changed.emit()

    # drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        """Accept files and links dragged onto the list."""
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        """Add the dropped files and links."""
        urls = event.mimeData().urls()
        self.add(url.toLocalFile() if url.isLocalFile() else url.toString() for url in urls)
        event.acceptProposedAction()

    # presentation ------------------------------------------------------------------------
    def _read(self, entry_id: int, source: Source | None, error: BaseException | None) -> None:
        entry = next((e for e in self._entries if e.id == entry_id), None)
        if entry is None:
            return
        if error is not None or source is None:
            if isinstance(error, NexusError):
                entry.error, entry.hint = error.message, error.hint
            else:
                message, entry.hint = advice(error or RuntimeError("nothing was read"))
                entry.error = f"{_name(entry.target)} could not be read. {message}"
        else:
            entry.source = source
        self._show(entry)
        self.changed.emit()

    def _item(self, entry: SourceEntry) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(ENTRY_ROLE) == entry.id:
                return item
        return None

    def _show(self, entry: SourceEntry) -> None:
        item = self._item(entry)
        if item is None:
            return
        style = self.style()
        web = entry.target.lower().startswith(("http://", "https://"))
        if entry.source is not None:
            item.setText(f"{entry.source.title}\n{describe(entry.source)}")
            item.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon if web
                                            else QStyle.StandardPixmap.SP_FileIcon))
            item.setToolTip(entry.target)
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
        elif entry.error:
            item.setText(f"{_name(entry.target)}\n{entry.error}")
            item.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            item.setToolTip("\n".join(part for part in (entry.target, entry.error, entry.hint) if part))
            item.setForeground(QBrush(QColor(ERROR_COLOR)))
        else:
            item.setText(f"{_name(entry.target)}\nReading…")
            item.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
            item.setToolTip(entry.target)
