"""A fixed-width side column that scrolls vertically when the window is too short for it.

The Live and Podcast tabs keep their controls in a left column of a fixed
width. In a short window the column first lets its ``shrinkable`` widgets
(a preview, a list) give up height down to their minimum; if that is not
enough (a large font, push-to-talk's extra button, a long message), the
column scrolls instead of squeezing its widgets on top of each other or
making the whole window taller.

Qt's own resizable scroll area sizes a column with word-wrapped labels by
its preferred height, so it would scroll long before the shrinkable widgets
reached their minimum; this one computes the height the column needs itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QStyle, QWidget


class SideColumn(QScrollArea):
    """``content`` at ``width`` pixels, with room for a vertical scroll bar that appears only when needed."""

    def __init__(self, content: QWidget, width: int, shrinkable: Iterable[QWidget] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = content
        self.column_width = width
        self.shrinkable = list(shrinkable)
        content.setFixedWidth(width)
        content.setAutoFillBackground(False)
        self.setWidget(content)
        self.setWidgetResizable(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # The viewport shows the tab's own background, not the Base colour of a scroll area.
        self.viewport().setAutoFillBackground(False)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        self.setFixedWidth(width + bar + 4)
        content.installEventFilter(self)
        for widget in self.shrinkable:
            widget.installEventFilter(self)

    def needed_height(self) -> int:
        """The least height that shows every widget of the column whole (shrinkable ones at their minimum)."""
        layout = self.content.layout()
        if layout is None:
            return self.content.minimumSizeHint().height()
        if layout.hasHeightForWidth():
            preferred = layout.totalHeightForWidth(self.column_width)
        else:
            preferred = layout.totalSizeHint().height()
        slack = 0
        for widget in self.shrinkable:
            if widget.isVisibleTo(self.content):
                hint = min(widget.sizeHint().height(), widget.maximumHeight())
                least = max(widget.minimumHeight(), widget.minimumSizeHint().height()
                            if widget.minimumHeight() == 0 else widget.minimumHeight())
                slack += max(0, hint - least)
        return max(layout.totalMinimumSize().height(), preferred - slack)

    def scrolls(self) -> bool:
        """Whether the column is taller than the space it has (the scroll bar is needed)."""
        return self.verticalScrollBar().maximum() > 0

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """The column's width and the height it needs."""
        return QSize(self.width(), self.needed_height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Any height: the column scrolls rather than making the window taller."""
        return QSize(self.width(), 0)

    def fit(self) -> None:
        """Size the content to the viewport, or to what it needs when that is more (then it scrolls)."""
        height = max(self.viewport().height(), self.needed_height())
        if self.content.height() != height:
            self.content.resize(self.column_width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Fit the content to the new height."""
        super().resizeEvent(event)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Fit again when a widget of the column appears, disappears or changes its size hints."""
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Show, QEvent.Type.Hide):
            self.fit()
        return False
