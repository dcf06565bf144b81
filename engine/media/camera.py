"""Camera capture with OpenCV: a device index or ``/dev/video*`` path, or a video file played live.

A video file is read against the wall clock, as a camera would deliver it:
a frame taken ``t`` seconds after ``start`` shows the file at ``t`` seconds,
whatever the capture rate. That makes files a faithful stand-in for a camera
in tests and demos.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from engine.errors import NexusError
from engine.media.capture import CaptureSource
from engine.media.frame_ring import FrameRing
from engine.media.frames import DEFAULT_MAX_PIXELS

# Sensor noise and auto-exposure make consecutive camera pictures differ a little.
DEFAULT_CAMERA_DIFF_THRESHOLD = 4.0
_FALLBACK_FILE_FPS = 30.0


class CameraError(NexusError):
    """A camera or video file cannot be opened, or stopped delivering pictures."""


class CameraCapture(CaptureSource):
    """Captures ``source`` (device index, ``/dev/video*`` path or video file) at ``fps`` into ``ring``.

    With ``loop`` a video file starts over at its end; without it the capture
    ends (state ``"ended"``).
    """

    error_type = CameraError

    def __init__(
        self,
        ring: FrameRing,
        source: int | str | Path = 0,
        *,
        fps: float = 1.0,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        diff_threshold: float = DEFAULT_CAMERA_DIFF_THRESHOLD,
        retry_s: float = 1.0,
        loop: bool = False,
    ) -> None:
        super().__init__(ring, fps=fps, max_pixels=max_pixels, diff_threshold=diff_threshold, retry_s=retry_s)
        self.source = source
        self.loop = loop
        # A video file to play, or None for a live device (an index or a /dev/video* node).
        self._file: Path | None = None
        if not isinstance(source, int) and not str(source).startswith("/dev/"):
            self._file = Path(source).expanduser()
        self._capture: cv2.VideoCapture | None = None
        self._started_at = 0.0
        self._file_fps = _FALLBACK_FILE_FPS
        self._frame_count = 0
        self._next_index = 0
        self._lap = 0

    @property
    def name(self) -> str:
        """``camera:0`` for a device, ``camera:FILENAME`` for a file."""
        return f"camera:{self.source if self._file is None else self._file.name}"

    def _open(self) -> None:
        path = self._file
        if path is None:
            self._capture = self._open_device()
            return
        if not path.is_file():
            raise CameraError(f"The video file {path} does not exist.", "Check the path and try again.")
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise CameraError(
                f"The video file {path} cannot be decoded.",
                "Convert it to MP4 (H.264) or AVI (MJPG) and try again.",
            )
        self._file_fps = capture.get(cv2.CAP_PROP_FPS) or _FALLBACK_FILE_FPS
        self._frame_count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self._next_index = 0
        self._lap = 0
        self._started_at = time.monotonic()
        self._capture = capture

    def _open_device(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(self.source if isinstance(self.source, int) else str(self.source))
        if not capture.isOpened():
            capture.release()
            found = sorted(str(p) for p in Path("/dev").glob("video*"))
            seen = f"devices present: {', '.join(found)}" if found else "no /dev/video* device is present"
            raise CameraError(
                f"Camera {self.source} cannot be opened ({seen}).",
                "Check that it is connected and not used by another application, or choose another camera.",
            )
        # A one-frame driver queue: at 1–2 fps a deeper queue would hand out pictures seconds old.
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return capture

    def _read(self) -> np.ndarray | None:
        if self._file is not None:
            return self._read_file()
        capture = self._capture
        if capture is None:
            raise CameraError(f"{self.name} is not open.", "Start the capture first.")
        # Drop the picture that waited in the driver queue, then take a fresh one.
        capture.grab()
        ok, bgr = capture.read()
        if not ok:
            raise CameraError(
                f"Camera {self.source} stopped delivering pictures.", "Check its cable; Nexus keeps retrying."
            )
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def _read_file(self) -> np.ndarray | None:
        capture = self._capture
        if capture is None:
            raise CameraError(f"{self.name} is not open.", "Start the capture first.")
        target = int((time.monotonic() - self._started_at) * self._file_fps)
        if self.loop and self._frame_count > 0:
            lap, target = divmod(target, self._frame_count)
            if lap != self._lap:
                self._rewind(capture)
                self._lap = lap
        while self._next_index < target:
            if not capture.grab():
                return self._at_end(capture)
            self._next_index += 1
        ok, bgr = capture.read()
        if not ok:
            return self._at_end(capture)
        self._next_index += 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def _at_end(self, capture: cv2.VideoCapture) -> np.ndarray | None:
        if not self.loop:
            return None
        # The file is shorter than its header said: start the next lap now.
        self._rewind(capture)
        self._started_at = time.monotonic()
        self._lap = 0
        ok, bgr = capture.read()
        if not ok:
            raise CameraError(f"The video file {self.source} has no readable frames.", "Choose another file.")
        self._next_index = 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def _rewind(self, capture: cv2.VideoCapture) -> None:
        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._next_index = 0

    def _close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None
