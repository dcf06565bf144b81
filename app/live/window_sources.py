"""The source picker with windows: share one window, not only a monitor, a camera or a video.

``ShareCombo`` is the Live tab's ``SourceCombo`` plus a "Window: title" item
for each window on the desktop (``engine.media.desktop``, X11). Windows are
listed off the Qt thread when the picker is created and again each time its
list is opened, so a window opened later shows up; Nexus's own windows are
left out. Where windows cannot be listed (Windows, macOS, Wayland without
X11) the picker says so in one disabled item and the rest works as before.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from app.live.lifetime import while_alive
from app.live.sources import SourceCombo
from app.tasks import run_task
from engine.errors import NexusError
from engine.media.desktop import WindowInfo, list_windows

WINDOW_PREFIX = "window:"
NO_WINDOWS = "no-windows"
TITLE_CHARS = 40


def window_title(info: WindowInfo) -> str:
    """``Window: Title`` (shortened), the item text of a window."""
    title = " ".join(info.title.split()) or f"{info.id:#x}"
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    return f"Window: {title}"


class ShareCombo(SourceCombo):
    """Screens, windows, the first camera and a video file."""

    def __init__(self, source: str, parent: QWidget | None = None) -> None:
        super().__init__(source, parent)
        self.windows: list[WindowInfo] = []
        self.windows_error = ""
        self.listing_windows = False
        self.refresh_windows()

    def set_source(self, source: str) -> None:
        """Select ``source``; a window not listed (yet) gets an item of its own."""
        if source.startswith(WINDOW_PREFIX) and self.findData(source) < 0:
            self._insert_window_item(f"Window {source[len(WINDOW_PREFIX):]}", source)
        super().set_source(source)

    def showPopup(self) -> None:  # noqa: N802 (Qt override)
        """List the windows again each time the list opens."""
        self.refresh_windows()
        super().showPopup()

    def refresh_windows(self) -> None:
        """List the desktop's windows in the background and update the items."""
        if self.listing_windows:
            return
        self.listing_windows = True
        run_task(list_windows, while_alive(self, self._show_windows))

    def _window_rows(self) -> list[int]:
        data = [str(self.itemData(i)) for i in range(self.count())]
        return [i for i, value in enumerate(data) if value.startswith(WINDOW_PREFIX) or value == NO_WINDOWS]

    def _insert_window_item(self, title: str, source: str) -> int:
        rows = self._window_rows()
        if rows:
            row = rows[-1] + 1
        else:
            screens = [i for i in range(self.count()) if str(self.itemData(i)).startswith("screen:")]
            row = (screens[-1] + 1) if screens else 0
        self.insertItem(row, title, source)
        return row

    def _own_windows(self) -> set[int]:
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return set()
        return {int(w.winId()) for w in app.topLevelWidgets() if w.isVisible()}

    def _show_windows(self, windows: list[WindowInfo] | None, error: BaseException | None) -> None:
        self.listing_windows = False
        note = self.findData(NO_WINDOWS)
        if note >= 0:
            self.removeItem(note)
        if error is not None:
            self.windows = []
            self.windows_error = error.message if isinstance(error, NexusError) else str(error)
            item_row = self._insert_window_item("Windows: not available here", NO_WINDOWS)
            self.setItemData(item_row, self.windows_error, Qt.ItemDataRole.ToolTipRole)
            self.model().item(item_row).setEnabled(False)  # type: ignore[attr-defined]
            return
        own = self._own_windows()
        self.windows = [w for w in windows or [] if w.id not in own]
        self.windows_error = ""
        current = self.source
        for row in reversed(self._window_rows()):
            if str(self.itemData(row)) != current:
                self.removeItem(row)
        for info in self.windows:
            existing = self.findData(info.source)
            if existing >= 0:
                self.setItemText(existing, window_title(info))
            else:
                existing = self._insert_window_item(window_title(info), info.source)
            self.setItemData(existing, info.title, Qt.ItemDataRole.ToolTipRole)
        index = self.findData(current)
        if index >= 0:
            self.setCurrentIndex(index)
