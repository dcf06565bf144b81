"""Light and dark appearance that follows the system unless the user picks one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

_SCHEMES = {
    "system": Qt.ColorScheme.Unknown,
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


def apply_theme(app: QApplication, theme: str) -> None:
    """Use the Fusion style (it honours colour schemes on every platform) with ``theme``.

    ``"system"`` lets Qt follow the desktop's light/dark setting and its changes.
    """
    app.setStyle("Fusion")
    app.styleHints().setColorScheme(_SCHEMES.get(theme, Qt.ColorScheme.Unknown))


def is_dark(app: QApplication) -> bool:
    """Whether the palette in use is dark."""
    window = app.palette().window().color()
    return window.lightness() < 128
