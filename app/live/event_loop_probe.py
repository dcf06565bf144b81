"""Measure how long the Qt event loop is kept from running (the GUI's worst freeze).

A precise 10 ms timer notes when each tick arrives. A tick can only be late
when something held the GUI thread (a slow slot, a long paint, the GIL held by
a worker's C extension), so the longest gap beyond the interval is the
longest time the window could not react.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class EventLoopProbe(QObject):
    """Ticks every ``interval_ms`` and keeps the longest lateness seen since ``reset``."""

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self._max_gap_s = 0.0
        self.ticks = 0

    def start(self) -> None:
        """Begin (or go on) measuring; ``reset`` forgets what was measured before."""
        self._last = None
        self._timer.start()

    def stop(self) -> None:
        """Stop ticking; the figures measured so far stay, and the time until ``start`` is not counted."""
        self._timer.stop()
        self._last = None

    def reset(self) -> None:
        """Forget the gaps measured so far."""
        self._last = None
        self._max_gap_s = 0.0
        self.ticks = 0

    @property
    def running(self) -> bool:
        """Whether the probe is ticking."""
        return self._timer.isActive()

    @property
    def max_gap_ms(self) -> float:
        """The longest time between two ticks, in milliseconds."""
        return self._max_gap_s * 1000

    @property
    def max_block_ms(self) -> float:
        """The longest time the event loop was blocked: the longest gap beyond the interval."""
        return max(0.0, self.max_gap_ms - self.interval_ms)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self._max_gap_s = max(self._max_gap_s, now - self._last)
        self._last = now
        self.ticks += 1
