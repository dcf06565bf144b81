"""Tell the person a job ended: a desktop notification where there is a tray, and a line in the page."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

NOTIFICATION_MS = 8000


class Notifier(QObject):
    """Shows ``notify`` messages as tray notifications when possible; always passes them to ``status``."""

    def __init__(self, status: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status = status
        self._tray: QSystemTrayIcon | None = None

    @staticmethod
    def tray_available() -> bool:
        """Whether the desktop can show tray notifications."""
        return QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()

    def notify(self, title: str, text: str, ok: bool = True) -> None:
        """Show ``title`` and ``text``; the page's status line gets the text either way."""
        self._status(text)
        if not self.tray_available():
            return
        if self._tray is None:
            app = QApplication.instance()
            icon = app.windowIcon() if isinstance(app, QApplication) else None
            if icon is None or icon.isNull():
                icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)
            self._tray = QSystemTrayIcon(icon, self)
        self._tray.show()
        kind = QSystemTrayIcon.MessageIcon.Information if ok else QSystemTrayIcon.MessageIcon.Warning
        self._tray.showMessage(title, text, kind, NOTIFICATION_MS)
