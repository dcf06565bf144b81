"""The Live transcript: user and assistant bubbles, updated in place as speech is heard.

``TranscriptModel`` keeps one row per ``TranscriptEntry`` id and takes a
snapshot of the entry whenever it changes, so painting never reads an entry a
worker thread is writing. ``BubbleDelegate`` lays each row out as a chat
bubble (the user's on the right in the accent colour, the assistant's on the
left) and caches the layout per row until its text or the width changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.widgets.card_list import CardListView, card_width, mix
from engine.live.transcript import TranscriptEntry

LINE_ROLE = Qt.ItemDataRole.UserRole + 1
INTERRUPTED_MARK = "— interrupted"
THINKING_MARK = "…"
EMPTY_HINT = "Press Start, then talk or type.\nThe conversation appears here."

_OUTER_X = 14
_GAP_Y = 10
_PAD_X = 12
_PAD_Y = 8
_CAPTION_GAP = 3
_RADIUS = 12
_MAX_SHARE = 0.78
_TEXT_FLAGS = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


@dataclass(frozen=True)
class TranscriptLine:
    """What one row shows, copied from a ``TranscriptEntry`` on the GUI thread."""

    id: int
    role: str
    text: str
    interrupted: bool
    final: bool
    error: str = ""

    @classmethod
    def from_entry(cls, entry: TranscriptEntry) -> TranscriptLine:
        """A snapshot of ``entry``: the assistant's words as far as they were heard."""
        error = entry.meta.get("error")
        return cls(entry.id, entry.role, entry.shown_text(), entry.interrupted, entry.final, str(error or ""))



