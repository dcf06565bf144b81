"""Small status widgets of the Live tab: the state pill, the mic meter, the capture light, the banner."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.error_advice import advice
from engine.live.states import LiveState

STATE_TEXT = {
    LiveState.IDLE: "Idle",
    LiveState.LISTENING: "Listening",
    LiveState.USER_SPEAKING: "You're speaking",
    LiveState.THINKING: "Thinking",
    LiveState.SPEAKING: "Speaking",
    LiveState.INTERRUPTED: "Interrupted",
}
# Saturated enough to carry white text on light and dark themes alike.
STATE_COLOR = {
    LiveState.IDLE: "#6b7280",
    LiveState.LISTENING: "#15803d",
    LiveState.USER_SPEAKING: "#1d4ed8",
    LiveState.THINKING: "#b45309",
    LiveState.SPEAKING: "#7e22ce",
    LiveState.INTERRUPTED: "#c2410c",
}
BUSY_COLOR = "#475569"
CAPTURE_RED = "#e11d48"
METER_FLOOR_DB = -60.0
METER_GREEN = "#22c55e"


class StatePill(QLabel):
    """The conversation's state as a coloured, rounded label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumWidth(132)
        self.setFixedHeight(24)
        self.show_state(LiveState.IDLE)

    def show_state(self, state: LiveState) -> None:
        """Show one of the conversation states."""
        self._paint(STATE_TEXT[state], STATE_COLOR[state])

    def show_busy(self, text: str) -> None:
        """Show a transition such as ``Starting…``."""
        self._paint(text, BUSY_COLOR)

    def _paint(self, text: str, color: str) -> None:
        self.setText(text)
        self.setStyleSheet(
            f"QLabel {{ background: {color}; color: white; border-radius: 11px; padding: 0 12px;"
            " font-weight: 600; }"
        )


def _blend(a: QColor, b: QColor, share_of_b: float) -> QColor:
    keep = 1.0 - share_of_b
    return QColor.fromRgbF(a.redF() * keep + b.redF() * share_of_b, a.greenF() * keep + b.greenF() * share_of_b,
                           a.blueF() * keep + b.blueF() * share_of_b)


class LevelMeter(QProgressBar):
    """The microphone level on a decibel scale (−60 dB to 0 dB), as a thin bar.

    Drawn here rather than with a style sheet, so its colours follow a change
    of theme: the empty track is the window colour with a little of the text
    colour in it, so an idle meter reads as empty on light and dark themes.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 100)
        self.setValue(0)
        self.setTextVisible(False)
        self.setFixedHeight(8)

    def track_color(self) -> QColor:
        """The colour of the empty part of the bar."""
        palette = self.palette()
        return _blend(palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText), 0.14)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """A rounded track and the level in green."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        area = QRectF(self.rect())
        radius = area.height() / 2
        painter.setBrush(self.track_color())
        painter.drawRoundedRect(area, radius, radius)
        span = self.maximum() - self.minimum()
        share = (self.value() - self.minimum()) / span if span > 0 else 0.0
        if share > 0:
            painter.setBrush(QColor(METER_GREEN))
            painter.drawRoundedRect(QRectF(area.x(), area.y(), max(area.height(), area.width() * share),
                                           area.height()), radius, radius)

    def show_level(self, rms: float) -> None:
        """Show an RMS level (0–1)."""
        db = 20 * math.log10(max(rms, 1e-6))
        self.setValue(round(max(0.0, min(1.0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB)) * 100))


class CaptureIndicator(QLabel):
    """``● Capturing screen + mic`` in red while anything is being captured; hidden otherwise."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(f"QLabel {{ color: {CAPTURE_RED}; font-weight: 700; }}")
        self.setToolTip("Nexus is taking pictures and/or recording sound right now. F8 pauses the pictures.")
        self.hide()

    def show_inputs(self, inputs: list[str]) -> None:
        """Name what is live (``["screen", "mic"]``), or hide when the list is empty."""
        if inputs:
            self.setText("● Capturing " + " + ".join(inputs))
        self.setVisible(bool(inputs))


def problem_text(error: BaseException) -> tuple[str, str]:
    """The message and hint to show for ``error`` (an unexpected one names the log file with its path)."""
    return advice(error)


class Banner(QFrame):
    """An inline message with a hint and a close button (errors never pop up or crash the tab)."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("liveBanner")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.message_label.font()
        font.setBold(True)
        self.message_label.setFont(font)
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.hint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.message_label)
        texts.addWidget(self.hint_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 6, 8)
        layout.addLayout(texts, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """A rounded card tinted red; drawn here so the labels keep the theme's text colour."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(225, 29, 72, 140), 1))
        painter.setBrush(QColor(225, 29, 72, 26))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)

    def show_problem(self, message: str, hint: str = "") -> None:
        """Show ``message`` and, below it, ``hint``."""
        self.message_label.setText(message)
        self.hint_label.setText(hint)
        self.hint_label.setVisible(bool(hint))
        self.show()

    def show_error(self, error: BaseException) -> None:
        """Show an exception's message and hint."""
        self.show_problem(*problem_text(error))

    def dismiss(self) -> None:
        """Hide the banner."""
        self.hide()
        self.closed.emit()
