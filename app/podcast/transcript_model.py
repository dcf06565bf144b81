"""The episode transcript as a list model: chapter headings, turns and the listener's interactions.

Rows are ``TranscriptRow`` snapshots. When the episode changes (a chapter
was written, the listener asked something) the new rows are merged in by
id, so rows that stayed keep their place and the view its scroll position.
The model also holds which turn is being heard and which characters of it
form the sentence being spoken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from app.podcast.snapshot import TranscriptRow

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
Span = tuple[int, int]


def sentence_span(text: str, sentences: Sequence[str], index: int) -> Span | None:
    """Where sentence ``index`` of ``sentences`` lies in ``text`` (they were split from it), or ``None``.

    Whitespace may have been normalised by the sentence splitter, so words
    are matched with any run of whitespace between them.
    """
    position = 0
    for number, sentence in enumerate(sentences):
        words = sentence.split()
        if not words:
            continue
        match = re.compile(r"\s+".join(re.escape(word) for word in words)).search(text, position)
        if match is None:
            return None
        if number == index:
            return match.start(), match.end()
        position = match.end()
    return None


class TranscriptModel(QAbstractListModel):
    """``TranscriptRow`` rows plus the turn and sentence being heard."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TranscriptRow] = []
        self._index: dict[int, int] = {}
        self.current_id: int | None = None
        self.span: Span | None = None

    def rowCount(  # noqa: N802 (Qt override)
        self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()  # noqa: B008
    ) -> int:
        """Number of rows (a flat list)."""
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The text for ``DisplayRole``, the ``TranscriptRow`` for ``ROW_ROLE``."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{row.speaker}: {row.text}" if row.speaker else row.text
        if role == ROW_ROLE:
            return row
        return None

    def rows(self) -> list[TranscriptRow]:
        """All rows, top to bottom."""
        return list(self._rows)

    def row_of(self, turn_id: int) -> int:
        """The row number of ``turn_id``, or -1."""
        return self._index.get(turn_id, -1)

    def set_rows(self, rows: Sequence[TranscriptRow]) -> None:
        """Show ``rows``: rows with the same ids stay, the others are removed or inserted."""
        old, new = self._rows, list(rows)
        old_ids, new_ids = [r.id for r in old], [r.id for r in new]
        prefix = 0
        while prefix < min(len(old), len(new)) and old_ids[prefix] == new_ids[prefix]:
            prefix += 1
        suffix = 0
        while (suffix < min(len(old), len(new)) - prefix
               and old_ids[len(old) - 1 - suffix] == new_ids[len(new) - 1 - suffix]):
            suffix += 1
        changed = any(old[i] != new[i] for i in range(prefix)) or any(
            old[len(old) - 1 - k] != new[len(new) - 1 - k] for k in range(suffix)
        )
        if len(old) - suffix > prefix:
            self.beginRemoveRows(QModelIndex(), prefix, len(old) - suffix - 1)
            self._rows = old[:prefix] + old[len(old) - suffix :]
            self.endRemoveRows()
        if len(new) - suffix > prefix:
            self.beginInsertRows(QModelIndex(), prefix, len(new) - suffix - 1)
            self._rows = new
            self._index = {row.id: number for number, row in enumerate(new)}
            self.endInsertRows()
        self._rows = new
        self._index = {row.id: number for number, row in enumerate(new)}
        if changed:
            self.dataChanged.emit(self.index(0), self.index(len(new) - 1))

    def set_current(self, turn_id: int | None, span: Span | None = None) -> None:
        """Mark ``turn_id`` as being heard, with the sentence at ``span`` (character offsets)."""
        if (turn_id, span) == (self.current_id, self.span):
            return
        before = self.row_of(self.current_id) if self.current_id is not None else -1
        self.current_id, self.span = turn_id, span
        after = self.row_of(turn_id) if turn_id is not None else -1
        for number in {before, after} - {-1}:
            self.dataChanged.emit(self.index(number), self.index(number))

    def clear(self) -> None:
        """Remove every row."""
        self.beginResetModel()
        self._rows, self._index = [], {}
        self.current_id, self.span = None, None
        self.endResetModel()
