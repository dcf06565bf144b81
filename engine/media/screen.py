"""Screen capture with mss: a monitor, a rectangle or one window, at a low frame rate, into a ``FrameRing``.

With a ``FramePolicy`` (the Live session's default), each frame pushed into
the ring is the usual downscaled screen carrying the images the model gets
for it: a small overview and a focus crop at native resolution, placed from
the pointer, the active window and the last change (``engine.media.desktop``
reads the first two from the X server; elsewhere the focus follows changes).
Only the newest few frames keep those images, so the ring costs no more
memory than before. When only the focus moved (the pointer went elsewhere on
an unchanged screen), the newest frame's images are replaced instead of a
frame being added.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from dataclasses import dataclass

import cv2
import mss
import numpy as np

from engine.errors import DisplayError
from engine.media.capture import CaptureSource
from engine.media.desktop import Desktop
from engine.media.frame_policy import SCREEN, Box, FocusHints, FramePolicy, ScreenImage
from engine.media.frame_ring import FrameRing
from engine.media.frames import (
    DEFAULT_DIFF_THRESHOLD,
    DEFAULT_MAX_PIXELS,
    Frame,
    changed_box,
    downscale_to_budget,
    frames_differ,
)
from engine.system_info import Screen

log = logging.getLogger(__name__)
# Frames that keep their overview and focus; older ones are plain downscaled pictures (clips only use those).
KEEP_PARTS = 3


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
    """Captures ``monitor`` (an mss index: 1 = first monitor, 0 = all) or a ``Region`` at ``fps``.

    ``frame_policy`` (off when ``None``) attaches an overview and a legible
    focus to each frame; see the module docstring.
    """

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
        frame_policy: FramePolicy | None = None,
    ) -> None:
        super().__init__(ring, fps=fps, max_pixels=max_pixels, diff_threshold=diff_threshold, retry_s=retry_s)
        self.monitor = monitor
        self.frame_policy = frame_policy or FramePolicy(focus_tokens=0, max_pixels=max_pixels)
        self._grabber: mss.MSS | None = None
        self._desktop: Desktop | None = None
        self._area: dict[str, int] = {}
        self._focus: Box | None = None
        self._pointer: tuple[int, int] | None = None
        self._recent: deque[ScreenImage] = deque()

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
        if self.frame_policy.enabled and self._desktop is None:
            try:
                self._desktop = Desktop()
            except DisplayError as exc:  # no pointer or window hints here: the focus follows changes
                log.info("screen focus without desktop hints: %s", exc)

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
        if self._desktop is not None:
            self._desktop.close()
            self._desktop = None

    # the frame policy ----------------------------------------------------------------------------
    def _hints(self, change: Box | None) -> FocusHints:
        """Pointer and active window in the captured picture's pixels, and ``change``."""
        desktop = self._desktop
        if desktop is None:
            return FocusHints(change=change)
        left, top = self._area.get("left", 0), self._area.get("top", 0)
        pointer = desktop.pointer()
        if pointer is not None:
            pointer = (pointer[0] - left, pointer[1] - top)
        moved = pointer is not None and pointer != self._pointer
        self._pointer = pointer
        window = self._active_window()
        return FocusHints(pointer, moved, window.shifted(-left, -top) if window is not None else None, change)

    def _active_window(self) -> Box | None:
        return self._desktop.active_window() if self._desktop is not None else None

    def _publish(self, image: np.ndarray, timestamp: float, run_id: int) -> None:
        policy = self.frame_policy
        if not policy.enabled:
            super()._publish(image, timestamp, run_id)
            return
        height, width = image.shape[:2]
        small = downscale_to_budget(image, self.max_pixels)
        previous = self._previous
        changed = previous is None or frames_differ(previous, small, self.diff_threshold)
        change = None
        if changed and previous is not None:
            box = changed_box(previous, small, self.diff_threshold)
            if box is not None:
                change = Box(*box).scaled(width / small.shape[1], height / small.shape[0])
        focus = policy.choose_focus(width, height, self._hints(change), self._focus)
        newest = self._recent[-1] if self._recent else None
        if not changed and (focus == self._focus or newest is None):
            with self._lock:
                self.frames_skipped += 1
            return
        parts = policy.parts(image, focus, small)
        with self._lock:
            if self._paused or self._ended(run_id):
                return
            self._focus = focus
            if not changed and newest is not None:
                # Same picture, the focus moved: the newest frame sends the new focus from now on.
                newest.parts, newest.box = parts, focus
                self.frames_skipped += 1
                return
            shot = ScreenImage(small, SCREEN, parts=parts, box=focus, screen_size=(width, height))
            self._previous = small
            self._recent.append(shot)
            while len(self._recent) > KEEP_PARTS:
                self._recent.popleft().parts = ()
            frame = Frame(shot, timestamp, self.name)
            self.ring.push(frame)
            self.frames_captured += 1
            self.frame_captured.emit(frame)


class WindowCapture(ScreenCapture):
    """Captures one window (an X11 window id) wherever it is on the desktop, at ``fps``.

    The picture is the window's rectangle on the screen, so a window covering
    it is seen too, as the user sees it. A window that closes or is minimised
    is reported as a ``DisplayError`` and looked for again every ``retry_s``.
    """

    def __init__(
        self,
        ring: FrameRing,
        window_id: int,
        *,
        fps: float = 1.0,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        diff_threshold: float = DEFAULT_DIFF_THRESHOLD,
        retry_s: float = 1.0,
        frame_policy: FramePolicy | None = None,
    ) -> None:
        super().__init__(
            ring,
            1,
            fps=fps,
            max_pixels=max_pixels,
            diff_threshold=diff_threshold,
            retry_s=retry_s,
            frame_policy=frame_policy,
        )
        self.window_id = window_id

    @property
    def name(self) -> str:
        """``window:0x…``."""
        return f"window:{self.window_id:#x}"

    def _open(self) -> None:
        desktop = self._desktop or Desktop()  # DisplayError where windows cannot be shared
        try:
            grabber = mss.MSS()
        except (mss.ScreenShotError, OSError) as exc:
            desktop.close()
            raise _display_error(exc) from exc
        self._desktop, self._grabber = desktop, grabber
        try:
            self._area = self._window_area()
        except DisplayError:
            self._close()
            raise

    def _window_area(self) -> dict[str, int]:
        assert self._desktop is not None and self._grabber is not None
        info = self._desktop.window(self.window_id)
        if info is None:
            raise DisplayError(
                f"The window {self.window_id:#x} is closed or minimised.",
                "Bring it back, or choose another window or a monitor in the Live tab.",
            )
        desktop = self._grabber.monitors[0]
        bounds = Box(desktop["left"], desktop["top"], desktop["width"], desktop["height"])
        visible = info.box.intersect(bounds)
        if visible is None:
            raise DisplayError(
                f"The window “{info.title or self.name}” is outside the screen.", "Move it onto a monitor."
            )
        return {"left": visible.left, "top": visible.top, "width": visible.width, "height": visible.height}

    def _read(self) -> np.ndarray:
        if self._grabber is None or self._desktop is None:
            raise DisplayError("The window capture is not open.", "Start the capture first.")
        self._area = self._window_area()  # the window may have moved or changed size
        return super()._read()

    def _active_window(self) -> Box | None:
        return None  # the whole picture is the shared window