class TranscriptModel(QAbstractListModel):
    """Rows of ``TranscriptLine``, one per entry id, in the order the entries appeared."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lines: list[TranscriptLine] = []
        self._rows: dict[int, int] = {}

    def rowCount(  # noqa: N802 (Qt override)
        self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()  # noqa: B008
    ) -> int:
        """Number of lines (a flat list)."""
        return 0 if parent.isValid() else len(self._lines)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """The text for ``DisplayRole``/``ToolTipRole``, the ``TranscriptLine`` for ``LINE_ROLE``."""
        if not index.isValid() or not 0 <= index.row() < len(self._lines):
            return None
        line = self._lines[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return line.text
        if role == LINE_ROLE:
            return line
        return None

    def lines(self) -> list[TranscriptLine]:
        """All lines, oldest first."""
        return list(self._lines)

    def line_for(self, entry_id: int) -> TranscriptLine | None:
        """The line of ``entry_id``, or ``None``."""
        row = self._rows.get(entry_id)
        return None if row is None else self._lines[row]

    def upsert(self, entry: TranscriptEntry) -> int:
        """Add ``entry`` or refresh its line; returns its row (-1 when a dropped answer's line was removed)."""
        if entry.dropped:
            self._remove(entry.id)
            return -1
        line = TranscriptLine.from_entry(entry)
        row = self._rows.get(entry.id)
        if row is None:
            row = len(self._lines)
            self.beginInsertRows(QModelIndex(), row, row)
            self._lines.append(line)
            self._rows[entry.id] = row
            self.endInsertRows()
        elif self._lines[row] != line:
            self._lines[row] = line
            index = self.index(row)
            self.dataChanged.emit(index, index)
        return row

    def _remove(self, entry_id: int) -> None:
        row = self._rows.get(entry_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._lines[row]
        self._rows = {line.id: index for index, line in enumerate(self._lines)}
        self.endRemoveRows()

    def clear(self) -> None:
        """Remove every line."""
        self.beginResetModel()
        self._lines.clear()
        self._rows.clear()
        self.endResetModel()


@dataclass(frozen=True)
class _Layout:
    height: int
    caption: QRect
    bubble: QRect
    text: QRect
    marks: list[tuple[QRect, str, str]]


class BubbleDelegate(QStyledItemDelegate):
    """Paints a ``TranscriptLine`` as a captioned chat bubble."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[int, tuple[tuple[object, ...], _Layout]] = {}

    def forget(self) -> None:
        """Drop cached layouts (after the model was cleared)."""
        self._cache.clear()

    @staticmethod
    def _fonts(base: QFont) -> tuple[QFont, QFont]:
        caption = QFont(base)
        caption.setPointSizeF(base.pointSizeF() * 0.85)
        caption.setBold(True)
        mark = QFont(base)
        mark.setPointSizeF(base.pointSizeF() * 0.92)
        mark.setItalic(True)
        return caption, mark

    def _layout(self, line: TranscriptLine, width: int, font: QFont) -> _Layout:
        key = (line, width, font.key())
        cached = self._cache.get(line.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        caption_font, mark_font = self._fonts(font)
        text_metrics, caption_metrics = QFontMetrics(font), QFontMetrics(caption_font)
        mark_metrics = QFontMetrics(mark_font)
        usable = max(120, width - 2 * _OUTER_X)
        text_width = max(60, int(usable * _MAX_SHARE) - 2 * _PAD_X)
        text = line.text or (THINKING_MARK if not line.final else "")
        column = QRect(0, 0, text_width, 100_000)
        text_rect = text_metrics.boundingRect(column, _TEXT_FLAGS, text) if text else QRect()
        marks: list[tuple[str, str]] = []
        if line.interrupted:
            marks.append((INTERRUPTED_MARK, "muted"))
        if line.error:
            marks.append((f"⚠ {line.error}", "error"))
        mark_rects = [mark_metrics.boundingRect(column, _TEXT_FLAGS, mark) for mark, _kind in marks]
        inner_w = max([text_rect.width(), *(r.width() for r in mark_rects), 24])
        inner_h = text_rect.height() + sum(r.height() + 2 for r in mark_rects)
        bubble_w = min(inner_w, text_width) + 2 * _PAD_X
        bubble_h = inner_h + 2 * _PAD_Y
        caption_h = caption_metrics.height()
        right = line.role == "user"
        left = _OUTER_X + usable - bubble_w if right else _OUTER_X
        top = _GAP_Y // 2
        caption = QRect(left + 4, top, bubble_w - 8, caption_h)
        bubble = QRect(left, top + caption_h + _CAPTION_GAP, bubble_w, bubble_h)
        text_box = QRect(bubble.left() + _PAD_X, bubble.top() + _PAD_Y, text_width, text_rect.height())
        placed: list[tuple[QRect, str, str]] = []
        y = text_box.bottom() + 1 + 2
        for (mark, kind), rect in zip(marks, mark_rects, strict=True):
            placed.append((QRect(text_box.left(), y, text_width, rect.height()), mark, kind))
            y += rect.height() + 2
        layout = _Layout(bubble.bottom() + 1 + _GAP_Y // 2, caption, bubble, text_box, placed)
        self._cache[line.id] = (key, layout)
        return layout

    def sizeHint(  # noqa: N802 (Qt override)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """The bubble's height at the view's current width."""
        line = index.data(LINE_ROLE)
        if not isinstance(line, TranscriptLine):
            return super().sizeHint(option, index)
        width = card_width(option)
        return QSize(width, self._layout(line, width, option.font).height)  # type: ignore[attr-defined]

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """Caption, bubble, text and marks, in colours taken from the palette."""
        line = index.data(LINE_ROLE)
        if not isinstance(line, TranscriptLine):
            return
        rect: QRect = option.rect  # type: ignore[attr-defined]
        font: QFont = option.font  # type: ignore[attr-defined]
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        layout = self._layout(line, card_width(option), font)
        caption_font, mark_font = self._fonts(font)
        base = palette.color(QPalette.ColorRole.Base)
        text_color = palette.color(QPalette.ColorRole.Text)
        if line.role == "user":
            fill = palette.color(QPalette.ColorRole.Highlight)
            ink = palette.color(QPalette.ColorRole.HighlightedText)
        else:
            fill = mix(base, text_color, 0.08)
            ink = text_color
        muted = mix(ink, fill, 0.45)
        painter.save()
        painter.translate(rect.left(), rect.top())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(caption_font)
        painter.setPen(mix(text_color, base, 0.45))
        align = Qt.AlignmentFlag.AlignRight if line.role == "user" else Qt.AlignmentFlag.AlignLeft
        caption = "You" if line.role == "user" else "Nexus"
        painter.drawText(layout.caption, int(align | Qt.AlignmentFlag.AlignVCenter), caption)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(layout.bubble, _RADIUS, _RADIUS)
        painter.setFont(font)
        shown = line.text or (THINKING_MARK if not line.final else "")
        painter.setPen(ink if line.text else muted)
        painter.drawText(layout.text, _TEXT_FLAGS, shown)
        painter.setFont(mark_font)
        for mark_rect, mark, kind in layout.marks:
            painter.setPen(QColor("#e5484d") if kind == "error" else muted)
            painter.drawText(mark_rect, _TEXT_FLAGS, mark)
        painter.restore()


class TranscriptView(CardListView):
    """A read-only list of bubbles that follows the newest line while scrolled to the bottom."""

    empty_hint = EMPTY_HINT

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transcript = TranscriptModel(self)
        self.bubbles = BubbleDelegate(self)
        self.setModel(self.transcript)
        self.setItemDelegate(self.bubbles)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalScrollBar().setSingleStep(16)
        self._follow = True
        self.verticalScrollBar().valueChanged.connect(self._remember_position)
        self.verticalScrollBar().rangeChanged.connect(self._keep_following)

    def add_or_update(self, entry: TranscriptEntry) -> None:
        """Show ``entry`` (a new line, or the line with its id updated in place)."""
        self.transcript.upsert(entry)

    def clear(self) -> None:
        """Remove every line."""
        self.bubbles.forget()
        self.transcript.clear()
        self._follow = True

    def _remember_position(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 4

    def _keep_following(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)
