"""A small drawing of an audio clip's peak envelope."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

WAVE_COLOR = "#10b981"


class WaveformView(QWidget):
    """Min/max bars of ``peaks`` (``(bins, 2)`` in [-1, 1]) across the widget, on a quiet background."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.peaks: np.ndarray = np.zeros((0, 2), np.float32)
        self.setMinimumSize(160, 44)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(280, 48)

    def set_peaks(self, peaks: np.ndarray | None) -> None:
        """Show ``peaks`` (None or empty draws a flat line)."""
        self.peaks = np.zeros((0, 2), np.float32) if peaks is None else np.asarray(peaks, np.float32)
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        background = self.palette().color(QPalette.ColorRole.Base)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(background)
        painter.drawRoundedRect(area, 5, 5)
        middle = area.center().y()
        half = area.height() / 2 - 4
        color = QColor(WAVE_COLOR)
        if self.peaks.size == 0:
            painter.setPen(QPen(color, 1))
            painter.drawLine(int(area.left() + 4), int(middle), int(area.right() - 4), int(middle))
            return
        # Quiet clips are scaled up so their shape stays visible; the label gives the real level.
        loudest = max(float(np.abs(self.peaks).max()), 1e-3)
        scale = half / loudest
        width = area.width() - 8
        count = len(self.peaks)
        step = width / count
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        for index, (low, high) in enumerate(self.peaks):
            x = area.left() + 4 + index * step
            top = middle - max(float(high), 0.0) * scale
            bottom = middle - min(float(low), 0.0) * scale
            painter.drawRect(QRectF(x, top, max(step * 0.8, 1.0), max(bottom - top, 1.0)))
