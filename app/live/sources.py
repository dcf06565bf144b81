"""What the Live tab will share: the source picker and the picture preview.

Listing monitors and grabbing a still both talk to the X server, and a
video file has to be opened and decoded, so both run off the Qt thread. A
camera is never switched on just for a preview: the user has not pressed
Start yet.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPaintEvent, QPalette
from PySide6.QtWidgets import QComboBox, QFileDialog, QSizePolicy, QWidget

from app.live.lifetime import while_alive
from app.tasks import run_task
from engine.camera_list import CameraList, list_cameras
from engine.config import LiveSettings
from engine.live.factory import make_capture
from engine.media.frame_ring import FrameRing
from engine.media.screen import list_monitors
from engine.system_info import Screen

log = logging.getLogger(__name__)

VIDEO_FILE = "video-file"
VIDEO_FILTER = "Videos (*.mp4 *.mkv *.webm *.mov *.avi *.m4v);;All files (*)"
# The largest picture the preview keeps; it is drawn smaller than this.
PREVIEW_MAX = QSize(640, 400)


def source_kind(source: str) -> str:
    """``screen``, ``window``, ``camera`` or ``video`` for a source string."""
    kind, _, value = source.partition(":")
    if kind in ("screen", "window"):
        return kind
    if kind == "camera" and value.isdigit():
        return "camera"
    return "video"


def screen_title(screen: Screen) -> str:
    """``Screen 1 (1600×1000)``."""
    return f"Screen {screen.index} ({screen.width}×{screen.height})"


def image_from_array(image: np.ndarray, bound: QSize = PREVIEW_MAX) -> QImage:
    """An RGB ``H × W × 3`` array as a ``QImage`` no larger than ``bound`` (a copy; safe in any thread)."""
    array = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    height, width = array.shape[:2]
    wrapped = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888)
    if width > bound.width() or height > bound.height():
        return wrapped.scaled(
            bound, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return wrapped.copy()


def grab_still(source: str, timeout_s: float = 5.0) -> QImage:
    """One picture of a screen or video file, taken the way a session would take it (worker thread)."""
    ring = FrameRing(capacity=2, max_age_s=60.0)
    capture = make_capture(source, ring, LiveSettings(source=source, fps_idle=10.0))
    if capture is None:
        raise ValueError(f"{source} has no pictures")
    capture.start()
    try:
        deadline = time.monotonic() + timeout_s
        while (frame := ring.latest()) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{source} gave no picture within {timeout_s:g} s")
            time.sleep(0.02)
    finally:
        capture.stop()
    return image_from_array(frame.image)


class SourceCombo(QComboBox):
    """Screens and cameras (listed in the background), and a video file chosen in a dialog."""

    source_changed = Signal(str)
    """The ``screen:N`` / ``camera:N`` / file path now selected."""
    screens_listed = Signal(str)
    """Emitted once the monitors are known; carries an error text when none could be listed."""

    def __init__(self, source: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self.addItem("Screen 1", "screen:1")
        self.addItem("Video file…", VIDEO_FILE)
        self._current = "screen:1"
        self._wanted = source
        self.set_source(source)
        self.listing = True
        self.activated.connect(self._on_activated)
        run_task(list_monitors, while_alive(self, self._show_screens))
        # Cameras are listed without opening them (that would switch their light on).
        run_task(list_cameras, while_alive(self, self._show_cameras))

    @property
    def source(self) -> str:
        """The selected source."""
        return self._current

    def set_source(self, source: str) -> None:
        """Select ``source``, adding a video file or a not yet listed screen as an item.

        A camera that is not listed (yet) is selected once the cameras are known, if it is there.
        """
        self._wanted = source
        index = self.findData(source)
        if index < 0 and source_kind(source) == "video":
            if not Path(source).expanduser().is_file():
                return
            index = self._add_video(source)
        elif index < 0 and source_kind(source) == "screen":
            index = self._insert_screen_item(f"Screen {source.partition(':')[2]}", source)
        if index >= 0:
            self.setCurrentIndex(index)
            self._select(source)

    def _show_cameras(self, found: CameraList | None, error: BaseException | None) -> None:
        if error is not None or found is None:
            log.warning("cameras could not be listed: %s", error)
            return
        row = self.findData(VIDEO_FILE)
        for camera in found.cameras:
            source = f"camera:{camera.index}"
            if self.findData(source) >= 0:
                continue
            title = camera.name if found.exact else f"{camera.name} (if there is one)"
            self.insertItem(row, f"Camera: {title}" if found.exact else title, source)
            row += 1
        if source_kind(self._wanted) == "camera":
            index = self.findData(self._wanted)
            if index >= 0:
                self.setCurrentIndex(index)
                self._select(self._wanted)

    def _select(self, source: str) -> None:
        if source != self._current:
            self._current = source
            self.source_changed.emit(source)

    def _screen_rows(self) -> list[int]:
        return [i for i in range(self.count()) if str(self.itemData(i)).startswith("screen:")]

    def _insert_screen_item(self, title: str, source: str) -> int:
        row = max(self._screen_rows(), default=-1) + 1
        self.insertItem(row, title, source)
        return row

    def _add_video(self, path: str) -> int:
        existing = self.findData(path)
        if existing >= 0:
            return existing
        row = self.findData(VIDEO_FILE)
        self.insertItem(row, f"Video: {Path(path).name}", path)
        self.setItemData(row, path, Qt.ItemDataRole.ToolTipRole)
        return row

    def _on_activated(self, index: int) -> None:
        data = str(self.itemData(index))
        if data != VIDEO_FILE:
            self._select(data)
            return
        path, _ = QFileDialog.getOpenFileName(self, "Choose a video to share", str(Path.home()), VIDEO_FILTER)
        if not path:
            self.setCurrentIndex(max(0, self.findData(self._current)))
            return
        self.setCurrentIndex(self._add_video(path))
        self._select(path)

    def _show_screens(self, screens: list[Screen] | None, error: BaseException | None) -> None:
        self.listing = False
        if error is not None or not screens:
            self.screens_listed.emit(str(error) if error is not None else "No monitor was found.")
            return
        current = self._current
        for row in reversed(self._screen_rows()):
            self.removeItem(row)
        for screen in screens:
            self._insert_screen_item(screen_title(screen), f"screen:{screen.index}")
        index = self.findData(current)
        if index < 0 and source_kind(current) == "screen":
            index = 0
            self._select(str(self.itemData(0)))
        if index >= 0:
            self.setCurrentIndex(index)
        self.screens_listed.emit("")


class PreviewView(QWidget):
    """The latest picture, scaled with its aspect ratio kept, on a dark rounded card; or a short note."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._image: QImage | None = None
        self._note = ""
        self.dimmed = False

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """16:10 at the width of the Live tab's left column."""
        return QSize(320, 200)

    @property
    def image(self) -> QImage | None:
        """The picture shown, or ``None``."""
        return self._image

    @property
    def note(self) -> str:
        """The text shown over (or instead of) the picture."""
        return self._note

    def set_image(self, image: QImage | None, note: str = "") -> None:
        """Show ``image`` (``None`` for the note alone)."""
        self._image = image
        self._note = note
        self.update()

    def set_note(self, note: str, dimmed: bool = False) -> None:
        """Show ``note`` over the picture kept so far (dimmed while capture is paused)."""
        self._note = note
        self.dimmed = dimmed
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """The card, the picture letterboxed inside it, and the note at the bottom."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        card = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        clip = QPainterPath()
        clip.addRoundedRect(card, 8, 8)
        painter.fillPath(clip, QColor("#16181d"))
        painter.setClipPath(clip)
        if self._image is not None and not self._image.isNull():
            size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            left = (self.width() - size.width()) / 2
            top = (self.height() - size.height()) / 2
            target = QRectF(left, top, size.width(), size.height())
            painter.drawImage(target, self._image)
            if self.dimmed:
                painter.fillRect(self.rect(), QColor(0, 0, 0, 150))
        if self._note:
            painter.setPen(QColor("#e8eaed"))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 0.92)
            painter.setFont(font)
            area = QRectF(self.rect()).adjusted(12, 10, -12, -10)
            if self._image is not None and not self.dimmed:
                metrics = painter.fontMetrics()
                band = QRectF(0, self.height() - metrics.height() - 12, self.width(), metrics.height() + 12)
                painter.fillRect(band, QColor(0, 0, 0, 140))
                area = band.adjusted(10, 0, -10, 0)
            painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self._note)
        painter.setClipping(False)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(card, 8, 8)

