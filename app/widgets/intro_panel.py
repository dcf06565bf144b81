"""A panel that explains what a tab does before it has content."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class IntroPanel(QWidget):
    """Title, a one-line promise and a list of what the tab offers."""

    def __init__(self, title: str, summary: str, points: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(12)
        heading = QLabel(title)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        heading.setFont(font)
        lead = QLabel(summary)
        lead.setWordWrap(True)
        lead_font = lead.font()
        lead_font.setPointSizeF(lead_font.pointSizeF() * 1.15)
        lead.setFont(lead_font)
        items = QLabel("<ul>" + "".join(f"<li style='margin-bottom:6px'>{p}</li>" for p in points) + "</ul>")
        items.setTextFormat(Qt.TextFormat.RichText)
        items.setWordWrap(True)
        for label in (lead, items):
            label.setMaximumWidth(820)
        layout.addWidget(heading)
        layout.addWidget(lead)
        layout.addWidget(items)
        layout.addStretch(1)
