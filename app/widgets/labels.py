"""Small labels every tab uses: section headings, muted notes and a label that elides."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def section_label(title: str) -> QLabel:
    """A small, bold, spaced, upper-case heading in the muted text colour."""
    label = QLabel(title.upper())
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.82)
    font.setBold(True)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    label.setFont(font)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def muted_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A word-wrapped label in the muted text colour."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with "…" when it has less room (the full text is the tooltip)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("Model: …") + 12)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Show ``text``; the tooltip keeps it whole."""
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """The text, elided at the right to the label's width."""
        painter = QPainter(self)
        area = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, area.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(area, int(self.alignment().value), shown)
