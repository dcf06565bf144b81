"""Small pieces shared by the Podcast tab's widgets: headings, rules, pills and times."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from app.widgets.labels import muted_label, section_label  # noqa: F401 - used by the tab's widgets

# Saturated enough to carry white text on light and dark themes alike.
JOIN_COLORS = {
    "idle": "#6b7280",
    "pausing": "#475569",
    "listening": "#15803d",
    "transcribing": "#1d4ed8",
    "thinking": "#b45309",
    "answering": "#7e22ce",
}
JOIN_TEXT = {
    "idle": "Not joined",
    "pausing": "Pausing…",
    "listening": "Listening",
    "transcribing": "Transcribing",
    "thinking": "Thinking",
    "answering": "Answering",
}
ERROR_COLOR = "#e5484d"



def rule() -> QFrame:
    """A thin horizontal line between sections."""
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Plain)
    line.setForegroundRole(QPalette.ColorRole.Midlight)
    return line



def clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration."""
    total = max(0, int(round(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Pill(QLabel):
    """A rounded, coloured label with white text (the join state)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumWidth(104)
        self.setFixedHeight(24)

    def show_text(self, text: str, color: str) -> None:
        """Show ``text`` on ``color``."""
        self.setText(text)
        self.setStyleSheet(
            f"QLabel {{ background: {color}; color: white; border-radius: 11px; padding: 0 12px;"
            " font-weight: 600; }"
        )
