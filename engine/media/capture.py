"""The capture loop shared by screen and camera: a thread at a set frame rate, pause, de-duplication.

A subclass opens its device inside the capture thread (``_open``), returns
full-size RGB pictures (``_read``) and releases the device (``_close``). The
base class paces the reads, shrinks each picture to the model's pixel budget,
skips pictures that look like the last one kept, and pushes the rest into a
``FrameRing``. A device that fails while running is reported and reopened
every ``retry_s`` seconds.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from abc import ABC, abstractmethod

import numpy as np
from psygnal import Signal

from engine.errors import NexusError
from engine.media.frame_ring import FrameRing
from engine.media.frames import (
    DEFAULT_DIFF_THRESHOLD,
    DEFAULT_MAX_PIXELS,
    Frame,
    downscale_to_budget,
    frames_differ,
)

log = logging.getLogger(__name__)

STOPPED = "stopped"
RUNNING = "running"
PAUSED = "paused"
ERROR = "error"
ENDED = "ended"


class CaptureSource(ABC):
    """A device that produces frames at ``fps`` into ``ring``; see the module docstring."""

    error_type: type[NexusError] = NexusError
    """The error this kind of source raises (``DisplayError`` for screens, ``CameraError`` for cameras)."""

    state_changed = Signal(str)
    """``"running"``, ``"paused"``, ``"error"`` (reopening), ``"ended"`` (video file over), ``"stopped"``."""
    frame_captured = Signal(object)
    """Each ``Frame`` pushed into the ring (emitted from the capture thread)."""
    error_occurred = Signal(object)
    """A ``NexusError`` when the device fails while running."""

    def __init__(
        self,
        ring: FrameRing,
        *,
        fps: float = 1.0,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        diff_threshold: float = DEFAULT_DIFF_THRESHOLD,
        retry_s: float = 1.0,
    ) -> None:
        self.ring = ring
        self.max_pixels = max_pixels
        self.diff_threshold = diff_threshold
        self.retry_s = retry_s
        self._fps = self._check_fps(fps)
        self._state = STOPPED
        self._paused = False
        self._stopping = False
        self._run_id = 0
        # Held while a frame is published, so pause()/stop() returning means no frame follows.
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: np.ndarray | None = None
        self._device_open = False
        self._last_due = 0.0
        self.frames_captured = 0
        self.frames_skipped = 0
        self.last_error: NexusError | None = None

    @property
    @abstractmethod
    def name(self) -> str:
        """The ``source`` recorded in each frame, e.g. ``screen:1`` or ``camera:0``."""

    @abstractmethod
    def _open(self) -> None:
        """Acquire the device (called in the capture thread); raise a ``NexusError`` on failure."""

    @abstractmethod
    def _read(self) -> np.ndarray | None:
        """One full-size H × W × 3 uint8 RGB picture, or ``None`` when the source has ended."""

    @abstractmethod
    def _close(self) -> None:
        """Release the device (called in the capture thread)."""

    @property
    def state(self) -> str:
        """The last state announced on ``state_changed``."""
        return self._state

    @property
    def capturing(self) -> bool:
        """Whether frames are being taken right now (started, not paused, device working)."""
        return self._state == RUNNING

    @property
    def fps(self) -> float:
        """Frames per second attempted (unchanged frames are then skipped)."""
        return self._fps

    def set_fps(self, fps: float) -> None:
        """Change the rate; the next frame is due ``1/fps`` after the previous one."""
        self._fps = self._check_fps(fps)
        self._wake.set()

    def start(self, timeout: float = 10.0) -> None:
        """Open the device and start capturing; raises the device's ``NexusError`` when it cannot open."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._paused = False
            self._previous = None
            self._run_id += 1
            opened: queue.Queue[NexusError | None] = queue.Queue(maxsize=1)
            self._thread = threading.Thread(
                target=self._run, args=(opened, self._run_id), name=f"nexus-{self.name}", daemon=True
            )
            self._thread.start()
        try:
            failure = opened.get(timeout=timeout)
        except queue.Empty:
            with self._lock:
                # The thread may be stuck in the driver; it exits on its own once _open returns.
                self._stopping = True
                self._thread = None
            raise self.error_type(
                f"{self.name} did not open within {timeout:g} s.",
                "Check that the device is connected and free.",
            ) from None
        if failure is not None:
            with self._lock:
                thread, self._thread = self._thread, None
            if thread is not None:
                thread.join()
            raise failure

    def stop(self) -> None:
        """Stop capturing and release the device; no frame is published after this returns."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stopping = True
        self._wake.set()
        if thread is not threading.current_thread():
            thread.join()
        self._announce(STOPPED)

    def pause(self) -> None:
        """Stop taking frames at once; no frame is published after this returns."""
        with self._lock:
            if self._thread is None or self._paused or self._state == ENDED:
                return
            self._paused = True
            self._announce(PAUSED)

    def resume(self) -> None:
        """Take frames again; the first one is due immediately if a period has passed."""
        with self._lock:
            if self._thread is None or not self._paused:
                return
            self._paused = False
            self._announce(RUNNING if self.last_error is None else ERROR)
        self._wake.set()

    @staticmethod
    def _check_fps(fps: float) -> float:
        if not 0 < fps <= 60:
            raise ValueError(f"fps must be in (0, 60], got {fps}")
        return float(fps)

    def _ended(self, run_id: int) -> bool:
        """Whether the run ``run_id`` was told to stop (or replaced by a newer ``start``)."""
        return self._stopping or run_id != self._run_id

    def _as_error(self, exc: Exception) -> NexusError:
        """``exc`` itself when it is a ``NexusError``, else wrapped in this source's error type."""
        if isinstance(exc, NexusError):
            return exc
        return self.error_type(
            f"{self.name} failed: {exc}.", "Check the device; Nexus retries automatically."
        )

    def _run(self, opened: queue.Queue[NexusError | None], run_id: int) -> None:
        try:
            self._open()
        except Exception as exc:  # drivers raise anything; start() re-raises it typed
            opened.put(self._as_error(exc))
            return
        self._device_open = True
        self._announce(RUNNING)
        opened.put(None)
        self._last_due = time.monotonic() - 1.0 / self._fps
        try:
            while not self._ended(run_id):
                try:
                    if not self._step(run_id):
                        return
                except Exception:
                    # A subscriber raised: the frame or state change happened; keep capturing.
                    log.exception("a %s subscriber failed", self.name)
        finally:
            if self._device_open:
                self._device_open = False
                self._close()

    def _step(self, run_id: int) -> bool:
        """One turn of the capture loop; ``False`` once the source has ended."""
        self._wake.clear()
        if self._ended(run_id):
            return True
        if self._paused:
            self._wake.wait()
            return True
        if not self._device_open:
            self._reopen(run_id)
            return True
        due = self._last_due + 1.0 / self._fps
        now = time.monotonic()
        if now < due:
            self._wake.wait(due - now)
            return True
        # Catch up with one frame, not a burst, after a slow read or a pause.
        self._last_due = due if now - due < 1.0 / self._fps else now
        try:
            image = self._read()
        except Exception as exc:  # reported as the source's typed error, then reopened
            self._fail(self._as_error(exc), run_id)
            return True
        if image is None:
            if not self._ended(run_id):
                self._announce(ENDED)
            return False
        self._publish(image, time.monotonic(), run_id)
        return True

    def _reopen(self, run_id: int) -> None:
        self._wake.wait(self.retry_s)
        if self._ended(run_id) or self._paused:
            return
        try:
            self._open()
        except Exception as exc:  # kept as last_error until the device is back
            self.last_error = self._as_error(exc)
            return
        self._device_open = True
        with self._lock:
            self.last_error = None
            if not self._paused and not self._ended(run_id):
                self._announce(RUNNING)

    def _fail(self, exc: NexusError, run_id: int) -> None:
        self._device_open = False
        self._close()
        with self._lock:
            self.last_error = exc
            if self._ended(run_id):
                return
            self._announce(ERROR)
        self.error_occurred.emit(exc)

    def _publish(self, image: np.ndarray, timestamp: float, run_id: int) -> None:
        small = downscale_to_budget(image, self.max_pixels)
        with self._lock:
            if self._paused or self._ended(run_id):
                return
            if self._previous is not None and not frames_differ(self._previous, small, self.diff_threshold):
                self.frames_skipped += 1
                return
            self._previous = small
            frame = Frame(small, timestamp, self.name)
            self.ring.push(frame)
            self.frames_captured += 1
            self.frame_captured.emit(frame)

    def _announce(self, state: str) -> None:
        with self._lock:
            if state == self._state:
                return
            self._state = state
        self.state_changed.emit(state)
