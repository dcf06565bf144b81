"""Light and dark appearance that follows the system unless the user picks one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_SCHEMES = {
    "system": Qt.ColorScheme.Unknown,
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


def dark_palette() -> QPalette:
    """A dark Fusion palette, for desktops that do not provide one (X11 without a theme)."""
    palette = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    disabled = QColor(127, 130, 135)
    for role, color in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.ToolTipBase, window),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor(255, 90, 90)),
        (QPalette.ColorRole.Link, QColor(110, 160, 255)),
        (QPalette.ColorRole.Highlight, QColor(63, 114, 220)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.PlaceholderText, disabled),
        # The 3-D shades, dark too: left at QPalette's light defaults, lines, tracks and
        # an idle meter drawn in Midlight or Light look bright (an empty bar looks full).
        (QPalette.ColorRole.Light, QColor(82, 85, 90)),
        (QPalette.ColorRole.Midlight, QColor(62, 64, 68)),
        (QPalette.ColorRole.Mid, QColor(92, 95, 101)),
        (QPalette.ColorRole.Dark, QColor(24, 25, 27)),
        (QPalette.ColorRole.Shadow, QColor(8, 8, 9)),
    ):
        palette.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(app: QApplication, theme: str) -> None:
    """Use the Fusion style with ``theme``: ``system`` follows the desktop and its changes.

    An explicit ``dark`` also sets a dark palette, because on desktops without
    a colour-scheme service the scheme hint alone changes nothing.
    """
    app.setStyle("Fusion")
    app.styleHints().setColorScheme(_SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    if theme == "dark":
        app.setPalette(dark_palette())
    else:
        app.setPalette(app.style().standardPalette())


def is_dark(app: QApplication) -> bool:
    """Whether the palette in use is dark."""
    window = app.palette().window().color()
    return window.lightness() < 128
