"""Small labels every tab uses: section headings and muted notes."""

from __future__ import annotations

from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QLabel, QWidget


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
