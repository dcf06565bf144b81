"""Make a dialog tall enough for its word-wrapped texts.

Qt gives a window whose layout has word-wrapped labels no minimum height for
them, so a message that wraps onto more lines squeezes the rest of the
window (buttons cut in half, lines drawn over each other). ``grow_to_fit``
sets the window's minimum height to what its contents need at its width and
makes it taller when it is shorter than that.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QLabel, QWidget


def grow_to_fit(window: QWidget) -> None:
    """Raise ``window``'s minimum height (and its height) to what its layout needs at its width."""
    layout = window.layout()
    if layout is None:
        return
    layout.activate()
    needed = layout.totalMinimumSize().height()
    if layout.hasHeightForWidth():
        needed = max(needed, layout.totalHeightForWidth(window.width()))
    window.setMinimumHeight(needed)
    if window.height() < needed:
        window.resize(window.width(), needed)
    # Nested form layouts can measure a wrapped row with a stale width: add what any label still lacks.
    layout.activate()
    lacking = sum(
        max(0, label.heightForWidth(label.width()) - label.height())
        for label in window.findChildren(QLabel)
        if label.wordWrap() and label.isVisible() and label.text()
    )
    if lacking:
        window.setMinimumHeight(window.height() + lacking)
        window.resize(window.width(), window.height() + lacking)


def grow_dialog_of(widget: QWidget) -> None:
    """``grow_to_fit`` the dialog ``widget`` is in (nothing when it is not in a dialog).

    It fits again once the layout has placed the new text: a form layout
    measures wrapped rows with the widths of its last placement.
    """
    window = widget.window()
    if isinstance(window, QDialog):
        grow_to_fit(window)
        QTimer.singleShot(0, window, lambda: grow_to_fit(window))
