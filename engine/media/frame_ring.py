"""A bounded, thread-safe history of recent frames (newest last).

Capture threads push; the model pipeline reads the latest frame or a short,
low-frame-rate clip of the last seconds. Frames leave when the ring is full
(oldest first) or when they are older than ``max_age_s`` relative to the
newest frame.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from engine.media.frames import Frame

# Timestamps closer than this count as simultaneous when subsampling clips.
_EPSILON_S = 1e-6


class FrameRing:
    """At most ``capacity`` frames, none older than ``max_age_s`` before the newest one."""

    def __init__(self, capacity: int, max_age_s: float) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        if max_age_s <= 0:
            raise ValueError(f"max_age_s must be positive, got {max_age_s}")
        self.capacity = capacity
        self.max_age_s = max_age_s
        self._frames: deque[Frame] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def push(self, frame: Frame) -> None:
        """Append ``frame`` (timestamps must not go backwards) and drop what no longer fits."""
        with self._lock:
            if self._frames and frame.timestamp < self._frames[-1].timestamp:
                raise ValueError(
                    f"frame at {frame.timestamp:.3f} s is older than the newest one "
                    f"({self._frames[-1].timestamp:.3f} s)"
                )
            self._frames.append(frame)
            oldest_allowed = frame.timestamp - self.max_age_s
            while self._frames[0].timestamp < oldest_allowed:
                self._frames.popleft()

    def latest(self) -> Frame | None:
        """The newest frame, or ``None`` when the ring is empty."""
        with self._lock:
            return self._frames[-1] if self._frames else None

    def since(self, t: float) -> list[Frame]:
        """Frames with a timestamp strictly after ``t``, oldest first.

        Passing the timestamp of the last frame a reader saw returns only new ones.
        """
        with self._lock:
            return [f for f in self._frames if f.timestamp > t]

    def last(self, seconds: float, now: float | None = None) -> list[Frame]:
        """Frames taken in the ``seconds`` before ``now`` (default ``time.monotonic()``), oldest first."""
        reference = time.monotonic() if now is None else now
        with self._lock:
            return [f for f in self._frames if reference - seconds <= f.timestamp <= reference]

    def clip(self, seconds: float, fps: float, now: float | None = None) -> list[Frame]:
        """A short "video": frames of the last ``seconds`` at most ``fps`` per second, oldest first.

        Walking back from the newest frame, a frame is kept when it is at least
        ``1/fps`` older than the last one kept. The newest frame is always
        included, even when it is older than the window: capture skips frames
        that equal the previous one, so while capture runs the newest frame is
        what the screen or camera shows now.
        """
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        reference = time.monotonic() if now is None else now
        interval = 1.0 / fps
        with self._lock:
            if not self._frames:
                return []
            newest = self._frames[-1]
            picked = [newest]
            for frame in reversed(self._frames):
                if frame.timestamp < reference - seconds:
                    break
                if frame.timestamp <= picked[-1].timestamp - interval + _EPSILON_S:
                    picked.append(frame)
        picked.reverse()
        return picked

    def clear(self) -> None:
        """Forget every frame."""
        with self._lock:
            self._frames.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)
