"""Screen capture with mss: a whole monitor or a rectangle, at a low frame rate, into a ``FrameRing``."""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import mss
import numpy as np

from engine.errors import DisplayError
from engine.media.capture import CaptureSource
from engine.media.frame_ring import FrameRing
from engine.media.frames import DEFAULT_DIFF_THRESHOLD, DEFAULT_MAX_PIXELS
from engine.system_info import Screen


@dataclass(frozen=True)
class Region:
    """A rectangle of the virtual desktop, in pixels."""

    left: int
    top: int
    width: int
    height: int


def _display_error(exc: Exception) -> DisplayError:
    display = os.environ.get("DISPLAY", "")
    if not display and not os.environ.get("WAYLAND_DISPLAY"):
        hint = "DISPLAY is not set: start Nexus inside a desktop session (or under xvfb-run for tests)."
    else:
        hint = f"Check that the display {display or 'of this session'} is running and that Nexus may read it."
    return DisplayError(f"The screen cannot be captured: {exc}.", hint)


def list_monitors() -> list[Screen]:
    """The monitors mss can capture (index 1 is the first; 0, the whole desktop, is left out)."""
    try:
        with mss.MSS() as grabber:
            return [
                Screen(i, m["left"], m["top"], m["width"], m["height"])
                for i, m in enumerate(grabber.monitors)
                if i > 0
            ]
    except (mss.ScreenShotError, OSError) as exc:
        raise _display_error(exc) from exc


class ScreenCapture(CaptureSource):
    """Captures ``monitor`` (an mss index: 1 = first monitor, 0 = all) or a ``Region`` at ``fps``."""

    error_type = DisplayError

    def __init__(
        self,
        ring: FrameRing,
        monitor: int | Region = 1,
        *,
        fps: float = 1.0,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        diff_threshold: float = DEFAULT_DIFF_THRESHOLD,
        retry_s: float = 1.0,
    ) -> None:
        super().__init__(ring, fps=fps, max_pixels=max_pixels, diff_threshold=diff_threshold, retry_s=retry_s)
        self.monitor = monitor
        self._grabber: mss.MSS | None = None
        self._area: dict[str, int] = {}

    @property
    def name(self) -> str:
        """``screen:N`` for a monitor, ``screen:LEFT,TOP,WxH`` for a region."""
        if isinstance(self.monitor, Region):
            r = self.monitor
            return f"screen:{r.left},{r.top},{r.width}x{r.height}"
        return f"screen:{self.monitor}"

    def _open(self) -> None:
        try:
            grabber = mss.MSS()
        except (mss.ScreenShotError, OSError) as exc:
            raise _display_error(exc) from exc
        try:
            self._area = self._resolve_area(grabber)
        except DisplayError:
            grabber.close()
            raise
        self._grabber = grabber

    def _resolve_area(self, grabber: mss.MSS) -> dict[str, int]:
        monitors = grabber.monitors
        if isinstance(self.monitor, Region):
            r = self.monitor
            desktop = monitors[0]
            inside = (
                r.width > 0
                and r.height > 0
                and r.left >= desktop["left"]
                and r.top >= desktop["top"]
                and r.left + r.width <= desktop["left"] + desktop["width"]
                and r.top + r.height <= desktop["top"] + desktop["height"]
            )
            if not inside:
                raise DisplayError(
                    f"The region {r.width}×{r.height} at ({r.left}, {r.top}) is not inside the desktop "
                    f"({desktop['width']}×{desktop['height']} at ({desktop['left']}, {desktop['top']})).",
                    "Choose the region again.",
                )
            return {"left": r.left, "top": r.top, "width": r.width, "height": r.height}
        if not 0 <= self.monitor < len(monitors):
            raise DisplayError(
                f"Monitor {self.monitor} does not exist; this desktop has {len(monitors) - 1}.",
                "Choose another monitor in the Live tab.",
            )
        m = monitors[self.monitor]
        return {"left": m["left"], "top": m["top"], "width": m["width"], "height": m["height"]}

    def _read(self) -> np.ndarray:
        if self._grabber is None:
            raise DisplayError("The screen capture is not open.", "Start the capture first.")
        try:
            shot = self._grabber.grab(self._area)
        except (mss.ScreenShotError, OSError) as exc:
            raise _display_error(exc) from exc
        bgra = np.frombuffer(shot.bgra, dtype=np.uint8).reshape(shot.height, shot.width, 4)
        return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB)

    def _close(self) -> None:
        if self._grabber is not None:
            self._grabber.close()
            self._grabber = None
