"""Counts per category, domain and kind of a dataset, as horizontal bar charts drawn with QPainter.

The figures come from the dataset card, so the charts cost no reading of the
shards. A chart shows its largest bars and folds the rest into one "others"
bar, so a 117-category dataset stays readable.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.expert.datasets.common import muted_label, section_label
from training.datasets.store import DatasetCard

MAX_BARS = 14
KIND_BAR_COLORS = {"text": "#3b82f6", "multimodal": "#f59e0b", "pairs": "#8b5cf6"}


def top_counts(counts: dict[str, int], limit: int = MAX_BARS) -> list[tuple[str, int]]:
    """The ``limit`` largest counts (ties by name), the rest summed as ``others (n)``."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if len(ordered) <= limit:
        return ordered
    rest = ordered[limit - 1:]
    return ordered[: limit - 1] + [(f"others ({len(rest)})", sum(count for _, count in rest))]


class BarChart(QWidget):
    """Horizontal bars with the label on the left and the count at the bar's end."""

    def __init__(self, color: str = "#3b82f6", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[tuple[str, int]] = []
        self.color = QColor(color)
        self.colors: dict[str, str] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_counts(self, counts: dict[str, int], colors: dict[str, str] | None = None) -> None:
        """Show ``counts`` (largest first); ``colors`` picks a colour per label."""
        self.items = top_counts(counts)
        self.colors = dict(colors or {})
        self.updateGeometry()
        self.update()

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 8

    def sizeHint(self) -> QSize:
        return QSize(360, max(1, len(self.items)) * self._row_height() + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self.sizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        text_color = self.palette().color(QPalette.ColorRole.WindowText)
        if not self.items:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(self.rect(), left, "No data")
            return
        width = self.width()
        widest = max(metrics.horizontalAdvance(label) for label, _ in self.items)
        label_width = min(widest + 12, int(width * 0.42))
        count_width = max(metrics.horizontalAdvance(f"{count:,}") for _, count in self.items) + 10
        bar_room = max(10, width - label_width - count_width - 4)
        largest = max(count for _, count in self.items) or 1
        row = self._row_height()
        for index, (label, count) in enumerate(self.items):
            top = 2 + index * row
            label_rect = QRectF(0, top, label_width - 8, row)
            painter.setPen(text_color)
            painter.drawText(label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, int(label_rect.width())))
            length = max(2.0, bar_room * count / largest)
            bar = QRectF(label_width, top + 3, length, row - 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(self.colors.get(label, self.color.name())))
            painter.drawRoundedRect(bar, 3, 3)
            painter.setPen(text_color)
            painter.drawText(QRectF(bar.right() + 6, top, count_width, row),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{count:,}")


class StatsView(QScrollArea):
    """The charts of one dataset card: per category, per domain, per kind and per source."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.summary = muted_label()
        self.category_chart = BarChart("#3b82f6")
        self.domain_chart = BarChart("#f59e0b")
        self.kind_chart = BarChart()
        self.source_chart = BarChart("#14b8a6")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 12, 4)
        layout.setSpacing(6)
        layout.addWidget(self.summary)
        for title, chart in (("By category", self.category_chart), ("By domain", self.domain_chart),
                             ("By kind", self.kind_chart), ("By source", self.source_chart)):
            layout.addSpacing(6)
            layout.addWidget(section_label(title))
            layout.addWidget(chart)
        layout.addStretch(1)
        self.setWidget(body)
        self.show_card(None)

    def show_card(self, card: DatasetCard | None) -> None:
        """Chart ``card`` (None clears the charts)."""
        if card is None:
            self.summary.setText("Select a dataset to see its statistics.")
            for chart in (self.category_chart, self.domain_chart, self.kind_chart, self.source_chart):
                chart.set_counts({})
            return
        categories = len(card.counts_by_category)
        self.summary.setText(f"{card.name}: {card.total:,} records, {categories} categories, "
                             f"{len(card.counts_by_domain)} domains, {len(card.counts_by_source)} sources.")
        self.category_chart.set_counts(card.counts_by_category)
        self.domain_chart.set_counts(card.counts_by_domain)
        self.kind_chart.set_counts(card.counts_by_kind, KIND_BAR_COLORS)
        self.source_chart.set_counts(card.counts_by_source)

