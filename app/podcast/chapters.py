"""The episode's chapters: click one to play from its first turn; the one being heard is bold."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from app.podcast.common import clock
from app.podcast.snapshot import ChapterEntry

TURN_ROLE = Qt.ItemDataRole.UserRole + 1


class ChapterList(QTreeWidget):
    """Numbered chapter titles with their start times."""

    chapter_clicked = Signal(int)
    """The script index of the clicked chapter's first turn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName("Chapters")
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self._current = -1
        self.itemClicked.connect(lambda item, _column: self.chapter_clicked.emit(int(item.data(0, TURN_ROLE))))

    def set_chapters(self, chapters: Sequence[ChapterEntry]) -> None:
        """Show ``chapters`` (keeping the one marked current)."""
        titles = [(c.title, c.first_turn, clock(c.start_s) if c.start_s is not None else "") for c in chapters]
        shown = [
            (self.topLevelItem(i).text(0), self.topLevelItem(i).data(0, TURN_ROLE), self.topLevelItem(i).text(1))
            for i in range(self.topLevelItemCount())
        ]
        if [(f"{n + 1}.  {t}", f, s) for n, (t, f, s) in enumerate(titles)] == shown:
            return
        self.clear()
        for number, (title, first_turn, start) in enumerate(titles):
            item = QTreeWidgetItem([f"{number + 1}.  {title}", start])
            item.setData(0, TURN_ROLE, first_turn)
            item.setToolTip(0, f"{title}\nClick to play from here.")
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.addTopLevelItem(item)
        current, self._current = self._current, -1
        self.set_current(current)

    def set_current(self, number: int) -> None:
        """Mark chapter ``number`` as the one being heard (-1: none)."""
        if number == self._current:
            return
        for index in (self._current, number):
            item = self.topLevelItem(index) if 0 <= index < self.topLevelItemCount() else None
            if item is None:
                continue
            for column in (0, 1):
                font = item.font(column)
                font.setBold(index == number)
                item.setFont(column, font)
        self._current = number
        item = self.topLevelItem(number) if 0 <= number < self.topLevelItemCount() else None
        if item is not None:
            self.setCurrentItem(item)
        else:
            self.clearSelection()
