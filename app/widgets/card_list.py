"""A list view of variable-height cards (chat bubbles, transcript turns), and the colour blend they use."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyleOptionViewItem


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    """``a`` blended towards ``b`` by ``share_of_b`` (0 = a, 1 = b)."""
    keep = 1.0 - share_of_b
    return QColor.fromRgbF(
        a.redF() * keep + b.redF() * share_of_b,
        a.greenF() * keep + b.greenF() * share_of_b,
        a.blueF() * keep + b.blueF() * share_of_b,
    )


def card_width(option: QStyleOptionViewItem) -> int:
    """The width a card may take: the view's viewport, so cards follow the window, not a stale rect."""
    view = option.widget  # type: ignore[attr-defined]
    if isinstance(view, QAbstractItemView):
        return view.viewport().width()
    return option.rect.width()  # type: ignore[attr-defined]


class CardListView(QListView):
    """Lays its rows out again when one changes (a card may grow) and shows ``empty_hint`` while empty."""

    empty_hint = ""

    def dataChanged(  # noqa: N802 (Qt override)
        self,
        top_left: QModelIndex | QPersistentModelIndex,
        bottom_right: QModelIndex | QPersistentModelIndex,
        roles: list[int] | None = None,
    ) -> None:
        """A changed row may need another height: lay the rows out again."""
        super().dataChanged(top_left, bottom_right, roles or [])
        self.scheduleDelayedItemsLayout()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """The cards, or the hint while there are none."""
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self.empty_hint:
            painter = QPainter(self.viewport())
            color = self.palette().color(QPalette.ColorRole.Text)
            painter.setPen(mix(color, self.palette().color(QPalette.ColorRole.Base), 0.5))
            area = self.viewport().rect().adjusted(12, 12, -12, -12)
            flags = int(Qt.AlignmentFlag.AlignCenter.value) | int(Qt.TextFlag.TextWordWrap.value)
            painter.drawText(area, flags, self.empty_hint)
