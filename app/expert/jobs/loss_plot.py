"""The live loss plot: train and eval loss against the step, and DPO's reward margin.

Points arrive in batches from the progress file. The x axis spans the job's
planned steps, so the curve grows towards the right edge as the job runs.
Colours come from the widget's palette, so the plot follows light and dark
themes.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QEvent, QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

TRAIN_COLOR = QColor(77, 144, 254)
EVAL_COLOR = QColor(245, 159, 0)
MARGIN_COLOR = QColor(46, 184, 114)


def _series(name: str, color: QColor, points_visible: bool = False) -> QLineSeries:
    series = QLineSeries()
    series.setName(name)
    series.setPen(QPen(color, 2))
    series.setPointsVisible(points_visible)
    return series


def _nice_range(low: float, high: float) -> tuple[float, float]:
    """A little room above and below, and never an empty span."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 1.0
    span = high - low
    pad = span * 0.08 if span > 0 else max(abs(high) * 0.1, 0.1)
    return low - pad, high + pad


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 5 × 10^k (at least 1: steps are whole) not below ``raw``."""
    if raw <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def tick_step(span: float, least_ticks: int = 3) -> float:
    """The largest 1, 2 or 5 × 10^k step that still puts ``least_ticks`` labels on ``span`` (fractions allowed)."""
    if not (math.isfinite(span) and span > 0):
        return 1.0
    raw = span / max(1, least_ticks)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (5, 2, 1) if m * power <= raw * 1.001)


def label_decimals(step: float) -> int:
    """Decimals that tell labels ``step`` apart (0.02 → 2, 0.5 → 1, 5 → 0)."""
    if step <= 0 or not math.isfinite(step):
        return 2
    return max(0, min(8, math.ceil(-math.log10(step) - 1e-9)))


def set_value_ticks(axis: QValueAxis, low: float, high: float) -> None:
    """Range ``low``–``high`` with round, distinct tick labels however small the range."""
    step = tick_step(high - low)
    axis.setRange(low, high)
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(math.floor(low / step) * step)
    axis.setTickInterval(step)
    axis.setLabelFormat(f"%.{label_decimals(step)}f")


class LossPlot(QChartView):
    """Train loss, eval loss and (when present) reward margin of one job against the step."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._chart = QChart()
        super().__init__(self._chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(140)
        chart = self._chart
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.train = _series("train loss", TRAIN_COLOR)
        self.eval = _series("eval loss", EVAL_COLOR, points_visible=True)
        self.margin = _series("reward margin", MARGIN_COLOR)
        self.axis_x = QValueAxis()
        self.axis_x.setTitleText("step")
        self.axis_x.setLabelFormat("%d")
        self.axis_y = QValueAxis()
        self.axis_y.setTitleText("loss")
        self.axis_y.setLabelFormat("%.2f")
        self.axis_margin = QValueAxis()
        self.axis_margin.setTitleText("reward margin")
        self.axis_margin.setLabelFormat("%.2f")
        self.axis_x.setTickType(QValueAxis.TickType.TicksDynamic)
        self.axis_x.setTickAnchor(0.0)
        chart.addAxis(self.axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.axis_y, Qt.AlignmentFlag.AlignLeft)
        self._value_axes = {self.train: self.axis_y, self.eval: self.axis_y, self.margin: self.axis_margin}
        # A series joins the chart (and its legend) with its first point: a job without eval data
        # or a reward margin shows no empty legend entries.
        self._shown: set[QLineSeries] = set()
        self._max_steps = 0
        self._apply_palette()
        self.clear()

    # data -----------------------------------------------------------------------------
    def clear(self, note: str = "Waiting for the first step…") -> None:
        """Forget every point (another job was selected); ``note`` shows until points arrive."""
        for series in (self.train, self.eval, self.margin):
            series.clear()
            if series in self._shown:
                self._chart.removeSeries(series)
        if self.margin in self._shown:
            self._chart.removeAxis(self.axis_margin)
        self._shown.clear()
        self._max_steps = 0
        self._chart.setTitle(note)
        self._rescale()

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        """Add progress records (a resumed job's repeated steps replace the old ones)."""
        if not rows:
            return
        additions: dict[QLineSeries, list[QPointF]] = {self.train: [], self.eval: [], self.margin: []}
        for row in rows:
            step = row.get("step")
            if step is None:
                continue
            self._max_steps = max(self._max_steps, int(row.get("max_steps") or 0))
            keyed = (("loss", self.train), ("eval_loss", self.eval), ("reward_margin", self.margin))
            for key, series in keyed:
                value = row.get(key)
                if value is None or not math.isfinite(float(value)):
                    continue
                pending = additions[series]
                if pending and pending[-1].x() >= step:
                    pending[:] = [p for p in pending if p.x() < step]
                elif not pending:
                    self._drop_from(series, float(step))
                pending.append(QPointF(float(step), float(value)))
        for series, points in additions.items():
            if points:
                series.append(points)
                if series not in self._shown:
                    self._show(series)
        if self._shown:
            self._chart.setTitle("")
        self._rescale()

    def point_count(self) -> int:
        """How many points the plot shows (all series)."""
        return self.train.count() + self.eval.count() + self.margin.count()

    def train_losses(self) -> list[float]:
        """The train-loss values plotted, in step order."""
        return [p.y() for p in self.train.points()]

    # drawing --------------------------------------------------------------------------
    def _drop_from(self, series: QLineSeries, step: float) -> None:
        count = series.count()
        keep = count
        while keep > 0 and series.at(keep - 1).x() >= step:
            keep -= 1
        if keep < count:
            series.removePoints(keep, count - keep)

    def _show(self, series: QLineSeries) -> None:
        axis = self._value_axes[series]
        if axis is self.axis_margin:
            self._chart.addAxis(self.axis_margin, Qt.AlignmentFlag.AlignRight)
        self._chart.addSeries(series)
        series.attachAxis(self.axis_x)
        series.attachAxis(axis)
        self._shown.add(series)
        self._apply_palette()

    def _rescale(self) -> None:
        last_step = max((s.at(s.count() - 1).x() for s in (self.train, self.eval, self.margin) if s.count()),
                        default=0.0)
        right = max(float(self._max_steps), last_step, 1.0)
        self.axis_x.setRange(0.0, right)
        self.axis_x.setTickInterval(_nice_step(right / 6))
        losses = [p.y() for s in (self.train, self.eval) for p in s.points()]
        set_value_ticks(self.axis_y, *(_nice_range(min(losses), max(losses)) if losses else (0.0, 1.0)))
        if self.margin in self._shown:
            margins = [p.y() for p in self.margin.points()]
            set_value_ticks(self.axis_margin, *_nice_range(min(margins), max(margins)))

    def _apply_palette(self) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        grid = palette.color(QPalette.ColorRole.Mid)
        grid.setAlpha(110)
        chart = self._chart
        chart.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        chart.setPlotAreaBackgroundVisible(False)
        chart.setTitleBrush(muted)
        chart.legend().setLabelColor(text)
        self.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        for axis in (self.axis_x, self.axis_y, self.axis_margin):
            axis.setLabelsColor(text)
            axis.setTitleBrush(muted)
            axis.setGridLineColor(grid)
            axis.setLinePenColor(grid)
            axis.setMinorGridLineVisible(False)
        self.axis_margin.setGridLineVisible(False)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """Follow theme changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
